/**
 * @module packages/lock
 * `manifest.lock.yaml` generation for `gantry update` (docs/pko-compatibility.md §1.4, §7): every `spec.images[]` entry
 * with the digest its reference resolves to, in manifest order, and the resolved `spec.dependencies`; written as
 * PKO writes it (keys sorted, lists not indented, `images: []` when there are none); unchanged when the spec is
 * the same.
 */
import type { PackageManifest } from '../api/generated/packagemanifest.js';
import type { PackageManifestLock } from '../api/generated/packagemanifestlock.js';
import type { LockDependency } from './dependencies.js';
import { goYamlText, MANIFESTS_API_VERSION, timestampOf } from './repository.js';

export interface LockImage {
  readonly name: string;
  readonly image: string;
  readonly digest: string;
}

/** The images a manifest names, in order. */
export function manifestImages(manifest: PackageManifest): { name: string; image: string }[] {
  return (manifest.spec?.images ?? []).map((i) => ({ name: i.name ?? '', image: i.image ?? '' }));
}

function sameList<T extends object, K extends keyof T>(
  current: readonly Partial<Record<K, unknown>>[],
  next: readonly T[],
  keys: readonly K[],
): boolean {
  return current.length === next.length && current.every((c, n) => keys.every((k) => c[k] === next[n]?.[k]));
}

/** Whether the existing lock already holds exactly these images and dependencies (PKO compares the lock spec). */
export function lockUpToDate(
  lock: PackageManifestLock | undefined,
  images: readonly LockImage[],
  dependencies: readonly LockDependency[] = [],
): boolean {
  return (
    lock !== undefined &&
    sameList(lock.spec?.images ?? [], images, ['name', 'image', 'digest']) &&
    sameList(lock.spec?.dependencies ?? [], dependencies, ['name', 'image', 'digest', 'version'])
  );
}

/** The lock file text, as PKO writes it. */
export function lockFileText(
  images: readonly LockImage[],
  now: Date,
  dependencies: readonly LockDependency[] = [],
): string {
  return goYamlText({
    apiVersion: MANIFESTS_API_VERSION,
    kind: 'PackageManifestLock',
    metadata: { creationTimestamp: timestampOf(now) },
    spec: {
      images: images.map((i) => ({ name: i.name, image: i.image, digest: i.digest })),
      ...(dependencies.length > 0
        ? {
            dependencies: dependencies.map((d) => ({
              name: d.name,
              image: d.image,
              digest: d.digest,
              version: d.version,
            })),
          }
        : {}),
    },
  });
}
