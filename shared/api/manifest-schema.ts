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

// The schemas are generated from our own CRDs and checked against JSON Schema's meta-schema by a unit test, so
// ajv need not compile the meta-schema at every start (about two thirds of the compile time), and each validator
// is compiled on its first use only: start-up is part of the design (issue 13).
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
let manifestValidator: ValidateFunction<PackageManifest> | undefined;
let lockValidator: ValidateFunction<PackageManifestLock> | undefined;

function run<T>(validate: ValidateFunction<T>, value: unknown): ParseResult<T> {
  if (validate(value)) return { ok: true, value };
  const errors = (validate.errors ?? []).map((e) => {
    const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    return `${path === '' ? '<root>' : path}: ${e.message ?? 'invalid'}`;
  });
  return { ok: false, errors };
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Free-form JSON inside a manifest, where a null is a value: the config schema and each test case's config. */
const FREE_FORM = ['spec.config.openAPIV3Schema', 'test.template.*.context.config'];

/**
 * A manifest as Go's decoder sees it: a `null` field is the field's zero value, so it is left out (PKO's own
 * `kubectl package kickstart` writes `images: null` and `labels: null`), except inside free-form JSON.
 */
export function withoutGoNulls(value: unknown, path = ''): unknown {
  if (FREE_FORM.includes(path)) return value;
  const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
  if (Array.isArray(value)) return value.map((v) => withoutGoNulls(v, at('*')));
  if (!isMap(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutGoNulls(v, at(k));
  return out;
}

/** Check that a parsed YAML document has the shape of a PackageManifest. */
export function parsePackageManifest(value: unknown): ParseResult<PackageManifest> {
  manifestValidator ??= ajv.compile<PackageManifest>(packageManifestSchema);
  return run(manifestValidator, withoutGoNulls(value));
}

/** Check that a parsed YAML document has the shape of a PackageManifestLock. */
export function parsePackageManifestLock(value: unknown): ParseResult<PackageManifestLock> {
  lockValidator ??= ajv.compile<PackageManifestLock>(packageManifestLockSchema);
  return run(lockValidator, value);
}
