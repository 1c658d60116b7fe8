/**
 * @module steps/objectset
 * The (Cluster)ObjectSet steps (docs/pko-compatibility.md §4): `apply-phase` / `probe` through the phases in order,
 * stopping at the first phase whose probes fail; `teardown` in reverse phase order on deletion or archival.
 * Objects are read with a GET each for a few of a kind and namespace, one metadata LIST for many, created with a
 * POST when missing or applied with server-side apply, and probed on what the write returned, so a phase of N
 * objects costs about N requests. The step names the kinds it manages (slices included) for a watching host.
 */
import { FINALIZER_CACHED, FINALIZER_METRICS } from '../../shared/api/constants.js';
import { groupOf, refOf } from '../../shared/api/objects.js';
import {
  objectSetSchema,
  objectSliceSchema,
  parseResource,
  type ApiControlledRef,
  type ApiObjectSet,
  type ApiSetObject,
} from '../../shared/api/resources.js';
import { remoteFailureMessage } from '../../shared/phases/remote.js';
import { ownerReference, phaseOwnerOf, type PhaseOwner, type SpecObject } from '../../shared/phases/index.js';
import type { KubeObject } from '../../shared/ports.js';
import {
  TEARDOWN_POLL_MS,
  failedPhase,
  managedKindsOf,
  MSG_AVAILABLE,
  MSG_PAUSED,
  reconcilePhase,
  specObjects,
  teardownPhase,
  previousUids,
  type PhaseOptions,
  type PhaseOutcome,
} from './phase.js';
import { objectsDeps, teardownAs } from './identity.js';
import { reconcileRemotePhase, reportRemotePaused, teardownRemotePhase } from './remote-phase.js';
import { Conditions, ensureFinalizer, removeFinalizer } from './status.js';
import { inStep, type StepDeps, type StepResult } from './types.js';

export const MSG_SUCCEEDED = 'ObjectSet rolled out all objects successfully and was Available at least once.';
export const MSG_IN_TRANSITION = 'ObjectSet is still rolling out or is being replaced by a newer version.';
export const MSG_TEARDOWN = 'Object teardown in progress.';

/** Slices of a phase appended to its inline objects (§4.8); the ObjectSet becomes a plain owner of each slice. */
async function phaseObjects(
  os: ApiObjectSet,
  raw: KubeObject,
  deps: StepDeps,
): Promise<Map<string, ApiSetObject[]>> {
  const out = new Map<string, ApiSetObject[]>();
  const sliceKind = os.kind === 'ClusterObjectSet' ? 'ClusterObjectSlice' : 'ObjectSlice';
  for (const phase of os.spec.phases) {
    const objects = [...(phase.objects ?? [])];
    for (const name of phase.slices ?? []) {
      const sliceRaw = await deps.kube.get({
        apiVersion: raw.apiVersion,
        kind: sliceKind,
        namespace: os.metadata.namespace ?? '',
        name,
      });
      const slice = parseResource(objectSliceSchema, sliceRaw);
      if (!(slice.metadata.ownerReferences ?? []).some((o) => o.uid === os.metadata.uid)) {
        const owners = [
          ...(slice.metadata.ownerReferences ?? []),
          { ...ownerReference(phaseOwnerOf(os, new Set())), controller: false },
        ];
        await deps.kube.mergePatch(refOf(sliceRaw), {
          metadata: { ownerReferences: owners, resourceVersion: sliceRaw.metadata.resourceVersion },
        });
      }
      objects.push(...slice.objects);
    }
    out.set(phase.name, objects);
  }
  return out;
}

function sameRef(a: ApiControlledRef, b: ApiControlledRef): boolean {
  return (
    a.kind === b.kind &&
    a.group === b.group &&
    a.name === b.name &&
    (a.namespace ?? '') === (b.namespace ?? '')
  );
}

