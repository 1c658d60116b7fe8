import { describe, expect, it } from 'vitest';
import type { PackageManifestLock } from '../api/generated/packagemanifestlock.js';
import { lockFileText, lockUpToDate } from './lock.js';

const digest = `sha256:${'e'.repeat(64)}`;
const hex = 'f'.repeat(64);
const images = [{ name: 'web', image: 'registry.k8s.io/pause:3.10', digest }];
const dependencies = [{ name: 'db', image: 'quay.io/acme/db', digest: hex, version: '1.1.0' }];

describe('lockFileText', () => {
  it('writes the lock as PKO does: keys sorted, lists not indented, dependencies before images', () => {
    expect(lockFileText(images, new Date('2026-12-02T10:41:40.500Z'), dependencies)).toBe(
      [
        'apiVersion: manifests.package-operator.run/v1alpha1',
        'kind: PackageManifestLock',
        'metadata:',
        '  creationTimestamp: "2026-12-02T10:41:40Z"',
        'spec:',
        '  dependencies:',
        `  - digest: ${hex}`,
        '    image: quay.io/acme/db',
        '    name: db',
        '    version: 1.1.0',
        '  images:',
        `  - digest: ${digest}`,
        '    image: registry.k8s.io/pause:3.10',
        '    name: web',
        '',
      ].join('\n'),
    );
  });

  it('writes images: [] when there are none, and no dependencies key without dependencies', () => {
    expect(lockFileText([], new Date('2026-12-02T10:41:40Z'))).toBe(
      'apiVersion: manifests.package-operator.run/v1alpha1\nkind: PackageManifestLock\nmetadata:\n' +
        '  creationTimestamp: "2026-12-02T10:41:40Z"\nspec:\n  images: []\n',
    );
  });
});

describe('lockUpToDate', () => {
  const lock: PackageManifestLock = {
    apiVersion: 'manifests.package-operator.run/v1alpha1',
    kind: 'PackageManifestLock',
    spec: { images, dependencies },
  };

  it('a lock with the same images and dependencies is up to date (its dependencies are kept, not dropped)', () => {
    expect(lockUpToDate(lock, images, dependencies)).toBe(true);
  });

  it('a changed dependency version, or dependencies the manifest no longer has, are a change', () => {
    expect(lockUpToDate(lock, images, [{ ...dependencies[0]!, version: '1.2.0' }])).toBe(false);
    expect(lockUpToDate(lock, images, [])).toBe(false);
    expect(lockUpToDate(undefined, [], [])).toBe(false);
  });
});
