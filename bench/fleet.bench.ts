// The HyperShift fleet scenario, Gantry beside PKO v1.19.0 (its package-operator-manager and remote-phase-manager,
// built by scripts/build-pko.sh; left out, loudly, when they are not built). For each controller set, on fresh
// control planes with audit logs: a management cluster (with kube-controller-manager, whose garbage collector
// deletes a HostedClusterPackage's Packages) carrying HyperShift's HostedCluster CRD, and BENCH_FLEET_CLUSTERS
// (default 2) hosted clusters, each with an Available HostedCluster whose status.kubeconfig names a Secret with
// its admin kubeconfig. A package of BENCH_FLEET_OBJECTS ConfigMaps (default 20) in two phases of class
// hosted-cluster is rolled out by a HostedClusterPackage: instantly (v1), then a new template (v2) by a rolling
// upgrade with maxUnavailable 1, then the HostedClusterPackage deleted. Timed: until every Package is Available
// with the template's image and its objects are in its hosted cluster, and until the HostedClusterPackage's status
// says all updated and available; the deletion until the objects are gone from the hosted clusters. Reported per
// process: requests to the management and each hosted API server (audit logs, by User-Agent and user), peak RSS,
// CPU seconds. `BENCH_FLEET_ROUNDS` (default 1) repeats the sets in turn, `BENCH_PKO=0` leaves PKO out,
// `BENCH_CONTENDER=Gantry|PKO` runs one set, `BENCH_FLEET_OUT` names the JSON file (default fleet-bench.json in
// the temporary folder), `BENCH_FLEET_LOGS=DIR` keeps each process's output there.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { startControlPlane, type ControlPlane } from '../devenv/control-plane.js';
import { KubeClient } from '../devenv/kube.js';
import { cpuSeconds, memory } from '../devenv/proc-stats.js';
import { startRegistry } from '../devenv/registry.js';
import { fleetPackageFiles } from '../test/fleet-package.js';
import { runGantry } from '../test/run-cli.js';
import { countRequests, type Counted, type Step } from './fleet-audit.js';
import {
  controllerSets,
  type ControllerProcess,
  type ControllerSet,
  type FleetPlanes,
  type Identity,
} from './fleet-controllers.js';
import type { BenchResult } from './types.js';

const CLUSTERS = Number(process.env['BENCH_FLEET_CLUSTERS'] ?? 2);
const OBJECTS = Number(process.env['BENCH_FLEET_OBJECTS'] ?? 20);
const ROUNDS = Number(process.env['BENCH_FLEET_ROUNDS'] ?? 1);
const STEP_TIMEOUT_MS = Number(process.env['BENCH_FLEET_TIMEOUT_MS'] ?? 300_000);
const HC_API = 'hypershift.openshift.io/v1beta1';
const PKO = '/apis/package-operator.run/v1alpha1';
const HC_NAMESPACE = 'clusters';
const NAME = 'fleet-app';
const HCPKG = `${PKO}/hostedclusterpackages/${NAME}`;

interface Plane {
  readonly cp: ControlPlane;
  readonly admin: KubeClient;
  readonly auditLog: string;
}

interface Fleet extends FleetPlanes {
  readonly planes: readonly Plane[];
  stop(): Promise<void>;
}

function adminOf(cp: ControlPlane): KubeClient {
  return new KubeClient({
    server: cp.server,
    caFile: cp.certs.caCert,
    certFile: cp.certs.adminCert,
    keyFile: cp.certs.adminKey,
  });
}

async function plane(full: boolean): Promise<Plane> {
  const auditLog = join(await mkdtemp(join(tmpdir(), 'gantry-fleet-audit-')), 'audit.log');
  const cp = await startControlPlane({ full, auditLogPath: auditLog, log: () => undefined });
  return { cp, admin: adminOf(cp), auditLog };
}

