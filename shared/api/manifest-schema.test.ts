import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { packageManifestLockSchema, packageManifestSchema } from './generated/schemas.js';
import { parsePackageManifest, parsePackageManifestLock } from './manifest-schema.js';

describe('the generated schemas', () => {
  // manifest-schema.ts compiles them without checking them against the meta-schema (start-up time): this does.
  it('are valid JSON Schema', () => {
    const ajv = new Ajv({ strict: false });
    for (const schema of [packageManifestSchema, packageManifestLockSchema]) {
      expect(ajv.validateSchema(schema)).toBe(true);
      expect(ajv.errors ?? null).toBeNull();
    }
    expect(ajv.validateSchema({ type: 'object', properties: { a: { type: 'strin' } } })).toBe(false);
  });
});

describe('manifest shape validation', () => {
  it('accepts a PackageManifest', () => {
    const r = parsePackageManifest({
      apiVersion: 'manifests.package-operator.run/v1alpha1',
      kind: 'PackageManifest',
      metadata: { name: 'x' },
      spec: { scopes: ['Namespaced'], phases: [{ name: 'deploy' }] },
    });
    expect(r.ok).toBe(true);
  });

  it('names the path of a wrongly typed field', () => {
    const r = parsePackageManifest({
      apiVersion: 'a',
      kind: 'PackageManifest',
      spec: { scopes: ['Galaxy'], phases: 'x' },
    });
    expect(r).toEqual({
      ok: false,
      errors: ['spec.scopes.0: must be equal to one of the allowed values', 'spec.phases: must be array'],
    });
  });

  it("reads a null field as Go's zero value (PKO's kickstart writes images: null), but keeps nulls in config", () => {
    const r = parsePackageManifest({
      apiVersion: 'manifests.package-operator.run/v1alpha1',
      kind: 'PackageManifest',
      spec: {
        scopes: ['Cluster'],
        phases: null,
        images: null,
        config: { openAPIV3Schema: { type: 'object', properties: { a: { default: null } } } },
      },
      test: {
        template: [
          { name: 'defaults', context: { package: { metadata: { labels: null } }, config: { a: null } } },
        ],
      },
    });
    expect(r).toEqual({
      ok: true,
      value: {
        apiVersion: 'manifests.package-operator.run/v1alpha1',
        kind: 'PackageManifest',
        spec: {
          scopes: ['Cluster'],
          config: { openAPIV3Schema: { type: 'object', properties: { a: { default: null } } } },
        },
        test: {
          template: [{ name: 'defaults', context: { package: { metadata: {} }, config: { a: null } } }],
        },
      },
    });
  });

  it('checks a lock file', () => {
    expect(
      parsePackageManifestLock({
        apiVersion: 'a',
        kind: 'PackageManifestLock',
        spec: { images: [{ name: 'n', image: 'i', digest: 'd' }] },
      }).ok,
    ).toBe(true);
    expect(parsePackageManifestLock({ kind: 'PackageManifestLock' })).toEqual({
      ok: false,
      errors: ["<root>: must have required property 'apiVersion'"],
    });
  });
});
