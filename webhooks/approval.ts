/**
 * @module webhooks/approval
 * Approving a catalog version is an update of the Package (`gantry approve` sets `gantry.run/approved-version`),
 * so only who may update the Package may approve; this check refuses an approval of a version that is not in
 * the repository, outside the followed range or not validated, with the reason, at `kubectl` time. Follow
 * annotations that do not parse are refused too.
 */
import { isRecord } from '../shared/api/objects.js';
import { approvalProblem, type Candidate } from '../shared/catalog/follow.js';
import { ANNOTATION_APPROVED, parseFollow } from '../shared/catalog/model.js';

/** The versions of a repository's package in a namespace (one LIST of its PackageRevisions). */
export type CatalogVersions = (
  namespace: string,
  repository: string,
  packageName: string | undefined,
) => Promise<readonly Candidate[]>;

function annotationsOf(object: unknown): Record<string, string> {
  const metadata = isRecord(object) ? object['metadata'] : undefined;
  const annotations = isRecord(metadata) ? metadata['annotations'] : undefined;
  if (!isRecord(annotations)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The errors of a Package's follow annotations and of an approval it carries (empty: admitted). */
export async function approvalErrors(
  object: unknown,
  oldObject: unknown,
  namespace: string,
  versions: CatalogVersions | undefined,
): Promise<string[]> {
  const follow = parseFollow(annotationsOf(object));
  if (follow === undefined) return [];
  if ('error' in follow) return [`metadata.annotations: ${follow.error}`];
  const approved = follow.approved;
  if (approved === undefined || approved === annotationsOf(oldObject)[ANNOTATION_APPROVED]) return [];
  if (versions === undefined) return [];
  const problem = approvalProblem(
    follow,
    approved,
    await versions(namespace, follow.repository, follow.packageName),
  );
  return problem === undefined
    ? []
    : [`metadata.annotations[${ANNOTATION_APPROVED}]: Invalid value: "${approved}": ${problem}`];
}
