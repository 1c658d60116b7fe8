/**
 * @module phases/remote
 * Phases with a `class` (docs/pko-compatibility.md §4.10): the (Cluster)ObjectSetPhase an ObjectSet hands such a phase to,
 * what its status means for the ObjectSet (probe result, mapped conditions, controlled objects) and the
 * ObjectSet's `Paused` condition over its phases (§4.9). Pure.
 */
import { LABEL_OBJECT_DEPLOYMENT, LABEL_PHASE_CLASS } from '../api/constants.js';
import { controllerOf, field, isRecord } from '../api/objects.js';
import type { ApiCondition } from '../api/resources.js';
import type { KubeObject, KubeOwnerReference } from '../ports.js';

/** PKO's probe failure while a phase object has not reported `Available` for its generation. */
export const NO_STATUS_REPORTED = 'no status reported';
/** `Paused=Unknown` while the ObjectSet's phases disagree with it. */
export const MSG_PARTIALLY_PAUSED = 'Waiting for ObjectSetPhases.';
/** The class a runner serves when none is given. */
export const DEFAULT_PHASE_CLASS = 'default';

/** What a phase object is built from: the ObjectSet and one of its classed phases. */
export interface RemotePhaseSource {
  readonly objectSet: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    /** '' for a ClusterObjectSet. */
    readonly namespace: string;
    readonly uid: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly revision: number;
    readonly previous?: readonly { readonly name: string }[];
    readonly availabilityProbes?: readonly unknown[];
    readonly paused: boolean;
  };
  readonly phase: { readonly name: string; readonly class: string; readonly objects: readonly unknown[] };
}

/** `<objectset>-<phase>`. */
export function phaseObjectName(objectSet: string, phase: string): string {
  return `${objectSet}-${phase}`;
}

/** The phase kind of an ObjectSet kind. */
export function phaseKindOf(objectSetKind: string): 'ObjectSetPhase' | 'ClusterObjectSetPhase' {
  return objectSetKind === 'ClusterObjectSet' ? 'ClusterObjectSetPhase' : 'ObjectSetPhase';
}

/** The ObjectSet kind of a phase kind. */
export function objectSetKindOf(phaseKind: string): 'ObjectSet' | 'ClusterObjectSet' {
  return phaseKind === 'ClusterObjectSetPhase' ? 'ClusterObjectSet' : 'ObjectSet';
}

/**
 * The desired (Cluster)ObjectSetPhase: the ObjectSet's labels plus the class label, its annotations, `spec`
 * {revision, previous, availabilityProbes, objects, paused}, and the ObjectSet as controller.
 */
export function desiredPhaseObject(source: RemotePhaseSource): KubeObject {
  const os = source.objectSet;
  const owner: KubeOwnerReference = {
    apiVersion: os.apiVersion,
    kind: os.kind,
    name: os.name,
    uid: os.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  return {
    apiVersion: os.apiVersion,
    kind: phaseKindOf(os.kind),
    metadata: {
      name: phaseObjectName(os.name, source.phase.name),
      ...(os.namespace !== '' ? { namespace: os.namespace } : {}),
      labels: { ...os.labels, [LABEL_PHASE_CLASS]: source.phase.class },
      annotations: { ...os.annotations },
      ownerReferences: [owner],
    },
    spec: {
      revision: os.revision,
      ...(os.previous !== undefined && os.previous.length > 0 ? { previous: os.previous } : {}),
      ...(os.availabilityProbes !== undefined && os.availabilityProbes.length > 0
        ? { availabilityProbes: os.availabilityProbes }
        : {}),
      objects: source.phase.objects,
      ...(os.paused ? { paused: true } : {}),
    },
  };
}

function conditionsOf(object: KubeObject): ApiCondition[] {
  const list = field(object, 'status', 'conditions');
  if (!Array.isArray(list)) return [];
  return list.flatMap((c: unknown): ApiCondition[] => {
    if (!isRecord(c) || typeof c['type'] !== 'string') return [];
    const status = c['status'];
    if (status !== 'True' && status !== 'False' && status !== 'Unknown') return [];
    return [
      {
        type: c['type'],
        status,
        reason: typeof c['reason'] === 'string' ? c['reason'] : '',
        message: typeof c['message'] === 'string' ? c['message'] : '',
        lastTransitionTime: typeof c['lastTransitionTime'] === 'string' ? c['lastTransitionTime'] : '',
        ...(typeof c['observedGeneration'] === 'number'
          ? { observedGeneration: c['observedGeneration'] }
          : {}),
      },
    ];
  });
}

function current(object: KubeObject, type: string): ApiCondition | undefined {
  const c = conditionsOf(object).find((x) => x.type === type);
  return c !== undefined && (c.observedGeneration ?? 0) === (object.metadata.generation ?? 0) ? c : undefined;
}

/** The probe result of a phase object: undefined when Available, else the failure (PKO's messages). */
export function remotePhaseFailure(phaseObject: KubeObject): string | undefined {
  const available = current(phaseObject, 'Available');
  if (available === undefined) return NO_STATUS_REPORTED;
  return available.status === 'True' ? undefined : available.message;
}

/** The phase object's mapped conditions (`domain/Type`) at its generation, copied onto the ObjectSet. */
export function mappedPhaseConditions(phaseObject: KubeObject): ApiCondition[] {
  return conditionsOf(phaseObject).filter(
    (c) => c.type.includes('/') && (c.observedGeneration ?? 0) === (phaseObject.metadata.generation ?? 0),
  );
}

/** Whether the phase object is controlled by the given ObjectSet. */
export function isControlledBy(object: KubeObject, uid: string): boolean {
  return controllerOf(object.metadata)?.uid === uid;
}

/**
 * The ObjectSet's `Paused` condition with remote phases (§4.9): `True` when it and every phase object are
 * paused, removed when none is, `Unknown` (PartiallyPaused) when they disagree or a phase object is missing.
 */
export function remotePausedState(
  objectSetPaused: boolean,
  phaseObjects: readonly (KubeObject | undefined)[],
): 'True' | 'Unknown' | 'none' {
  const agree = phaseObjects.every(
    (p) => p !== undefined && (current(p, 'Paused')?.status === 'True') === objectSetPaused,
  );
  if (!agree) return 'Unknown';
  return objectSetPaused ? 'True' : 'none';
}

/** The name of the phase an ObjectSetPhase holds: its name without the `<objectset>-` prefix. */
export function phaseNameOf(phaseObject: KubeObject): string {
  const owner = controllerOf(phaseObject.metadata)?.name;
  const name = phaseObject.metadata.name;
  return owner !== undefined && name.startsWith(`${owner}-`) ? name.slice(owner.length + 1) : name;
}

/** The label selector of a phase object's siblings: the ObjectSets of the same ObjectDeployment. */
export function siblingSelector(labels: Readonly<Record<string, string>> | undefined): string | undefined {
  const od = labels?.[LABEL_OBJECT_DEPLOYMENT];
  return od === undefined || od === '' ? undefined : `${LABEL_OBJECT_DEPLOYMENT}=${od}`;
}

/** The ObjectSet's probe failure for a classed phase: `Phase "<phase>" failed: <the phase object's report>`. */
export function remoteFailureMessage(phase: string, failure: string): string {
  return `Phase "${phase}" failed: ${failure}`;
}
