/**
 * @module hypershift/fleet-rollout
 * One reconcile of PKO v1.19.0's HostedClusterPackage controller around the decisions of hosted-cluster-package.ts,
 * pure: the object parsed at the boundary, its Package for a HostedCluster (named after it, in the HostedCluster's
 * control-plane namespace, the template's labels and annotations, a controller owner reference to it), the
 * processing queue rebuilt (Packages gone, recreated, or updated and Available leave it), the plan (which Packages
 * to create and to update, the queue to persist) and the status PKO writes (counts left out when zero, the three
 * conditions, `processing`).
 *
 * Gantry's extension, the stop on failure: the annotation `gantry.run/max-failed-clusters: "N"` on a
 * HostedClusterPackage pauses its rollout once more than N Packages that already have the template's spec failed
 * (for their generation: `Unpacked` False, `Invalid` True, or `Available` False while `Progressing` False). Then
 * no Package is updated (new HostedClusters still get theirs) and `Progressing` is False with reason
 * `RolloutStopped`. An annotation, not a spec field, so PKO's objects and schema stay as they are.
 *
 * Its progress deadline: with `gantry.run/cluster-progress-deadline: "10m"` (a Go duration) a Package with the
 * template's spec that has not settled (`Available` True and `Progressing` False for its generation) that long
 * after it got the template's spec counts as failed too: a new revision whose probe never passes stays
 * `Progressing` True forever, and the Package stays `Available` from its previous revision, so the rules above
 * never see it. For the same reason, such a Package holds its slot of a rolling upgrade's budget until it settles
 * or is late (else it frees it at once, and the rollout reaches every partition before any deadline passes). A value that is
 * not a positive duration stops the rollout (its message says why) rather than silently dropping the guard.
 */
import { z } from 'zod';
import { API_VERSION } from '../api/constants.js';
import { setCondition } from '../api/conditions.js';
import type { Condition } from '../api/generated/crds.js';
import { isRecord } from '../api/objects.js';
import { hostedClusterNamespace } from '../packages/environment.js';
import { matchesSelector } from '../probing/selector.js';
import { goDurationMs } from '../pko-knobs.js';
import { canonicalJson } from '../render/hash.js';
import type { KubeObject, ObjectRef } from '../ports.js';
import {
  disruptionBudget,
  fleetConditions,
  fleetState,
  type FleetMember,
  type FleetPackage,
  type FleetSpec,
  type FleetState,
} from './hosted-cluster-package.js';

export const HOSTED_CLUSTER_PACKAGE_KIND = 'HostedClusterPackage';
/** Gantry's stop on failure: how many updated Packages may fail before the rollout pauses. */
export const ANNOTATION_MAX_FAILED_CLUSTERS = 'gantry.run/max-failed-clusters';
export const REASON_ROLLOUT_STOPPED = 'RolloutStopped';
/** Gantry's progress deadline: how long an updated Package may take to settle before it counts as failed. */
export const ANNOTATION_CLUSTER_PROGRESS_DEADLINE = 'gantry.run/cluster-progress-deadline';
/**
 * On a Package: when this controller last gave it the template's spec (RFC 3339), the start of its progress
 * deadline. Written in the same request as the spec (so it cannot be lost between the two), on the Package
 * itself (so it survives a restart and is dropped with the Package), and by this controller only (the Package's
 * own `Progressing` lastTransitionTime is not enough: a Package still progressing to an older template when it
 * gets the new one keeps the older transition time, and would be late too soon).
 */
export const ANNOTATION_TEMPLATE_APPLIED_AT = 'gantry.run/template-applied-at';

const stringMap = z.record(z.string(), z.string());
const processingRef = z.object({ uid: z.string(), name: z.string(), namespace: z.string().optional() });

const hcpkgSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    uid: z.string().min(1),
    generation: z.number().int().optional(),
    resourceVersion: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    annotations: stringMap.optional(),
  }),
  spec: z.object({
    strategy: z
      .object({
        instant: z.object({}).loose().optional(),
        rollingUpgrade: z.object({ maxUnavailable: z.number().int().min(1) }).optional(),
      })
      .default({ instant: {} }),
    hostedClusterSelector: z
      .object({
        matchLabels: stringMap.optional(),
        matchExpressions: z
          .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
          .optional(),
      })
      .optional(),
    template: z.object({
      metadata: z
        .object({ labels: stringMap.optional(), annotations: stringMap.optional() })
        .loose()
        .optional(),
      spec: z.record(z.string(), z.unknown()),
    }),
    partition: z
      .object({
        labelKey: z.string().min(1),
        order: z
          .object({
            static: z.array(z.string()).optional(),
            alphanumericAsc: z.object({}).loose().optional(),
          })
          .optional(),
      })
      .optional(),
  }),
  status: z
    .object({
      conditions: z
        .array(
          z
            .object({
              type: z.string(),
              status: z.enum(['True', 'False', 'Unknown']),
              reason: z.string(),
              message: z.string(),
              lastTransitionTime: z.string(),
              observedGeneration: z.number().optional(),
            })
            .loose(),
        )
        .optional(),
      processing: z.array(processingRef).optional(),
    })
    .loose()
    .optional(),
});

export type HostedClusterPackage = z.infer<typeof hcpkgSchema>;
export type ProcessingRef = z.infer<typeof processingRef>;

export function parseHostedClusterPackage(
  raw: unknown,
):
  | { readonly ok: true; readonly value: HostedClusterPackage }
  | { readonly ok: false; readonly message: string } {
  const parsed = hcpkgSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
}

export function hostedClusterPackageRef(name: string): ObjectRef {
  return { apiVersion: API_VERSION, kind: HOSTED_CLUSTER_PACKAGE_KIND, namespace: '', name };
}

/** The Package of `hcpkg` for the HostedCluster `namespace/name`. */
export function fleetPackageRef(
  hcpkgName: string,
  hc: { readonly namespace: string; readonly name: string },
): ObjectRef {
  return {
    apiVersion: API_VERSION,
    kind: 'Package',
    namespace: hostedClusterNamespace(hc.namespace, hc.name),
    name: hcpkgName,
  };
}

/**
 * A Package spec as PKO compares it (typed, `equality.Semantic.DeepEqual`): the zero values of its fields
 * (`paused: false`, `component: ''`) are the same as absent.
 */
export function comparablePackageSpec(spec: unknown): Record<string, unknown> {
  if (!isRecord(spec)) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined || value === null || value === false || value === '') continue;
    out[key] = value;
  }
  return out;
}

const packageStatusSchema = z.object({
  metadata: z
    .object({ uid: z.string(), generation: z.number().int().optional(), annotations: stringMap.optional() })
    .loose(),
  spec: z.unknown().optional(),
  status: z
    .object({
      conditions: z
        .array(
          z
            .object({
              type: z.string(),
              status: z.string(),
              observedGeneration: z.number().optional(),
              lastTransitionTime: z.string().optional(),
            })
            .loose(),
        )
        .optional(),
    })
    .loose()
    .optional(),
});

/** A time as epoch ms; undefined when absent or not a time. */
function timeOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A Package object as the decisions read it (undefined: not a Package). */
export function fleetPackageOf(raw: unknown): FleetPackage | undefined {
  const parsed = packageStatusSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { metadata, spec, status } = parsed.data;
  const appliedAt = timeOf(metadata.annotations?.[ANNOTATION_TEMPLATE_APPLIED_AT]);
  return {
    uid: metadata.uid,
    generation: metadata.generation ?? 0,
    spec: comparablePackageSpec(spec),
    conditions: (status?.conditions ?? []).map((c) => {
      const since = timeOf(c.lastTransitionTime);
      return {
        type: c.type,
        status: c.status,
        ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
        ...(since !== undefined ? { lastTransitionTime: since } : {}),
      };
    }),
    ...(appliedAt !== undefined ? { templateAppliedAt: appliedAt } : {}),
  };
}

