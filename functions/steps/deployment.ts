/**
 * @module steps/deployment
 * The (Cluster)ObjectDeployment `rollout` step (docs/pko-compatibility.md §3): template hash and collision count, a new
 * ObjectSet revision with `previous`, pause propagation, archival (pause first, then archive, oldest first),
 * history GC counting archived revisions only, and the conditions of §3.5.
 */
import {
  ANNOTATION_HASH,
  ANNOTATION_PAUSED_BY_PARENT,
  FINALIZER_CACHED,
  FINALIZER_METRICS,
  LABEL_OBJECT_DEPLOYMENT,
} from '../../shared/api/constants.js';
import { refOf } from '../../shared/api/objects.js';
import {
  objectDeploymentSchema,
  objectSetSchema,
  parseResource,
  type ApiObjectDeployment,
  type ApiObjectSet,
} from '../../shared/api/resources.js';
import { identityAnnotationPatch } from '../../shared/identity.js';
import { getOrUndefined, isKubeReason } from '../../shared/kube-errors.js';
import { selectorString } from '../../shared/probing/selector.js';
import { deepEqual } from '../../shared/probing/index.js';
import type { KubeObject } from '../../shared/ports.js';
import {
  archiveCandidates,
  deploymentConditions,
  isTrue,
  splitRevisions,
  templateOf,
  templateHash,
  type Revisions,
} from '../../shared/steps/deployment.js';
import { Conditions } from './status.js';
import type { StepDeps, StepResult } from './types.js';

function setKind(od: ApiObjectDeployment): 'ObjectSet' | 'ClusterObjectSet' {
  return od.kind === 'ClusterObjectDeployment' ? 'ClusterObjectSet' : 'ObjectSet';
}

async function listSets(
  od: ApiObjectDeployment,
  deps: StepDeps,
): Promise<{ raw: KubeObject; set: ApiObjectSet }[]> {
  const items = await deps.kube.list(od.apiVersion, setKind(od), od.metadata.namespace ?? '', {
    labelSelector: selectorString(od.spec.selector),
  });
  return items
    .filter((raw) =>
      (raw.metadata.ownerReferences ?? []).some((o) => o.uid === od.metadata.uid && o.controller === true),
    )
    .map((raw) => ({ raw, set: parseResource(objectSetSchema, raw) }));
}

