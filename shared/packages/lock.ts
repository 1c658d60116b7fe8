/**
 * @module packages/lock
 * `manifest.lock.yaml` generation for `gantry update` (docs/pko-compatibility.md §1.4, §7): every `spec.images[]` entry
 * with the digest its reference resolves to, in manifest order; unchanged when the images are the same.
 */
import { stringify } from 'yaml';
import type { PackageManifest } from '../api/generated/packagemanifest.js';
import type { PackageManifestLock } from '../api/generated/packagemanifestlock.js';

export interface LockImage {
  readonly name: string;
  readonly image: string;
  readonly digest: string;
}

/** The images a manifest names, in order. */
export function manifestImages(manifest: PackageManifest): { name: string; image: string }[] {
  return (manifest.spec?.images ?? []).map((i) => ({ name: i.name ?? '', image: i.image ?? '' }));
}

/** Whether the existing lock already holds exactly these images (PKO compares the lock spec). */
export function lockUpToDate(lock: PackageManifestLock | undefined, images: readonly LockImage[]): boolean {
  const current = (lock?.spec?.images ?? []).map((i) => ({ name: i.name, image: i.image, digest: i.digest }));
  return (
    lock !== undefined &&
    current.length === images.length &&
    current.every(
      (c, n) => c.name === images[n]?.name && c.image === images[n]?.image && c.digest === images[n]?.digest,
    ) &&
    (lock.spec?.dependencies ?? []).length === 0
  );
}

/** The lock file text. */
export function lockFileText(images: readonly LockImage[], now: Date): string {
  const lock = {
    apiVersion: 'manifests.package-operator.run/v1alpha1',
    kind: 'PackageManifestLock',
    metadata: { creationTimestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    spec: { images: images.map((i) => ({ name: i.name, image: i.image, digest: i.digest })) },
  };
  return stringify(lock, { lineWidth: 0, version: '1.1' });
}