/** The decisions' view of the HostedClusterPackage. */
export function fleetSpecOf(hcpkg: HostedClusterPackage, processing: readonly ProcessingRef[]): FleetSpec {
  const { strategy, partition, template } = hcpkg.spec;
  return {
    strategy: {
      ...(strategy.instant !== undefined ? { instant: strategy.instant } : {}),
      ...(strategy.rollingUpgrade !== undefined ? { rollingUpgrade: strategy.rollingUpgrade } : {}),
    },
    ...(partition !== undefined
      ? {
          partition: {
            labelKey: partition.labelKey,
            ...(partition.order !== undefined
              ? {
                  order: {
                    ...(partition.order.static !== undefined ? { static: partition.order.static } : {}),
                    ...(partition.order.alphanumericAsc !== undefined
                      ? { alphanumericAsc: partition.order.alphanumericAsc }
                      : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    templateSpec: comparablePackageSpec(template.spec),
    processing: processing.map((p) => p.uid),
  };
}

/** PKO's `packageConditionIs`. */
function conditionIs(pkg: FleetPackage, type: string, status: string): boolean {
  const c = pkg.conditions.find((x) => x.type === type);
  return c !== undefined && c.status === status && (c.observedGeneration ?? 0) === pkg.generation;
}

const isAvailable = (p: FleetPackage): boolean => conditionIs(p, 'Available', 'True');

/**
 * PKO's `rebuildProcessingQueue`: the queue without the Packages that are gone, were recreated (another uid), or
 * have the template's spec and are Available. `found` holds the Packages of the queue as they are now.
 */
export function rebuildProcessing(
  hcpkg: HostedClusterPackage,
  found: ReadonlyMap<string, FleetPackage>,
): ProcessingRef[] {
  const template = canonicalJson(comparablePackageSpec(hcpkg.spec.template.spec));
  return (hcpkg.status?.processing ?? []).filter((ref) => {
    const pkg = found.get(`${ref.namespace ?? ''}/${ref.name}`);
    if (pkg === undefined || pkg.uid !== ref.uid) return false;
    return !(isAvailable(pkg) && canonicalJson(pkg.spec) === template);
  });
}

/** Whether the HostedCluster (its labels) is selected and Available, as PKO lists them. */
export function selectsHostedCluster(hcpkg: HostedClusterPackage, hc: unknown): boolean {
  const parsed = z
    .object({
      metadata: z.object({ labels: stringMap.optional(), deletionTimestamp: z.string().optional() }).loose(),
      status: z
        .object({
          conditions: z.array(z.object({ type: z.string(), status: z.string() }).loose()).optional(),
        })
        .loose()
        .optional(),
    })
    .safeParse(hc);
  if (!parsed.success) return false;
  if (!matchesSelector(hcpkg.spec.hostedClusterSelector ?? {}, parsed.data.metadata.labels ?? {}))
    return false;
  return (parsed.data.status?.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True');
}

/** The allowed failures of the annotation; undefined when absent or not a non-negative integer (no stop). */
export function maxFailedClusters(hcpkg: HostedClusterPackage): number | undefined {
  const text = hcpkg.metadata.annotations?.[ANNOTATION_MAX_FAILED_CLUSTERS];
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number.parseInt(text.trim(), 10);
}

/** Failed: it has the template's spec and, for its generation, cannot be unpacked, is invalid, or settled unavailable. */
export function isFailedPackage(pkg: FleetPackage, templateSpec: unknown): boolean {
  if (canonicalJson(pkg.spec) !== canonicalJson(templateSpec)) return false;
  return (
    conditionIs(pkg, 'Unpacked', 'False') ||
    conditionIs(pkg, 'Invalid', 'True') ||
    (conditionIs(pkg, 'Available', 'False') && conditionIs(pkg, 'Progressing', 'False'))
  );
}

/** The progress deadline of the annotation: none (absent), its length, or why the value is not one. */
export type ProgressDeadline =
  | { readonly ok: true; readonly deadline?: { readonly ms: number; readonly text: string } }
  | { readonly ok: false; readonly value: string };

export function progressDeadline(hcpkg: HostedClusterPackage): ProgressDeadline {
  const text = hcpkg.metadata.annotations?.[ANNOTATION_CLUSTER_PROGRESS_DEADLINE];
  if (text === undefined) return { ok: true };
  const ms = goDurationMs(text.trim());
  return ms === undefined || ms <= 0
    ? { ok: false, value: text }
    : { ok: true, deadline: { ms, text: text.trim() } };
}

/**
 * When the Package's progress deadline started (epoch ms): the time this controller gave it the template's spec
 * (its annotation), else, for a Package that got it before that annotation existed (or from PKO), the time its
 * `Progressing` condition turned True for its generation; undefined: unknown (never late).
 */
export function progressStart(pkg: FleetPackage): number | undefined {
  if (pkg.templateAppliedAt !== undefined) return pkg.templateAppliedAt;
  const progressing = pkg.conditions.find((c) => c.type === 'Progressing');
  return progressing?.status === 'True' && (progressing.observedGeneration ?? 0) === pkg.generation
    ? progressing.lastTransitionTime
    : undefined;
}

/**
 * The moment the Package, with the template's spec, is late (epoch ms): its progress deadline passed before it
 * settled (`Available` True and `Progressing` False for its generation). Undefined: it never will be as it is
 * now (another spec, settled, paused on purpose, or no known start).
 */
export function lateAt(pkg: FleetPackage, templateSpec: unknown, deadlineMs: number): number | undefined {
  if (canonicalJson(pkg.spec) !== canonicalJson(templateSpec)) return undefined;
  if (isAvailable(pkg) && conditionIs(pkg, 'Progressing', 'False')) return undefined;
  if (conditionIs(pkg, 'Paused', 'True')) return undefined;
  const start = progressStart(pkg);
  return start === undefined ? undefined : start + deadlineMs;
}

/**
 * Whether the Package, with the template's spec, holds a slot of the budget under a progress deadline: Available
 * (an unavailable one counts anyway) but not settled, and not paused.
 */
export function holdsSlot(pkg: FleetPackage, templateSpec: unknown): boolean {
  return (
    canonicalJson(pkg.spec) === canonicalJson(templateSpec) &&
    isAvailable(pkg) &&
    !conditionIs(pkg, 'Progressing', 'False') &&
    !conditionIs(pkg, 'Paused', 'True')
  );
}

export type RolloutStop =
  | {
      readonly cause: 'failures';
      readonly failed: number;
      readonly allowed: number;
      /** Of the failed, how many only because their progress deadline passed (`deadline` its text). */
      readonly late: number;
      readonly deadline?: string;
    }
  | { readonly cause: 'invalid-deadline'; readonly value: string };

export interface RolloutCheck {
  readonly stop?: RolloutStop;
  /** When the next updated Package's progress deadline passes, ms from now: run again then. */
  readonly recheckInMs?: number;
  /** Updated Packages that hold a slot of the budget until they settle (with a progress deadline). */
  readonly holding?: number;
}

/**
 * The stop on failure: set when more updated Packages failed (or are late, with a progress deadline) than the
 * annotation allows, or when the progress deadline is not a duration.
 */
export function rolloutStop(
  hcpkg: HostedClusterPackage,
  spec: FleetSpec,
  members: readonly FleetMember[],
  now: Date,
): RolloutCheck {
  const deadline = progressDeadline(hcpkg);
  if (!deadline.ok) return { stop: { cause: 'invalid-deadline', value: deadline.value } };
  const allowed = maxFailedClusters(hcpkg);
  if (allowed === undefined) return {};
  let failed = 0;
  let late = 0;
  let holding = 0;
  let next: number | undefined;
  for (const { pkg } of members) {
    if (pkg === undefined) continue;
    if (isFailedPackage(pkg, spec.templateSpec)) {
      failed += 1;
      continue;
    }
    if (deadline.deadline === undefined) continue;
    const at = lateAt(pkg, spec.templateSpec, deadline.deadline.ms);
    if (at !== undefined && at <= now.getTime()) {
      // Late: a failure, which (within the allowance) frees its slot like the others.
      failed += 1;
      late += 1;
      continue;
    }
    if (at !== undefined) next = Math.min(next ?? at, at);
    if (holdsSlot(pkg, spec.templateSpec)) holding += 1;
  }
  const recheck = {
    ...(next === undefined ? {} : { recheckInMs: next - now.getTime() }),
    ...(holding > 0 ? { holding } : {}),
  };
  if (failed <= allowed) return recheck;
  return {
    stop: {
      cause: 'failures',
      failed,
      allowed,
      late,
      ...(late > 0 && deadline.deadline !== undefined ? { deadline: deadline.deadline.text } : {}),
    },
    ...recheck,
  };
}

/** The `Progressing` message of a stopped rollout. */
export function stopMessage(stop: RolloutStop): string {
  if (stop.cause === 'invalid-deadline')
    return `${ANNOTATION_CLUSTER_PROGRESS_DEADLINE} ${JSON.stringify(stop.value)} is not a positive duration such as 10m or 1h30m: rollout stopped.`;
  const late =
    stop.late > 0 && stop.deadline !== undefined
      ? ` (${stop.late} not settled within the ${stop.deadline} of ${ANNOTATION_CLUSTER_PROGRESS_DEADLINE})`
      : '';
  return `${stop.failed} updated packages failed${late}, more than the ${stop.allowed} allowed by ${ANNOTATION_MAX_FAILED_CLUSTERS}: rollout stopped.`;
}

/** The stop for the log: `rollout stopped: …`. */
export function stopAction(stop: RolloutStop): string {
  return stop.cause === 'invalid-deadline'
    ? `rollout stopped: ${ANNOTATION_CLUSTER_PROGRESS_DEADLINE} ${JSON.stringify(stop.value)} is not a duration`
    : `rollout stopped: ${stop.failed} updated packages failed (${stop.allowed} allowed${stop.late > 0 ? `, ${stop.late} past the progress deadline` : ''})`;
}

export interface RolloutPlan {
  readonly state: FleetState;
  /** HostedClusters (uids) to create the Package for. */
  readonly create: readonly string[];
  /** Packages (uids) to give the template now. */
  readonly update: readonly string[];
  /** `status.processing` to persist before the updates (when there are any). */
  readonly processing: readonly ProcessingRef[];
  readonly stop?: RolloutStop;
  /** Run again in this many ms: an updated Package's progress deadline passes then. */
  readonly recheckInMs?: number;
}

/**
 * What to do now: PKO's plan (create the missing Packages, update per strategy; the queue persisted is the updated
 * Packages when the disruption budget is above zero, else empty), unless the stop on failure holds the updates.
 */
export function planRollout(
  hcpkg: HostedClusterPackage,
  processing: readonly ProcessingRef[],
  members: readonly FleetMember[],
  refOf: (pkgUid: string) => ProcessingRef | undefined,
  now: Date,
): RolloutPlan {
  const spec = fleetSpecOf(hcpkg, processing);
  const { stop, recheckInMs, holding = 0 } = rolloutStop(hcpkg, spec, members, now);
  const state = fleetState(spec, members, holding);
  const recheck = recheckInMs !== undefined ? { recheckInMs } : {};
  if (stop !== undefined || state.toUpdate.length === 0)
    return {
      state,
      create: state.missing,
      update: [],
      processing,
      ...(stop !== undefined ? { stop } : {}),
      ...recheck,
    };
  const queue =
    disruptionBudget(spec, state.unavailable + holding) > 0
      ? state.toUpdate.flatMap((uid) => {
          const ref = refOf(uid);
          return ref === undefined ? [] : [ref];
        })
      : [];
  return { state, create: state.missing, update: state.toUpdate, processing: queue, ...recheck };
}

/**
 * The Package PKO applies for a HostedCluster: the template's labels, annotations and spec, owned by `hcpkg`;
 * `appliedAt` (the write gives it the template's spec now) is recorded in `gantry.run/template-applied-at`.
 */
export function fleetPackage(
  hcpkg: HostedClusterPackage,
  hc: { readonly namespace: string; readonly name: string },
  existing?: KubeObject,
  appliedAt?: Date,
): KubeObject {
  const ref = fleetPackageRef(hcpkg.metadata.name, hc);
  const owner = {
    apiVersion: API_VERSION,
    kind: HOSTED_CLUSTER_PACKAGE_KIND,
    name: hcpkg.metadata.name,
    uid: hcpkg.metadata.uid,
    blockOwnerDeletion: true,
    controller: true,
  };
  const { labels, annotations } = hcpkg.spec.template.metadata ?? {};
  const meta = existing?.metadata;
  const mergedLabels = { ...meta?.labels, ...labels };
  const mergedAnnotations = {
    ...meta?.annotations,
    ...annotations,
    ...(appliedAt !== undefined ? { [ANNOTATION_TEMPLATE_APPLIED_AT]: appliedAt.toISOString() } : {}),
  };
  const others = (meta?.ownerReferences ?? []).filter((o) => o.uid !== owner.uid && o.controller !== true);
  return {
    ...existing,
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: {
      ...meta,
      name: ref.name,
      namespace: ref.namespace,
      ...(Object.keys(mergedLabels).length > 0 ? { labels: mergedLabels } : {}),
      ...(Object.keys(mergedAnnotations).length > 0 ? { annotations: mergedAnnotations } : {}),
      ownerReferences: [...others, owner],
    },
    spec: hcpkg.spec.template.spec,
  };
}

/**
 * The status PKO writes: the counts (left out when zero, as its `omitempty` fields), the three conditions (or,
 * stopped, `Progressing` False `RolloutStopped`), `processing` (left out when empty); the rest kept.
 */
export function fleetStatus(
  hcpkg: HostedClusterPackage,
  input: {
    readonly state: FleetState;
    readonly processing: readonly ProcessingRef[];
    readonly stop?: RolloutStop;
  },
  now: Date,
): Record<string, unknown> {
  const { state, processing, stop } = input;
  const generation = hcpkg.metadata.generation ?? 0;
  const spec = fleetSpecOf(hcpkg, processing);
  let conditions: Condition[] = hcpkg.status?.conditions ?? [];
  for (const c of fleetConditions(spec, state)) {
    const stopped = c.type === 'Progressing' && stop !== undefined;
    const input = stopped
      ? {
          type: 'Progressing',
          status: 'False' as const,
          reason: REASON_ROLLOUT_STOPPED,
          message: stopMessage(stop),
        }
      : c;
    conditions = setCondition(conditions, { ...input, observedGeneration: generation }, now);
  }
  const {
    conditions: _c,
    processing: _p,
    observedGeneration: _o,
    availablePackages: _a,
    progressedPackages: _g,
    updatedPackages: _u,
    totalPackages: _t,
    ...rest
  } = hcpkg.status ?? {};
  const counts: Record<string, number> = {
    observedGeneration: generation,
    availablePackages: state.available,
    progressedPackages: state.progressed,
    updatedPackages: state.updated,
    totalPackages: state.total,
  };
  return {
    ...rest,
    conditions,
    ...Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0)),
    ...(processing.length > 0 ? { processing } : {}),
  };
}
