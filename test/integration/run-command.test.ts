/**
 * `gantry run` itself, as a process: it reconciles, prints one JSON line per step, serves Prometheus metrics and
 * exits 0 on SIGTERM. (No other engine runs in this file.)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { Agent, get as httpsGet, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import type { KubeApi } from '../../shared/ports.js';
import { shardOf } from '../../shared/triggers/index.js';
import { keyOf } from '../../functions/hosts/triggers.js';
import { configMap, conditions, eventually, manifest, pkgRef, pushPackage } from './setup/engine.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const API = 'package-operator.run/v1alpha1';
const admin = testClient();
let client: RawKubeClient;
let kube: KubeApi;
const namespaces: string[] = [];

beforeAll(() => {
  client = new RawKubeClient(loadConnection(inject('kube').kubeconfigPath));
  kube = client;
});

afterAll(async () => {
  client.close();
  for (const ns of namespaces) await deleteNamespace(admin, ns);
});

async function namespace(prefix: string): Promise<string> {
  const ns = await createNamespace(admin, prefix);
  namespaces.push(ns);
  return ns;
}

/** A package of one ConfigMap, pushed to the test registry. */
async function pushOneConfigMap(name: string, manifestName: string): Promise<string> {
  return pushPackage(name, {
    'manifest.yaml': manifest(manifestName, ['only']),
    'a.yaml': configMap('a', 'only', { k: 'v' }),
  });
}

/** Create the Package `p` of `image` in `ns` and wait until the runner made it Available. */
async function installAvailable(ns: string, image: string): Promise<void> {
  await kube.create({
    apiVersion: API,
    kind: 'Package',
    metadata: { name: 'p', namespace: ns },
    spec: { image },
  });
  await eventually('Available under gantry run', async () =>
    conditions(await kube.get(pkgRef(ns, 'p')))['Available']?.status === 'True' ? true : undefined,
  );
}

