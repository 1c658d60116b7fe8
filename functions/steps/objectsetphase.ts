/**
 * @module steps/objectsetphase
 * The (Cluster)ObjectSetPhase steps for the classes this host serves (docs/pko-compatibility.md §4.10; `default` unless
 * told otherwise): its one phase applied and probed with the ObjectSet's phase code, adoption from previous
 * revisions and siblings (ObjectSets of the same ObjectDeployment and their phases), teardown on deletion.
 * A phase of a class this host does not serve is left as it is, status included, for the host that does.
 */
import { FINALIZER_CACHED, LABEL_PHASE_CLASS } from '../../shared/api/constants.js';
import { objectSetPhaseSchema, parseResource, type ApiObjectSetPhase } from '../../shared/api/resources.js';
import { phaseOwnerOf, type PhaseOwner, type SpecObject } from '../../shared/phases/index.js';
import {
  DEFAULT_PHASE_CLASS,
  objectSetKindOf,
  phaseNameOf,
  siblingSelector,
} from '../../shared/phases/remote.js';
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
  ownAndPhaseUids,
  previousUids,
  type PhaseOutcome,
} from './phase.js';
import { objectsDeps, teardownAs, type ObjectsDeps } from './identity.js';
import { Conditions, ensureFinalizer, removeFinalizer } from './status.js';
import { inStep, type StepDeps, type StepResult } from './types.js';
import { KubeUnavailableError, isKubeReason } from '../../shared/kube-errors.js';
import { errorMessage } from '../../shared/errors.js';

/** The reason of an ObjectSetPhase whose target cluster cannot be used (`--hosted-clusters`). */
export const REASON_TARGET_UNAVAILABLE = 'TargetClusterUnavailable';
/** A phase whose target cluster cannot be used looks again this often (a Secret fixed is read on the next step). */
const TARGET_RETRY_MS = 15_000;

/**
 * With many target clusters: the deps of the phase's own cluster (`target` set), or why there is none. `gone`: no
 * HostedCluster has this control-plane namespace (any more), so there is nothing left to tear down there.
 */
async function withTarget(
  osp: ApiObjectSetPhase,
  deps: StepDeps,
): Promise<{ ok: true; deps: StepDeps; cluster?: string } | { ok: false; message: string; gone: boolean }> {
  if (deps.targets === undefined) return { ok: true, deps };
  const resolved = await deps.targets.resolve(osp.metadata.namespace ?? '');
  if (!resolved.ok) return { ok: false, message: resolved.message, gone: resolved.gone === true };
  const { targets: _many, ...rest } = deps;
  return { ok: true, deps: { ...rest, target: resolved.target }, cluster: resolved.cluster };
}

/** A target cluster that does not answer (network, TLS, credentials), in the phase's condition. */
function unreachable(error: unknown, cluster: string | undefined): string | undefined {
  if (cluster === undefined) return undefined;
  if (!(error instanceof KubeUnavailableError) && !isKubeReason(error, 'Unauthorized')) return undefined;
  return `hosted cluster ${cluster}: its API server cannot be used: ${errorMessage(error)}`;
}

/** UIDs an object may be handed over from: the previous ObjectSets, the siblings, and their phase objects. */
async function handoverUids(osp: ApiObjectSetPhase, deps: StepDeps): Promise<Set<string>> {
  const where = {
    apiVersion: osp.apiVersion,
    kind: objectSetKindOf(osp.kind),
    namespace: osp.metadata.namespace ?? '',
  };
  const uids = await previousUids(where, osp.spec.previous ?? [], deps);
  const selector = siblingSelector(osp.metadata.labels);
  if (selector !== undefined) {
    const siblings = await deps.kube.list(where.apiVersion, where.kind, where.namespace, {
      labelSelector: selector,
    });
    for (const uid of ownAndPhaseUids(siblings)) uids.add(uid);
  }
  uids.delete(osp.metadata.uid);
  return uids;
}

/**
 * The deps the phase's objects are managed with: the target cluster's client when this host applies into another
 * cluster (its kubeconfig's rights; this host's cache, impersonation and own-write memory are of the management
 * cluster and stay out: writes there are reported to the target's), else the identity's (steps/identity.ts).
 */
function phaseObjectsDeps(osp: ApiObjectSetPhase, deps: StepDeps): ObjectsDeps {
  if (deps.target === undefined) return objectsDeps(osp, deps);
  const { cache: _management, wrote: _ownWrites, impersonation: _identity, ...own } = deps;
  const wrote = deps.target.wrote;
  return { ok: true, deps: { ...own, kube: deps.target.kube, ...(wrote !== undefined ? { wrote } : {}) } };
}

/** The owner of the phase's objects: annotation owner strategy across clusters, as PKO's remote-phase manager. */
function ownerOf(osp: ApiObjectSetPhase, previous: ReadonlySet<string>, deps: StepDeps): PhaseOwner {
  const owner = phaseOwnerOf(osp, previous);
  return deps.target === undefined ? owner : { ...owner, strategy: 'annotation' };
}

function specsOf(osp: ApiObjectSetPhase, phase: string): SpecObject[] {
  return specObjects(new Map([[phase, osp.spec.objects]])).get(phase) ?? [];
}

