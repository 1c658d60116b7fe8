/**
 * @module catalog/versions
 * What each version of the followed package is to a Package (running, proposed, approved, rejected, available, out
 * of range), for `gantry versions` and the console's Versions table. Pure.
 */
import semver from 'semver';
import { currentVersion, newestEligible, type Candidate } from './follow.js';
import type { Follow } from './model.js';
import { candidateOf, validatedOf, type Revision } from './revision.js';
import type { VersionState, VersionsView } from './version-states.js';

export * from './version-states.js';

/** What a version is to the Package. */
export function versionState(follow: Follow, c: Candidate, current: string | undefined): VersionState {
  if (c.version === current) return 'running';
  if (follow.rejected.includes(c.version)) return 'rejected';
  if (!semver.satisfies(c.version, follow.range)) return 'out of range';
  if (c.version === follow.proposed) return 'proposed';
  if (c.version === follow.approved) return 'approved';
  return c.eligible ? 'available' : '-';
}

/** The versions of the followed package as a Package whose image is `image` sees them, newest first. */
export function versionsView(follow: Follow, image: string, revisions: readonly Revision[]): VersionsView {
  const sorted = [...revisions].sort((a, b) => semver.rcompare(a.spec.version, b.spec.version));
  const candidates = sorted.map(candidateOf);
  const current = currentVersion(follow, image, candidates);
  return {
    repository: follow.repository,
    packageName: follow.packageName ?? '',
    range: follow.range,
    approval: follow.approval,
    current: current ?? '',
    proposed: follow.proposed ?? '',
    newest: newestEligible(follow, candidates)?.version ?? '',
    rows: sorted.map((rev, i) => {
      const c = candidates[i] ?? candidateOf(rev);
      return {
        version: rev.spec.version,
        lifecycle: rev.spec.lifecycle,
        validated: validatedOf(rev)?.status ?? 'Unknown',
        state: versionState(follow, c, current),
        message: ((c.message ?? '').split('\n')[0] ?? '').slice(0, 100),
      };
    }),
  };
}
