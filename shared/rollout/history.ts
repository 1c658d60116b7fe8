/**
 * @module rollout/history
 * The pure part of the cluster commands of the CLI (docs/pko-compatibility.md §7): resource arguments (`kind/name` or
 * `kind name`), the revisions of a (Cluster)Package or (Cluster)ObjectDeployment read from its ObjectSets, PKO's
 * `REVISION  SUCCESSFUL  CHANGE-CAUSE` table, and the revision `rollout undo` goes back to (Gantry's own).
 */
import {
  ANNOTATION_CHANGE_CAUSE,
  ANNOTATION_PACKAGE_CONFIG,
  ANNOTATION_PACKAGE_SOURCE_IMAGE,
} from '../api/constants.js';
import { objectSetSchema, parseResource, type ApiObjectSet } from '../api/resources.js';
import { GantryError } from '../errors.js';
import type { KubeObject } from '../ports.js';
import { computeHash } from '../render/hash.js';

/** A usage problem of a cluster command (exit 1, `Error: <message>`). */
export class CommandError extends GantryError {
  public override readonly name: string = 'CommandError';
}

/** The annotation Gantry adds beside `package-source-image` when the image was rewritten by prefix overrides. */
export const ANNOTATION_PACKAGE_IMAGE = 'gantry.package-operator.run/package-image';
/** The annotation Gantry adds when the Package selects a component (`spec.component`). */
export const ANNOTATION_PACKAGE_COMPONENT = 'gantry.package-operator.run/package-component';
/**
 * On a (Cluster)Package: the spec (image, config, component) its `kubernetes.io/change-cause` annotation speaks
 * of ({@link changeCauseKey}); the engine records that change cause on the new revision only while the spec is
 * still that one (`rollout undo` writes both).
 */
export const ANNOTATION_CHANGE_CAUSE_FOR = 'gantry.package-operator.run/change-cause-for';

/** The key of a Package spec for {@link ANNOTATION_CHANGE_CAUSE_FOR}. */
export function changeCauseKey(spec: {
  readonly image: string;
  readonly config?: unknown;
  readonly component?: string | undefined;
}): string {
  return computeHash({ image: spec.image, config: spec.config ?? null, component: spec.component ?? '' });
}

export interface ResourceArgument {
  /** As typed, for messages. */
  readonly resource: string;
  /** Lower-cased. */
  readonly kind: string;
  readonly name: string;
}

/** PKO's `ParseResourceName`: `kind/name` or `kind name`, with cobra's `RangeArgs(1, 2)` message. */
export function parseResourceArgument(positionals: readonly string[]): ResourceArgument {
  if (positionals.length < 1 || positionals.length > 2)
    throw new CommandError(`accepts between 1 and 2 arg(s), received ${positionals.length}`);
  const [first = '', second] = positionals;
  if (second !== undefined) return { resource: first, kind: first.toLowerCase(), name: second };
  const slash = first.indexOf('/');
  if (slash < 0)
    throw new CommandError(
      'arguments invalid: arguments in resource/name form must have a single resource and name',
    );
  const resource = first.slice(0, slash);
  return { resource, kind: resource.toLowerCase(), name: first.slice(slash + 1) };
}

/**
 * The (Cluster)Package kind a `package` / `clusterpackage` argument names; PKO's error for any other kind (the
 * backticks are PKO's).
 */
export function packageKindOf(arg: ResourceArgument): 'Package' | 'ClusterPackage' {
  if (arg.kind === 'package') return 'Package';
  if (arg.kind === 'clusterpackage') return 'ClusterPackage';
  throw new CommandError(
    `invalid resource name: expected \`clusterpackage\`/\`package\`, got \`${arg.resource}\``,
  );
}

/** One revision of the history. */
export interface Revision {
  readonly revision: number;
  readonly successful: boolean;
  readonly changeCause: string;
  readonly set: ApiObjectSet;
  /** The object as the server sent it (for `-o json|yaml`). */
  readonly object: KubeObject;
}

/** PKO reads `status.revision` (copied from `spec.revision` by the ObjectSet step); the spec is the fallback. */
export function revisionOf(set: ApiObjectSet): number {
  return set.status.revision ?? set.spec.revision;
}

