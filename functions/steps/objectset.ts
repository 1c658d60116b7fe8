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
import { KubeApiError, isNotFound } from '../../shared/kube-errors.js';
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
import {
  isProbed,
  phaseFailureMessage,
  probeObject,
  type ObjectProbeFailure,
} from '../../shared/probing/index.js';
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

async function previousUids(os: ApiObjectSet, raw: KubeObject, deps: StepDeps): Promise<Set<string>> {
  const uids = new Set<string>();
  for (const previous of os.spec.previous ?? []) {
    try {
      const prev = await deps.kube.get({
        apiVersion: raw.apiVersion,
        kind: raw.kind,
        namespace: os.metadata.namespace ?? '',
        name: previous.name,
      });
      if (prev.metadata.uid !== undefined) uids.add(prev.metadata.uid);
      const remote = field(prev, 'status', 'remotePhases');
      if (Array.isArray(remote))
        for (const r of remote) if (isRecord(r) && typeof r['uid'] === 'string') uids.add(r['uid']);
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

/** What exists of the phase's objects: one metadata LIST per kind and namespace (a GET for a lone object). */
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
    if (group.length === 1) {
      try {
        found.set(key(first.ref), await deps.kube.get(first.ref));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
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
      return hit === undefined ? [] : [[`${key(o.ref)}`, hit] as const];
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
  const desired = desiredObject(o.spec, owner, o.info.namespaced, owners);
  try {
    const applied = await deps.kube.apply(desired, { force: existing !== undefined });
    deps.wrote?.(applied);
    return { kind: 'applied', object: applied };
  } catch (error) {
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

/** Teardown of every phase in reverse order (§4.7). True when every object is gone or released. */
async function teardown(os: ApiObjectSet, raw: KubeObject, deps: StepDeps): Promise<boolean> {
  if ((os.metadata.finalizers ?? []).includes('orphan')) return true;
  const owner = ownerOf(os, new Set());
  const phases = specObjects(
    await phaseObjects(os, raw, deps).catch(() => new Map<string, ApiSetObject[]>()),
  );
  for (const phase of [...os.spec.phases].reverse()) {
    if (phase.class !== undefined && phase.class !== '') continue;
    let done = true;
    for (const spec of phases.get(phase.name) ?? []) {
      const info = await deps.kube.resource(spec.object.apiVersion, spec.object.kind);
      if (info === undefined || staticPreflight(spec, owner, info.namespaced) !== undefined) continue;
      const ref = desiredRef(spec, owner, info.namespaced);
      let live: KubeObject;
      try {
        live = await deps.kube.get(ref);
      } catch (error) {
        if (isNotFound(error)) continue;
        throw error;
      }
      if (controllerOf(live.metadata)?.uid === owner.uid) {
        done = false;
        try {
          await deps.kube.delete(ref, {
            preconditions: { uid: live.metadata.uid, resourceVersion: live.metadata.resourceVersion },
          });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        continue;
      }
      const owners = live.metadata.ownerReferences ?? [];
      if (owners.some((o) => o.uid === owner.uid)) {
        const controlled = controllerOf(live.metadata) !== undefined;
        await deps.kube.mergePatch(ref, {
          metadata: {
            ownerReferences: owners.filter((o) => o.uid !== owner.uid),
            ...(controlled ? {} : { labels: { [LABEL_CACHE]: null } }),
            resourceVersion: live.metadata.resourceVersion,
          },
        });
      }
    }
    if (!done) return false;
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

/** One reconcile of an ObjectSet: teardown when deleted or archived, else the phases in order. */
export async function reconcileObjectSet(input: KubeObject, deps: StepDeps): Promise<StepResult> {
  let raw = input;
  const os = parseResource(objectSetSchema, raw);
  const now = deps.clock.now();
  const conds = new Conditions(os.status.conditions, os.metadata.generation, now);
  if (conds.isTrue('Archived')) {
    if (os.metadata.deletionTimestamp !== undefined) await removeFinalizer(deps.kube, raw, FINALIZER_CACHED);
    return { step: 'archived', outcome: 'done' };
  }
  if (os.metadata.deletionTimestamp !== undefined || os.spec.lifecycleState === 'Archived')
    return deletionOrArchival(os, raw, deps, conds);
  raw = await ensureFinalizer(deps.kube, raw, FINALIZER_CACHED);
  deps.wrote?.(raw);
  const phases = specObjects(await phaseObjects(os, raw, deps));
  const owner = ownerOf(os, await previousUids(os, raw, deps));
  conds.removeMapped();
  const controlled: ApiControlledRef[] = [];
  let failure: PhaseOutcome['failure'];
  let failedPhase: string | undefined;
  const dup = duplicates(phases, owner);
  if (dup.length > 0) failure = { reason: 'PreflightError', message: dup.join(', ') };
  for (const phase of failure === undefined ? os.spec.phases : []) {
    if (phase.class !== undefined && phase.class !== '') {
      failure = {
        reason: 'ProbeFailure',
        message: `Phase "${phase.name}" has class "${phase.class}": ObjectSetPhases are not served by this version of Gantry.`,
      };
      failedPhase = phase.name;
      break;
    }
    const outcome = await reconcilePhase(phase.name, phases.get(phase.name) ?? [], os, owner, deps);
    controlled.push(...outcome.controlled);
    for (const m of outcome.mapped) conds.set(m.type, m.status, m.reason, m.message);
    if (outcome.failure !== undefined) {
      failure = outcome.failure;
      failedPhase = phase.name;
      break;
    }
  }
  const everyRef = [...phases.entries()].flatMap(([, specs]) =>
    specs.map((s) => ({
      kind: s.object.kind,
      group: groupOf(s.object.apiVersion),
      name: s.object.metadata.name,
      namespace: s.object.metadata.namespace ?? owner.namespace,
    })),
  );
  const inTransition = everyRef.some(
    (r) => !controlled.some((c) => sameRef(c, r) || sameRef(c, { ...r, namespace: '' })),
  );
  if (inTransition) conds.set('InTransition', 'True', 'InTransition', MSG_IN_TRANSITION);
  else conds.remove('InTransition');
  if (os.spec.lifecycleState === 'Paused') conds.set('Paused', 'True', 'Paused', MSG_PAUSED);
  else conds.remove('Paused');
  const attempt = os.status.progress?.attempt ?? 0;
  const status = (extra: Record<string, unknown>): Record<string, unknown> => ({
    ...baseStatus(os),
    controllerOf: controlled,
    conditions: conds.toJSON(),
    ...extra,
  });
  if (failure !== undefined) {
    conds.set('Available', 'False', failure.reason, failure.message);
    const requeue =
      failure.reason === 'ProbeFailure'
        ? backoffMs(attempt, PROBE_BACKOFF_BASE_MS, PROBE_BACKOFF_CAP_MS)
        : MISCONFIGURATION_RETRY_MS;
    return {
      step: failure.reason === 'ProbeFailure' ? 'probe' : 'apply-phase',
      outcome: 'waiting',
      object: raw,
      status: status({ conditions: conds.toJSON() }),
      requeueAfterMs: requeue,
      ...(failedPhase !== undefined ? { phase: failedPhase } : {}),
      error: failure.message,
    };
  }
  conds.set('Available', 'True', 'Available', MSG_AVAILABLE);
  // Succeeded is set once and kept; re-stamp it so it reads as current after spec changes (pause, archive).
  if (conds.isTrue('Succeeded')) conds.set('Succeeded', 'True', 'RolloutSuccess', MSG_SUCCEEDED);
  let requeueAfterMs: number | undefined;
  if (!inTransition && !conds.isTrue('Succeeded')) {
    const since = Date.parse(conds.get('Available')?.lastTransitionTime ?? '') || now.getTime();
    const delayMs = (os.spec.successDelaySeconds ?? 0) * 1000;
    const remaining = since + delayMs - now.getTime();
    if (delayMs === 0 || remaining <= 0) conds.set('Succeeded', 'True', 'RolloutSuccess', MSG_SUCCEEDED);
    else requeueAfterMs = remaining;
  }
  return {
    step: 'probe',
    outcome: requeueAfterMs === undefined ? 'done' : 'waiting',
    object: raw,
    status: status({ conditions: conds.toJSON() }),
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}
