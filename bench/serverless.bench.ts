// `npm run bench -- serverless`: the serverless hosts against a real control plane and registry (issue 12 §6).
// - Admission latency at a fixed arrival rate (500 requests/s, open loop, HTTPS keep-alive) without a package
//   fetch, and with a cached one; p50 and p99 in the note.
// - The Lambda bundle: size and compressed size (without the template WASM), and the cold start from import to
//   the first handled event (an EventBridge tick against the cluster), median of fresh processes.
// - A registry push to the new revision Available for a 5-object package, driven only by the registry's
//   notification to `gantry serve` (no polling, no watch).
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../devenv/control-plane.js';
import { startRegistry } from '../devenv/registry.js';
import { startServe, type ServeHost } from '../functions/hosts/serve.js';
import { bundleLambda } from '../scripts/bundle-lambda.js';
import { runGantry } from '../test/run-cli.js';
import type { BenchResult } from './types.js';

const RATE = 500;
const SECONDS = 6;
const TOKEN = 'bench-registry-token-0123';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? 0;
}

function review(ns: string, image: string, i: number): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `u-${i}`,
      kind: { group: 'package-operator.run', version: 'v1alpha1', kind: 'Package' },
      operation: 'CREATE',
      namespace: ns,
      name: `p-${i}`,
      dryRun: true,
      userInfo: { username: 'bench' },
      object: {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'Package',
        metadata: { name: `p-${i}`, namespace: ns },
        spec: { image, config: { replicas: 2 } },
      },
    },
  });
}

