// Gantry at scale (`npm run bench -- scale`): SCALE_PACKAGES (default 10,000) Packages of one 5-ConfigMap package, one
// namespace per 1,000, installed by two sharded runners (`gantry run --shard 0/2` and `1/2`, separate OS processes)
// on a control plane of its own that keeps an audit log. Reports the time from the runners' start to all Available,
// the runners' requests per Package (audit log, User-Agent gantry/…), the peak RSS (VmHWM) of each runner's node
// process, the CPU seconds of each runner, of kube-apiserver and of etcd; then, with the runners stopped, one
// schedule tick of `gantry serve` over those Packages (its requests, where the server served them from, its ms) and
// what one LIST of every Package costs (resourceVersion=0 in one answer against pages of 500).
// SCALE_CONCURRENCY sets each runner's --concurrency (default 16).
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { countBy, eachAuditRequest, storageLists } from '../devenv/audit.js';
import { startControlPlane, type ControlPlane } from '../devenv/control-plane.js';
import type { KubeClient } from '../devenv/kube.js';
import { cpuSeconds, memory } from '../devenv/proc-stats.js';
import { logTail, startProcess, type ManagedProcess } from '../devenv/process.js';
import { startRegistry } from '../devenv/registry.js';
import { KubePages } from '../functions/adapters/kube/pages.js';
import { createEngine } from '../functions/hosts/engine.js';
import { recordingQueue } from '../functions/hosts/fake-cluster.js';
import { TriggerCore } from '../functions/hosts/triggers.js';
import { pushConfigMapPackage } from './configmap-package.js';
import type { BenchResult } from './types.js';

const GROUP = 'package-operator.run';
const API = `${GROUP}/v1alpha1`;
const PER_NAMESPACE = 1000;
const CREATE_WORKERS = 32;
const MiB = 1024 * 1024;
const repoRoot = join(import.meta.dirname, '..');
const listSchema = z.object({
  metadata: z
    .object({ continue: z.string().optional(), remainingItemCount: z.number().optional() })
    .optional(),
  items: z.array(z.unknown()).nullable().optional(),
});
const availableSchema = z.object({
  status: z
    .object({ conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional() })
    .optional(),
});

async function listPage(
  admin: KubeClient,
  path: string,
): Promise<z.infer<typeof listSchema> & { bytes: number }> {
  const r = await admin.get(path);
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return { ...listSchema.parse(r.body), bytes: r.text.length };
}

/** Every Package, in pages of 500 (consistent, from the watch cache): how many Available, pages, largest page. */
async function walkPackages(
  admin: KubeClient,
): Promise<{ available: number; pages: number; largest: number }> {
  let available = 0;
  let pages = 0;
  let largest = 0;
  let next: string | undefined;
  do {
    const page = await listPage(
      admin,
      `/apis/${API}/packages?limit=500${next !== undefined ? `&continue=${encodeURIComponent(next)}` : ''}`,
    );
    pages += 1;
    largest = Math.max(largest, page.bytes);
    for (const item of page.items ?? []) {
      const conditions = availableSchema.safeParse(item).data?.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Available' && c.status === 'True')) available += 1;
    }
    next = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
  } while (next !== undefined);
  return { available, pages, largest };
}

/** How many objects a collection holds (one item asked for, the server counts the rest). */
async function countOf(admin: KubeClient, collection: string): Promise<number> {
  const page = await listPage(admin, `${collection}?limit=1`);
  return (page.items ?? []).length + (page.metadata?.remainingItemCount ?? 0);
}

async function createPackages(admin: KubeClient, image: string, count: number): Promise<void> {
  for (let ns = 0; ns < Math.ceil(count / PER_NAMESPACE); ns++) {
    const r = await admin.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `scale-${ns}` },
    });
    if (r.status !== 201) throw new Error(`namespace scale-${ns}: HTTP ${r.status}`);
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const ns = `scale-${Math.floor(i / PER_NAMESPACE)}`;
      const r = await admin.create(`/apis/${API}/namespaces/${ns}/packages`, {
        apiVersion: API,
        kind: 'Package',
        metadata: { name: `p${i}`, namespace: ns },
        spec: { image },
      });
      if (r.status !== 201) throw new Error(`Package ${ns}/p${i}: HTTP ${r.status} ${r.text}`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_WORKERS }, worker));
}

