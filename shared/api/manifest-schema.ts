/**
 * @module api/manifest-schema
 * Shape validation (ajv) of the package file formats against shared/api/schemas. The semantic rules and
 * PKO's exact messages live in shared/packages; this only guarantees the types before they are trusted.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { PackageManifest } from './generated/packagemanifest.js';
import type { PackageManifestLock } from './generated/packagemanifestlock.js';
import { packageManifestSchema, packageManifestLockSchema } from './generated/schemas.js';

export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: string[] };

const ajv = new Ajv({ allErrors: true, strict: false });
const manifestValidator: ValidateFunction<PackageManifest> =
  ajv.compile<PackageManifest>(packageManifestSchema);
const lockValidator: ValidateFunction<PackageManifestLock> =
  ajv.compile<PackageManifestLock>(packageManifestLockSchema);

function run<T>(validate: ValidateFunction<T>, value: unknown): ParseResult<T> {
  if (validate(value)) return { ok: true, value };
  const errors = (validate.errors ?? []).map((e) => {
    const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    return `${path === '' ? '<root>' : path}: ${e.message ?? 'invalid'}`;
  });
  return { ok: false, errors };
}

/** Check that a parsed YAML document has the shape of a PackageManifest. */
export function parsePackageManifest(value: unknown): ParseResult<PackageManifest> {
  return run(manifestValidator, value);
}

/** Check that a parsed YAML document has the shape of a PackageManifestLock. */
export function parsePackageManifestLock(value: unknown): ParseResult<PackageManifestLock> {
  return run(lockValidator, value);
}
