// The reconcile engine against a real control plane (etcd + kube-apiserver, plain mode: ConfigMap packages need
// no workloads) and a real registry, side by side with PKO's own manager when it is built (scripts/build-pko.sh):
// each controller on a fresh control plane, as its own OS process (`gantry run` through the `gantry` launcher, which
// execs node on the bundle with the hosts' node flags, as a user starts it; PKO's
// package-operator-manager v1.19.0). Workloads: create → Available=True for one Package of N ConfigMaps in two
// phases (the first round includes the controller's start-up, as a user meets it), many Packages at once on a
// freshly started controller (peak RSS of that process, VmHWM), and an idle minute. Requests (each once; a watch when it opens) are counted from the
// API server's audit log by each controller's User-Agent. `BENCH_MANY` sets the many-packages size (default 1000);
// `BENCH_PKO=0` leaves PKO out, `BENCH_CONTENDER=gantry` or `=PKO` runs one of them, `BENCH_SIZES` the one-Package
// sizes, `BENCH_NODE_ARGS` adds node flags to `gantry run` (profiling: `--cpu-prof --cpu-prof-dir=DIR`, `--trace-gc`),
// `BENCH_GANTRY_ARGS` adds `gantry run` flags (say `--concurrency 16`), `BENCH_GANTRY_LOG` sends its standard output to a file. Each contender starts once the API
// server's watch caches of the CRDs serve (`BENCH_COLD_CACHES=1`: at once, meeting their 429s).
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../devenv/control-plane.js';
import { cpuSeconds, memory } from '../devenv/proc-stats.js';
import { KubeClient } from '../devenv/kube.js';
import { startRegistry } from '../devenv/registry.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { locatePkoManager, startPkoManager } from '../test/pko-manager.js';
import { runGantry } from '../test/run-cli.js';
import type { BenchResult } from './types.js';

interface AuditEvent {
  readonly auditID?: string;
  readonly userAgent?: string;
  readonly verb?: string;
  readonly requestReceivedTimestamp?: string;
  readonly stage?: string;
  readonly objectRef?: { readonly resource?: string; readonly subresource?: string };
}

interface Requests {
  readonly total: number;
  readonly byVerb: Record<string, number>;
  /** `verb resource[/subresource]` → count. */
  readonly byRequest: Record<string, number>;
}

async function controllerRequests(
  auditLog: string,
  userAgent: string,
  since: number,
  until: number,
): Promise<Requests> {
  const text = await readFile(auditLog, 'utf8').catch(() => '');
  const byVerb: Record<string, number> = {};
  const byRequest: Record<string, number> = {};
  let total = 0;
  // Each request once: a watch when its response starts (it may still be open at the end of the round), any other
  // when it completes (a refused watch has no ResponseStarted).
  const counted = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.stage !== 'ResponseComplete' && e.stage !== 'ResponseStarted') continue;
    if (!(e.userAgent ?? '').startsWith(userAgent)) continue;
    const at = Date.parse(e.requestReceivedTimestamp ?? '');
    if (at < since || at > until) continue;
    const id = e.auditID ?? line;
    if (counted.has(id)) continue;
    counted.add(id);
    total += 1;
    const verb = e.verb ?? '?';
    byVerb[verb] = (byVerb[verb] ?? 0) + 1;
    const sub = e.objectRef?.subresource !== undefined ? `/${e.objectRef.subresource}` : '';
    const what = `${verb} ${e.objectRef?.resource ?? '?'}${sub}`;
    byRequest[what] = (byRequest[what] ?? 0) + 1;
  }
  return { total, byVerb, byRequest };
}

