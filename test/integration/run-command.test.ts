/**
 * `gantry run` itself, as a process: it reconciles, prints one JSON line per step, serves Prometheus metrics and
 * exits 0 on SIGTERM. (No other engine runs in this file.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import type { KubeApi } from '../../shared/ports.js';
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

describe('gantry run as a process', () => {
  it('serves metrics, reconciles, and stops cleanly on SIGTERM', async () => {
    const ns = await namespace('run-cli');
    const image = await pushPackage('run-cli', {
      'manifest.yaml': manifest('runcli', ['only']),
      'a.yaml': configMap('a', 'only', { k: 'v' }),
    });
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
      await kube.create({
        apiVersion: API,
        kind: 'Package',
        metadata: { name: 'p', namespace: ns },
        spec: { image },
      });
      await eventually('Available under gantry run', async () =>
        conditions(await kube.get(pkgRef(ns, 'p')))['Available']?.status === 'True' ? true : undefined,
      );
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
