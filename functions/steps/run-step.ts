/**
 * @module steps/run-step
 * `runStep(key)`: GET the object, run its kind's step, write status once (guarded by resourceVersion: a 409
 * drops the write and re-triggers the key, never forced), record progress and the next due time in
 * `status.progress`, and map errors to back-off: terminal errors wait for a spec change, retryable ones
 * back off exponentially with a cap. Any host (runner, webhook server, Lambda) calls this.
 */
import { isReconciledKind, KINDS, type ReconciledKind } from '../../shared/api/constants.js';
import { isRecord } from '../../shared/api/objects.js';
import { errorMessage, RetryableError, TerminalError } from '../../shared/errors.js';
import { isConflict, isKubeReason, isNotFound } from '../../shared/kube-errors.js';
import {
  conditionsOf,
  conditionTransitions,
  eventKey,
  newEvent,
  goodNewsToldByPackage,
  recordsEvents,
  repeatedEvent,
  type Transition,
} from '../../shared/events/transitions.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import { statusWorthWriting } from '../../shared/steps/progress.js';
import { reconcileObjectDeployment } from './deployment.js';
import { reconcileObjectSet } from './objectset.js';
import { reconcileObjectSetPhase } from './objectsetphase.js';
import { reconcileObjectTemplate } from './objecttemplate.js';
import { reconcilePackage } from './package.js';
import { reconcilePackageRepository } from './repository.js';
import { backoffMs } from './status.js';
import { StepError, type Outcome, type StepDeps, type StepResult } from './types.js';

/** A kind's step; undefined when the object is not this host's to reconcile (an ObjectSetPhase of another class). */
export type StepHandler = (object: KubeObject, deps: StepDeps) => Promise<StepResult | undefined>;

/** The step of every kind the registry says the engine reconciles (the type requires one for each, no other). */
const HANDLERS: Readonly<Record<ReconciledKind, StepHandler>> = {
  Package: reconcilePackage,
  ClusterPackage: reconcilePackage,
  ObjectDeployment: reconcileObjectDeployment,
  ClusterObjectDeployment: reconcileObjectDeployment,
  ObjectSet: reconcileObjectSet,
  ClusterObjectSet: reconcileObjectSet,
  ObjectSetPhase: reconcileObjectSetPhase,
  ClusterObjectSetPhase: reconcileObjectSetPhase,
  ObjectTemplate: reconcileObjectTemplate,
  ClusterObjectTemplate: reconcileObjectTemplate,
  PackageRepository: reconcilePackageRepository,
};

const ERROR_BACKOFF_BASE_MS = 1_000;
const ERROR_BACKOFF_CAP_MS = 300_000;

export interface StepRecord {
  readonly key: ObjectRef;
  readonly step: string;
  readonly outcome: Outcome;
  readonly durationMs: number;
  readonly requeueAfterMs?: number;
  readonly error?: string;
}

export interface RunStepDeps extends StepDeps {
  /** One record per finished step (a log line, metrics). */
  readonly record?: (record: StepRecord) => void;
  /**
   * A host that outlives its steps takes the step's Event writes and does them after it (hosts/event-lane.ts), so
   * a step's latency never includes its Events. Undefined (`serve`, Lambda, which end with the step): the step
   * writes them itself before it returns.
   */
  readonly deferEvents?: (write: () => Promise<void>) => void;
}

export interface RunStepResult {
  /** Run the key again after this delay; undefined: wait for a change. */
  readonly requeueAfterMs?: number;
  readonly outcome: Outcome;
  /** The object the step worked on (as read at its start): hosts read its spec without another GET. */
  readonly object?: KubeObject;
  /** The step changed the object's status (a watch-less host then runs its controller's step). */
  readonly wroteStatus?: boolean;
  /** What the step says a watching host should watch for this key (`sources`, `managedKinds`, `targetKinds`). */
  readonly watch?: Pick<StepResult, 'sources' | 'managedKinds' | 'targetKinds'>;
}

function progressOf(status: unknown): Record<string, unknown> {
  const p = isRecord(status) ? status['progress'] : undefined;
  return isRecord(p) ? p : {};
}

function attemptOf(status: unknown, step: string): number {
  const p = progressOf(status);
  return p['step'] === step && typeof p['attempt'] === 'number' ? p['attempt'] : 0;
}

/** The progress record of a step result. */
function progress(
  object: KubeObject,
  result: Pick<StepResult, 'step' | 'outcome' | 'requeueAfterMs' | 'phase' | 'error'>,
  now: Date,
): Record<string, unknown> {
  const failing = result.outcome === 'waiting' || result.outcome === 'failed';
  const attempt = failing ? attemptOf(object['status'], result.step) + 1 : 0;
  return {
    step: result.outcome === 'done' ? 'done' : result.step,
    ...(result.phase !== undefined ? { phase: result.phase } : {}),
    ...(attempt > 0 ? { attempt } : {}),
    ...(result.requeueAfterMs !== undefined && result.requeueAfterMs > 0
      ? {
          nextAttemptTime: new Date(now.getTime() + result.requeueAfterMs)
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z'),
        }
      : {}),
    ...(result.error !== undefined ? { lastError: result.error.slice(0, 1024) } : {}),
    observedGeneration: object.metadata.generation ?? 0,
  };
}

/**
 * What an error means for the key: a step result with its back-off, under the step that threw (a StepError's), or
 * the kind's first step. A conflict runs again at once; a retryable error after its delay; a terminal one waits for
 * a change of the object; anything else backs off exponentially.
 */