async function pushConfigMaps(registryHost: string, name: string, count: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gantry-bench-${name}-`));
  await writeFile(
    join(dir, 'manifest.yaml'),
    `apiVersion: manifests.package-operator.run/v1alpha1\nkind: PackageManifest\nmetadata:\n  name: ${name}\nspec:\n  scopes: [Namespaced]\n  phases:\n    - name: first\n    - name: second\n`,
  );
  await mkdir(join(dir, 'cms'));
  for (let i = 0; i < count; i++) {
    const phase = i < count / 2 ? 'first' : 'second';
    await writeFile(
      join(dir, 'cms', `cm-${i}.yaml`),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  annotations:\n    package-operator.run/phase: ${phase}\ndata:\n  value: "${'x'.repeat(64)}-${i}"\n`,
    );
  }
  const image = `${registryHost}/bench/${name}:v1`;
  const r = await runGantry(['build', dir, '-t', image, '--push', '--insecure'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  return image;
}

function available(body: unknown): boolean {
  const conditions =
    (body as { status?: { conditions?: { type: string; status: string }[] } } | undefined)?.status
      ?.conditions ?? [];
  return conditions.some((c) => c.type === 'Available' && c.status === 'True');
}

async function waitAvailable(admin: KubeClient, paths: readonly string[], timeoutMs: number): Promise<void> {
  const started = Date.now();
  const pending = new Set(paths);
  const collections = new Set(paths.map((p) => p.slice(0, p.lastIndexOf('/'))));
  while (pending.size > 0) {
    for (const collection of collections) {
      const items =
        ((await admin.get(collection)).body as { items?: { metadata: { name: string } }[] } | undefined)
          ?.items ?? [];
      for (const item of items) if (available(item)) pending.delete(`${collection}/${item.metadata.name}`);
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`${pending.size} packages not Available after ${timeoutMs} ms`);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
  }
}

async function namespace(admin: KubeClient, name: string): Promise<void> {
  await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function pkg(ns: string, name: string, image: string): unknown {
  return {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: { name, namespace: ns },
    spec: { image },
  };
}

/** A controller under test, started as its own process against a kubeconfig. */
interface Contender {
  readonly name: string;
  /** The User-Agent prefix of its requests in the audit log. */
  readonly userAgent: string;
  start(kubeconfig: string, admin: KubeClient): Promise<RunningController>;
}

interface RunningController {
  /** The controller's own process (its CPU seconds and peak RSS are read from /proc). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** A file for `gantry run`'s standard output (`BENCH_GANTRY_LOG`; say with `BENCH_NODE_ARGS=--trace-gc`). */
const GANTRY_LOG = process.env['BENCH_GANTRY_LOG'];

/** The one-Package workloads' sizes (`BENCH_SIZES=50,500`, the default; `BENCH_SIZES=` runs none of them). */
const ONE_PACKAGE_SIZES = (process.env['BENCH_SIZES'] ?? '50,500')
  .split(',')
  .filter((n) => n !== '')
  .map(Number);

/**
 * Extra node flags for `gantry run` in this bench, split on spaces (say `--trace-gc`, or `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`; node refuses both in NODE_OPTIONS): the engine then starts as `node <flags>
 * bin/gantry.mjs`, with the launcher's own flags added unless these set them.
 */
const GANTRY_NODE_ARGS = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');

/** Extra `gantry run` flags in this bench (say `--concurrency 16`), split on spaces. */
const GANTRY_RUN_ARGS = (process.env['BENCH_GANTRY_ARGS'] ?? '').split(' ').filter((a) => a !== '');

/** The command that starts `gantry run`: the launcher, or node with the extra flags on the bundle's entry. */
function gantryCommand(args: readonly string[]): [string, string[]] {
  if (GANTRY_NODE_ARGS.length === 0) return [new URL('../bin/gantry', import.meta.url).pathname, [...args]];
  const launcherFlag = [
    ...(GANTRY_NODE_ARGS.some((a) => a.startsWith('--heap-growing-percent'))
      ? []
      : ['--heap-growing-percent=25']),
    ...(GANTRY_NODE_ARGS.some((a) => a.startsWith('--max-semi-space-size'))
      ? []
      : ['--max-semi-space-size=4']),
  ];
  return [
    process.execPath,
    [...launcherFlag, ...GANTRY_NODE_ARGS, new URL('../bin/gantry.mjs', import.meta.url).pathname, ...args],
  ];
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
}

const GANTRY: Contender = {
  name: 'gantry run',
  userAgent: 'gantry/',
  start: (kubeconfig) => {
    // The launcher execs node on the bundle (bin/gantry.mjs imports dist/gantry.mjs in-process): this pid is the
    // engine's node process, with the node flags a user's `gantry run` gets.
    const [command, argv] = gantryCommand(['run', '--kubeconfig', kubeconfig, ...GANTRY_RUN_ARGS]);
    const child = spawn(command, argv, {
      stdio: ['ignore', GANTRY_LOG === undefined ? 'ignore' : openSync(GANTRY_LOG, 'a'), 'ignore'],
      env: { ...process.env, GANTRY_FROM_SOURCE: '' },
    });
    return Promise.resolve({
      pid: child.pid,
      stop: async () => {
        child.kill('SIGTERM');
        await exited(child);
      },
    });
  },
};

function pkoContender(binary: string): Contender {
  return {
    name: 'PKO v1.19.0 manager',
    userAgent: 'package-operator-manager/',
    start: async (kubeconfig, admin) => {
      const ns = 'package-operator-system';
      await admin
        .create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
        .catch(() => undefined);
      await admin
        .create(`/api/v1/namespaces/${ns}/serviceaccounts`, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'package-operator', namespace: ns },
        })
        .catch(() => undefined);
      const manager = startPkoManager(binary, kubeconfig, ns);
      return { pid: manager.pid, stop: async () => manager.stop() };
    },
  };
}

const ms = (n: number): string => `${(n / 1000).toFixed(2)} s`;

async function startSettled(c: Contender, kubeconfig: string, admin: KubeClient): Promise<RunningController> {
  const running = await c.start(kubeconfig, admin);
  await new Promise((r) => setTimeout(r, 5_000)); // its start-up LISTs and WATCHes are in
  return running;
}

/** One Package of n ConfigMaps, three rounds on one controller started for the first of them. */
async function onePackage(
  c: Contender,
  env: { kubeconfig: string; admin: KubeClient; auditLog: string; image: string },
  n: number,
): Promise<BenchResult> {
  const samples: number[] = [];
  const requests: number[] = [];
  let last: Requests | undefined;
  let first: Requests | undefined;
  const started = Date.now();
  const running = await startSettled(c, env.kubeconfig, env.admin);
  try {
    for (let round = 0; round < 3; round++) {
      const ns = `bench-${n}-${round}`;
      await namespace(env.admin, ns);
      // Timed by a watch of the Package (not polling, whose period would round every sample up to it).
      const collection = `/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`;
      const watch = await env.admin.watchFrom(
        collection,
        'fieldSelector=metadata.name%3Dp',
        available,
        300_000,
      );
      const t0 = Date.now();
      await env.admin.create(collection, pkg(ns, 'p', env.image));
      await watch.until;
      samples.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 1500));
      last = await controllerRequests(
        env.auditLog,
        c.userAgent,
        round === 0 ? started : t0 - 200,
        Date.now(),
      );
      requests.push(last.total);
      first ??= last;
    }
  } finally {
    await running.stop();
  }
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return {
    name: `engine [${c.name}]: 1 Package of ${n} ConfigMaps, create → Available`,
    ops: 1000 / mean,
    meanMs: mean,
    p95Ms: Math.max(...samples),
    note: `requests per round ${requests.join(', ')} (the first with the controller's start-up); first round: ${JSON.stringify(first?.byRequest ?? {})}; last round: ${JSON.stringify(last?.byRequest ?? {})}; runs ${samples.map(ms).join(', ')}`,
  };
}

