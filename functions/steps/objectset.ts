/**
 * @module steps/objectset
 * The (Cluster)ObjectSet steps (pko-behaviour §4): `apply-phase` / `probe` through the phases in order,
 * stopping at the first phase whose probes fail; `teardown` in reverse phase order on deletion or archival.
 * Objects are read with one metadata LIST per kind and namespace of a phase (not one GET each), applied with
 * server-side apply, and probed on what the apply returned, so a phase of N objects costs about N requests.
 */
import { FINALIZER_CACHED, LABEL_CACHE } from '../../shared/api/constants.js';
import { controllerOf, field, groupOf, isRecord, refOf, versionOf } from '../../shared/api/objects.js';
import {
  objectSetSchema,
  objectSliceSchema,
  parseResource,
  type ApiControlledRef,
  type ApiObjectSet,
  type ApiSetObject,
} from '../../shared/api/resources.js';
import { KubeApiError, isConflict, isNotFound } from '../../shared/kube-errors.js';
import {
  collisionMessage,
  decideAdoption,
  desiredObject,
  desiredRef,
  notRegisteredMessage,
  ownerReference,
  ownerReferencesFor,
  preflightMessage,
  specObjectOf,
  staticPreflight,
  type PhaseOwner,
  type SpecObject,
} from '../../shared/phases/index.js';
import { phaseFailureMessage, probeObject, type ObjectProbeFailure } from '../../shared/probing/index.js';
import type {
  KubeMeta,
  KubeObject,
  KubeOwnerReference,
  ObjectRef,
  ResourceInfo,
} from '../../shared/ports.js';
import { mapLimit } from './concurrency.js';
import { Conditions, backoffMs, ensureFinalizer, removeFinalizer } from './status.js';
import type { StepDeps, StepResult } from './types.js';

const APPLY_CONCURRENCY = 8;
/** Up to this many objects of one kind and namespace in a phase are read one by one; more with one metadata LIST. */
const GET_INSTEAD_OF_LIST = 8;
/** PKO's DefaultGlobalMissConfigurationRetry for preflight and collision errors. */
export const MISCONFIGURATION_RETRY_MS = 30_000;
const PROBE_BACKOFF_BASE_MS = 1_000;
const PROBE_BACKOFF_CAP_MS = 30_000;
const TEARDOWN_POLL_MS = 2_000;

export const MSG_AVAILABLE = 'Object is available and passes all probes.';
export const MSG_SUCCEEDED = 'ObjectSet rolled out all objects successfully and was Available at least once.';
export const MSG_IN_TRANSITION = 'ObjectSet is still rolling out or is being replaced by a newer version.';
export const MSG_PAUSED = 'Lifecycle state set to paused.';
export const MSG_TEARDOWN = 'Object teardown in progress.';

interface PhaseObject {
  readonly spec: SpecObject;
  readonly ref: ObjectRef;
  readonly info: ResourceInfo;
}

interface PhaseOutcome {
  readonly controlled: ApiControlledRef[];
  readonly failure?: {
    readonly reason: 'PreflightError' | 'CollisionDetected' | 'ProbeFailure';
    readonly message: string;
  };
  readonly mapped: { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string }[];
}

function ownerOf(os: ApiObjectSet, previousUids: ReadonlySet<string>): PhaseOwner {
  return {
    apiVersion: os.apiVersion,
    kind: os.kind,
    name: os.metadata.name,
    namespace: os.metadata.namespace ?? '',
    uid: os.metadata.uid,
    revision: os.spec.revision,
    labels: os.metadata.labels ?? {},
    previousUids,
  };
}

function controlledRef(object: KubeObject): ApiControlledRef {
  return {
    kind: object.kind,
    group: groupOf(object.apiVersion),
    version: versionOf(object.apiVersion),
    name: object.metadata.name,
    ...(object.metadata.namespace !== undefined && object.metadata.namespace !== ''
      ? { namespace: object.metadata.namespace }
      : {}),
  };
}

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
          { ...ownerReference(ownerOf(os, new Set())), controller: false },
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

