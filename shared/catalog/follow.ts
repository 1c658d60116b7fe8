/**
 * @module catalog/follow
 * The one decision of a following Package: given what it follows and the repository's versions, move it to a
 * version (its image digest-pinned), propose one for approval, or leave it. Pure: the repository step and
 * admission both call it.
 */
import semver from 'semver';
import {
  ANNOTATION_APPROVED,
  ANNOTATION_PROPOSED,
  ANNOTATION_VERSION,
  type Follow,
  type Lifecycle,
} from './model.js';

/** A version of the followed package as the catalog knows it. */
export interface Candidate {
  readonly version: string;
  /** The digest-pinned image. */
  readonly image: string;
  /** `Validated=True` (and not DeletionProposed): only these are ever proposed or moved to. */
  readonly eligible: boolean;
  /** Why it is not eligible (the Validated message), for `gantry versions` and refusals. */
  readonly message?: string;
}

export type FollowDecision =
  | { readonly kind: 'move'; readonly version: string; readonly image: string; readonly approved: boolean }
  | { readonly kind: 'propose'; readonly version: string }
  | { readonly kind: 'withdraw' }
  | { readonly kind: 'none' };

/** The Package's current catalog version: its annotation when its image is still that version's, else by image. */
export function currentVersion(
  follow: Follow,
  image: string,
  candidates: readonly Candidate[],
): string | undefined {
  const byImage = candidates.find((c) => c.image === image);
  if (byImage !== undefined) return byImage.version;
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  const byTag = tag === undefined ? undefined : candidates.find((c) => c.version === semver.clean(tag));
  return byTag?.version ?? follow.version;
}

/** The newest eligible version in range that was not rejected. */
export function newestEligible(follow: Follow, candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!c.eligible || follow.rejected.includes(c.version)) continue;
    if (!semver.satisfies(c.version, follow.range)) continue;
    if (best === undefined || semver.gt(c.version, best.version)) best = c;
  }
  return best;
}

/** Why `version` cannot be approved for this Package; undefined when it can. */
export function approvalProblem(
  follow: Follow,
  version: string,
  candidates: readonly Candidate[],
): string | undefined {
  const c = candidates.find((x) => x.version === version);
  if (c === undefined) return `version ${version} is not in repository ${follow.repository}`;
  if (!semver.satisfies(version, follow.range))
    return `version ${version} is outside the followed range "${follow.range}"`;
  if (!c.eligible)
    return `version ${version} is not validated: ${c.message ?? 'validation has not finished'}`;
  return undefined;
}

/** What to do with a following Package now. */
export function decideFollow(
  follow: Follow,
  image: string,
  candidates: readonly Candidate[],
): FollowDecision {
  const current = currentVersion(follow, image, candidates);
  if (follow.approved !== undefined && follow.approved !== current) {
    const approved = candidates.find((c) => c.version === follow.approved);
    if (approved !== undefined && approvalProblem(follow, approved.version, candidates) === undefined)
      return { kind: 'move', version: approved.version, image: approved.image, approved: true };
  }
  const newest = newestEligible(follow, candidates);
  const newer = newest !== undefined && (current === undefined || semver.gt(newest.version, current));
  if (newer && follow.approval === 'automatic')
    return { kind: 'move', version: newest.version, image: newest.image, approved: false };
  if (newer && follow.proposed !== newest.version) return { kind: 'propose', version: newest.version };
  if (!newer && follow.proposed !== undefined) return { kind: 'withdraw' };
  return { kind: 'none' };
}

/** The merge patch of a Package that carries out a decision (undefined: nothing to write). */
export function followPatch(decision: FollowDecision): Record<string, unknown> | undefined {
  switch (decision.kind) {
    case 'move':
      return {
        metadata: {
          annotations: {
            [ANNOTATION_VERSION]: decision.version,
            [ANNOTATION_PROPOSED]: null,
            ...(decision.approved ? {} : { [ANNOTATION_APPROVED]: null }),
          },
        },
        spec: { image: decision.image },
      };
    case 'propose':
      return { metadata: { annotations: { [ANNOTATION_PROPOSED]: decision.version } } };
    case 'withdraw':
      return { metadata: { annotations: { [ANNOTATION_PROPOSED]: null } } };
    case 'none':
      return undefined;
  }
}

/** The version proposed to the Package once the decision is carried out (undefined: none). */
export function proposedAfter(follow: Follow, decision: FollowDecision): string | undefined {
  if (decision.kind === 'propose') return decision.version;
  return decision.kind === 'none' ? follow.proposed : undefined;
}

/**
 * A revision's lifecycle given whether some Package waits to approve it: a validated version is `Proposed` while a
 * proposal for it stands and `Published` otherwise; Draft and DeletionProposed stay as they are.
 */
export function lifecycleFor(current: Lifecycle, proposed: boolean): Lifecycle {
  if (current === 'Published' && proposed) return 'Proposed';
  if (current === 'Proposed' && !proposed) return 'Published';
  return current;
}
