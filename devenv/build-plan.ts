/**
 * @module devenv/build-plan
 * What a first run builds, in which order, and how long it should take: pure decisions over the names of the
 * missing binaries and the durations measured by earlier builds. The Kubernetes commands share one `go build`
 * (one package load, one compilation of client-go and apimachinery, links in parallel); every other module is a
 * unit of its own. Units run in at most two lanes: the Kubernetes build in one, the small modules one after
 * another in the other, so downloads and single-threaded links overlap with compilation.
 */

/** The binaries Gantry builds from Go modules (the order is the order of a cold build). */
export const BINARY_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
  'registry',
  'minio',
  'crane',
  'pkoimage',
  'aws-lambda-rie',
] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];

/** The commands of k8s.io/kubernetes, built together. */
export const KUBE_COMMANDS: readonly BinaryName[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
];

export interface BuildUnit {
  /** Stable key of the unit (its binaries joined with `+`): durations are recorded under it. */
  readonly id: string;
  readonly binaries: readonly BinaryName[];
  /** 0: the Kubernetes lane; 1: the lane of the small modules. */
  readonly lane: 0 | 1;
  /** Expected wall time on this machine, from the last measured build, else the shipped estimate. */
  readonly expectedMs: number;
  /** Whether `expectedMs` was measured here (false: the shipped estimate). */
  readonly measured: boolean;
}

export interface BuildPlan {
  readonly units: readonly BuildUnit[];
  /** Expected wall time of the whole plan with its two lanes. */
  readonly expectedMs: number;
}

/**
 * Cold build times per binary on a 2-core machine with an empty Go build cache and module cache, measured with
 * `GANTRY_BENCH_FIRSTRUN=before npm run bench -- firstrun` (one binary after another, download included; each
 * Kubernetes command after the ones before it, so later ones reuse what those compiled: 19 min 15 s in all, where
 * the grouped two-lane plan took 16 min 53 s). MinIO, crane, pkoimage
 * and the RIE are estimates. A unit of several commands is expected to take the sum of its members.
 */
export const COLD_ESTIMATE_MS: Readonly<Record<BinaryName, number>> = {
  etcd: 95_000,
  'kube-apiserver': 500_000,
  'kube-controller-manager': 265_000,
  'kube-scheduler': 20_000,
  kubectl: 50_000,
  kwok: 115_000,
  registry: 115_000,
  minio: 300_000,
  crane: 30_000,
  pkoimage: 30_000,
  'aws-lambda-rie': 20_000,
};

/** Recorded durations of earlier builds, by unit id. */
export type BuildHistory = Readonly<Record<string, number>>;

function unitOf(binaries: readonly BinaryName[], lane: 0 | 1, history: BuildHistory): BuildUnit {
  const id = binaries.join('+');
  const recorded = history[id];
  const estimate = binaries.reduce((sum, b) => sum + COLD_ESTIMATE_MS[b], 0);
  return recorded !== undefined && Number.isFinite(recorded) && recorded > 0
    ? { id, binaries, lane, expectedMs: recorded, measured: true }
    : { id, binaries, lane, expectedMs: estimate, measured: false };
}

export interface PlanShape {
  /** The Kubernetes commands in one `go build` (default true). */
  readonly grouped?: boolean;
  /** Two lanes (default true); one lane builds everything one after another. */
  readonly twoLanes?: boolean;
}

/**
 * The units that build `missing`, in order: the Kubernetes commands as one unit, each other module alone.
 * `shape` exists for the first-run benchmark, which measures the old shape (one build per binary, one lane) too.
 */
export function planBuild(
  missing: readonly BinaryName[],
  history: BuildHistory = {},
  shape: PlanShape = {},
): BuildPlan {
  const wanted = BINARY_NAMES.filter((b) => missing.includes(b));
  const grouped = shape.grouped !== false;
  const kube = grouped ? wanted.filter((b) => KUBE_COMMANDS.includes(b)) : [];
  const rest = wanted.filter((b) => !kube.includes(b));
  const restLane: 0 | 1 = kube.length > 0 && shape.twoLanes !== false ? 1 : 0;
  const units: BuildUnit[] = [
    ...(kube.length > 0 ? [unitOf(kube, 0, history)] : []),
    // In BINARY_NAMES order: etcd first among the rest, the control plane cannot start without it.
    ...rest.map((b) => unitOf([b], restLane, history)),
  ];
  const laneMs = (lane: 0 | 1): number =>
    units.filter((u) => u.lane === lane).reduce((sum, u) => sum + u.expectedMs, 0);
  // The lanes share the machine's cores: while the shorter lane runs it takes about half of them from the longer.
  const [longer, shorter] = [laneMs(0), laneMs(1)].sort((a, b) => b - a);
  return { units, expectedMs: Math.round((longer ?? 0) + (shorter ?? 0) / 2) };
}

/** `1 h 02 min`, `6 min 05 s`, `42 s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
