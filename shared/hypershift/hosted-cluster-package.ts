/**
 * @module hypershift/hosted-cluster-package
 * The decisions of PKO v1.19.0's HostedClusterPackage controller (`internal/controllers/hostedclusterpackages`), pure:
 * over the Available HostedClusters its selector matches and their Packages (named after the HostedClusterPackage,
 * in each control-plane namespace), which HostedClusters miss a Package, which Packages get the template's spec now
 * (instant: all; rolling upgrade: as many as `maxUnavailable` minus the unavailable ones allows, partition by
 * partition, the ones already processing first), the counts and the conditions `Available`, `Progressing` and
 * `HasPausedPackage` in PKO's words. Served and wired through fleet-rollout.ts (the reconcile around them).
 */
import { canonicalJson } from '../render/hash.js';

/** PKO's partition of HostedClusters without the partition label (and `*` of a static order). */
const DEFAULT_PARTITION = '_*_';

export interface FleetPackage {
  readonly uid: string;
  readonly generation: number;
  readonly spec: unknown;
  readonly conditions: readonly {
    readonly type: string;
    readonly status: string;
    readonly observedGeneration?: number;
    /** Epoch ms (undefined: absent or not a time). */
    readonly lastTransitionTime?: number;
  }[];
  /**
   * When the HostedClusterPackage controller last gave the Package the template's spec (epoch ms, its annotation
   * `gantry.run/template-applied-at`); undefined: not recorded.
   */
  readonly templateAppliedAt?: number;
}

export interface FleetMember {
  readonly hostedCluster: { readonly uid: string; readonly labels: Readonly<Record<string, string>> };
  /** Undefined: the HostedCluster has no Package yet. */
  readonly pkg?: FleetPackage;
}

export interface FleetSpec {
  readonly strategy: {
    readonly instant?: object;
    readonly rollingUpgrade?: { readonly maxUnavailable: number };
  };
  readonly partition?: {
    readonly labelKey: string;
    readonly order?: { readonly static?: readonly string[]; readonly alphanumericAsc?: object };
  };
  readonly templateSpec: unknown;
  /** `status.processing`: the Packages an earlier pass started to update. */
  readonly processing: readonly string[];
}

export interface FleetState {
  readonly total: number;
  readonly available: number;
  readonly unavailable: number;
  readonly progressed: number;
  readonly updated: number;
  readonly paused: number;
  /** HostedClusters (their uids) without a Package. */
  readonly missing: readonly string[];
  /** Packages (their uids) to give the template's spec now. */
  readonly toUpdate: readonly string[];
}

/** PKO's `packageConditionIs`: the condition has the status for the Package's generation. */
function conditionIs(pkg: FleetPackage, type: string, status: string): boolean {
  const c = pkg.conditions.find((x) => x.type === type);
  return c !== undefined && c.status === status && (c.observedGeneration ?? 0) === pkg.generation;
}

const isAvailable = (p: FleetPackage): boolean => conditionIs(p, 'Available', 'True');
const isProgressed = (p: FleetPackage): boolean =>
  conditionIs(p, 'Progressing', 'False') && conditionIs(p, 'Unpacked', 'True');
const isPaused = (p: FleetPackage): boolean => conditionIs(p, 'Paused', 'True');

function partitionOf(spec: FleetSpec, labels: Readonly<Record<string, string>>): string {
  const key = spec.partition?.labelKey;
  const value = key === undefined ? undefined : labels[key];
  return value === undefined || value === '' ? DEFAULT_PARTITION : value;
}

/** The partitions in rollout order: static (with `*` as the default group), else sorted with the default last. */
function partitionOrder(spec: FleetSpec, present: ReadonlySet<string>): string[] {
  const order = spec.partition?.order;
  if (spec.partition === undefined) return [DEFAULT_PARTITION];
  if (order?.static !== undefined && order.static.length > 0 && order.alphanumericAsc === undefined)
    return order.static.map((p) => (p === '*' ? DEFAULT_PARTITION : p));
  return [...[...present].filter((p) => p !== DEFAULT_PARTITION).sort(), DEFAULT_PARTITION];
}