/** Delete what this phase controls (release the rest); the finalizer goes once everything is gone. */
async function deletion(osp: ApiObjectSetPhase, raw: KubeObject, many: StepDeps): Promise<StepResult> {
  const finalizers = osp.metadata.finalizers ?? [];
  const resolved = await withTarget(osp, many);
  if (!resolved.ok && !resolved.gone)
    return {
      step: 'teardown',
      outcome: 'waiting',
      requeueAfterMs: TARGET_RETRY_MS,
      error: resolved.message,
    };
  const deps = resolved.ok ? resolved.deps : many;
  if (resolved.ok && finalizers.includes(FINALIZER_CACHED) && !finalizers.includes('orphan')) {
    const owner = ownerOf(osp, new Set(), deps);
    const specs = specsOf(osp, phaseNameOf(raw));
    if (!(await teardownAs(phaseObjectsDeps(osp, deps), true, (as) => teardownPhase(specs, owner, as))))
      return { step: 'teardown', outcome: 'waiting', requeueAfterMs: TEARDOWN_POLL_MS };
  }
  await removeFinalizer(deps.kube, raw, FINALIZER_CACHED);
  return { step: 'teardown', outcome: 'done' };
}

/**
 * One reconcile of a (Cluster)ObjectSetPhase; undefined when its class is not one this host serves (nothing
 * is written then).
 */
export async function reconcileObjectSetPhase(
  input: KubeObject,
  deps: StepDeps,
): Promise<StepResult | undefined> {
  const osp = parseResource(objectSetPhaseSchema, input);
  const phaseClass = osp.metadata.labels?.[LABEL_PHASE_CLASS] ?? '';
  if (!(deps.phaseClasses ?? [DEFAULT_PHASE_CLASS]).includes(phaseClass)) return undefined;
  if (osp.metadata.deletionTimestamp !== undefined)
    return inStep('teardown', () => deletion(osp, input, deps));
  const resolved = await withTarget(osp, deps);
  if (!resolved.ok) return targetUnavailable(osp, input, resolved.message, deps);
  return reconcileWith(osp, input, resolved.deps, resolved.cluster);
}

/** The phase's Available condition when its target cluster cannot be used; nothing is applied. */
async function targetUnavailable(
  osp: ApiObjectSetPhase,
  input: KubeObject,
  message: string,
  deps: StepDeps,
): Promise<StepResult> {
  const raw = await ensureFinalizer(deps.kube, input, FINALIZER_CACHED);
  deps.wrote?.(raw);
  const conds = new Conditions(osp.status.conditions, osp.metadata.generation, deps.clock.now());
  conds.set('Available', 'False', REASON_TARGET_UNAVAILABLE, message);
  return {
    object: raw,
    phase: phaseNameOf(raw),
    step: 'apply-phase',
    outcome: 'waiting',
    requeueAfterMs: TARGET_RETRY_MS,
    error: message,
    status: { ...osp.status, conditions: conds.toJSON() },
  };
}

async function reconcileWith(
  osp: ApiObjectSetPhase,
  input: KubeObject,
  deps: StepDeps,
  cluster: string | undefined,
): Promise<StepResult> {
  const raw = await ensureFinalizer(deps.kube, input, FINALIZER_CACHED);
  deps.wrote?.(raw);
  const phase = phaseNameOf(raw);
  const conds = new Conditions(osp.status.conditions, osp.metadata.generation, deps.clock.now());
  conds.removeMapped();
  const tenant = phaseObjectsDeps(osp, deps);
  let outcome: PhaseOutcome;
  if (!tenant.ok)
    outcome = { controlled: [], mapped: [], failure: { reason: 'PreflightError', message: tenant.message } };
  else {
    // Read in this host's cluster, before the target's calls (whose failures say the target cannot be used).
    const owner = ownerOf(osp, await handoverUids(osp, deps), deps);
    try {
      outcome = await reconcilePhase(
        phase,
        specsOf(osp, phase),
        owner,
        { paused: osp.spec.paused === true, probes: osp.spec.availabilityProbes ?? [] },
        tenant.deps,
      );
    } catch (error) {
      const message = unreachable(error, cluster);
      if (message === undefined) throw error;
      return targetUnavailable(osp, raw, message, deps);
    }
  }
  for (const m of outcome.mapped) conds.set(m.type, m.status, m.reason, m.message);
  if (osp.spec.paused === true) conds.set('Paused', 'True', 'Paused', MSG_PAUSED);
  else conds.remove('Paused');
  // A watching host watches the kinds of the objects where they are: here, or in the target cluster.
  const kinds = managedKindsOf(specsOf(osp, phase));
  const base = {
    object: raw,
    ...(deps.target === undefined ? { managedKinds: kinds } : { targetKinds: kinds }),
    phase,
  };
  const failure = outcome.failure;
  if (failure === undefined) {
    conds.set('Available', 'True', 'Available', MSG_AVAILABLE);
    const status = { ...osp.status, controllerOf: outcome.controlled, conditions: conds.toJSON() };
    return { ...base, step: 'probe', outcome: 'done', status };
  }
  // PKO's ObjectSetPhase reports its probe failures without the phase; the ObjectSet adds it.
  conds.set('Available', 'False', failure.reason, failure.withoutPhase ?? failure.message);
  return {
    ...base,
    ...failedPhase(failure, osp.status.progress?.attempt ?? 0),
    status: { ...osp.status, controllerOf: outcome.controlled, conditions: conds.toJSON() },
  };
}