/** `many` Packages of 5 ConfigMaps at once, on a controller started for them; its peak RSS. */
async function manyPackages(
  c: Contender,
  env: {
    kubeconfig: string;
    admin: KubeClient;
    auditLog: string;
    image: string;
    /** The control plane's kube-apiserver and etcd, for their CPU seconds. */
    apiserver: number | undefined;
    etcd: number | undefined;
  },
  many: number,
): Promise<{ result: BenchResult; running: RunningController }> {
  const started = Date.now();
  const running = await startSettled(c, env.kubeconfig, env.admin);
  const paths: string[] = [];
  for (let i = 0; i < many; i++) await namespace(env.admin, `bench-many-${i}`);
  const cpu = async (): Promise<readonly number[]> =>
    Promise.all([running.pid, env.apiserver, env.etcd].map(async (pid) => cpuSeconds(pid)));
  const cpu0 = await cpu();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: many }, async (_, i) => {
      const ns = `bench-many-${i}`;
      paths.push(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/p${i}`);
      await env.admin.create(
        `/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`,
        pkg(ns, `p${i}`, env.image),
      );
    }),
  );
  await waitAvailable(env.admin, paths, 1_800_000);
  const t1 = Date.now();
  const cpu1 = await cpu();
  const [controllerCpu, apiserverCpu, etcdCpu] = cpu1.map((v, i) => (v - (cpu0[i] ?? 0)).toFixed(1));
  await new Promise((r) => setTimeout(r, 2000));
  const req = await controllerRequests(env.auditLog, c.userAgent, started, Date.now());
  const rss = (await memory(running.pid)).peak;
  return {
    running,
    result: {
      name: `engine [${c.name}]: ${many} Packages × 5 ConfigMaps at once → all Available`,
      ops: many / ((t1 - t0) / 1000),
      meanMs: t1 - t0,
      p95Ms: t1 - t0,
      memoryBytes: rss,
      note: `${req.total} API requests from the controller's start (${(req.total / many).toFixed(1)} per Package): ${JSON.stringify(req.byRequest)}; peak RSS of the controller process ${(rss / 1048576).toFixed(0)} MiB; CPU seconds from the first create to all Available: controller ${controllerCpu}, kube-apiserver ${apiserverCpu}, etcd ${etcdCpu} (the bench's own polling included in the API server's)`,
    },
  };
}