function duplicates(phases: Map<string, SpecObject[]>, owner: PhaseOwner): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [phase, specs] of phases)
    for (const s of specs) {
      const ns = s.object.metadata.namespace ?? owner.namespace;
      const gk = `${s.object.kind}${groupOf(s.object.apiVersion) === '' ? '' : `.${groupOf(s.object.apiVersion)}`}`;
      const key = `${gk} ${ns}/${s.object.metadata.name}`;
      if (seen.has(key)) out.push(`Phase "${phase}", ${key}: Duplicate Object`);
      seen.add(key);
    }
  return out;
}

/** Teardown of every phase in reverse order (§4.7). True when every object is gone or released. */
async function teardown(os: ApiObjectSet, raw: KubeObject, deps: StepDeps): Promise<boolean> {
  if ((os.metadata.finalizers ?? []).includes('orphan')) return true;
  const owner = phaseOwnerOf(os, new Set());
  const phases = specObjects(
    await phaseObjects(os, raw, deps).catch(() => new Map<string, ApiSetObject[]>()),
  );
  const tenant = objectsDeps(os, deps);
  const deleted = os.metadata.deletionTimestamp !== undefined;
  for (const phase of [...os.spec.phases].reverse()) {
    if (phase.class !== undefined && phase.class !== '') {
      if (!(await teardownRemotePhase(os, phase.name, deps))) return false;
      continue;
    }
    const specs = phases.get(phase.name) ?? [];
    if (!(await teardownAs(tenant, deleted, (as) => teardownPhase(specs, owner, as)))) return false;
  }
  return true;
}

function phaseOptions(os: ApiObjectSet): PhaseOptions {
  return { paused: os.spec.lifecycleState === 'Paused', probes: os.spec.availabilityProbes ?? [] };
}

function baseStatus(os: ApiObjectSet): Record<string, unknown> {
  return { ...os.status, revision: os.spec.revision };
}

async function deletionOrArchival(
  os: ApiObjectSet,
  raw: KubeObject,
  deps: StepDeps,
  conds: Conditions,
): Promise<StepResult> {
  const archiving = os.metadata.deletionTimestamp === undefined;
  const done = await inStep('teardown', () => teardown(os, raw, deps));
  conds.remove('Available');
  if (!done) {
    if (archiving) conds.set('Archived', 'False', 'ArchivalInProgress', MSG_TEARDOWN);
    return {
      step: 'teardown',
      outcome: 'waiting',
      requeueAfterMs: TEARDOWN_POLL_MS,
      ...(archiving ? { status: { ...baseStatus(os), conditions: conds.toJSON() } } : {}),
    };
  }
  // PKO keeps its metrics finalizer on an archived revision and drops it only when the revision is deleted.
  const latest = archiving
    ? await removeFinalizer(deps.kube, raw, FINALIZER_CACHED)
    : await removeFinalizer(deps.kube, raw, FINALIZER_CACHED, FINALIZER_METRICS);
  if (!archiving) return { step: 'teardown', outcome: 'done' };
  conds.set('Archived', 'True', 'Archived', '');
  const { controllerOf: _gone, ...rest } = baseStatus(os);
  return {
    step: 'teardown',
    outcome: 'done',
    object: latest,
    status: { ...rest, conditions: conds.toJSON() },
  };
}

interface Walk {
  readonly controlled: ApiControlledRef[];
  readonly failure?: NonNullable<PhaseOutcome['failure']>;
  readonly failedPhase?: string;
  /** Phase objects of classed phases read this step, by name. */
  readonly remote: Map<string, KubeObject>;
}

