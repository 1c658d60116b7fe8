/**
 * @module steps/remote-phase
 * An ObjectSet's side of a phase with a `class` (docs/pko-compatibility.md §4.10, §4.7): create the (Cluster)ObjectSetPhase
 * `<objectset>-<phase>`, pass pause through, read back its availability, controlled objects and mapped
 * conditions; on teardown delete it and wait until it is gone.
 */
import { refOf } from '../../shared/api/objects.js';
import type { ApiControlledRef, ApiObjectSet, ApiSetObject } from '../../shared/api/resources.js';
import { identityAnnotationPatch } from '../../shared/identity.js';
import { getOrUndefined, isNotFound } from '../../shared/kube-errors.js';
import {
  desiredPhaseObject,
  isControlledBy,
  MSG_PARTIALLY_PAUSED,
  mappedPhaseConditions,
  phaseKindOf,
  phaseObjectName,
  remotePausedState,
  remotePhaseFailure,
} from '../../shared/phases/remote.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import { MSG_PAUSED } from './phase.js';
import type { Conditions } from './status.js';
import type { StepDeps } from './types.js';

export interface RemotePhaseOutcome {
  readonly object: KubeObject;
  readonly controlled: ApiControlledRef[];
  /** The probe failure (`no status reported` or the phase's Available message), undefined when Available. */
  readonly failure?: string;
}

function phaseRef(os: ApiObjectSet, phase: string): ObjectRef {
  return {
    apiVersion: os.apiVersion,
    kind: phaseKindOf(os.kind),
    namespace: os.metadata.namespace ?? '',
    name: phaseObjectName(os.metadata.name, phase),
  };
}

function controlledOf(object: KubeObject): ApiControlledRef[] {
  const status = object['status'];
  const list =
    typeof status === 'object' && status !== null && 'controllerOf' in status ? status.controllerOf : [];
  if (!Array.isArray(list)) return [];
  return list.flatMap((c: unknown): ApiControlledRef[] => {
    if (typeof c !== 'object' || c === null) return [];
    const kind = 'kind' in c && typeof c.kind === 'string' ? c.kind : undefined;
    const name = 'name' in c && typeof c.name === 'string' ? c.name : undefined;
    if (kind === undefined || name === undefined) return [];
    const group = 'group' in c && typeof c.group === 'string' ? c.group : '';
    const version = 'version' in c && typeof c.version === 'string' ? c.version : '';
    const namespace = 'namespace' in c && typeof c.namespace === 'string' ? c.namespace : undefined;
    return [
      { kind, group, version, name, ...(namespace !== undefined && namespace !== '' ? { namespace } : {}) },
    ];
  });
}

/** Create (or find) the phase object, toggle its pause, and read what it reports. */
export async function reconcileRemotePhase(
  os: ApiObjectSet,
  phase: { readonly name: string; readonly class: string },
  objects: readonly ApiSetObject[],
  conds: Conditions,
  deps: StepDeps,
): Promise<RemotePhaseOutcome> {
  const paused = os.spec.lifecycleState === 'Paused';
  const desired = desiredPhaseObject({
    objectSet: {
      apiVersion: os.apiVersion,
      kind: os.kind,
      name: os.metadata.name,
      namespace: os.metadata.namespace ?? '',
      uid: os.metadata.uid,
      labels: os.metadata.labels ?? {},
      annotations: os.metadata.annotations ?? {},
      revision: os.spec.revision,
      ...(os.spec.previous !== undefined ? { previous: os.spec.previous } : {}),
      ...(os.spec.availabilityProbes !== undefined ? { availabilityProbes: os.spec.availabilityProbes } : {}),
      paused,
    },
    phase: { name: phase.name, class: phase.class, objects },
  });
  let current = await getOrUndefined(deps.kube, refOf(desired));
  if (current === undefined) {
    // Not reported as the step's own write: a watching host must run the new phase object's own step.
    current = await deps.kube.create(desired);
  }
  const annotations = identityAnnotationPatch(os.metadata.annotations, current.metadata.annotations);
  if (annotations !== undefined)
    current = await deps.kube.mergePatch(refOf(current), {
      metadata: { annotations, resourceVersion: current.metadata.resourceVersion },
    });
  const spec = current['spec'];
  const currentPaused = typeof spec === 'object' && spec !== null && 'paused' in spec && spec.paused === true;
  if (currentPaused !== paused) {
    current = await deps.kube.mergePatch(refOf(current), {
      metadata: { resourceVersion: current.metadata.resourceVersion },
      spec: { paused },
    });
  }
  for (const c of mappedPhaseConditions(current)) conds.copy(c);
  const failure = remotePhaseFailure(current);
  return {
    object: current,
    controlled: controlledOf(current),
    ...(failure !== undefined ? { failure } : {}),
  };
}

/**
 * Teardown of a classed phase: true once its phase object is gone (or not ours). A phase object of an ObjectSet
 * whose namespace is being deleted has its finalizers removed, so the namespace can go.
 */
export async function teardownRemotePhase(os: ApiObjectSet, phase: string, deps: StepDeps): Promise<boolean> {
  const ref = phaseRef(os, phase);
  const current = await getOrUndefined(deps.kube, ref);
  if (current === undefined || !isControlledBy(current, os.metadata.uid)) return true;
  const ns = os.metadata.namespace ?? '';
  if (ns !== '') {
    const namespace = await getOrUndefined(deps.kube, {
      apiVersion: 'v1',
      kind: 'Namespace',
      namespace: '',
      name: ns,
    });
    if (
      namespace?.metadata.deletionTimestamp !== undefined &&
      (current.metadata.finalizers ?? []).length > 0
    ) {
      await deps.kube.mergePatch(ref, {
        metadata: { finalizers: null, resourceVersion: current.metadata.resourceVersion },
      });
      return false;
    }
  }
  if (current.metadata.deletionTimestamp === undefined)
    await deps.kube.delete(ref, { preconditions: { uid: current.metadata.uid } }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  return false;
}

/**
 * The ObjectSet's Paused condition when it has remote phases (§4.9): the phase objects read this step are used,
 * the others recorded in `status.remotePhases` are read.
 */
export async function reportRemotePaused(
  os: ApiObjectSet,
  remotes: readonly { readonly name: string }[],
  seen: ReadonlyMap<string, KubeObject>,
  conds: Conditions,
  deps: StepDeps,
): Promise<void> {
  const objects: (KubeObject | undefined)[] = [];
  for (const r of remotes)
    objects.push(
      seen.get(r.name) ??
        (await getOrUndefined(deps.kube, {
          apiVersion: os.apiVersion,
          kind: phaseKindOf(os.kind),
          namespace: os.metadata.namespace ?? '',
          name: r.name,
        })),
    );
  const state = remotePausedState(os.spec.lifecycleState === 'Paused', objects);
  if (state === 'True') conds.set('Paused', 'True', 'Paused', MSG_PAUSED);
  else if (state === 'Unknown') conds.set('Paused', 'Unknown', 'PartiallyPaused', MSG_PARTIALLY_PAUSED);
  else conds.remove('Paused');
}