/** CustomResourceDefinitions as far as this bench reads them. */
const crdListSchema = z.object({
  items: z.array(
    z.object({
      spec: z.object({
        group: z.string(),
        names: z.object({ plural: z.string() }),
        versions: z.array(z.object({ name: z.string(), served: z.boolean() })),
      }),
    }),
  ),
});

/**
 * Wait until the API server's watch cache of every CRD serves (`BENCH_COLD_CACHES=1` skips it). On an API server
 * started seconds before, the first watch of each freshly installed CRD is answered 429 with Retry-After while its
 * cache fills; a controller starting on a cluster whose CRDs were installed earlier never meets that, and both
 * contenders start on such a cluster.
 */
async function watchCachesReady(admin: KubeClient): Promise<void> {
  if (process.env['BENCH_COLD_CACHES'] === '1') return;
  const crds = crdListSchema.parse(
    (await admin.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).body,
  );
  const paths = crds.items.flatMap((c) =>
    c.spec.versions
      .filter((v) => v.served)
      .map((v) => `/apis/${c.spec.group}/${v.name}/${c.spec.names.plural}`),
  );
  const deadline = Date.now() + 60_000;
  await Promise.all(
    paths.map(async (path) => {
      while ((await admin.watchStatus(path)) !== 200) {
        if (Date.now() > deadline) throw new Error(`the watch cache of ${path} did not start within 60 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }),
  );
}

async function controlPlaneFor(): Promise<{
  cp: Awaited<ReturnType<typeof startControlPlane>>;
  admin: KubeClient;
  auditLog: string;
}> {
  const auditLog = join(await mkdtemp(join(tmpdir(), 'gantry-audit-')), 'audit.log');
  const cp = await startControlPlane({ auditLogPath: auditLog, log: () => undefined });
  const admin = new KubeClient({
    server: cp.server,
    caFile: cp.certs.caCert,
    certFile: cp.certs.adminCert,
    keyFile: cp.certs.adminKey,
  });
  await watchCachesReady(admin);
  return { cp, admin, auditLog };
}

/** Someone edits an object a Package installed: how long until the controller has put it back. */
async function drift(c: Contender, admin: KubeClient): Promise<BenchResult> {
  const path = '/api/v1/namespaces/bench-many-0/configmaps/cm-0';
  const before = (await admin.get(path)).body as { data?: Record<string, string> } | undefined;
  const t0 = Date.now();
  await admin.request('PATCH', path, { data: { value: 'drifted' } }, 'application/merge-patch+json');
  let back = false;
  while (!back && Date.now() - t0 < 30_000) {
    await new Promise((r) => setTimeout(r, 50));
    const now = (await admin.get(path)).body as { data?: Record<string, string> } | undefined;
    back = now?.data?.['value'] === before?.data?.['value'];
  }
  const ms = Date.now() - t0;
  return {
    name: `engine [${c.name}]: drift of one ConfigMap corrected`,
    ops: 1000 / ms,
    meanMs: ms,
    p95Ms: ms,
    note: back ? `put back ${ms} ms after the edit (polled every 50 ms)` : 'NOT put back within 30 s',
  };
}

/** The workloads of one controller: each on a fresh control plane, so no workload sees another's objects. */
async function contend(c: Contender, images: Map<number, string>, many: number): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const n of ONE_PACKAGE_SIZES) {
    const { cp, admin, auditLog } = await controlPlaneFor();
    try {
      const one = await onePackage(
        c,
        { kubeconfig: cp.kubeconfigPath, admin, auditLog, image: images.get(n) ?? '' },
        n,
      );
      console.log(JSON.stringify(one));
      results.push(one);
    } finally {
      await cp.stop();
    }
  }
  if (many === 0) return results; // BENCH_MANY=0: the one-Package workloads only
  const { cp, admin, auditLog } = await controlPlaneFor();
  try {
    const env = {
      kubeconfig: cp.kubeconfigPath,
      admin,
      auditLog,
      image: images.get(5) ?? '',
      apiserver: cp.processes.find((p) => p.name === 'kube-apiserver')?.pid,
      etcd: cp.processes.find((p) => p.name === 'etcd')?.pid,
    };
    const { result, running } = await manyPackages(c, env, many);
    console.log(JSON.stringify(result));
    results.push(result);
    try {
      const idleStart = Date.now();
      await new Promise((r) => setTimeout(r, 60_000));
      const idle = await controllerRequests(auditLog, c.userAgent, idleStart, Date.now());
      results.push({
        name: `engine [${c.name}]: idle minute with ${many} Packages installed`,
        ops: 0,
        meanMs: 60_000,
        p95Ms: 60_000,
        note: `${idle.total} API requests in 60 s: ${JSON.stringify(idle.byRequest)}`,
      });
      results.push(await drift(c, admin));
    } finally {
      await running.stop();
    }
  } finally {
    await cp.stop();
  }
  return results;
}

export async function run(): Promise<BenchResult[]> {
  const registry = await startRegistry({ log: () => undefined });
  const many = Number(process.env['BENCH_MANY'] ?? 1000);
  const pko = process.env['BENCH_PKO'] === '0' ? { missing: 'BENCH_PKO=0' } : locatePkoManager();
  if ('missing' in pko) console.error(`engine bench: PKO's manager is left out: ${pko.missing}`);
  const contenders = [GANTRY, ...('path' in pko ? [pkoContender(pko.path)] : [])];
  const only = process.env['BENCH_CONTENDER'];
  try {
    const images = new Map<number, string>();
    for (const n of [5, 50, 500]) images.set(n, await pushConfigMaps(registry.host, `cms${n}`, n));
    const results: BenchResult[] = [];
    for (const c of contenders)
      if (only === undefined || c.name.startsWith(only)) results.push(...(await contend(c, images, many)));
    return results;
  } finally {
    await registry.stop();
  }
}
