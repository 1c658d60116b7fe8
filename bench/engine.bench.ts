// The reconcile engine against a real control plane (etcd + kube-apiserver, plain mode: ConfigMap packages need
// no workloads) and a real registry: create → Available=True for one Package of N ConfigMaps in two phases, many
// Packages at once, and the idle request rate. Requests are counted from the API server's audit log (User-Agent
// gantry/…), as the issue asks. `BENCH_MANY` sets the many-packages size (default 1000).
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../devenv/control-plane.js';
import { KubeClient } from '../devenv/kube.js';
import { startRegistry } from '../devenv/registry.js';
import { createEngine } from '../functions/hosts/engine.js';
import { Runner } from '../functions/hosts/runner.js';
import { runGantry } from '../test/run-cli.js';
import type { BenchResult } from './types.js';

interface AuditEvent {
  readonly userAgent?: string;
  readonly verb?: string;
  readonly requestReceivedTimestamp?: string;
  readonly stage?: string;
}

async function gantryRequests(
  auditLog: string,
  since: number,
  until: number,
): Promise<{ total: number; byVerb: Record<string, number> }> {
  const text = await readFile(auditLog, 'utf8').catch(() => '');
  const byVerb: Record<string, number> = {};
  let total = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.stage !== 'ResponseComplete' || !(e.userAgent ?? '').startsWith('gantry/')) continue;
    const at = Date.parse(e.requestReceivedTimestamp ?? '');
    if (at < since || at > until) continue;
    total += 1;
    byVerb[e.verb ?? '?'] = (byVerb[e.verb ?? '?'] ?? 0) + 1;
  }
  return { total, byVerb };
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

export async function run(): Promise<BenchResult[]> {
  const auditLog = join(await mkdtemp(join(tmpdir(), 'gantry-audit-')), 'audit.log');
  const cp = await startControlPlane({ auditLogPath: auditLog, log: () => undefined });
  const registry = await startRegistry({ log: () => undefined });
  const admin = new KubeClient({
    server: cp.server,
    caFile: cp.certs.caCert,
    certFile: cp.certs.adminCert,
    keyFile: cp.certs.adminKey,
  });
  const engine = await createEngine({ kubeconfig: cp.kubeconfigPath, env: {} });
  const runner = new Runner({
    client: engine.client,
    deps: engine.deps,
    concurrency: 8,
    namespace: '',
    resyncMs: 36_000_000,
    log: () => undefined,
  });
  await runner.start();
  const results: BenchResult[] = [];
  try {
    for (const n of [50, 500]) {
      const image = await pushConfigMaps(registry.host, `cms${n}`, n);
      const samples: number[] = [];
      let requests = { total: 0, byVerb: {} as Record<string, number> };
      for (let round = 0; round < 3; round++) {
        const ns = `bench-${n}-${round}`;
        await namespace(admin, ns);
        const t0 = Date.now();
        await admin.create(
          `/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`,
          pkg(ns, 'p', image),
        );
        await waitAvailable(
          admin,
          [`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/p`],
          120_000,
        );
        const t1 = Date.now();
        samples.push(t1 - t0);
        await new Promise((r) => setTimeout(r, 1500));
        requests = await gantryRequests(auditLog, t0 - 1000, Date.now());
      }
      const one = {
        name: `engine: 1 Package of ${n} ConfigMaps, create → Available`,
        ops: 1000 / (samples.reduce((a, b) => a + b, 0) / samples.length),
        meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
        p95Ms: Math.max(...samples),
        note: `${requests.total} API requests in the last round (target ≤ ${Math.round(1.2 * n + 15)}): ${JSON.stringify(requests.byVerb)}; runs ${samples.join(', ')} ms`,
      };
      console.log(JSON.stringify(one));
      results.push(one);
    }
    const many = Number(process.env['BENCH_MANY'] ?? 1000);
    const image = await pushConfigMaps(registry.host, 'cms5', 5);
    // One namespace per Package: the packages share object names, as copies of one package do.
    const perNs = 1;
    const paths: string[] = [];
    for (let i = 0; i < Math.ceil(many / perNs); i++) await namespace(admin, `bench-many-${i}`);
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: many }, async (_, i) => {
        const ns = `bench-many-${Math.floor(i / perNs)}`;
        paths.push(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/p${i}`);
        await admin.create(
          `/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`,
          pkg(ns, `p${i}`, image),
        );
      }),
    );
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 200);
    await waitAvailable(admin, paths, 900_000);
    const t1 = Date.now();
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 2000));
    const req = await gantryRequests(auditLog, t0, Date.now());
    results.push({
      name: `engine: ${many} Packages × 5 ConfigMaps at once → all Available`,
      ops: many / ((t1 - t0) / 1000),
      meanMs: t1 - t0,
      p95Ms: t1 - t0,
      memoryBytes: peakRss,
      note: `${req.total} API requests (${(req.total / many).toFixed(1)} per Package, target ≤ 20): ${JSON.stringify(req.byVerb)}; RSS of the engine process (bench included) ${(peakRss / 1048576).toFixed(0)} MiB, before ${(rss0 / 1048576).toFixed(0)} MiB`,
    });
    const idleStart = Date.now();
    await new Promise((r) => setTimeout(r, 60_000));
    const idle = await gantryRequests(auditLog, idleStart, Date.now());
    results.push({
      name: `engine: idle minute with ${many + 6} Packages installed`,
      ops: 0,
      meanMs: 60_000,
      p95Ms: 60_000,
      note: `${idle.total} API requests in 60 s (target ≤ 5): ${JSON.stringify(idle.byVerb)}`,
    });
  } finally {
    await runner.stop();
    engine.close();
    await registry.stop();
    await cp.stop();
  }
  return results;
}