async function must(what: string, response: Promise<{ status: number; text: string }>): Promise<void> {
  const r = await response;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.text}`);
}

/** The control plane's admin kubeconfig with its certificates inline (a Secret cannot point at files). */
async function inlineKubeconfig(cp: ControlPlane): Promise<string> {
  const b64 = async (file: string): Promise<string> => (await readFile(file)).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
  - name: hosted
    cluster: {server: ${cp.server}, certificate-authority-data: ${await b64(cp.certs.caCert)}}
users:
  - name: admin
    user: {client-certificate-data: ${await b64(cp.certs.adminCert)}, client-key-data: ${await b64(cp.certs.adminKey)}}
contexts:
  - name: hosted
    context: {cluster: hosted, user: admin}
current-context: hosted
`;
}

async function installHostedClusterCrd(admin: KubeClient): Promise<void> {
  const file = new URL('../test/fixtures/hypershift/hostedclusters.crd.yaml', import.meta.url).pathname;
  const crd: unknown = parseYaml(await readFile(file, 'utf8'));
  await must(
    'HostedCluster CRD',
    admin.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd),
  );
  await until('HostedClusters served', 60_000, async () =>
    (await admin.get(`/apis/${HC_API}/hostedclusters`)).status === 200 ? true : undefined,
  );
}

async function namespace(admin: KubeClient, name: string): Promise<void> {
  await must(`namespace ${name}`, admin.create('/api/v1/namespaces', { metadata: { name } }));
}

