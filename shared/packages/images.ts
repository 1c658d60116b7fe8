/**
 * @module packages/images
 * Image references as go-containerregistry reads them (docs/pko-compatibility.md §1.7): Docker Hub normalisation
 * (`nginx:1.23.3` → `index.docker.io/library/nginx`), digest pinning from the lock, prefix overrides.
 */
import type { PackageManifestLock } from '../api/generated/packagemanifestlock.js';
import { normaliseRepository } from '../oci/reference.js';

export interface ImagePrefixOverride {
  readonly from: string;
  readonly to: string;
}

/** The repository of a reference (registry/path, no tag or digest), Docker Hub names normalised. */
export function repositoryOf(reference: string): string {
  const withoutDigest = reference.split('@')[0] ?? reference;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const name = colon >= 0 ? withoutDigest.slice(0, colon) : withoutDigest;
  const first = name.split('/')[0] ?? '';
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const { registry, repository } = hasRegistry
    ? normaliseRepository(first, name.slice(first.length + 1))
    : normaliseRepository('', name);
  return `${registry}/${repository}`;
}

/**
 * Apply the most specific (longest) matching prefix override, as PKO's `imageprefix.Replace`: of equally long
 * matches the first listed wins, and an empty prefix matches nothing.
 */
export function applyPrefixOverrides(image: string, overrides: readonly ImagePrefixOverride[] = []): string {
  let match: ImagePrefixOverride | undefined;
  for (const o of overrides)
    if (o.from.length > (match?.from.length ?? 0) && image.startsWith(o.from)) match = o;
  return match === undefined ? image : match.to + image.slice(match.from.length);
}

/** `images` (or `dependencies`) of the template context: name → digest-pinned reference. */
export function lockedImages(
  lock: PackageManifestLock | undefined,
  overrides: readonly ImagePrefixOverride[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const image of lock?.spec?.images ?? []) {
    out[image.name ?? ''] =
      `${repositoryOf(applyPrefixOverrides(image.image ?? '', overrides))}@${image.digest ?? ''}`;
  }
  return out;
}

/** Same for `lock.spec.dependencies`. */
export function lockedDependencies(
  lock: PackageManifestLock | undefined,
  overrides: readonly ImagePrefixOverride[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dep of lock?.spec?.dependencies ?? []) {
    // A dependency's digest is recorded as its repository entry has it: hex, without the algorithm.
    const digest = /^[a-f0-9]{64}$/.test(dep.digest ?? '')
      ? `sha256:${dep.digest ?? ''}`
      : (dep.digest ?? '');
    out[dep.name ?? ''] = `${repositoryOf(applyPrefixOverrides(dep.image ?? '', overrides))}@${digest}`;
  }
  return out;
}
