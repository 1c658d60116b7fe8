/**
 * @module steps/deployment
 * Pure decisions of the ObjectDeployment rollout (docs/pko-compatibility.md §3): the template hash, which ObjectSet is
 * current, which older revisions may be archived, and the conditions table of §3.5.
 */
import { ANNOTATION_HASH } from '../api/constants.js';
import type { ApiCondition, ApiObjectDeployment, ApiObjectSet } from '../api/resources.js';
import { isRecord } from '../api/objects.js';
import { objectSetTemplateHash } from '../pko-hash/index.js';
import type { KubeObject } from '../ports.js';
import { canonicalJson } from '../render/hash.js';

/**
 * `templateHash` of an ObjectDeployment as PKO computes it (its ObjectSets' name suffix and
 * `package-operator.run/hash`): of the template as the API server serves it, so taken from the object as read
 * (`raw`), not from its parsed form (which fills in defaults), and of the collision count when it is set.
 */
export function templateHash(raw: KubeObject): string {
  const spec = isRecord(raw['spec']) ? raw['spec'] : {};
  const status = isRecord(raw['status']) ? raw['status'] : {};
  const count = status['collisionCount'];
  return objectSetTemplateHash(spec['template'], typeof count === 'number' ? count : undefined);
}

export interface Revisions {
  readonly current: ApiObjectSet | undefined;
  /** Every other ObjectSet, ascending by revision. */
  readonly previous: readonly ApiObjectSet[];
}

/** What an ObjectSet is made from: the template's labels and spec. */
export interface SetTemplate {
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: ApiObjectDeployment['spec']['template']['spec'];
}

export function templateOf(od: ApiObjectDeployment): SetTemplate {
  return { labels: od.spec.template.metadata.labels ?? {}, spec: od.spec.template.spec };
}

/** The spec fields an ObjectSet takes from its template, with the API's defaults made explicit. */
function comparable(spec: {
  readonly phases?: unknown;
  readonly availabilityProbes?: unknown;
  readonly successDelaySeconds?: number;
}): string {
  return canonicalJson({
    phases: spec.phases ?? [],
    availabilityProbes: spec.availabilityProbes ?? [],
    successDelaySeconds: spec.successDelaySeconds ?? 0,
  });
}

/**
 * Whether an ObjectSet was made from this template, whatever hash named it: one PKO made from a template whose
 * served form Gantry reads differently (an integer beyond 2^53), or one an earlier Gantry named by its own hash, is
 * recognised by its content (taking over then makes no new revision).
 */
export function madeFrom(set: ApiObjectSet, template: SetTemplate): boolean {
  const labels = set.metadata.labels ?? {};
  return (
    Object.entries(template.labels).every(([k, v]) => labels[k] === v) &&
    comparable(set.spec) === comparable(template.spec)
  );
}

/**
 * Sort by revision; the current one is the newest, when its hash annotation is the template hash or (given the
 * template) its content is the template's.
 */
export function splitRevisions(
  sets: readonly ApiObjectSet[],
  hash: string,
  template?: SetTemplate,
): Revisions {
  const sorted = [...sets].sort((a, b) => a.spec.revision - b.spec.revision);
  const last = sorted.at(-1);
  if (
    last !== undefined &&
    (last.metadata.annotations?.[ANNOTATION_HASH] === hash ||
      (template !== undefined && madeFrom(last, template)))
  )
    return { current: last, previous: sorted.slice(0, -1) };
  return { current: undefined, previous: sorted };
}

function conditionOf(os: ApiObjectSet, type: string): ApiCondition | undefined {
  return os.status.conditions?.find(
    (c) =>
      c.type === type &&
      (c.observedGeneration === undefined || c.observedGeneration === os.metadata.generation),
  );
}

export function isTrue(os: ApiObjectSet, type: string): boolean {
  return conditionOf(os, type)?.status === 'True';
}

function objectKeys(os: ApiObjectSet): Set<string> {
  const keys = new Set<string>();
  for (const phase of os.spec.phases)
    for (const o of phase.objects ?? []) {
      const apiVersion = typeof o.object['apiVersion'] === 'string' ? o.object['apiVersion'] : '';
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      const meta = o.object['metadata'];
      const name = typeof meta === 'object' && meta !== null && 'name' in meta ? String(meta.name) : '';
      const ns =
        typeof meta === 'object' && meta !== null && 'namespace' in meta && typeof meta.namespace === 'string'
          ? meta.namespace
          : (os.metadata.namespace ?? '');
      keys.add(`${group}/${String(o.object['kind'])}/${ns}/${name}`);
    }
  return keys;
}

/**
 * The older revisions that may be archived (§3.2 step 6): everything older than the newest Available one;
 * otherwise an older revision that reports what it controls, controls none of the newer one's objects and is
 * not Available itself.
 */