/** The live ObjectSet of a package (what `clustertree` and `diff` show): the newest revision not archived. */
export function liveObjectSet(sets: readonly ApiObjectSet[]): ApiObjectSet | undefined {
  return sets
    .filter((s) => s.spec.lifecycleState !== 'Archived')
    .sort((a, b) => revisionOf(b) - revisionOf(a))[0];
}

/** The revisions of ObjectSets, sorted by revision (PKO's `ObjectSetList.Sort`). */
export function revisions(objects: readonly KubeObject[]): Revision[] {
  return objects
    .map((object) => ({ object, set: parseResource(objectSetSchema, object) }))
    .map(({ object, set }) => ({
      object,
      revision: revisionOf(set),
      successful: (set.status.conditions ?? []).some((c) => c.type === 'Succeeded' && c.status === 'True'),
      changeCause: set.metadata.annotations?.[ANNOTATION_CHANGE_CAUSE] ?? '',
      set,
    }))
    .sort((a, b) => a.revision - b.revision);
}

/**
 * PKO's table printer: every cell padded to its column's width (the last column too), columns joined by two
 * spaces, one line per row, then an empty line.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join('  ');
  return `${[headers, ...rows].map(line).join('\n')}\n\n`;
}

/** `rollout history` without `--revision` and `-o`. */
export function historyTable(list: readonly Revision[]): string {
  return formatTable(
    ['REVISION', 'SUCCESSFUL', 'CHANGE-CAUSE'],
    list.map((r) => [String(r.revision), String(r.successful), r.changeCause]),
  );
}

/** What a revision was made from: enough to set a Package back to it. */
export interface RevisionSource {
  readonly image: string;
  /** The config as given (undefined: none). */
  readonly config: Record<string, unknown> | undefined;
  readonly component: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The image, config and component a revision was rendered from, from its ObjectSet's annotations. */
export function revisionSource(r: Revision): RevisionSource {
  const a = r.set.metadata.annotations ?? {};
  const image = a[ANNOTATION_PACKAGE_IMAGE] ?? a[ANNOTATION_PACKAGE_SOURCE_IMAGE];
  const rawConfig = a[ANNOTATION_PACKAGE_CONFIG];
  if (image === undefined || rawConfig === undefined)
    throw new CommandError(
      `revision ${r.revision} does not record its package image and config (annotations ${ANNOTATION_PACKAGE_SOURCE_IMAGE} and ${ANNOTATION_PACKAGE_CONFIG})`,
    );
  let config: unknown;
  try {
    config = JSON.parse(rawConfig);
  } catch {
    throw new CommandError(`revision ${r.revision}: ${ANNOTATION_PACKAGE_CONFIG} is not JSON`);
  }
  if (config !== null && !isRecord(config))
    throw new CommandError(`revision ${r.revision}: ${ANNOTATION_PACKAGE_CONFIG} is not a JSON object`);
  return { image, config: config ?? undefined, component: a[ANNOTATION_PACKAGE_COMPONENT] };
}

/**
 * The revision `rollout undo` goes back to: `--to-revision N`, else the newest revision before the current one
 * (as `kubectl rollout undo`); one that never succeeded only with `force`.
 */
export function undoTarget(
  list: readonly Revision[],
  current: number,
  toRevision?: number,
  force = false,
): Revision {
  const chosen = chooseTarget(list, current, toRevision);
  if (!chosen.successful && !force)
    throw new CommandError(
      `revision ${chosen.revision} never succeeded (its ObjectSet was never Succeeded): rolling back to it needs --force`,
    );
  return chosen;
}

function chooseTarget(list: readonly Revision[], current: number, toRevision?: number): Revision {
  if (toRevision !== undefined && toRevision > 0) {
    const found = list.find((r) => r.revision === toRevision);
    if (found === undefined)
      throw new CommandError(`unable to find specified revision ${toRevision} in history`);
    return found;
  }
  const older = list.filter((r) => r.revision < current);
  const previous = older[older.length - 1];
  if (previous === undefined)
    throw new CommandError('no rollout history found: no revision before the current one');
  return previous;
}