/** How many Packages may be updated now; -1: no limit (instant). */
export function disruptionBudget(spec: FleetSpec, unavailable: number): number {
  const rolling = spec.strategy.rollingUpgrade;
  if (spec.strategy.instant !== undefined || rolling === undefined) return -1;
  return Math.max(0, rolling.maxUnavailable - unavailable);
}

/**
 * The state of the fleet and what to do next. `holding`: Packages that count against the disruption budget
 * besides the unavailable ones (Gantry's progress deadline; not in the counts).
 */
export function fleetState(spec: FleetSpec, members: readonly FleetMember[], holding = 0): FleetState {
  const counts = { total: 0, available: 0, unavailable: 0, progressed: 0, updated: 0, paused: 0 };
  const missing: string[] = [];
  const stale = new Map<string, { available: string[]; unavailable: string[] }>();
  const template = canonicalJson(spec.templateSpec);
  for (const { hostedCluster, pkg } of members) {
    if (pkg === undefined) {
      missing.push(hostedCluster.uid);
      counts.unavailable += 1;
      continue;
    }
    counts.total += 1;
    if (isAvailable(pkg)) counts.available += 1;
    else counts.unavailable += 1;
    if (isProgressed(pkg)) counts.progressed += 1;
    if (isPaused(pkg)) counts.paused += 1;
    if (canonicalJson(pkg.spec) === template) {
      counts.updated += 1;
      continue;
    }
    const group = stale.get(partitionOf(spec, hostedCluster.labels)) ?? { available: [], unavailable: [] };
    (isAvailable(pkg) ? group.available : group.unavailable).push(pkg.uid);
    stale.set(partitionOf(spec, hostedCluster.labels), group);
  }
  const budget = disruptionBudget(spec, counts.unavailable + holding);
  const limit = budget === -1 ? Number.POSITIVE_INFINITY : budget;
  const known = new Set(members.flatMap((m) => (m.pkg === undefined ? [] : [m.pkg.uid])));
  const toUpdate = spec.processing.filter((uid) => known.has(uid));
  const taken = new Set(toUpdate);
  const order = partitionOrder(spec, new Set(stale.keys()));
  done: for (const [i, partition] of order.entries()) {
    const group = stale.get(partition);
    if (group === undefined) continue;
    // Unavailable Packages of the first partition are updated whatever the budget (PKO's order).
    for (const uid of group.unavailable) {
      if (toUpdate.length >= limit && i > 0) break done;
      if (!taken.has(uid)) toUpdate.push(uid);
    }
    for (const uid of group.available) {
      if (toUpdate.length >= limit) break done;
      if (!taken.has(uid)) toUpdate.push(uid);
    }
  }
  return { ...counts, missing, toUpdate };
}

export interface FleetCondition {
  readonly type: 'Available' | 'Progressing' | 'HasPausedPackage';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/** The HostedClusterPackage's conditions in PKO's words. */
export function fleetConditions(spec: FleetSpec, state: FleetState): FleetCondition[] {
  const maxUnavailable = spec.strategy.rollingUpgrade?.maxUnavailable ?? 0;
  const enough = state.unavailable <= maxUnavailable;
  const progressed = state.progressed === state.total;
  return [
    {
      type: 'Available',
      status: enough ? 'True' : 'False',
      reason: enough ? 'EnoughPackagesAvailable' : 'NotEnoughPackagesAvailable',
      message: `${state.available}/${state.total} packages available.`,
    },
    {
      type: 'Progressing',
      status: progressed ? 'False' : 'True',
      reason: progressed ? 'AllPackagesProgressed' : 'NotAllPackagesProgressed',
      message: `${state.progressed}/${state.total} packages progressed.`,
    },
    state.paused > 0
      ? {
          type: 'HasPausedPackage',
          status: 'True',
          reason: 'AtLeastOnePackagePaused',
          message: `${state.paused}/${state.total} packages paused.`,
        }
      : {
          type: 'HasPausedPackage',
          status: 'False',
          reason: 'NoPackagePaused',
          message: `0/${state.total} packages paused.`,
        },
  ];
}