/** A classed phase: handed to its ObjectSetPhase, whose report is this phase's outcome. */
async function walkRemotePhase(
  os: ApiObjectSet,
  phase: { readonly name: string; readonly class: string; readonly objects: readonly ApiSetObject[] },
  walk: Walk,
  deps: StepDeps,
  conds: Conditions,
): Promise<Walk | undefined> {
  const outcome = await reconcileRemotePhase(os, phase, phase.objects, conds, deps);
  walk.remote.set(outcome.object.metadata.name, outcome.object);
  walk.controlled.push(...outcome.controlled);
  if (outcome.failure === undefined) return undefined;
  const message = remoteFailureMessage(phase.name, outcome.failure);
  return { ...walk, failure: { reason: 'ProbeFailure', message }, failedPhase: phase.name };
}

/**
 * The phases in order until the first that fails (identity, preflight, collision or probes). Local phases act
 * as the ObjectSet's identity (shared/identity.ts); classed phases are the engine's own ObjectSetPhases.
 */
async function walkPhases(
  input: {
    readonly os: ApiObjectSet;
    readonly phases: Map<string, SpecObject[]>;
    readonly raw: ReadonlyMap<string, ApiSetObject[]>;
    readonly owner: PhaseOwner;
  },
  deps: StepDeps,
  conds: Conditions,
): Promise<Walk> {
  const { os, phases, raw, owner } = input;
  const walk: Walk = { controlled: [], remote: new Map() };
  const tenant = objectsDeps(os, deps);
  if (!tenant.ok) return { ...walk, failure: { reason: 'PreflightError', message: tenant.message } };
  const dup = duplicates(phases, owner);
  if (dup.length > 0) return { ...walk, failure: { reason: 'PreflightError', message: dup.join(', ') } };
  for (const phase of os.spec.phases) {
    if (phase.class !== undefined && phase.class !== '') {
      const failed = await walkRemotePhase(
        os,
        { name: phase.name, class: phase.class, objects: raw.get(phase.name) ?? [] },
        walk,
        deps,
        conds,
      );
      if (failed !== undefined) return failed;
      continue;
    }
    const outcome = await reconcilePhase(
      phase.name,
      phases.get(phase.name) ?? [],
      owner,
      phaseOptions(os),
      tenant.deps,
    );
    walk.controlled.push(...outcome.controlled);
    for (const m of outcome.mapped) conds.set(m.type, m.status, m.reason, m.message);
    if (outcome.failure !== undefined) return { ...walk, failure: outcome.failure, failedPhase: phase.name };
  }
  return walk;
}

/** `status.remotePhases` with the phase objects of this step added or updated (PKO never removes one). */
function remotePhasesOf(os: ApiObjectSet, walk: Walk): { name: string; uid: string }[] {
  const refs = [...(os.status.remotePhases ?? [])];
  for (const object of walk.remote.values()) {
    const ref = { name: object.metadata.name, uid: object.metadata.uid ?? '' };
    const i = refs.findIndex((r) => r.name === ref.name);
    if (i >= 0) refs[i] = ref;
    else refs.push(ref);
  }
  return refs;
}

/** Whether some spec object is not (yet) controlled by this ObjectSet. */
function inTransitionOf(
  phases: Map<string, SpecObject[]>,
  controlled: readonly ApiControlledRef[],
  owner: PhaseOwner,
): boolean {
  return [...phases.values()].flat().some((s) => {
    const r = {
      kind: s.object.kind,
      group: groupOf(s.object.apiVersion),
      name: s.object.metadata.name,
      namespace: s.object.metadata.namespace ?? owner.namespace,
    };
    return !controlled.some((c) => sameRef(c, r) || sameRef(c, { ...r, namespace: '' }));
  });
}

/** Succeeded once Available and no longer in transition, after `successDelaySeconds` (requeued for the rest). */
function succeeded(
  os: ApiObjectSet,
  conds: Conditions,
  inTransition: boolean,
  now: Date,
): number | undefined {
  // Succeeded is set once and kept; re-stamp it so it reads as current after spec changes (pause, archive).
  if (conds.isTrue('Succeeded')) {
    conds.set('Succeeded', 'True', 'RolloutSuccess', MSG_SUCCEEDED);
    return undefined;
  }
  if (inTransition) return undefined;
  const since = Date.parse(conds.get('Available')?.lastTransitionTime ?? '') || now.getTime();
  const delayMs = (os.spec.successDelaySeconds ?? 0) * 1000;
  const remaining = since + delayMs - now.getTime();
  if (delayMs > 0 && remaining > 0) return remaining;
  conds.set('Succeeded', 'True', 'RolloutSuccess', MSG_SUCCEEDED);
  return undefined;
}