/** The UID of a previous ObjectSet and of its ObjectSetPhases (`status.remotePhases`). */
function uidsOf(prev: KubeObject): string[] {
  const uids = prev.metadata.uid !== undefined ? [prev.metadata.uid] : [];
  const remote = field(prev, 'status', 'remotePhases');
  if (!Array.isArray(remote)) return uids;
  return [
    ...uids,
    ...remote.flatMap((r: unknown) => (isRecord(r) && typeof r['uid'] === 'string' ? [r['uid']] : [])),
  ];
}

async function previousUids(os: ApiObjectSet, raw: KubeObject, deps: StepDeps): Promise<Set<string>> {
  const uids = new Set<string>();
  for (const previous of os.spec.previous ?? []) {
    const ref = {
      apiVersion: raw.apiVersion,
      kind: raw.kind,
      namespace: os.metadata.namespace ?? '',
      name: previous.name,
    };
    try {
      for (const uid of uidsOf(await deps.kube.get(ref))) uids.add(uid);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return uids;
}

/** Discovery and static preflight for every object of a phase; violations in PKO's format. */
async function preflight(
  phase: string,
  specs: readonly SpecObject[],
  owner: PhaseOwner,
  deps: StepDeps,
): Promise<{ objects: PhaseObject[]; violations: string[] }> {
  const objects: PhaseObject[] = [];
  const violations: string[] = [];
  for (const spec of specs) {
    const info = await deps.kube.resource(spec.object.apiVersion, spec.object.kind);
    if (info === undefined) {
      violations.push(
        preflightMessage(phase, spec, notRegisteredMessage(spec.object.apiVersion, spec.object.kind)),
      );
      continue;
    }
    const problem = staticPreflight(spec, owner, info.namespaced);
    if (problem !== undefined) violations.push(preflightMessage(phase, spec, problem));
    else objects.push({ spec, ref: desiredRef(spec, owner, info.namespaced), info });
  }
  return { objects, violations };
}

function groupKey(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace}`;
}

/** What exists of the phase's objects: a GET each for a few of a kind and namespace, one metadata LIST for many. */
async function existingObjects(
  objects: readonly PhaseObject[],
  deps: StepDeps,
): Promise<Map<string, KubeObject>> {
  const groups = new Map<string, PhaseObject[]>();
  for (const o of objects) groups.set(groupKey(o.ref), [...(groups.get(groupKey(o.ref)) ?? []), o]);
  const found = new Map<string, KubeObject>();
  const key = (ref: ObjectRef): string => `${groupKey(ref)}|${ref.name}`;
  await mapLimit([...groups.values()], APPLY_CONCURRENCY, async (group) => {
    const first = group[0];
    if (first === undefined) return;
    if (group.length <= GET_INSTEAD_OF_LIST) {
      // A few objects: a GET each costs less than listing a namespace that may hold thousands of that kind.
      await mapLimit(group, APPLY_CONCURRENCY, async (o) => {
        try {
          found.set(key(o.ref), await deps.kube.get(o.ref));
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
      return;
    }
    const wanted = new Set(group.map((o) => o.ref.name));
    const items = await deps.kube.list(first.ref.apiVersion, first.ref.kind, first.ref.namespace, {
      metadataOnly: true,
    });
    for (const item of items)
      if (wanted.has(item.metadata.name)) found.set(key({ ...first.ref, name: item.metadata.name }), item);
  });
  return new Map(
    [...objects].flatMap((o) => {
      const hit = found.get(key(o.ref));
      return hit === undefined ? [] : [[key(o.ref), hit] as const];
    }),
  );
}

type ApplyResult =
  | { readonly kind: 'applied' | 'observed'; readonly object: KubeObject }
  | { readonly kind: 'missing' }
  | {
      readonly kind: 'error';
      readonly reason: 'PreflightError' | 'CollisionDetected';
      readonly message: string;
    };

function existingOwners(meta: KubeMeta | undefined): readonly KubeOwnerReference[] {
  return meta?.ownerReferences ?? [];
}

async function applyOne(
  o: PhaseObject,
  existing: KubeObject | undefined,
  owner: PhaseOwner,
  paused: boolean,
  deps: StepDeps,
): Promise<ApplyResult> {
  if (paused) {
    if (existing === undefined) return { kind: 'missing' };
    return { kind: 'observed', object: await deps.kube.get(o.ref) };
  }
  let owners = [ownerReference(owner)];
  if (existing !== undefined) {
    const decision = decideAdoption(existing, o.ref, o.spec.collisionProtection, owner, deps.forceAdoption);
    if (decision.kind === 'refuse')
      return {
        kind: 'error',
        reason: 'CollisionDetected',
        message: collisionMessage(o.spec, decision.message),
      };
    if (decision.kind === 'skip') return { kind: 'observed', object: await deps.kube.get(o.ref) };
    owners = ownerReferencesFor(existingOwners(existing.metadata), owner);
  }
  const built = desiredObject(o.spec, owner, o.info.namespaced, owners);
  // The adoption decision holds for the object as read: its resourceVersion makes the apply a compare-and-swap,
  // so another revision's step that took the object over in between wins, and this step runs again (409).
  const rv = existing?.metadata.resourceVersion;
  const desired =
    rv === undefined ? built : { ...built, metadata: { ...built.metadata, resourceVersion: rv } };
  try {
    const applied = await deps.kube.apply(desired, { force: existing !== undefined });
    deps.wrote?.(applied);
    return { kind: 'applied', object: applied };
  } catch (error) {
    if (isConflict(error) && rv !== undefined) throw error;
    if (error instanceof KubeApiError)
      return {
        kind: 'error',
        reason: 'PreflightError',
        message: preflightMessage(o.spec.phase, o.spec, error.message),
      };
    throw error;
  }
}

function mappedConditions(object: KubeObject, spec: SpecObject): PhaseOutcome['mapped'] {
  const out: PhaseOutcome['mapped'] = [];
  const conditions = field(object, 'status', 'conditions');
  if (!Array.isArray(conditions)) return out;
  for (const mapping of spec.conditionMappings) {
    for (const c of conditions) {
      if (!isRecord(c) || c['type'] !== mapping.sourceType) continue;
      const observed = c['observedGeneration'];
      if (typeof observed === 'number' && observed !== 0 && observed !== (object.metadata.generation ?? 0))
        continue;
      const status = c['status'];
      if (status !== 'True' && status !== 'False' && status !== 'Unknown') continue;
      out.push({
        type: mapping.destinationType,
        status,
        reason: typeof c['reason'] === 'string' ? c['reason'] : '',
        message: typeof c['message'] === 'string' ? c['message'] : '',
      });
    }
  }
  return out;
}

/** One local phase: preflight, read, adopt or refuse, apply, map conditions, probe. */
async function reconcilePhase(
  phase: string,
  specs: readonly SpecObject[],
  os: ApiObjectSet,
  owner: PhaseOwner,
  deps: StepDeps,
): Promise<PhaseOutcome> {
  const { objects, violations } = await preflight(phase, specs, owner, deps);
  if (violations.length > 0)
    return {
      controlled: [],
      mapped: [],
      failure: { reason: 'PreflightError', message: violations.join(', ') },
    };
  const existing = await existingObjects(objects, deps);
  const paused = os.spec.lifecycleState === 'Paused';
  const results = await mapLimit(objects, APPLY_CONCURRENCY, (o) =>
    applyOne(o, existing.get(`${groupKey(o.ref)}|${o.ref.name}`), owner, paused, deps),
  );
  const controlled: ApiControlledRef[] = [];
  const mapped: PhaseOutcome['mapped'] = [];
  const probeFailures: ObjectProbeFailure[] = [];
  const probes = os.spec.availabilityProbes ?? [];
  for (const [i, result] of results.entries()) {
    const o = objects[i];
    if (o === undefined) continue;
    if (result.kind === 'error')
      return { controlled, mapped, failure: { reason: result.reason, message: result.message } };
    if (result.kind === 'missing') {
      probeFailures.push({ object: o.ref, messages: ['not found'] });
      continue;
    }
    if (controllerOf(result.object.metadata)?.uid === owner.uid)
      controlled.push(controlledRef(result.object));
    mapped.push(...mappedConditions(result.object, o.spec));
    const probed = probeObject(result.object, probes);
    if (probed.status !== 'True') probeFailures.push({ object: o.ref, messages: probed.messages });
  }
  if (probeFailures.length > 0)
    return {
      controlled,
      mapped,
      failure: { reason: 'ProbeFailure', message: phaseFailureMessage(phase, probeFailures) },
    };
  return { controlled, mapped };
}

function sameRef(a: ApiControlledRef, b: ApiControlledRef): boolean {
  return (
    a.kind === b.kind &&
    a.group === b.group &&
    a.name === b.name &&
    (a.namespace ?? '') === (b.namespace ?? '')
  );
}

/** Parse every spec object of every phase; a malformed embedded object is a terminal problem. */
function specObjects(phases: Map<string, ApiSetObject[]>): Map<string, SpecObject[]> {
  const out = new Map<string, SpecObject[]>();
  for (const [phase, objects] of phases) {
    out.set(
      phase,
      objects.flatMap((o) => {
        const spec = specObjectOf(phase, {
          object: o.object,
          ...(o.collisionProtection !== undefined ? { collisionProtection: o.collisionProtection } : {}),
          ...(o.conditionMappings !== undefined ? { conditionMappings: o.conditionMappings } : {}),
        });
        return spec === undefined ? [] : [spec];
      }),
    );
  }
  return out;
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

/** Tear down one object: true when it is gone or released (delete with uid and resourceVersion preconditions). */
async function teardownObject(spec: SpecObject, owner: PhaseOwner, deps: StepDeps): Promise<boolean> {
  const info = await deps.kube.resource(spec.object.apiVersion, spec.object.kind);
  if (info === undefined || staticPreflight(spec, owner, info.namespaced) !== undefined) return true;
  const ref = desiredRef(spec, owner, info.namespaced);
  let live: KubeObject;
  try {
    live = await deps.kube.get(ref);
  } catch (error) {
    if (isNotFound(error)) return true;
    throw error;
  }
  if (controllerOf(live.metadata)?.uid === owner.uid) {
    await deps.kube
      .delete(ref, {
        preconditions: { uid: live.metadata.uid, resourceVersion: live.metadata.resourceVersion },
      })
      .catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    return false;
  }
  const owners = live.metadata.ownerReferences ?? [];
  if (!owners.some((o) => o.uid === owner.uid)) return true;
  // A plain owner lets go; the cache label goes too unless another ObjectSet controls the object now.
  const controlled = controllerOf(live.metadata) !== undefined;
  await deps.kube.mergePatch(ref, {
    metadata: {
      ownerReferences: owners.filter((o) => o.uid !== owner.uid),
      ...(controlled ? {} : { labels: { [LABEL_CACHE]: null } }),
      resourceVersion: live.metadata.resourceVersion,
    },
  });
  return true;
}

/** Teardown of every phase in reverse order (§4.7). True when every object is gone or released. */
async function teardown(os: ApiObjectSet, raw: KubeObject, deps: StepDeps): Promise<boolean> {
  if ((os.metadata.finalizers ?? []).includes('orphan')) return true;
  const owner = ownerOf(os, new Set());
  const phases = specObjects(
    await phaseObjects(os, raw, deps).catch(() => new Map<string, ApiSetObject[]>()),
  );
  for (const phase of [...os.spec.phases].reverse()) {
    if (phase.class !== undefined && phase.class !== '') continue;
    const results = await mapLimit(phases.get(phase.name) ?? [], APPLY_CONCURRENCY, (spec) =>
      teardownObject(spec, owner, deps),
    );
    if (!results.every(Boolean)) return false;
  }
  return true;
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
  const done = await teardown(os, raw, deps);
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
  const latest = await removeFinalizer(deps.kube, raw, FINALIZER_CACHED);
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
}

/** The phases in order until the first that fails (preflight, collision or probes). */
async function walkPhases(
  os: ApiObjectSet,
  phases: Map<string, SpecObject[]>,
  owner: PhaseOwner,
  deps: StepDeps,
  conds: Conditions,
): Promise<Walk> {
  const controlled: ApiControlledRef[] = [];
  const dup = duplicates(phases, owner);
  if (dup.length > 0) return { controlled, failure: { reason: 'PreflightError', message: dup.join(', ') } };
  for (const phase of os.spec.phases) {
    if (phase.class !== undefined && phase.class !== '') {
      const message = `Phase "${phase.name}" has class "${phase.class}": ObjectSetPhases are not served by this version of Gantry.`;
      return { controlled, failure: { reason: 'ProbeFailure', message }, failedPhase: phase.name };
    }
    const outcome = await reconcilePhase(phase.name, phases.get(phase.name) ?? [], os, owner, deps);
    controlled.push(...outcome.controlled);
    for (const m of outcome.mapped) conds.set(m.type, m.status, m.reason, m.message);
    if (outcome.failure !== undefined)
      return { controlled, failure: outcome.failure, failedPhase: phase.name };
  }
  return { controlled };
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
  const probe = failure.reason === 'ProbeFailure';
  const attempt = os.status.progress?.attempt ?? 0;
  return {
    step: probe ? 'probe' : 'apply-phase',
    outcome: 'waiting',
    status,
    requeueAfterMs: probe
      ? backoffMs(attempt, PROBE_BACKOFF_BASE_MS, PROBE_BACKOFF_CAP_MS)
      : MISCONFIGURATION_RETRY_MS,
    ...(walk.failedPhase !== undefined ? { phase: walk.failedPhase } : {}),
    error: failure.message,
  };
}

/** One reconcile of an ObjectSet: teardown when deleted or archived, else the phases in order. */
export async function reconcileObjectSet(input: KubeObject, deps: StepDeps): Promise<StepResult> {
  const os = parseResource(objectSetSchema, input);
  const now = deps.clock.now();
  const conds = new Conditions(os.status.conditions, os.metadata.generation, now);
  if (conds.isTrue('Archived')) {
    if (os.metadata.deletionTimestamp !== undefined)
      await removeFinalizer(deps.kube, input, FINALIZER_CACHED);
    return { step: 'archived', outcome: 'done' };
  }
  if (os.metadata.deletionTimestamp !== undefined || os.spec.lifecycleState === 'Archived')
    return deletionOrArchival(os, input, deps, conds);
  const raw = await ensureFinalizer(deps.kube, input, FINALIZER_CACHED);
  deps.wrote?.(raw);
  const phases = specObjects(await phaseObjects(os, raw, deps));
  const owner = ownerOf(os, await previousUids(os, raw, deps));
  conds.removeMapped();
  const walk = await walkPhases(os, phases, owner, deps, conds);
  const inTransition = inTransitionOf(phases, walk.controlled, owner);
  if (inTransition) conds.set('InTransition', 'True', 'InTransition', MSG_IN_TRANSITION);
  else conds.remove('InTransition');
  if (os.spec.lifecycleState === 'Paused') conds.set('Paused', 'True', 'Paused', MSG_PAUSED);
  else conds.remove('Paused');
  const status = (): Record<string, unknown> => ({
    ...baseStatus(os),
    controllerOf: walk.controlled,
    conditions: conds.toJSON(),
  });
  if (walk.failure !== undefined) {
    conds.set('Available', 'False', walk.failure.reason, walk.failure.message);
    return { ...failedResult(os, walk, status()), object: raw };
  }
  conds.set('Available', 'True', 'Available', MSG_AVAILABLE);
  const requeueAfterMs = succeeded(os, conds, inTransition, now);
  return {
    step: 'probe',
    outcome: requeueAfterMs === undefined ? 'done' : 'waiting',
    object: raw,
    status: status(),
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}
