/**
 * @module steps/phase
 * One phase of objects, as an ObjectSet and an ObjectSetPhase both reconcile it (docs/pko-compatibility.md §4.4, §4.7):
 * preflight, a read of what exists (a GET each for a few objects of a kind and namespace, one metadata LIST for
 * many), a POST for what is missing (adoption decided from the object if someone created it since the read),
 * adoption or refusal, server-side apply guarded by the resourceVersion read, condition mapping and probes; and
 * the teardown of one object.
 */
import { FIELD_MANAGER, LABEL_CACHE } from '../../shared/api/constants.js';
import { field, groupOf, isRecord, versionOf } from '../../shared/api/objects.js';
import type { ApiControlledRef, ApiSetObject } from '../../shared/api/resources.js';
import { KubeApiError, isConflict, isKubeReason, isNotFound } from '../../shared/kube-errors.js';
import { CLIENT_SIDE_MANAGERS, migratedManagedFields } from '../../shared/phases/managed-fields.js';
import {
  collisionMessage,
  decideAdoption,
  desiredObject,
  desiredRef,
  notRegisteredMessage,
  preflightMessage,
  specObjectOf,
  staticPreflight,
  type PhaseOwner,
  type SpecObject,
} from '../../shared/phases/index.js';
import { controllerRef, isOwner, ownershipFor, releasePatch } from '../../shared/phases/owners.js';
import {
  phaseFailureMessage,
  probeFailuresMessage,
  probeObject,
  type ObjectProbeFailure,
  type ObjectSetProbe,
} from '../../shared/probing/index.js';
import type { KubeObject, ObjectRef, ResourceInfo } from '../../shared/ports.js';
import { mapLimit } from './concurrency.js';
import { backoffMs } from './status.js';
import type { StepDeps } from './types.js';

export const MSG_AVAILABLE = 'Object is available and passes all probes.';
export const MSG_PAUSED = 'Lifecycle state set to paused.';

/** PKO's DefaultGlobalMissConfigurationRetry for preflight and collision errors. */
export const MISCONFIGURATION_RETRY_MS = 30_000;
const PROBE_BACKOFF_BASE_MS = 1_000;
const PROBE_BACKOFF_CAP_MS = 30_000;
/** How often a teardown that waits for objects to go looks again. */
export const TEARDOWN_POLL_MS = 2_000;

/**
 * A phase's reads and applies under way at once (the client's connection pool bounds them again across the steps
 * running): 16 took a 50-object install from about 0.30 s to 0.27 s against 8 (`npm run bench -- engine`).
 */
const APPLY_CONCURRENCY = 16;
/** Up to this many objects of one kind and namespace in a phase are read one by one; more with one metadata LIST. */
const GET_INSTEAD_OF_LIST = 8;

/** How a phase is reconciled: paused (objects only read) and the owner's availability probes. */
export interface PhaseOptions {
  readonly paused: boolean;
  readonly probes: readonly ObjectSetProbe[];
}

interface PhaseObject {
  readonly spec: SpecObject;
  readonly ref: ObjectRef;
  readonly info: ResourceInfo;
}

export interface PhaseOutcome {
  readonly controlled: ApiControlledRef[];
  readonly failure?: {
    readonly reason: 'PreflightError' | 'CollisionDetected' | 'ProbeFailure';
    readonly message: string;
    /** A probe failure without the `Phase "<phase>" failed: ` prefix (what an ObjectSetPhase reports). */
    readonly withoutPhase?: string;
  };
  readonly mapped: { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string }[];
}

/**
 * The step result fields of a failed phase: probes back off (1 s doubling to 30 s, by the progress record's
 * attempt), preflight and collision errors are tried again after 30 s.
 */
export function failedPhase(
  failure: NonNullable<PhaseOutcome['failure']>,
  attempt: number,
): { step: 'probe' | 'apply-phase'; outcome: 'waiting'; requeueAfterMs: number; error: string } {
  const probe = failure.reason === 'ProbeFailure';
  return {
    step: probe ? 'probe' : 'apply-phase',
    outcome: 'waiting',
    requeueAfterMs: probe
      ? backoffMs(attempt, PROBE_BACKOFF_BASE_MS, PROBE_BACKOFF_CAP_MS)
      : MISCONFIGURATION_RETRY_MS,
    error: failure.message,
  };
}