describe('gantry run as a process', () => {
  it('serves metrics, reconciles, and stops cleanly on SIGTERM', async () => {
    const ns = await namespace('run-cli');
    const image = await pushOneConfigMap('run-cli', 'runcli');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'bin', 'gantry.mjs'),
        'run',
        '--kubeconfig',
        inject('kube').kubeconfigPath,
        '--metrics-addr',
        `127.0.0.1:${port}`,
        '-n',
        ns,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
      }),
    );
    try {
      await installAvailable(ns, image);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/gantry_steps_total\{kind="ObjectSet",step="probe",outcome="done"\} [1-9]/);
      expect(metrics).toMatch(/gantry_api_requests_total\{verb="PATCH",code="200"\} [1-9]/);
      expect(metrics).toContain('gantry_queue_depth');
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { key: string; step: string; outcome: string; durationMs: number });
      expect(lines).toContainEqual(expect.objectContaining({ key: `Package/${ns}/p`, outcome: 'done' }));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe("gantry run with PKO's manager knobs", () => {
  it('serves /healthz and /readyz on --health-probe-bind-address and, at LOG_LEVEL=-1, prints no step that did not fail', async () => {
    const ns = await namespace('run-knobs');
    const image = await pushOneConfigMap('run-knobs', 'runknobs');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const { child, stdout, exited } = gantryProcess(
      [
        'run',
        '--kubeconfig',
        inject('kube').kubeconfigPath,
        '--health-probe-bind-address',
        `127.0.0.1:${port}`,
        '--enable-leader-election=false',
        '--service-account-name',
        'package-operator',
        '-n',
        ns,
      ],
      { LOG_LEVEL: '-1' },
    );
    try {
      const probe = async (path: string): Promise<[number, string]> => {
        const r = await fetch(`http://127.0.0.1:${port}${path}`);
        return [r.status, await r.text()];
      };
      expect(
        await eventually('the health probe listener', async () => probe('/healthz').catch(() => undefined)),
      ).toEqual([200, 'ok']);
      expect(await probe('/readyz')).toEqual([200, 'ok']);
      await installAvailable(ns, image);
      expect(stdout()).toBe('');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

function gantryProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): {
  child: ReturnType<typeof spawn>;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, '..', '..', 'bin', 'gantry.mjs'), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, stderr: () => stderr, stdout: () => stdout, exited };
}

describe('gantry serve as a process', () => {
  it('makes a dev certificate, registers its webhooks, answers over TLS, installs, and stops on SIGTERM', async () => {
    const ns = await namespace('serve-cli');
    const certDir = await mkdtemp(join(tmpdir(), 'gantry-serve-cert-'));
    const image = await pushPackage('serve-cli', {
      'manifest.yaml': manifest('servecli', ['only']),
      'a.yaml': configMap('a', 'only', { k: 'v' }),
    });
    const serve = gantryProcess([
      'serve',
      '--kubeconfig',
      inject('kube').kubeconfigPath,
      '--dev-cert',
      certDir,
      '--register-webhooks',
      '--addr',
      '127.0.0.1:0',
      '--resync-interval',
      '1s',
      '-n',
      ns,
    ]);
    try {
      const url = await eventually('the serving line', () =>
        Promise.resolve(
          /serving on (https:\/\/127\.0\.0\.1:\d+) \(webhooks registered\)/.exec(serve.stderr())?.[1],
        ),
      );
      const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');
      const health = await new Promise<string>((resolve, reject) => {
        httpsGet(`${url}/healthz`, { ca }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => {
            resolve(`${res.statusCode ?? 0} ${body}`);
          });
        }).on('error', reject);
      });
      expect(health).toBe('200 {"status":"ok"}');
      await kube.create({
        apiVersion: API,
        kind: 'Package',
        metadata: { name: 'p', namespace: ns },
        spec: { image },
      });
      await eventually('Available under gantry serve', async () =>
        conditions(await kube.get(pkgRef(ns, 'p')))['Available']?.status === 'True' ? true : undefined,
      );
    } finally {
      serve.child.kill('SIGTERM');
      for (const kind of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'])
        await admin.delete(`/apis/admissionregistration.k8s.io/v1/${kind}/gantry`);
    }
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toContain('stopping: waiting for the steps in flight');
  });

  it('keeps answering admission across a SIGTERM: readiness fails first, the listener closes after the drain period', async () => {
    const certDir = await mkdtemp(join(tmpdir(), 'gantry-drain-cert-'));
    const serve = gantryProcess([
      'serve',
      '--kubeconfig',
      inject('kube').kubeconfigPath,
      '--dev-cert',
      certDir,
      '--addr',
      '127.0.0.1:0',
      '--drain-period',
      '2s',
      '-n',
      'gantry-drain-none',
    ]);
    const url = await eventually('the serving line', () =>
      Promise.resolve(/serving on (https:\/\/127\.0\.0\.1:\d+)/.exec(serve.stderr())?.[1]),
    );
    const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');
    // Like the API server: keep-alive connections, requests one after another.
    const agent = new Agent({ keepAlive: true, ca });
    const review = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u',
        kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        operation: 'CREATE',
        userInfo: { username: 'x' },
        object: {},
      },
    });
    const call = (method: string, path: string, body?: string): Promise<string> =>
      new Promise((resolve) => {
        const req = httpsRequest(
          `${url}${path}`,
          { method, agent, headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () => {
              resolve(String(res.statusCode ?? 0));
            });
          },
        );
        req.on('error', (error) => {
          resolve(error.message);
        });
        req.end(body);
      });
    const answers: string[] = [];
    const state: { notReadyAt?: number; terminated: boolean } = { terminated: false };
    // The endpoints controller takes a not-ready pod out of the Service within about a second here.
    const sending = (async () => {
      while (state.notReadyAt === undefined || Date.now() - state.notReadyAt < 1_000) {
        answers.push(await call('POST', '/webhooks/validate', review));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const probing = (async () => {
      while (state.notReadyAt === undefined) {
        if ((await call('GET', '/readyz')) === '503' && state.terminated) state.notReadyAt = Date.now();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 1_000));
    state.terminated = serve.child.kill('SIGTERM');
    await Promise.all([sending, probing]);
    expect(await serve.exited).toBe(0);
    agent.destroy();
    expect(answers.length).toBeGreaterThan(50);
    expect(answers.filter((a) => a !== '200')).toEqual([]);
    expect(serve.stderr()).toContain('draining: not ready, serving for 2000 ms more');
  });

  it('refuses to serve without TLS, and names a bad events config', async () => {
    const noTls = gantryProcess(['serve', '--kubeconfig', inject('kube').kubeconfigPath]);
    expect(await noTls.exited).toBe(1);
    expect(noTls.stderr()).toBe(
      'Error: serving needs TLS: --tls-cert FILE --tls-key FILE, or --dev-cert DIR (--plain-http only behind a TLS proxy)\n',
    );
    const dir = await mkdtemp(join(tmpdir(), 'gantry-events-config-'));
    await writeFile(join(dir, 'events.yaml'), 'sources:\n  distribution: {token: short}\n');
    const bad = gantryProcess(['serve', '--plain-http', '--events-config', join(dir, 'events.yaml')]);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toBe(
      `Error: --events-config ${join(dir, 'events.yaml')}: sources.distribution.token: a token needs at least 16 characters\n`,
    );
  });
});

describe('sharded runners', () => {
  it('two runners with --shard 0/2 and 1/2 split the keys and install every package', async () => {
    const ns = await namespace('shard');
    const image = await pushPackage('shard', {
      'manifest.yaml': manifest('shard', ['only']),
      'a.yaml.gotmpl': configMap('a-{{ .package.metadata.name }}', 'only', { k: 'v' }),
    });
    // Names such that each shard owns at least two (the namespace is random, so the split is too).
    const shardOfName = (name: string): number =>
      shardOf(keyOf({ apiVersion: API, kind: 'Package', namespace: ns, name }), 2);
    const names: string[] = [];
    for (
      let i = 1;
      names.length < 6 || [0, 1].some((k) => names.filter((n) => shardOfName(n) === k).length < 2);
      i++
    )
      names.push(`p${i}`);
    const runners = [0, 1].map((i) =>
      gantryProcess(['run', '--kubeconfig', inject('kube').kubeconfigPath, '-n', ns, '--shard', `${i}/2`]),
    );
    try {
      for (const name of names)
        await kube.create({
          apiVersion: API,
          kind: 'Package',
          metadata: { name, namespace: ns },
          spec: { image, config: {} },
        });
      for (const name of names)
        await eventually(`${name} Available under two shards`, async () =>
          conditions(await kube.get(pkgRef(ns, name)))['Available']?.status === 'True' ? true : undefined,
        );
    } finally {
      for (const r of runners) r.child.kill('SIGTERM');
    }
    expect(await Promise.all(runners.map((r) => r.exited))).toEqual([0, 0]);
    // Each runner ran exactly the Packages of its shard (a stable hash of the key), and both had some.
    const ran = runners.map(
      (r) =>
        new Set(
          r
            .stdout()
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { key: string }).key)
            .filter((k) => k.startsWith('Package/'))
            .map((k) => k.split('/')[2] ?? ''),
        ),
    );
    const expected = [0, 1].map(
      (i) =>
        new Set(
          names.filter(
            (name) => shardOf(keyOf({ apiVersion: API, kind: 'Package', namespace: ns, name }), 2) === i,
          ),
        ),
    );
    expect(ran).toEqual(expected);
    expect(Math.min(...expected.map((e) => e.size))).toBeGreaterThan(0);
  });
});
