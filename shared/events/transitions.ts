/**
 * @module events/transitions
 * Kubernetes Events for condition transitions (Gantry's own, beyond PKO): which conditions changed type, status
 * or reason between two status writes, and the core/v1 Event that records each, so `kubectl describe` tells the
 * story of a Package, ObjectSet or standalone ObjectDeployment.
 *
 * Bounded by construction: an Event's name is derived from the object's UID and the transition (condition type,
 * status, reason), so a transition seen again updates its Event (`count` + 1, `lastTimestamp`) instead of making a
 * new one, as the Kubernetes event recorder aggregates. The Events of one object are therefore at most its
 * distinct (type, status, reason) combinations, whatever the number of objects it installs; and only
 * transitions make events, never a message that changes while type, status and reason stay.
 */
import { LABEL_INSTANCE } from '../api/constants.js';
import { isRecord } from '../api/objects.js';
import type { KubeObject } from '../ports.js';
import { computeHash } from '../render/hash.js';

export const REPORTING_CONTROLLER = 'package-operator.run/gantry';
export const EVENT_SOURCE = 'gantry';
/** Events of cluster-scoped objects live here, as the Kubernetes recorder puts them. */
export const CLUSTER_EVENTS_NAMESPACE = 'default';
/** events.k8s.io caps `note` at 1 kB; core/v1 accepts more, but a long probe message helps nobody in `describe`. */
const MESSAGE_LIMIT = 1024;

/** The kinds whose condition transitions are recorded. */
export const EVENT_KINDS: ReadonlySet<string> = new Set([
  'Package',
  'ClusterPackage',
  'ObjectDeployment',
  'ClusterObjectDeployment',
  'ObjectSet',
  'ClusterObjectSet',
]);

/**
 * Whether an object's transitions are recorded: a (Cluster)Package's and a (Cluster)ObjectSet's (each revision's)
 * always; a (Cluster)ObjectDeployment's only when no (Cluster)Package controls it, since a Package mirrors its
 * ObjectDeployment's conditions and would record each of its transitions a second time.
 */
export function recordsEvents(object: KubeObject): boolean {
  if (!EVENT_KINDS.has(object.kind)) return false;
  if (object.kind !== 'ObjectDeployment' && object.kind !== 'ClusterObjectDeployment') return true;
  const controller = (object.metadata.ownerReferences ?? []).find((o) => o.controller === true);
  return !(
    controller !== undefined &&
    controller.apiVersion.startsWith('package-operator.run/') &&
    (controller.kind === 'Package' || controller.kind === 'ClusterPackage')
  );
}

/**
 * Whether an object's good news is told by a Package: a (Cluster)ObjectSet that is a Package's revision (its
 * ObjectDeployment's template carries the Package's `package-operator.run/instance` label). The Package records
 * its availability; the revision records only its Warnings, which name the objects and probes that failed.
 */
export function goodNewsToldByPackage(object: KubeObject): boolean {
  if (object.kind !== 'ObjectSet' && object.kind !== 'ClusterObjectSet') return false;
  if (object.metadata.labels?.[LABEL_INSTANCE] === undefined) return false;
  const controller = (object.metadata.ownerReferences ?? []).find((o) => o.controller === true);
  return controller?.kind === 'ObjectDeployment' || controller?.kind === 'ClusterObjectDeployment';
}

export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

export interface Transition extends ConditionView {
  readonly eventType: 'Normal' | 'Warning';
}

/** Conditions whose True is good news: False is a warning. */
const POSITIVE = new Set(['Available', 'Succeeded', 'Unpacked']);
/** Conditions whose True is bad news. */
const NEGATIVE = new Set(['Invalid']);

/** False reasons that mean "waiting for the next step", not a failure (an ObjectSet not yet created or ready). */
const WAITING = new Set(['ObjectSetUnready']);

/** Normal for True/positive news (and for waiting), Warning for failures. */
export function eventTypeOf(c: Pick<ConditionView, 'type' | 'status' | 'reason'>): 'Normal' | 'Warning' {
  if (POSITIVE.has(c.type) && c.status === 'False' && !WAITING.has(c.reason)) return 'Warning';
  if ((NEGATIVE.has(c.type) || c.type.endsWith('/Invalid')) && c.status === 'True') return 'Warning';
  return 'Normal';
}