function resultOfError(object: KubeObject, kind: ReconciledKind, thrown: unknown): StepResult {
  const name = thrown instanceof StepError ? thrown.step : KINDS[kind].step;
  const error = thrown instanceof StepError ? thrown.cause : thrown;
  const message = errorMessage(error);
  if (isConflict(error)) return { step: name, outcome: 'progressing', requeueAfterMs: 0 };
  if (error instanceof RetryableError)
    return { step: name, outcome: 'failed', requeueAfterMs: error.retryAfterMs, error: message };
  if (error instanceof TerminalError) return { step: name, outcome: 'failed', error: message };
  const attempt = attemptOf(object['status'], name);
  return {
    step: name,
    outcome: 'failed',
    requeueAfterMs: backoffMs(attempt, ERROR_BACKOFF_BASE_MS, ERROR_BACKOFF_CAP_MS),
    error: message,
  };
}

async function writeStatus(
  object: KubeObject,
  status: Record<string, unknown>,
  deps: RunStepDeps,
): Promise<'written' | 'unchanged' | 'conflict' | 'gone'> {
  if (!statusWorthWriting(object['status'], status)) return 'unchanged';
  try {
    const written = await deps.kube.updateStatus({ ...object, status });
    deps.wrote?.(written);
    return 'written';
  } catch (error) {
    if (isConflict(error)) return 'conflict';
    if (isNotFound(error)) return 'gone';
    throw error;
  }
}

/** Record one transition: a new Event, or the same transition's Event counted once more. */
async function recordEvent(object: KubeObject, t: Transition, deps: RunStepDeps): Promise<void> {
  const now = deps.clock.now();
  try {
    await deps.kube.create(newEvent(object, t, now));
  } catch (error) {
    if (!isKubeReason(error, 'AlreadyExists')) throw error;
    const key = eventKey(object, t);
    const existing = await deps.kube.get({ apiVersion: 'v1', kind: 'Event', ...key });
    await deps.kube.update(repeatedEvent(existing, t, now));
  }
}

/**
 * Events for the condition transitions of a status write that succeeded (shared/events/transitions.ts). Best
 * effort: an Event that cannot be written (no RBAC, a conflict, a server hiccup) never fails the step.
 */
async function recordEvents(
  object: KubeObject,
  status: Record<string, unknown>,
  deps: RunStepDeps,
): Promise<void> {
  if (!recordsEvents(object)) return;
  const toldByPackage = goodNewsToldByPackage(object);
  const transitions = conditionTransitions(conditionsOf(object['status']), conditionsOf(status)).filter(
    (t) => t.eventType === 'Warning' || !toldByPackage,
  );
  if (transitions.length === 0) return;
  const write = async (): Promise<void> => {
    for (const t of transitions) {
      try {
        await recordEvent(object, t, deps);
      } catch {
        // best effort (see above)
      }
    }
  };
  if (deps.deferEvents !== undefined) deps.deferEvents(write);
  else await write();
}

/** What a watching host should watch for the key, from the step's result. */
function watchOf(result: StepResult): NonNullable<RunStepResult['watch']> {
  return {
    ...(result.sources ? { sources: result.sources } : {}),
    ...(result.managedKinds ? { managedKinds: result.managedKinds } : {}),
    ...(result.targetKinds ? { targetKinds: result.targetKinds } : {}),
  };
}

/** Run one step for a key. Never throws for problems of the object; the result says when to run again. */
export async function runStep(key: ObjectRef, deps: RunStepDeps): Promise<RunStepResult> {
  if (!isReconciledKind(key.kind)) return { outcome: 'ignored' };
  const handler = HANDLERS[key.kind];
  const started = deps.clock.now().getTime();
  let object: KubeObject;
  try {
    object = await deps.kube.get(key);
  } catch (error) {
    if (isNotFound(error)) return { outcome: 'gone' };
    throw error;
  }
  let result: StepResult;
  try {
    const handled = await handler(object, deps);
    if (handled === undefined) return { outcome: 'ignored', object };
    result = handled;
  } catch (error) {
    result = resultOfError(object, key.kind, error);
  }
  const latest = result.object ?? object;
  const now = deps.clock.now();
  const base = result.status ?? (isRecord(latest['status']) ? latest['status'] : {});
  let requeueAfterMs = result.requeueAfterMs;
  let outcome: Outcome = result.outcome;
  let error = result.error;
  let wroteStatus = false;
  if (latest.metadata.deletionTimestamp === undefined || result.status !== undefined) {
    const written = await writeStatus(
      latest,
      { ...base, progress: progress(latest, result, now) },
      deps,
    ).catch((writeError: unknown) => {
      requeueAfterMs = backoffMs(
        attemptOf(latest['status'], result.step),
        ERROR_BACKOFF_BASE_MS,
        ERROR_BACKOFF_CAP_MS,
      );
      outcome = 'status-write-failed';
      error = `status write: ${errorMessage(writeError)}`;
      return 'failed' as const;
    });
    wroteStatus = written === 'written';
    if (wroteStatus) await recordEvents(latest, base, deps);
    if (written === 'conflict') {
      requeueAfterMs = 0;
      outcome = 'conflict';
    } else if (written === 'gone') outcome = 'gone';
  }
  deps.record?.({
    key,
    step: result.step,
    outcome,
    durationMs: deps.clock.now().getTime() - started,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
    ...(error !== undefined ? { error } : {}),
  });
  const watch = watchOf(result);
  return { outcome, object, wroteStatus, watch, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
}
