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
 */
import { z } from 'zod';
import { API_VERSION } from '../api/constants.js';
import { setCondition } from '../api/conditions.js';
import type { Condition } from '../api/generated/crds.js';
import { isRecord } from '../api/objects.js';
import { hostedClusterNamespace } from '../packages/environment.js';
import { matchesSelector } from '../probing/selector.js';
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
  metadata: z.object({ uid: z.string(), generation: z.number().int().optional() }).loose(),
  spec: z.unknown().optional(),
  status: z
    .object({
      conditions: z
        .array(
          z
            .object({ type: z.string(), status: z.string(), observedGeneration: z.number().optional() })
            .loose(),
        )
        .optional(),
    })
    .loose()
    .optional(),
});

/** A Package object as the decisions read it (undefined: not a Package). */
export function fleetPackageOf(raw: unknown): FleetPackage | undefined {
  const parsed = packageStatusSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { metadata, spec, status } = parsed.data;
  return {
    uid: metadata.uid,
    generation: metadata.generation ?? 0,
    spec: comparablePackageSpec(spec),
    conditions: (status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
    })),
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

export interface RolloutStop {
  readonly failed: number;
  readonly allowed: number;
}

/** The stop on failure: set when more updated Packages failed than the annotation allows. */
export function rolloutStop(
  hcpkg: HostedClusterPackage,
  spec: FleetSpec,
  members: readonly FleetMember[],
): RolloutStop | undefined {
  const allowed = maxFailedClusters(hcpkg);
  if (allowed === undefined) return undefined;
  const failed = members.filter(
    (m) => m.pkg !== undefined && isFailedPackage(m.pkg, spec.templateSpec),
  ).length;
  return failed > allowed ? { failed, allowed } : undefined;
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
): RolloutPlan {
  const spec = fleetSpecOf(hcpkg, processing);
  const state = fleetState(spec, members);
  const stop = rolloutStop(hcpkg, spec, members);
  if (stop !== undefined || state.toUpdate.length === 0)
    return { state, create: state.missing, update: [], processing, ...(stop !== undefined ? { stop } : {}) };
  const queue =
    disruptionBudget(spec, state.unavailable) > 0
      ? state.toUpdate.flatMap((uid) => {
          const ref = refOf(uid);
          return ref === undefined ? [] : [ref];
        })
      : [];
  return { state, create: state.missing, update: state.toUpdate, processing: queue };
}

/** The Package PKO applies for a HostedCluster: the template's labels, annotations and spec, owned by `hcpkg`. */
export function fleetPackage(
  hcpkg: HostedClusterPackage,
  hc: { readonly namespace: string; readonly name: string },
  existing?: KubeObject,
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
  const mergedAnnotations = { ...meta?.annotations, ...annotations };
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
          message: `${stop.failed} updated packages failed, more than the ${stop.allowed} allowed by ${ANNOTATION_MAX_FAILED_CLUSTERS}: rollout stopped.`,
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