async function post(agent: Agent, port: number, body: string): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/webhooks/validate',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) resolve();
          else reject(new Error(`HTTP ${res.statusCode ?? 0}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  return performance.now() - started;
}

/** Open loop: one request every 1/RATE s regardless of answers; per-request latency. */
async function admissionLatency(
  serve: ServeHost,
  ca: string,
  image: string,
  name: string,
): Promise<BenchResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca });
  for (let i = 0; i < 200; i++) await post(agent, serve.port, review('bench', image, i));
  const total = RATE * SECONDS;
  const started = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(post(agent, serve.port, review('bench', image, i)));
  }
  const samples = (await Promise.all(pending)).sort((a, b) => a - b);
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return {
    name,
    ops: total / elapsed,
    meanMs: mean,
    p95Ms: percentile(samples, 0.95),
    note: `${RATE}/s for ${SECONDS} s: p50 ${percentile(samples, 0.5).toFixed(2)} ms, p99 ${percentile(samples, 0.99).toFixed(2)} ms, max ${(samples.at(-1) ?? 0).toFixed(1)} ms`,
  };
}

async function pushPackage(registry: string, name: string, tag: string, value: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gantry-bench-${name}-`));
  await writeFile(
    join(dir, 'manifest.yaml'),
    `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: ${name}
spec:
  scopes: [Namespaced]
  phases: [{name: one}, {name: two}]
  config:
    openAPIV3Schema:
      type: object
      properties:
        replicas: {type: integer, minimum: 1, default: 1}
`,
  );
  for (let i = 0; i < 5; i++)
    await writeFile(
      join(dir, `cm-${i}.yaml`),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  annotations:\n    package-operator.run/phase: ${i < 2 ? 'one' : 'two'}\ndata:\n  value: "${value}"\n`,
    );
  const image = `${registry}/bench/${name}:${tag}`;
  const r = await runGantry(['build', dir, '-t', image, '--push', '--insecure'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  return image;
}

function lambdaColdStarts(entry: string, env: Record<string, string>, runs: number): number[] {
  const script = `
const t0 = performance.now();
const { handler } = await import(${JSON.stringify(entry)});
await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, { getRemainingTimeInMillis: () => 5000 });
process.stdout.write(String(performance.now() - t0));
process.exit(0);`;
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`lambda cold start: ${r.stderr}`);
    out.push(Number(r.stdout));
  }
  return out.sort((a, b) => a - b);
}

async function inlineKubeconfig(server: string, ca: string, cert: string, key: string): Promise<string> {
  const b64 = async (p: string): Promise<string> => (await readFile(p)).toString('base64');
  return JSON.stringify({
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': await b64(ca) } }],
    users: [
      { name: 'u', user: { 'client-certificate-data': await b64(cert), 'client-key-data': await b64(key) } },
    ],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });
}

async function waitRevision(serve: ServeHost, ns: string, name: string, revision: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pkg = await serve.engine.client.get({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      namespace: ns,
      name,
    });
    const status = pkg['status'] as
      { revision?: number; conditions?: { type: string; status: string }[] } | undefined;
    const od = await serve.engine.client
      .list('package-operator.run/v1alpha1', 'ObjectSet', ns)
      .then((sets) => sets.find((s) => (s['spec'] as { revision?: number }).revision === revision));
    const setAvailable = (
      (od?.['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []
    ).some((c) => c.type === 'Available' && c.status === 'True');
    if (status?.revision === revision && setAvailable) return;
    if (Date.now() > deadline) throw new Error(`revision ${revision} of ${name} not Available`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `gantry serve` on the bench's control plane, with its serving certificate. */
async function serveOn(cp: ControlPlane, tickMs: number, admissionBudgetMs: number): Promise<ServeHost> {
  return startServe({
    kubeconfig: cp.kubeconfigPath,
    host: '127.0.0.1',
    port: 0,
    tls: {
      cert: await readFile(cp.certs.serverCert, 'utf8'),
      key: await readFile(cp.certs.serverKey, 'utf8'),
    },
    concurrency: 4,
    namespace: '',
    tickMs,
    fullResyncMs: 3_600_000,
    admissionBudgetMs,
    eventsAuth: { distribution: { token: TOKEN } },
    log: () => undefined,
  });
}

export async function run(): Promise<BenchResult[]> {
  const cp = await startControlPlane({ log: () => undefined });
  const results: BenchResult[] = [];
  const ca = await readFile(cp.certs.caCert, 'utf8');
  let serve: ServeHost | undefined;
  const registry = await startRegistry();
  try {
    serve = await serveOn(cp, 3_600_000, 0);
    const image = await pushPackage(registry.host, 'adm', 'v1', 'a');
    results.push(await admissionLatency(serve, ca, image, 'admission, no package fetch'));
    await serve.stop();
    serve = undefined;

    serve = await serveOn(cp, 1_000, 2_000);
    results.push(await admissionLatency(serve, ca, image, 'admission, cached package fetch'));

    // A registry push to Available, the registry notifying this serve instance.
    const notifying = await startRegistry({
      notifyUrl: `https://127.0.0.1:${serve.port}/events`,
      notifyHeaders: { Authorization: `Bearer ${TOKEN}` },
      env: { SSL_CERT_FILE: cp.certs.caCert },
    });
    try {
      const ns = 'bench-push';
      await cp.client.create('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
      const pushed = await pushPackage(notifying.host, 'five', 'stable', 'v-0');
      await cp.client.create(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`, {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'Package',
        metadata: { name: 'five', namespace: ns },
        spec: { image: pushed },
      });
      serve.core.dispatch(
        { apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace: ns, name: 'five' },
        'create',
      );
      await waitRevision(serve, ns, 'five', 1);
      const samples: number[] = [];
      for (let i = 1; i <= 3; i++) {
        await pushPackage(notifying.host, 'five', 'stable', `v-${i}`);
        const t = performance.now();
        await waitRevision(serve, ns, 'five', i + 1);
        samples.push(performance.now() - t);
      }
      samples.sort((a, b) => a - b);
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      results.push({
        name: 'registry push → new revision Available (5 objects)',
        ops: 1000 / mean,
        meanMs: mean,
        p95Ms: samples.at(-1) ?? 0,
        note: `median ${(samples[1] ?? 0).toFixed(0)} ms of 3 pushes; from \`gantry build --push\` returning, notification → serve`,
      });
    } finally {
      await notifying.stop();
    }
    await serve.stop();
    serve = undefined;

    const bundle = await bundleLambda(await mkdtemp(join(tmpdir(), 'gantry-lambda-bench-')), false);
    const env = {
      GANTRY_KUBECONFIG: await inlineKubeconfig(
        cp.server,
        cp.certs.caCert,
        cp.certs.adminCert,
        cp.certs.adminKey,
      ),
      GANTRY_NAMESPACE: 'bench-none',
    };
    const cold = lambdaColdStarts(bundle.entry, env, 7);
    results.push({
      name: 'lambda cold start: import → first handled event',
      ops: 1000 / (cold[3] ?? 1),
      meanMs: cold.reduce((a, b) => a + b, 0) / cold.length,
      p95Ms: cold.at(-1) ?? 0,
      note: `median ${(cold[3] ?? 0).toFixed(0)} ms of 7 fresh processes (EventBridge tick against the cluster); bundle ${(bundle.bytes / 1024).toFixed(0)} KiB, ${(bundle.gzipBytes / 1024).toFixed(0)} KiB compressed without the template WASM`,
    });
  } finally {
    await serve?.stop();
    await registry.stop();
    await cp.stop();
  }
  return results;
}