export function archiveCandidates(all: readonly ApiObjectSet[]): ApiObjectSet[] {
  const sorted = [...all].sort((a, b) => a.spec.revision - b.spec.revision);
  const active = sorted.filter((o) => o.spec.lifecycleState !== 'Archived');
  const newestAvailable = [...sorted].reverse().find((o) => isTrue(o, 'Available'));
  if (newestAvailable !== undefined)
    return active.filter((o) => o.spec.revision < newestAvailable.spec.revision);
  const out: ApiObjectSet[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const p = sorted[i];
    const v = sorted[i + 1];
    if (p === undefined || v === undefined || p.spec.lifecycleState === 'Archived') continue;
    if (p.spec.revision >= v.spec.revision || p.status.controllerOf === undefined || isTrue(p, 'Available'))
      continue;
    const newer = objectKeys(v);
    const overlap = p.status.controllerOf.some((c) =>
      newer.has(`${c.group}/${c.kind}/${c.namespace ?? ''}/${c.name}`),
    );
    if (!overlap) out.push(p);
  }
  return out;
}

export interface ConditionUpdate {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

function fromPrevious(previous: readonly ApiObjectSet[]): ConditionUpdate {
  const available = previous.find((p) => isTrue(p, 'Available'));
  return available !== undefined
    ? {
        type: 'Available',
        status: 'True',
        reason: 'Available',
        message: `Previous Revision '${available.metadata.name}' is still Available.`,
      }
    : {
        type: 'Available',
        status: 'False',
        reason: 'ObjectSetUnready',
        message: 'No ObjectSet is available.',
      };
}

export interface DeploymentConditions {
  readonly set: readonly ConditionUpdate[];
  /** Condition types to remove. */
  readonly remove: readonly string[];
  /** Whether this branch reports `controllerOf` (only when the latest revision is Succeeded and Available). */
  readonly reportControllerOf: boolean;
}

/**
 * The conditions table of §3.5, with one deliberate difference (§9, HEAD quirks): `Paused` is reported whenever
 * the latest revision is paused, not only once it has succeeded and is Available, so pausing a Package in the
 * middle of a rollout is seen (and `gantry pause` does not wait for a condition that never comes).
 */
export function deploymentConditions(revisions: Revisions): DeploymentConditions {
  const base = pkoDeploymentConditions(revisions);
  const paused = revisions.current === undefined ? undefined : conditionOf(revisions.current, 'Paused');
  if (paused?.status !== 'True' || base.set.some((c) => c.type === 'Paused')) return base;
  return {
    ...base,
    set: [
      ...base.set,
      {
        type: 'Paused',
        status: 'True',
        reason: 'Paused',
        message: `Latest revision is paused: ${paused.message}`,
      },
    ],
    remove: base.remove.filter((t) => t !== 'Paused'),
  };
}

function pkoDeploymentConditions(revisions: Revisions): DeploymentConditions {
  const { current, previous } = revisions;
  const progressing = (reason: string, message: string): ConditionUpdate => ({
    type: 'Progressing',
    status: 'True',
    reason,
    message,
  });
  if (current === undefined)
    return {
      set: [progressing('Progressing', 'Progressing to a new ObjectSet.'), fromPrevious(previous)],
      remove: ['Paused'],
      reportControllerOf: false,
    };
  const available = conditionOf(current, 'Available');
  if (!isTrue(current, 'Succeeded')) {
    const pending = 'LatestRevisionPendingSuccess';
    if (available === undefined)
      return {
        set: [progressing(pending, 'Latest Revision Status Unknown')],
        remove: ['Paused'],
        reportControllerOf: false,
      };
    if (available.status !== 'True')
      return {
        set: [
          progressing(pending, `Latest Revision is Unavailable: ${available.message}`),
          fromPrevious(previous),
        ],
        remove: ['Paused'],
        reportControllerOf: false,
      };
    return {
      set: [progressing(pending, 'Latest Revision is Available: pending success delay period')],
      remove: ['Paused'],
      reportControllerOf: false,
    };
  }
  const idle: ConditionUpdate = {
    type: 'Progressing',
    status: 'False',
    reason: 'Idle',
    message: 'Update concluded.',
  };
  if (available?.status !== 'True')
    return { set: [idle, fromPrevious(previous)], remove: ['Paused'], reportControllerOf: false };
  const paused = conditionOf(current, 'Paused');
  const set: ConditionUpdate[] = [
    idle,
    { type: 'Available', status: 'True', reason: 'Available', message: 'Latest Revision is Available.' },
  ];
  if (paused?.status === 'True')
    set.push({
      type: 'Paused',
      status: 'True',
      reason: 'Paused',
      message: `Latest revision is paused: ${paused.message}`,
    });
  return { set, remove: paused?.status === 'True' ? [] : ['Paused'], reportControllerOf: true };
}