/** HostedCluster `name` in HC_NAMESPACE: Available, its admin kubeconfig in the Secret its status names. */
async function hostedCluster(admin: KubeClient, name: string, hosted: ControlPlane): Promise<void> {
  const secret = `${name}-admin-kubeconfig`;
  await must(
    `Secret ${secret}`,
    admin.create(`/api/v1/namespaces/${HC_NAMESPACE}/secrets`, {
      metadata: { name: secret },
      data: { kubeconfig: Buffer.from(await inlineKubeconfig(hosted)).toString('base64') },
    }),
  );
  const path = `/apis/${HC_API}/namespaces/${HC_NAMESPACE}/hostedclusters`;
  await must(
    `HostedCluster ${name}`,
    admin.create(path, {
      apiVersion: HC_API,
      kind: 'HostedCluster',
      metadata: { name },
      spec: {
        release: { image: 'quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64' },
        platform: { type: 'None' },
      },
    }),
  );
  const condition = {
    type: 'Available',
    status: 'True',
    reason: 'AsExpected',
    message: '',
    lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  await must(
    `HostedCluster ${name} status`,
    admin.request(
      'PATCH',
      `${path}/${name}/status`,
      {
        status: { conditions: [condition], kubeconfig: { name: secret } },
      },
      'application/merge-patch+json',
    ),
  );
}

async function startFleet(absentImage: string): Promise<Fleet> {
  const planes = await Promise.all([
    plane(true),
    ...Array.from({ length: CLUSTERS }, async () => plane(false)),
  ]);
  const stop = async (): Promise<void> => {
    await Promise.all(planes.map(async (p) => p.cp.stop()));
    await Promise.all(planes.map(async (p) => rm(dirname(p.auditLog), { recursive: true, force: true })));
  };
  try {
    const [management, ...hosted] = planes;
    await installHostedClusterCrd(management.admin);
    await namespace(management.admin, HC_NAMESPACE);
    const controlPlaneNamespaces: string[] = [];
    for (const [i, h] of hosted.entries()) {
      const ns = `${HC_NAMESPACE}-hc-${i}`;
      controlPlaneNamespaces.push(ns);
      // The phases' objects land in the same namespace of the hosted cluster.
      await namespace(management.admin, ns);
      await namespace(h.admin, ns);
      await hostedCluster(management.admin, `hc-${i}`, h.cp);
    }
    return {
      planes,
      management: management.cp,
      managementAdmin: management.admin,
      hosted: hosted.map((h) => h.cp),
      controlPlaneNamespaces,
      absentImage,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A package of OBJECTS ConfigMaps in two phases of class hosted-cluster, pushed as `tag`. */
async function pushFleetPackage(registryHost: string, tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gantry-bench-fleet-${tag}-`));
  for (const [path, text] of Object.entries(fleetPackageFiles(NAME, tag, OBJECTS))) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const image = `${registryHost}/bench/${NAME}:${tag}`;
  const r = await runGantry(['build', dir, '-t', image, '--push', '--insecure'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  return image;
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const conditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  observedGeneration: z.number().optional(),
});
const objectSchema = z.object({
  metadata: z.object({ generation: z.number().optional(), name: z.string().optional() }),
  spec: z.object({ image: z.string().optional() }).optional(),
  status: z
    .object({
      conditions: z.array(conditionSchema).optional(),
      observedGeneration: z.number().optional(),
      totalPackages: z.number().optional(),
      availablePackages: z.number().optional(),
      updatedPackages: z.number().optional(),
      processing: z.array(z.unknown()).optional(),
    })
    .optional(),
  data: z.record(z.string(), z.string()).optional(),
});
type Obj = z.infer<typeof objectSchema>;

async function read(admin: KubeClient, path: string): Promise<Obj | undefined> {
  const r = await admin.get(path);
  if (r.status !== 200) return undefined;
  const parsed = objectSchema.safeParse(r.body);
  return parsed.success ? parsed.data : undefined;
}

function condition(o: Obj | undefined, type: string): z.infer<typeof conditionSchema> | undefined {
  return o?.status?.conditions?.find((c) => c.type === type);
}

/** PKO's Available: Available True for the object's generation. */
function availableNow(o: Obj | undefined): boolean {
  const c = condition(o, 'Available');
  return c?.status === 'True' && c.observedGeneration === o?.metadata.generation;
}

/** The HostedClusterPackage's status says generation `generation` is rolled out to all clusters. */
function statusRolledOut(o: Obj | undefined, generation: number): boolean {
  const s = o?.status;
  return (
    s?.observedGeneration === generation &&
    s.updatedPackages === CLUSTERS &&
    s.availablePackages === CLUSTERS &&
    (s.processing ?? []).length === 0 &&
    condition(o, 'Available')?.status === 'True' &&
    condition(o, 'Progressing')?.status === 'False'
  );
}

const lastCm = `cm-${OBJECTS - 1}`;

/** Cluster i's Package has `image` and is Available, and its last ConfigMap in the hosted cluster says `tag`. */
async function clusterOn(fleet: Fleet, i: number, image: string, tag: string): Promise<boolean> {
  const ns = fleet.controlPlaneNamespaces[i] ?? '';
  const pkg = await read(fleet.managementAdmin, `${PKO}/namespaces/${ns}/packages/${NAME}`);
  if (pkg?.spec?.image !== image || !availableNow(pkg)) return false;
  const hosted = fleet.planes[i + 1]?.admin;
  const cm =
    hosted === undefined ? undefined : await read(hosted, `/api/v1/namespaces/${ns}/configmaps/${lastCm}`);
  return cm?.data?.['version'] === tag;
}

/** When one cluster's Package got the new image, and when it was done (ms after the step began). */
interface ClusterTiming {
  readonly namespace: string;
  updatedMs?: number;
  doneMs?: number;
}

/** The conditions of an object, `type → status reason: message`. */
type ConditionsView = Record<string, string>;

interface RolloutTiming {
  /** Every Package Available with the image and its objects in its hosted cluster. */
  readonly packagesMs: number;
  /** The HostedClusterPackage's status said so. */
  readonly statusMs: number;
  /** Control-plane namespaces in the order their Packages got the new image. */
  readonly order: readonly string[];
  /** Most Packages seen at once with the new image but not Available for their generation. */
  readonly maxUnavailable: number;
  /**
   * Most clusters seen at once whose Package has the new image while their objects in the hosted cluster do not
   * have it yet: the rollout's real concurrency (a Package stays Available while its previous revision serves).
   */
  readonly maxUpdating: number;
  readonly clusters: readonly ClusterTiming[];
  /** The HostedClusterPackage's status counts and conditions once rolled out, and the first Package's conditions. */
  readonly final: FinalView;
}

function conditionsView(o: Obj | undefined): ConditionsView {
  return Object.fromEntries(
    (o?.status?.conditions ?? []).map((c) => [
      c.type,
      `${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`.trim(),
    ]),
  );
}

/** What the first cluster looks like once rolled out, to compare the controllers' names and words. */
interface FinalView {
  readonly counts: unknown;
  readonly conditions: ConditionsView;
  readonly packageConditions: ConditionsView;
  /** Names of the ObjectSets and ObjectSetPhases in the first control-plane namespace. */
  readonly objectSets: readonly string[];
  readonly objectSetPhases: readonly string[];
  /** The first ConfigMap in the first hosted cluster: its labels and annotations. */
  readonly hostedObject: unknown;
}

const namedItems = z.object({
  items: z.array(
    z.object({
      metadata: z.object({
        name: z.string(),
        labels: z.record(z.string(), z.string()).optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      }),
    }),
  ),
});

async function names(admin: KubeClient, path: string): Promise<string[]> {
  const parsed = namedItems.safeParse((await admin.get(path)).body);
  return parsed.success ? parsed.data.items.map((i) => i.metadata.name).sort() : [];
}

async function finalView(fleet: Fleet): Promise<FinalView> {
  const hcpkg = await read(fleet.managementAdmin, HCPKG);
  const ns = fleet.controlPlaneNamespaces[0] ?? '';
  const pkg = await read(fleet.managementAdmin, `${PKO}/namespaces/${ns}/packages/${NAME}`);
  const { conditions: _, ...counts } = hcpkg?.status ?? {};
  const cm = await fleet.planes[1]?.admin.get(`/api/v1/namespaces/${ns}/configmaps/cm-0`);
  const meta = z.object({ metadata: namedItems.shape.items.element.shape.metadata }).safeParse(cm?.body);
  return {
    counts,
    conditions: conditionsView(hcpkg),
    packageConditions: conditionsView(pkg),
    objectSets: await names(fleet.managementAdmin, `${PKO}/namespaces/${ns}/objectsets`),
    objectSetPhases: await names(fleet.managementAdmin, `${PKO}/namespaces/${ns}/objectsetphases`),
    hostedObject: meta.success
      ? { labels: meta.data.metadata.labels, annotations: meta.data.metadata.annotations }
      : undefined,
  };
}

async function rolledOut(
  fleet: Fleet,
  image: string,
  tag: string,
  generation: number,
): Promise<RolloutTiming> {
  const t0 = Date.now();
  let packagesMs: number | undefined;
  let statusMs: number | undefined;
  const order: string[] = [];
  const clusters: ClusterTiming[] = fleet.controlPlaneNamespaces.map((namespace) => ({ namespace }));
  let maxUnavailable = 0;
  let maxUpdating = 0;
  await until(`${tag} rolled out`, STEP_TIMEOUT_MS, async () => {
    let done = 0;
    let unavailable = 0;
    let updating = 0;
    for (const [i, ns] of fleet.controlPlaneNamespaces.entries()) {
      const pkg = await read(fleet.managementAdmin, `${PKO}/namespaces/${ns}/packages/${NAME}`);
      if (pkg?.spec?.image !== image) continue;
      const timing = clusters[i];
      if (timing !== undefined) timing.updatedMs ??= Date.now() - t0;
      if (!order.includes(ns)) order.push(ns);
      if (!availableNow(pkg)) unavailable += 1;
      if (!(await clusterOn(fleet, i, image, tag))) {
        updating += 1;
        continue;
      }
      done += 1;
      if (timing !== undefined) timing.doneMs ??= Date.now() - t0;
    }
    maxUnavailable = Math.max(maxUnavailable, unavailable);
    maxUpdating = Math.max(maxUpdating, updating);
    if (done === CLUSTERS) packagesMs ??= Date.now() - t0;
    if (statusRolledOut(await read(fleet.managementAdmin, HCPKG), generation)) statusMs ??= Date.now() - t0;
    return packagesMs !== undefined && statusMs !== undefined ? true : undefined;
  });
  const final = await finalView(fleet);
  return {
    packagesMs: packagesMs ?? 0,
    statusMs: statusMs ?? 0,
    order,
    maxUnavailable,
    maxUpdating,
    clusters,
    final,
  };
}

interface DeletionTiming {
  readonly objectsGoneMs: number;
  readonly packagesGoneMs: number;
}

async function objectsLeft(fleet: Fleet): Promise<number> {
  let left = 0;
  for (const [i, ns] of fleet.controlPlaneNamespaces.entries()) {
    const r = await fleet.planes[i + 1]?.admin.get(`/api/v1/namespaces/${ns}/configmaps`);
    const items = z
      .object({ items: z.array(z.object({ metadata: z.object({ name: z.string() }) })) })
      .safeParse(r?.body);
    left += items.success ? items.data.items.filter((c) => c.metadata.name.startsWith('cm-')).length : 1;
  }
  return left;
}

async function deleted(fleet: Fleet): Promise<DeletionTiming> {
  const t0 = Date.now();
  await must('delete the HostedClusterPackage', fleet.managementAdmin.delete(HCPKG));
  let objectsGoneMs: number | undefined;
  let packagesGoneMs: number | undefined;
  await until('teardown', STEP_TIMEOUT_MS, async () => {
    if ((await objectsLeft(fleet)) === 0) objectsGoneMs ??= Date.now() - t0;
    let packages = 0;
    for (const ns of fleet.controlPlaneNamespaces)
      if ((await fleet.managementAdmin.get(`${PKO}/namespaces/${ns}/packages/${NAME}`)).status !== 404)
        packages += 1;
    if (packages === 0) packagesGoneMs ??= Date.now() - t0;
    return objectsGoneMs !== undefined && packagesGoneMs !== undefined ? true : undefined;
  });
  return { objectsGoneMs: objectsGoneMs ?? 0, packagesGoneMs: packagesGoneMs ?? 0 };
}

/** What one controller set did: step timings, per-process use, or where it failed. */
export interface FleetRun {
  readonly set: string;
  readonly clusters: number;
  readonly objectsPerPackage: number;
  readonly instant?: RolloutTiming;
  readonly rolling?: RolloutTiming;
  readonly deletion?: DeletionTiming;
  readonly error?: string;
  readonly processes: readonly ProcessUse[];
}

interface ProcessUse {
  readonly label: string;
  readonly peakRssBytes: number;
  readonly cpuSeconds: number;
  readonly management: Counted | undefined;
  /** Requests to each hosted cluster's API server, in cluster order (none for processes that send none). */
  readonly hosted: readonly (Counted | undefined)[];
  /** The end of its output, when the run failed. */
  readonly outputTail?: string;
}

interface Scenario {
  instant?: RolloutTiming;
  rolling?: RolloutTiming;
  deletion?: DeletionTiming;
  readonly steps: Step[];
}

async function scenario(fleet: Fleet, images: { v1: string; v2: string }, s: Scenario): Promise<void> {
  const mark = (name: string, from: number): void => {
    s.steps.push({ name, from, to: Date.now() });
  };
  let t = Date.now();
  await must(
    'create the HostedClusterPackage',
    fleet.managementAdmin.create(`${PKO}/hostedclusterpackages`, {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'HostedClusterPackage',
      metadata: { name: NAME },
      spec: { template: { metadata: { labels: { team: 'fleet' } }, spec: { image: images.v1 } } },
    }),
  );
  s.instant = await rolledOut(fleet, images.v1, 'v1', 1);
  mark('instant', t);
  t = Date.now();
  await must(
    'patch the HostedClusterPackage',
    fleet.managementAdmin.request(
      'PATCH',
      HCPKG,
      {
        spec: {
          strategy: { instant: null, rollingUpgrade: { maxUnavailable: 1 } },
          template: { spec: { image: images.v2 } },
        },
      },
      'application/merge-patch+json',
    ),
  );
  s.rolling = await rolledOut(fleet, images.v2, 'v2', 2);
  mark('rolling', t);
  t = Date.now();
  s.deletion = await deleted(fleet);
  mark('delete', t);
}

async function processUse(
  fleet: Fleet,
  processes: readonly ControllerProcess[],
  steps: readonly Step[],
  failed: boolean,
): Promise<ProcessUse[]> {
  const management = new Map<string, Identity>(processes.map((p) => [p.label, p.management]));
  const byManagement = await countRequests(fleet.planes[0]?.auditLog ?? '', management, steps);
  // Each hosted API server counts the processes that send it requests: all, or the one that serves it alone.
  const byHosted = await Promise.all(
    fleet.planes.slice(1).map(async (plane, i) => {
      const senders = new Map<string, Identity>(
        processes.flatMap((p) =>
          p.hosted !== undefined && (p.hostedCluster ?? i) === i ? [[p.label, p.hosted] as const] : [],
        ),
      );
      return countRequests(plane.auditLog, senders, steps);
    }),
  );
  return Promise.all(
    processes.map(async (p) => ({
      label: p.label,
      peakRssBytes: (await memory(p.pid)).peak,
      cpuSeconds: await cpuSeconds(p.pid),
      management: byManagement.get(p.label),
      hosted:
        p.hosted === undefined
          ? []
          : byHosted.flatMap((m, i) => ((p.hostedCluster ?? i) === i ? [m.get(p.label)] : [])),
      ...(failed ? { outputTail: p.output().slice(-4000) } : {}),
    })),
  );
}

/** `BENCH_FLEET_LOGS=DIR`: each process's output (its last 256 KiB) to DIR/<set> <process>.log. */
async function keepLogs(set: string, processes: readonly ControllerProcess[]): Promise<void> {
  const dir = process.env['BENCH_FLEET_LOGS'];
  if (dir === undefined || dir === '') return;
  await mkdir(dir, { recursive: true });
  for (const p of processes) await writeFile(join(dir, `${set} ${p.label}.log`), p.output());
}

async function runSet(
  set: ControllerSet,
  images: { v1: string; v2: string },
  absent: string,
  round: string,
): Promise<FleetRun> {
  const fleet = await startFleet(absent);
  const s: Scenario = { steps: [] };
  let processes: ControllerProcess[] = [];
  let error: string | undefined;
  try {
    const started = Date.now();
    processes = await set.start(fleet);
    await new Promise((r) => setTimeout(r, 5_000)); // their start-up LISTs and WATCHes are in
    s.steps.push({ name: 'start', from: started, to: Date.now() });
    await scenario(fleet, images, s).catch((e: unknown) => {
      error = e instanceof Error ? e.message : String(e);
      s.steps.push({ name: 'failed', from: s.steps.at(-1)?.to ?? started, to: Date.now() });
    });
    await new Promise((r) => setTimeout(r, 2_000)); // the last requests are in the audit logs
    const use = await processUse(fleet, processes, s.steps, error !== undefined);
    await keepLogs(`${set.name}${round}`, processes);
    return {
      set: `${set.name}${round}`,
      clusters: CLUSTERS,
      objectsPerPackage: OBJECTS,
      ...(s.instant !== undefined ? { instant: s.instant } : {}),
      ...(s.rolling !== undefined ? { rolling: s.rolling } : {}),
      ...(s.deletion !== undefined ? { deletion: s.deletion } : {}),
      ...(error !== undefined ? { error } : {}),
      processes: use,
    };
  } finally {
    await Promise.all(processes.map(async (p) => p.stop()));
    await fleet.stop();
  }
}

const sec = (ms: number | undefined): string => (ms === undefined ? '—' : (ms / 1000).toFixed(1));
const mib = (b: number): string => (b / 1048576).toFixed(0);

/** One Markdown table row per process, the set's timings on its first row. */
function table(runs: readonly FleetRun[]): string {
  const rows = [
    '| controller set | process | instant: Packages / status (s) | rolling: Packages / status (s) | delete: objects gone (s) | management requests (start / instant / rolling / delete) | hosted requests per cluster | peak RSS MiB | CPU s |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of runs)
    for (const [i, p] of r.processes.entries()) {
      const m = p.management;
      const steps = ['start', 'instant', 'rolling', 'delete'].map((s) => m?.bySteps[s] ?? 0).join(' / ');
      const hosted = p.hosted.map((h) => h?.total ?? 0).join(', ');
      rows.push(
        `| ${i === 0 ? r.set : ''} | ${p.label} | ${i === 0 ? `${sec(r.instant?.packagesMs)} / ${sec(r.instant?.statusMs)}` : ''} | ${i === 0 ? `${sec(r.rolling?.packagesMs)} / ${sec(r.rolling?.statusMs)}` : ''} | ${i === 0 ? sec(r.deletion?.objectsGoneMs) : ''} | ${m?.total ?? 0} (${steps}) | ${hosted === '' ? '—' : hosted} | ${mib(p.peakRssBytes)} | ${p.cpuSeconds.toFixed(1)} |`,
      );
    }
  return rows.join('\n');
}

function benchResults(r: FleetRun): BenchResult[] {
  const out: BenchResult[] = [];
  const add = (what: string, ms: number | undefined, note: string): void => {
    if (ms !== undefined)
      out.push({ name: `fleet [${r.set}]: ${what}`, ops: 1000 / ms, meanMs: ms, p95Ms: ms, note });
  };
  const rss = r.processes.map(
    (p) => `${p.label} ${mib(p.peakRssBytes)} MiB, ${p.cpuSeconds.toFixed(1)} CPU s`,
  );
  add(
    `instant rollout to ${r.clusters} clusters`,
    r.instant?.statusMs,
    `Packages ${sec(r.instant?.packagesMs)} s; ${rss.join('; ')}`,
  );
  add(
    'rolling upgrade (maxUnavailable 1)',
    r.rolling?.statusMs,
    `Packages ${sec(r.rolling?.packagesMs)} s; order ${r.rolling?.order.join(' → ') ?? ''}; at most ${r.rolling?.maxUnavailable ?? ''} Package(s) not Available and ${r.rolling?.maxUpdating ?? ''} cluster(s) updating at once; per cluster (ms after the patch: Package updated / objects updated) ${(r.rolling?.clusters ?? []).map((c) => `${c.namespace} ${c.updatedMs ?? '—'} / ${c.doneMs ?? '—'}`).join(', ')}`,
  );
  add(
    'HostedClusterPackage deleted → objects gone',
    r.deletion?.objectsGoneMs,
    `Packages gone ${sec(r.deletion?.packagesGoneMs)} s`,
  );
  if (r.error !== undefined)
    out.push({ name: `fleet [${r.set}]: FAILED`, ops: 0, meanMs: 0, p95Ms: 0, note: r.error });
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const { sets, skipped } = controllerSets();
  if (skipped !== undefined) console.error(`fleet bench: PKO is LEFT OUT: ${skipped}`);
  const only = process.env['BENCH_CONTENDER'];
  const registry = await startRegistry({ log: () => undefined });
  const runs: FleetRun[] = [];
  try {
    const images = {
      v1: await pushFleetPackage(registry.host, 'v1'),
      v2: await pushFleetPackage(registry.host, 'v2'),
    };
    const absent = `${registry.host}/bench/remote-phase-absent:v0`;
    // Rounds alternate the sets, so a busy machine's noise falls on both alike.
    for (let round = 1; round <= ROUNDS; round++)
      for (const set of sets) {
        if (only !== undefined && !set.name.startsWith(only)) continue;
        const r = await runSet(set, images, absent, ROUNDS > 1 ? ` #${round}` : '');
        console.log(JSON.stringify(r));
        runs.push(r);
      }
  } finally {
    await registry.stop();
  }
  const out = process.env['BENCH_FLEET_OUT'] ?? join(tmpdir(), 'fleet-bench.json');
  await writeFile(out, `${JSON.stringify({ clusters: CLUSTERS, objects: OBJECTS, runs }, undefined, 2)}\n`);
  console.log(`\n${table(runs)}\n\nJSON: ${out}\n`);
  return runs.flatMap(benchResults);
}