function startRunner(cp: ControlPlane, shard: number, concurrency: number, logDir: string): ManagedProcess {
  // The `gantry` launcher execs node with the hosts' node flags, as a user's `gantry run` starts.
  return startProcess(
    `gantry-run-${shard}`,
    join(repoRoot, 'bin', 'gantry'),
    ['run', '--kubeconfig', cp.kubeconfigPath, '--shard', `${shard}/2`, '--concurrency', String(concurrency)],
    join(logDir, `runner-${shard}.log`),
  );
}

async function waitAllAvailable(
  admin: KubeClient,
  count: number,
  runners: readonly ManagedProcess[],
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  // Each poll lists every Package (its CPU is the API server's too): every second per 1,000 Packages.
  const pollMs = Math.max(1_000, count);
  for (;;) {
    const { available } = await walkPackages(admin);
    process.stderr.write(
      `[scale] ${((Date.now() - started) / 1000).toFixed(0)} s: ${available} of ${count} Available\n`,
    );
    if (available >= count) return;
    for (const r of runners)
      if (r.exited() !== undefined) throw new Error(`${r.name} exited:\n${await logTail(r.logFile)}`);
    if (Date.now() - started > timeoutMs) throw new Error(`${count - available} of ${count} not Available`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function processOf(cp: ControlPlane, name: string): ManagedProcess {
  const p = cp.processes.find((x) => x.name === name);
  if (p === undefined) throw new Error(`no ${name} in the control plane`);
  return p;
}

/** One schedule tick of `gantry serve` (after a first one that warms discovery): its ms, requests, cache use. */
export async function measureTick(cp: ControlPlane, auditLog: string, count: number): Promise<BenchResult> {
  const engine = await createEngine({ kubeconfig: cp.kubeconfigPath, env: {} });
  const core = new TriggerCore({
    deps: engine.deps,
    pages: new KubePages(engine.client),
    concurrency: 1,
    namespace: '',
    fullResyncMs: 3_600_000,
    admissionBudgetMs: 0,
    log: () => undefined,
    queue: recordingQueue([]), // the tick is measured, not the steps it would run
  });
  try {
    await core.tick();
    await new Promise((r) => setTimeout(r, 1_100));
    const before = await storageLists(cp.client, GROUP, 'packages');
    const heap0 = process.memoryUsage().heapUsed;
    let heapPeak = heap0;
    const sampler = setInterval(() => {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }, 5);
    const t0 = Date.now();
    const dispatched = await core.tick();
    const ms = Date.now() - t0;
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await storageLists(cp.client, GROUP, 'packages');
    const requests: { verb: string; resource: string }[] = [];
    await eachAuditRequest(auditLog, 'gantry/', t0 - 5, t0 + ms + 5, (r) => requests.push(r));
    const byKind = countBy(requests, (r) => `${r.verb} ${r.resource}`);
    return {
      name: `scale: one serve tick over ${count} Packages (and their ObjectDeployments, ObjectSets)`,
      ops: 1000 / ms,
      meanMs: ms,
      p95Ms: ms,
      memoryBytes: heapPeak - heap0,
      note: `${requests.length} requests ${JSON.stringify(byKind)}; packages LISTs served from watch cache ${after.watchcache - before.watchcache}, from etcd ${after.etcd - before.etcd}; ${dispatched} due; memory = heap growth during the tick`,
    };
  } finally {
    await core.stop();
    engine.close();
  }
}

/** One LIST of every Package: resourceVersion=0 (one answer) against pages of 500. */
export async function measureList(admin: KubeClient, count: number): Promise<BenchResult> {
  const t0 = Date.now();
  const whole = await admin.get(`/apis/${API}/packages?resourceVersion=0&limit=500`);
  const wholeMs = Date.now() - t0;
  const t1 = Date.now();
  const paged = await walkPackages(admin);
  const pagedMs = Date.now() - t1;
  return {
    name: `scale: LIST of ${count} Packages, resourceVersion=0&limit=500 (limit ignored) vs pages of 500`,
    ops: 1000 / wholeMs,
    meanMs: wholeMs,
    p95Ms: pagedMs,
    memoryBytes: whole.text.length,
    note: `resourceVersion=0: 1 answer of ${(whole.text.length / MiB).toFixed(1)} MiB in ${wholeMs} ms (the memory column); consistent pages: ${paged.pages} answers, the largest ${(paged.largest / MiB).toFixed(2)} MiB, ${pagedMs} ms in all (the p95 column)`,
  };
}

export async function run(): Promise<BenchResult[]> {
  const count = Number(process.env['SCALE_PACKAGES'] ?? 10_000);
  const concurrency = Number(process.env['SCALE_CONCURRENCY'] ?? 16);
  const dir = await mkdtemp(join(tmpdir(), 'gantry-scale-'));
  const auditLog = join(dir, 'audit.log');
  const cp = await startControlPlane({ auditLogPath: auditLog, log: () => undefined });
  const registry = await startRegistry({ log: () => undefined });
  const admin = cp.client;
  const apiserver = processOf(cp, 'kube-apiserver');
  const etcd = processOf(cp, 'etcd');
  const runners: ManagedProcess[] = [];
  const results: BenchResult[] = [];
  let finished = false;
  try {
    const image = await pushConfigMapPackage(registry.host, 'scale5', 5);
    const c0 = Date.now();
    await createPackages(admin, image, count);
    const createMs = Date.now() - c0;
    const apiMem0 = await memory(apiserver.pid);
    const cpu0 = { api: await cpuSeconds(apiserver.pid), etcd: await cpuSeconds(etcd.pid) };
    const t0 = Date.now();
    for (const shard of [0, 1]) runners.push(startRunner(cp, shard, concurrency, dir));
    await waitAllAvailable(admin, count, runners, Math.max(600_000, count * 300));
    const t1 = Date.now();
    const cpu1 = { api: await cpuSeconds(apiserver.pid), etcd: await cpuSeconds(etcd.pid) };
    const shards = await Promise.all(
      runners.map(async (r) => ({ ...(await memory(r.pid)), cpu: await cpuSeconds(r.pid) })),
    );
    const apiMem1 = await memory(apiserver.pid);
    const etcdMem = await memory(etcd.pid);
    await new Promise((r) => setTimeout(r, 2_000));
    const requests: { verb: string; resource: string }[] = [];
    await eachAuditRequest(auditLog, 'gantry/', t0, Date.now(), (r) => requests.push(r));
    const objects = {
      objectDeployments: await countOf(admin, `/apis/${API}/objectdeployments`),
      objectSets: await countOf(admin, `/apis/${API}/objectsets`),
      configMaps: await countOf(admin, '/api/v1/configmaps'),
      events: await countOf(admin, '/api/v1/events'),
    };
    const dbFile = join(cp.dir, 'etcd', 'member', 'snap', 'db');
    const dbBytes = existsSync(dbFile) ? statSync(dbFile).size : 0;
    const install: BenchResult = {
      name: `scale: ${count} Packages × 5 ConfigMaps, 2 sharded runners (--concurrency ${concurrency}) → all Available`,
      ops: count / ((t1 - t0) / 1000),
      meanMs: t1 - t0,
      p95Ms: t1 - t0,
      memoryBytes: Math.max(...shards.map((s) => s.peak)),
      note: [
        `${requests.length} runner requests, ${(requests.length / count).toFixed(1)} per Package ${JSON.stringify(countBy(requests, (r) => r.verb))}`,
        `runner VmHWM ${shards.map((s) => `${(s.peak / MiB).toFixed(0)} MiB`).join(' / ')}, CPU ${shards.map((s) => `${s.cpu.toFixed(1)} s`).join(' / ')}`,
        `kube-apiserver CPU ${(cpu1.api - cpu0.api).toFixed(1)} s, RSS ${(apiMem0.now / MiB).toFixed(0)} → ${(apiMem1.now / MiB).toFixed(0)} MiB (peak ${(apiMem1.peak / MiB).toFixed(0)})`,
        `etcd CPU ${(cpu1.etcd - cpu0.etcd).toFixed(1)} s, RSS ${(etcdMem.now / MiB).toFixed(0)} MiB, db ${(dbBytes / MiB).toFixed(0)} MiB`,
        `objects ${JSON.stringify(objects)}; creating the Packages took ${createMs} ms (before the runners started)`,
      ].join('; '),
    };
    console.log(JSON.stringify(install));
    results.push(install);
    await Promise.all(runners.map(async (r) => r.stop()));
    runners.length = 0;
    const tick = await measureTick(cp, auditLog, count);
    console.log(JSON.stringify(tick));
    results.push(tick);
    const list = await measureList(admin, count);
    console.log(JSON.stringify(list));
    results.push(list);
    finished = true;
  } finally {
    await Promise.all(runners.map(async (r) => r.stop()));
    await registry.stop();
    await cp.stop();
    // The runners' logs stay when something failed.
    if (finished) await rm(dir, { recursive: true, force: true });
    else console.error(`scale bench: runner logs and the audit log are in ${dir}`);
  }
  return results;
}