export function controlledRef(object: KubeObject): ApiControlledRef {
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

/** The UIDs of the named previous ObjectSets (of `kind` in `namespace`) and of their ObjectSetPhases; missing ones skipped. */
export async function previousUids(
  where: { readonly apiVersion: string; readonly kind: string; readonly namespace: string },
  previous: readonly { readonly name: string }[],
  deps: StepDeps,
): Promise<Set<string>> {
  const uids = new Set<string>();
  for (const p of previous) {
    try {
      for (const uid of uidsOf(await deps.kube.get({ ...where, name: p.name }))) uids.add(uid);
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

export function groupKey(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace}`;
}

/**
 * What exists of the phase's objects. A watching host's cache answers for the kinds it watches: an object it has
 * not seen is taken as missing, and its create fails when it exists after all (an object without the engine's
 * cache label, say), which then reads it. Otherwise a GET each for a few of a kind and namespace, one metadata
 * LIST for many.
 */
export async function existingObjects(
  objects: readonly PhaseObject[],
  deps: StepDeps,
): Promise<Map<string, KubeObject>> {
  const groups = new Map<string, PhaseObject[]>();
  const found = new Map<string, KubeObject>();
  const key = (ref: ObjectRef): string => `${groupKey(ref)}|${ref.name}`;
  for (const o of objects) {
    const cached = deps.cache?.lookup(o.ref);
    if (cached === undefined) groups.set(groupKey(o.ref), [...(groups.get(groupKey(o.ref)) ?? []), o]);
    else if (cached !== null) found.set(key(o.ref), cached);
  }
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

/** A refusal of the API server as the phase reports it (PreflightError with the server's words); others rethrown. */
function refusedBy(o: PhaseObject, error: unknown): ApplyResult {
  if (error instanceof KubeApiError)
    return {
      kind: 'error',
      reason: 'PreflightError',
      message: preflightMessage(o.spec.phase, o.spec, error.message),
    };
  throw error;
}

/**
 * Client-side field managers of the object folded into the engine's server-side apply entry (a merge patch of
 * `metadata.managedFields` guarded by the resourceVersion read); the object unchanged when there are none.
 */
async function migrateManagers(
  o: PhaseObject,
  live: KubeObject,
  from: readonly string[],
  deps: StepDeps,
): Promise<KubeObject> {
  const managedFields = migratedManagedFields(live.metadata, FIELD_MANAGER, o.ref.apiVersion, from);
  if (managedFields === undefined) return live;
  const migrated = await deps.kube.mergePatch(o.ref, {
    metadata: { managedFields, resourceVersion: live.metadata.resourceVersion },
  });
  deps.wrote?.(migrated);
  return migrated;
}

/**
 * An object that exists: adoption decided from it as read, then applied guarded by the resourceVersion the
 * decision read (a compare-and-swap: an object changed in between, say taken over by another revision's step,
 * makes the apply a 409 and this step runs again). Adopting migrates client-side managers to server-side apply.
 */
async function applyExisting(
  o: PhaseObject,
  existing: KubeObject,
  owner: PhaseOwner,
  deps: StepDeps,
): Promise<ApplyResult> {
  const decision = decideAdoption(existing, o.ref, o.spec.collisionProtection, owner, deps.forceAdoption);
  if (decision.kind === 'refuse')
    return {
      kind: 'error',
      reason: 'CollisionDetected',
      message: collisionMessage(o.spec, decision.message),
    };
  if (decision.kind === 'skip') return { kind: 'observed', object: await deps.kube.get(o.ref) };
  // Only adoption migrates: on an object the engine controls already, an Update entry is someone's later edit
  // (the engine creates with server-side apply), and the fields it set are not the engine's to prune.
  const live =
    decision.kind === 'adopt'
      ? await migrateManagers(o, existing, [FIELD_MANAGER, ...CLIENT_SIDE_MANAGERS], deps)
      : existing;
  const built = desiredObject(o.spec, owner, o.info.namespaced, ownershipFor(live.metadata, owner));
  const rv = live.metadata.resourceVersion;
  const desired =
    rv === undefined ? built : { ...built, metadata: { ...built.metadata, resourceVersion: rv } };
  try {
    const applied = await deps.kube.apply(desired, { force: true });
    deps.wrote?.(applied);
    return { kind: 'applied', object: applied };
  } catch (error) {
    if (isConflict(error)) throw error;
    return refusedBy(o, error);
  }
}

/**
 * The resourceVersion a create-only apply carries: etcd's first revision, which no stored object has (every write
 * makes a newer one). The API server creates a missing object from a server-side apply and ignores it then; an
 * object that exists fails the apply's resourceVersion check with a 409.
 */
const NO_STORED_OBJECT_VERSION = '1';

/**
 * An object the read did not find: created by one server-side apply (the engine's Apply entry from the start, so
 * its fields are the engine's to prune later) that cannot take over an object someone created since the read.
 * Such an object fails the apply with a 409, and adoption is then decided from what exists.
 */
async function createMissing(o: PhaseObject, owner: PhaseOwner, deps: StepDeps): Promise<ApplyResult> {
  await deps.beforeCreate?.(o.ref);
  const built = desiredObject(o.spec, owner, o.info.namespaced, ownershipFor(undefined, owner));
  let created: KubeObject;
  try {
    created = await deps.kube.apply(
      { ...built, metadata: { ...built.metadata, resourceVersion: NO_STORED_OBJECT_VERSION } },
      { force: true },
    );
  } catch (error) {
    if (isConflict(error) || isKubeReason(error, 'AlreadyExists'))
      return applyExisting(o, await deps.kube.get(o.ref), owner, deps);
    return refusedBy(o, error);
  }
  deps.wrote?.(created);
  return { kind: 'applied', object: created };
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
  return existing === undefined ? createMissing(o, owner, deps) : applyExisting(o, existing, owner, deps);
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
export async function reconcilePhase(
  phase: string,
  specs: readonly SpecObject[],
  owner: PhaseOwner,
  options: PhaseOptions,
  deps: StepDeps,
): Promise<PhaseOutcome> {
  const { objects, violations } = await preflight(phase, specs, owner, deps);
  if (violations.length > 0)
    return {
      controlled: [],
      mapped: [],
      failure: { reason: 'PreflightError', message: violations.join(', ') },
    };
  let existing: Map<string, KubeObject>;
  try {
    existing = await existingObjects(objects, deps);
  } catch (error) {
    // A read the identity may not make (tenants confined to their rights): the server's words, nothing applied.
    if (!isKubeReason(error, 'Forbidden')) throw error;
    return {
      controlled: [],
      mapped: [],
      failure: { reason: 'PreflightError', message: `Phase "${phase}": ${error.message}` },
    };
  }
  const paused = options.paused;
  const results = await mapLimit(objects, APPLY_CONCURRENCY, (o) =>
    applyOne(o, existing.get(`${groupKey(o.ref)}|${o.ref.name}`), owner, paused, deps),
  );
  const controlled: ApiControlledRef[] = [];
  const mapped: PhaseOutcome['mapped'] = [];
  const probeFailures: ObjectProbeFailure[] = [];
  const probes = options.probes;
  for (const [i, result] of results.entries()) {
    const o = objects[i];
    if (o === undefined) continue;
    if (result.kind === 'error')
      return { controlled, mapped, failure: { reason: result.reason, message: result.message } };
    if (result.kind === 'missing') {
      probeFailures.push({ object: o.ref, messages: ['not found'] });
      continue;
    }
    if (controllerRef(result.object.metadata, owner.strategy)?.uid === owner.uid)
      controlled.push(controlledRef(result.object));
    mapped.push(...mappedConditions(result.object, o.spec));
    const probed = probeObject(result.object, probes);
    if (probed.status !== 'True') probeFailures.push({ object: o.ref, messages: probed.messages });
  }
  if (probeFailures.length > 0)
    return {
      controlled,
      mapped,
      failure: {
        reason: 'ProbeFailure',
        message: phaseFailureMessage(phase, probeFailures),
        withoutPhase: probeFailuresMessage(probeFailures),
      },
    };
  return { controlled, mapped };
}

/** Parse every spec object of every phase; a malformed embedded object is a terminal problem. */
export function specObjects(phases: Map<string, ApiSetObject[]>): Map<string, SpecObject[]> {
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

/** The kinds of the given objects, each once: what a watching host watches for an ObjectSet or phase. */
export function managedKindsOf(
  specs: Iterable<SpecObject>,
): { readonly apiVersion: string; readonly kind: string }[] {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const { object } of specs)
    kinds.set(`${object.apiVersion}|${object.kind}`, { apiVersion: object.apiVersion, kind: object.kind });
  return [...kinds.values()];
}

/** Tear down one object: true when it is gone or released (delete with uid and resourceVersion preconditions). */
export async function teardownObject(spec: SpecObject, owner: PhaseOwner, deps: StepDeps): Promise<boolean> {
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
  if (controllerRef(live.metadata, owner.strategy)?.uid === owner.uid) {
    await deps.kube
      .delete(ref, {
        preconditions: { uid: live.metadata.uid, resourceVersion: live.metadata.resourceVersion },
      })
      .catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    return false;
  }
  if (!isOwner(live.metadata, owner)) return true;
  // A plain owner lets go; the cache label goes too unless another ObjectSet controls the object now.
  await deps.kube.mergePatch(ref, { metadata: releasePatch(live.metadata, owner, LABEL_CACHE) });
  return true;
}

/** Teardown of one phase's objects (§4.7): true when every one is gone or released. */
export async function teardownPhase(
  specs: readonly SpecObject[],
  owner: PhaseOwner,
  deps: StepDeps,
): Promise<boolean> {
  const results = await mapLimit(specs, APPLY_CONCURRENCY, (spec) => teardownObject(spec, owner, deps));
  return results.every(Boolean);
}

/** `uidsOf` for objects already read (siblings from a LIST). */
export function ownAndPhaseUids(objects: readonly KubeObject[]): string[] {
  return objects.flatMap(uidsOf);
}