function newObjectSet(od: ApiObjectDeployment, hash: string, previous: readonly ApiObjectSet[]): KubeObject {
  const { [ANNOTATION_PAUSED_BY_PARENT]: _p, ...annotations } = od.metadata.annotations ?? {};
  const last = previous.at(-1);
  return {
    apiVersion: od.apiVersion,
    kind: setKind(od),
    metadata: {
      name: `${od.metadata.name}-${hash}`,
      ...(od.metadata.namespace !== undefined ? { namespace: od.metadata.namespace } : {}),
      labels: { ...(od.spec.template.metadata.labels ?? {}), [LABEL_OBJECT_DEPLOYMENT]: od.metadata.name },
      annotations: { ...annotations, [ANNOTATION_HASH]: hash },
      finalizers: [FINALIZER_CACHED, FINALIZER_METRICS],
      ownerReferences: [
        {
          apiVersion: od.apiVersion,
          kind: od.kind,
          name: od.metadata.name,
          uid: od.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...od.spec.template.spec,
      ...(previous.length > 0 ? { previous: previous.map((p) => ({ name: p.metadata.name })) } : {}),
      revision: (last?.spec.revision ?? 0) + 1,
    },
  };
}

/**
 * How recent an answer of the API server is taken as what it has now: a deletion or a new template within this
 * window makes a revision that the deletion tears down or the next revision replaces, as one between a GET and the
 * create would.
 */
const FRESH_ANSWER_MS = 1_000;

/**
 * Where the step read the ObjectDeployment from a watch cache: whether the API server still has it as read. A
 * create is guarded by no resourceVersion, so a cache that has not yet seen the deletion (or a new template) would
 * make a revision the deletion then has to tear down. One GET per new revision, unless the version read is the one
 * the API server answered this host with within the last second (the Package step's apply of it, as a new
 * Package's first revision is made).
 */
async function stillAsRead(od: ApiObjectDeployment, deps: StepDeps): Promise<'yes' | 'gone' | 'changed'> {
  if (deps.cache === undefined) return 'yes';
  const rv = od.metadata.resourceVersion;
  const ago = rv === undefined ? undefined : await deps.cache.answeredAgoMs?.(refOf(od), rv);
  if (ago !== undefined && ago <= FRESH_ANSWER_MS) return 'yes';
  const now = await getOrUndefined(deps.kube, refOf(od), { fresh: true });
  if (
    now === undefined ||
    now.metadata.uid !== od.metadata.uid ||
    now.metadata.deletionTimestamp !== undefined
  )
    return 'gone';
  return now.metadata.resourceVersion === od.metadata.resourceVersion ? 'yes' : 'changed';
}

/** Create the next revision; on AlreadyExists tell a slow cache from a hash collision (§3.2 step 5). */
async function createRevision(
  od: ApiObjectDeployment,
  hash: string,
  previous: readonly ApiObjectSet[],
  deps: StepDeps,
): Promise<'created' | 'exists' | 'collision' | 'gone' | 'changed'> {
  const asRead = await stillAsRead(od, deps);
  if (asRead !== 'yes') return asRead;
  const desired = newObjectSet(od, hash, previous);
  try {
    await deps.kube.create(desired);
    return 'created';
  } catch (error) {
    if (!isKubeReason(error, 'AlreadyExists')) throw error;
  }
  const found = parseResource(objectSetSchema, await deps.kube.get(refOf(desired)));
  const latest = previous.at(-1)?.spec.revision ?? 0;
  const controlled = (found.metadata.ownerReferences ?? []).some(
    (o) => o.uid === od.metadata.uid && o.controller === true,
  );
  const sameSpec =
    deepEqual(found.spec.phases, od.spec.template.spec.phases) &&
    deepEqual(found.spec.availabilityProbes ?? [], od.spec.template.spec.availabilityProbes ?? []);
  if (found.spec.lifecycleState !== 'Archived' && found.spec.revision >= latest && controlled && sameSpec)
    return 'exists';
  return 'collision';
}

/** Pause propagation (§2.8): paused by the parent, or released when the parent unpauses. */
async function propagatePause(
  od: ApiObjectDeployment,
  sets: readonly { raw: KubeObject; set: ApiObjectSet }[],
  deps: StepDeps,
): Promise<void> {
  const paused = od.spec.paused === true;
  for (const { raw, set } of sets) {
    if (set.spec.lifecycleState === 'Archived') continue;
    const byParent = set.metadata.annotations?.[ANNOTATION_PAUSED_BY_PARENT] === 'true';
    if (paused && set.spec.lifecycleState === 'Active')
      await deps.kube.mergePatch(refOf(raw), {
        metadata: { annotations: { [ANNOTATION_PAUSED_BY_PARENT]: 'true' } },
        spec: { lifecycleState: 'Paused' },
      });
    else if (!paused && byParent)
      await deps.kube.mergePatch(refOf(raw), {
        metadata: { annotations: { [ANNOTATION_PAUSED_BY_PARENT]: null } },
        spec: { lifecycleState: 'Active' },
      });
  }
}

/**
 * The ObjectDeployment's ServiceAccount annotation onto its ObjectSets that are not archived (changing whose rights
 * a Package's objects are managed with is no new revision).
 */
async function propagateIdentity(
  od: ApiObjectDeployment,
  sets: readonly { raw: KubeObject; set: ApiObjectSet }[],
  deps: StepDeps,
): Promise<void> {
  for (const { raw, set } of sets) {
    if (set.spec.lifecycleState === 'Archived') continue;
    const annotations = identityAnnotationPatch(od.metadata.annotations, set.metadata.annotations);
    if (annotations !== undefined) await deps.kube.mergePatch(refOf(raw), { metadata: { annotations } });
  }
}

/** Archival: pause candidates first; once they report Paused, archive them oldest first; then history GC. */
async function archive(
  od: ApiObjectDeployment,
  sets: readonly { raw: KubeObject; set: ApiObjectSet }[],
  deps: StepDeps,
): Promise<boolean> {
  let changed = false;
  const candidates = archiveCandidates(sets.map((s) => s.set));
  for (const candidate of candidates) {
    const raw = sets.find((s) => s.set.metadata.uid === candidate.metadata.uid)?.raw;
    if (raw === undefined) continue;
    const state = candidate.spec.lifecycleState;
    if (state === 'Active') {
      await deps.kube.mergePatch(refOf(raw), { spec: { lifecycleState: 'Paused' } });
      changed = true;
    } else if (state === 'Paused' && isTrue(candidate, 'Paused')) {
      await deps.kube.mergePatch(refOf(raw), { spec: { lifecycleState: 'Archived' } });
      changed = true;
    }
  }
  const archived = sets
    .filter((s) => s.set.spec.lifecycleState === 'Archived')
    .sort((a, b) => a.set.spec.revision - b.set.spec.revision);
  const excess = archived.length - od.spec.revisionHistoryLimit;
  for (const { raw } of archived.slice(0, Math.max(0, excess))) {
    await deps.kube
      .delete(refOf(raw), { preconditions: { uid: raw.metadata.uid } })
      .catch((error: unknown) => {
        if (!isKubeReason(error, 'NotFound')) throw error;
      });
    changed = true;
  }
  return changed;
}

/**
 * New revision or archival; returns when to run again, 'collision' when the hash collided, or 'reread' when the
 * server's ObjectDeployment is newer than the one read.
 */
async function rollout(
  od: ApiObjectDeployment,
  hash: string,
  sets: readonly { raw: KubeObject; set: ApiObjectSet }[],
  deps: StepDeps,
): Promise<number | 'collision' | 'reread' | undefined> {
  if (od.spec.paused === true) return undefined;
  const revisions = splitRevisions(
    sets.map((s) => s.set),
    hash,
    templateOf(od),
  );
  if (revisions.current === undefined) {
    if (od.spec.template.spec.phases.length === 0) return undefined;
    const created = await createRevision(od, hash, revisions.previous, deps);
    if (created === 'gone') return undefined; // its deletion's event runs the teardown
    if (created === 'changed') return 'reread';
    return created === 'collision' ? 'collision' : 0;
  }
  return (await archive(od, sets, deps)) ? 1_000 : undefined;
}

/** `status` of the ObjectDeployment from its revisions (§3.5). */
function deploymentStatus(
  od: ApiObjectDeployment,
  hash: string,
  conds: Conditions,
  revisions: Revisions,
): {
  status: Record<string, unknown>;
  done: boolean;
} {
  const table = deploymentConditions(revisions);
  conds.removeMapped();
  for (const c of table.set) conds.set(c.type, c.status, c.reason, c.message);
  for (const t of table.remove) conds.remove(t);
  const current = revisions.current;
  for (const c of current?.status.conditions ?? [])
    if (c.type.includes('/') && c.observedGeneration === current?.metadata.generation) conds.copy(c);
  const all = [...revisions.previous, ...(current !== undefined ? [current] : [])];
  // Without a current revision PKO reports the oldest previous one (a HEAD quirk); the newest is what serves.
  const revision = current?.spec.revision ?? revisions.previous.at(-1)?.spec.revision;
  const controllerOf = all.map((s) => ({
    kind: s.kind,
    group: 'package-operator.run',
    version: 'v1alpha1',
    name: s.metadata.name,
    ...(s.metadata.namespace !== undefined ? { namespace: s.metadata.namespace } : {}),
  }));
  return {
    status: {
      ...od.status,
      templateHash: hash,
      conditions: conds.toJSON(),
      ...(revision !== undefined ? { revision } : {}),
      ...(table.reportControllerOf ? { controllerOf } : {}),
    },
    done: table.reportControllerOf,
  };
}

/** One rollout step of an ObjectDeployment. */
export async function reconcileObjectDeployment(raw: KubeObject, deps: StepDeps): Promise<StepResult> {
  const od = parseResource(objectDeploymentSchema, raw);
  if (od.metadata.deletionTimestamp !== undefined) return { step: 'rollout', outcome: 'done' };
  const hash = templateHash(raw);
  const sets = await listSets(od, deps);
  if (sets.some((s) => s.set.spec.revision === 0))
    return { step: 'rollout', outcome: 'waiting', requeueAfterMs: 5_000 };
  await propagatePause(od, sets, deps);
  await propagateIdentity(od, sets, deps);
  const next = await rollout(od, hash, sets, deps);
  // The server has a newer version than the one read (the fresh read is now in the cache): decide again from it.
  if (next === 'reread') return { step: 'rollout', outcome: 'progressing', requeueAfterMs: 0 };
  if (next === 'collision')
    return {
      step: 'rollout',
      outcome: 'progressing',
      status: { ...od.status, collisionCount: (od.status.collisionCount ?? 0) + 1 },
      requeueAfterMs: 0,
    };
  const conds = new Conditions(od.status.conditions, od.metadata.generation, deps.clock.now());
  const revisionsOf = (of: readonly { set: ApiObjectSet }[]): Revisions =>
    splitRevisions(
      of.map((s) => s.set),
      hash,
      templateOf(od),
    );
  let { status, done } = deploymentStatus(od, hash, conds, revisionsOf(sets));
  // A revision just created: its status is what PKO shows after the reconcile its creation triggers (Progressing
  // with the revision pending, no ObjectSet available), reported now from a fresh list (a watching host answers it
  // from its cache). The step runs again when the new ObjectSet writes its status, not at once.
  const created = next === 0;
  if (created) ({ status, done } = deploymentStatus(od, hash, conds, revisionsOf(await listSets(od, deps))));
  return {
    step: 'rollout',
    outcome: done ? 'done' : 'progressing',
    status,
    ...(next !== undefined && !created ? { requeueAfterMs: next } : {}),
  };
}