function failedResult(os: ApiObjectSet, walk: Walk, status: Record<string, unknown>): StepResult {
  const failure = walk.failure;
  if (failure === undefined) throw new Error('failedResult without a failure');
  return {
    ...failedPhase(failure, os.status.progress?.attempt ?? 0),
    status,
    ...(walk.failedPhase !== undefined ? { phase: walk.failedPhase } : {}),
  };
}

/** One reconcile of an ObjectSet: teardown when deleted or archived, else the phases in order. */
export async function reconcileObjectSet(input: KubeObject, deps: StepDeps): Promise<StepResult> {
  const os = parseResource(objectSetSchema, input);
  const now = deps.clock.now();
  const conds = new Conditions(os.status.conditions, os.metadata.generation, now);
  if (conds.isTrue('Archived')) {
    if (os.metadata.deletionTimestamp !== undefined)
      await removeFinalizer(deps.kube, input, FINALIZER_CACHED, FINALIZER_METRICS);
    return { step: 'archived', outcome: 'done' };
  }
  if (os.metadata.deletionTimestamp !== undefined || os.spec.lifecycleState === 'Archived')
    return deletionOrArchival(os, input, deps, conds);
  // PKO's manager puts its metrics finalizer on every ObjectSet it reconciles; so does Gantry (PKO taking back then
  // finds nothing to add).
  const raw = await ensureFinalizer(deps.kube, input, FINALIZER_CACHED, FINALIZER_METRICS);
  deps.wrote?.(raw);
  const rawPhases = await phaseObjects(os, raw, deps);
  const phases = specObjects(rawPhases);
  const where = { apiVersion: raw.apiVersion, kind: raw.kind, namespace: os.metadata.namespace ?? '' };
  const owner = phaseOwnerOf(os, await previousUids(where, os.spec.previous ?? [], deps));
  conds.removeMapped();
  // Slices included: a kind that only a slice holds is watched too, so its drift is seen at once.
  const managedKinds = managedKindsOf([...phases.values()].flat());
  await deps.watchKinds?.(managedKinds);
  const walk = await walkPhases({ os, phases, raw: rawPhases, owner }, deps, conds);
  const remotePhases = remotePhasesOf(os, walk);
  const inTransition = inTransitionOf(phases, walk.controlled, owner);
  if (inTransition) conds.set('InTransition', 'True', 'InTransition', MSG_IN_TRANSITION);
  else conds.remove('InTransition');
  if (remotePhases.length > 0) await reportRemotePaused(os, remotePhases, walk.remote, conds, deps);
  else if (os.spec.lifecycleState === 'Paused') conds.set('Paused', 'True', 'Paused', MSG_PAUSED);
  else conds.remove('Paused');
  const status = (): Record<string, unknown> => ({
    ...baseStatus(os),
    ...(remotePhases.length > 0 ? { remotePhases } : {}),
    controllerOf: walk.controlled,
    conditions: conds.toJSON(),
  });
  if (walk.failure !== undefined) {
    conds.set('Available', 'False', walk.failure.reason, walk.failure.message);
    return { ...failedResult(os, walk, status()), object: raw, managedKinds };
  }
  conds.set('Available', 'True', 'Available', MSG_AVAILABLE);
  const requeueAfterMs = succeeded(os, conds, inTransition, now);
  return {
    step: 'probe',
    outcome: requeueAfterMs === undefined ? 'done' : 'waiting',
    object: raw,
    managedKinds,
    status: status(),
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}