/** The conditions of a status, checked (no `as` on what the server sent). */
export function conditionsOf(status: unknown): ConditionView[] {
  const list = isRecord(status) && Array.isArray(status['conditions']) ? status['conditions'] : [];
  const out: ConditionView[] = [];
  for (const c of list) {
    if (!isRecord(c) || typeof c['type'] !== 'string' || typeof c['status'] !== 'string') continue;
    out.push({
      type: c['type'],
      status: c['status'],
      reason: typeof c['reason'] === 'string' ? c['reason'] : '',
      message: typeof c['message'] === 'string' ? c['message'] : '',
    });
  }
  return out;
}

/** Conditions whose first True is a step of a rollout that the `Progressing` Event following it tells. */
const TOLD_BY_PROGRESSING = new Set(['Unpacked']);

/**
 * The conditions that appeared or changed status or reason from `before` to `after` (removals make no event), each
 * told once:
 * - a condition that first appears only to say "not yet" (Available False while no ObjectSet is available, as
 *   every install starts) is no news: recorded only when it follows another state (an upgrade that lost
 *   availability);
 * - a first `Unpacked` True is told by the `Progressing` True its ObjectDeployment reports a moment later (a
 *   recovery from a failed pull is recorded);
 * - `Progressing` False in the same write as `Available` True is the same news as that `Available`.
 */
export function conditionTransitions(
  before: readonly ConditionView[],
  after: readonly ConditionView[],
): Transition[] {
  const old = new Map(before.map((c) => [c.type, c]));
  const changed = after.filter((c) => {
    const was = old.get(c.type);
    if (was === undefined)
      return !WAITING.has(c.reason) && !(TOLD_BY_PROGRESSING.has(c.type) && c.status === 'True');
    return was.status !== c.status || was.reason !== c.reason;
  });
  const becameAvailable = changed.some((c) => c.type === 'Available' && c.status === 'True');
  return changed
    .filter((c) => !(becameAvailable && c.type === 'Progressing' && c.status === 'False'))
    .map((c) => ({ ...c, eventType: eventTypeOf(c) }));
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `<Type> is now <Status>: <message>`, cut to 1 kB. */
export function eventMessage(t: ConditionView): string {
  const text = `${t.type} is now ${t.status}${t.message !== '' ? `: ${t.message}` : ''}`;
  return text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT - 3)}...` : text;
}

/** Where the Event of a transition lives: one name per (object UID, type, status, reason). */
export function eventKey(object: KubeObject, t: ConditionView): { namespace: string; name: string } {
  const hash = computeHash({
    uid: object.metadata.uid ?? '',
    type: t.type,
    status: t.status,
    reason: t.reason,
  });
  return {
    namespace: object.metadata.namespace ?? CLUSTER_EVENTS_NAMESPACE,
    name: `${object.metadata.name.slice(0, 200)}.${hash}`,
  };
}

/** A new core/v1 Event for a transition. */
export function newEvent(object: KubeObject, t: Transition, now: Date): KubeObject {
  const key = eventKey(object, t);
  const at = timestamp(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: key.name, namespace: key.namespace },
    involvedObject: {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
      ...(object.metadata.uid !== undefined ? { uid: object.metadata.uid } : {}),
      ...(object.metadata.resourceVersion !== undefined
        ? { resourceVersion: object.metadata.resourceVersion }
        : {}),
    },
    reason: t.reason !== '' ? t.reason : t.type,
    message: eventMessage(t),
    type: t.eventType,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    source: { component: EVENT_SOURCE },
    reportingComponent: REPORTING_CONTROLLER,
    reportingInstance: EVENT_SOURCE,
  };
}

/** The Event seen again: count + 1, the latest message and time. */
export function repeatedEvent(existing: KubeObject, t: Transition, now: Date): KubeObject {
  const count = typeof existing['count'] === 'number' ? existing['count'] : 1;
  return { ...existing, count: count + 1, message: eventMessage(t), lastTimestamp: timestamp(now) };
}
