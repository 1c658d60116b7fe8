/**
 * The serverless promise: progress lives in status, so an engine stopped after any API write is resumed by a
 * fresh instance (no memory of the first) to exactly the state an uninterrupted install reaches; and two
 * engines working the same cluster at once converge to it too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createEngine, type Engine } from '../../functions/hosts/engine.js';
import { runStep, type RunStepDeps } from '../../functions/steps/run-step.js';
import type { KubeApi, KubeObject } from '../../shared/ports.js';
import { configMap, manifest, pushPackage } from './setup/engine.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const admin = testClient();
const namespaces: string[] = [];
let image: string;
let engines: Engine[] = [];

class Crash extends Error {}

/** The engine's KubeApi that dies (every call fails) after its `limit`-th write. */
function crashingAfter(kube: KubeApi, limit: number, counter: { writes: number }): KubeApi {
  let dead = false;
  const write =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (dead) throw new Crash('the engine is gone');
      const result = await fn(...args);
      counter.writes += 1;
      if (counter.writes >= limit) dead = true;
      return result;
    };
  const read =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (dead) throw new Crash('the engine is gone');
      return fn(...args);
    };
  return {
    resource: read(kube.resource.bind(kube)),
    get: read(kube.get.bind(kube)),
    list: read(kube.list.bind(kube)),
    serverVersion: read(kube.serverVersion.bind(kube)),
    apply: write(kube.apply.bind(kube)),
    create: write(kube.create.bind(kube)),
    update: write(kube.update.bind(kube)),
    updateStatus: write(kube.updateStatus.bind(kube)),
    mergePatch: write(kube.mergePatch.bind(kube)),
    delete: write(kube.delete.bind(kube)),
  };
}

async function freshEngine(): Promise<Engine> {
  const engine = await createEngine({ kubeconfig: inject('kube').kubeconfigPath, env: {} });
  engines.push(engine);
  return engine;
}

const KINDS = ['Package', 'ObjectDeployment', 'ObjectSet'] as const;

/**
 * A driver without watches: run every Gantry object of the namespace, pass after pass, until a pass changes
 * nothing (what a schedule tick does on a serverless host). Stops at the first Crash.
 */
async function fingerprint(kube: KubeApi, ns: string): Promise<string> {
  const parts: string[] = [];
  for (const kind of KINDS)
    for (const o of await kube.list('package-operator.run/v1alpha1', kind, ns))
      parts.push(`${kind}/${o.metadata.name}@${o.metadata.resourceVersion ?? ''}`);
  for (const o of await kube.list('v1', 'ConfigMap', ns))
    parts.push(`cm/${o.metadata.name}@${o.metadata.resourceVersion ?? ''}`);
  return parts.sort().join(',');
}

async function drive(deps: RunStepDeps, ns: string, maxPasses = 40): Promise<'converged' | 'crashed'> {
  const client = deps.kube;
  for (let pass = 0; pass < maxPasses; pass++) {
    try {
      const before = await fingerprint(client, ns);
      for (const kind of KINDS) {
        for (const o of await client.list('package-operator.run/v1alpha1', kind, ns))
          await runStep({ apiVersion: o.apiVersion, kind, namespace: ns, name: o.metadata.name }, deps);
      }
      if (pass > 0 && before === (await fingerprint(client, ns))) return 'converged';
    } catch (error) {
      if (error instanceof Crash) return 'crashed';
      throw error;
    }
  }
  throw new Error(`no convergence in ${maxPasses} passes`);
}

interface Final {
  sets: unknown[];
  objects: unknown[];
  conditions: Record<string, unknown>;
}

function conditionsOf(o: KubeObject): unknown[] {
  const status = o['status'] as
    { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined;
  return (status?.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).sort();
}

/** The state that must not depend on interruptions (names, revisions, objects, conditions; not timestamps). */
async function listFull(kube: KubeApi, apiVersion: string, kind: string, ns: string): Promise<KubeObject[]> {
  const items = await kube.list(apiVersion, kind, ns);
  return Promise.all(items.map((o) => kube.get({ apiVersion, kind, namespace: ns, name: o.metadata.name })));
}

async function finalState(kube: KubeApi, ns: string): Promise<Final> {
  const sets = (await listFull(kube, 'package-operator.run/v1alpha1', 'ObjectSet', ns)).map((s) => ({
    name: s.metadata.name.replace(/-[a-z0-9]+$/, '-<hash>'),
    revision: (s['spec'] as { revision: number }).revision,
    conditions: conditionsOf(s),
  }));
  const objects = (await kube.list('v1', 'ConfigMap', ns))
    .filter((c) => c.metadata.name !== 'kube-root-ca.crt')
    .map((c) => ({
      name: c.metadata.name,
      data: c['data'],
      owners: (c.metadata.ownerReferences ?? []).map((o) => `${o.kind} controller=${String(o.controller)}`),
      revision: c.metadata.annotations?.['package-operator.run/revision'],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const conditions: Record<string, unknown> = {};
  for (const kind of ['Package', 'ObjectDeployment'] as const)
    for (const o of await listFull(kube, 'package-operator.run/v1alpha1', kind, ns)) {
      conditions[kind] = conditionsOf(o);
    }
  return { sets, objects, conditions: conditions };
}

async function installInto(prefix: string): Promise<{ ns: string; kube: KubeApi }> {
  const ns = await createNamespace(admin, prefix);
  namespaces.push(ns);
  const engine = await freshEngine();
  await engine.client.create({
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: { name: 'p', namespace: ns },
    spec: { image },
  });
  return { ns, kube: engine.client };
}

beforeAll(async () => {
  image = await pushPackage('resume', {
    'manifest.yaml': manifest('resume', ['first', 'second']),
    'a.yaml': configMap('a', 'first', { v: 'a' }),
    'b.yaml': configMap('b', 'second', { v: 'b' }),
    'c.yaml': configMap('c', 'second', { v: 'c' }),
  });
});

afterAll(async () => {
  for (const e of engines) e.close();
  engines = [];
  for (const ns of namespaces) await deleteNamespace(admin, ns);
});

describe('an engine stopped after any write is resumed by a fresh one', () => {
  it('reaches the uninterrupted final state after a stop at every write k', async () => {
    const reference = await installInto('resume-ref');
    const counter = { writes: 0 };
    const engine = await freshEngine();
    const deps: RunStepDeps = {
      ...engine.deps,
      kube: crashingAfter(engine.client, Number.POSITIVE_INFINITY, counter),
    };
    expect(await drive(deps, reference.ns)).toBe('converged');
    const expected = await finalState(reference.kube, reference.ns);
    expect(expected.sets).toHaveLength(1);
    expect(expected.objects).toHaveLength(3);
    expect(expected.conditions['Package']).toContain(
      'Available=True Available: Latest Revision is Available.',
    );
    const totalWrites = counter.writes;
    if (process.env['GANTRY_TEST_LOG'] === '1')
      process.stderr.write(`an uninterrupted install made ${totalWrites} writes\n`);
    expect(totalWrites).toBeGreaterThan(5);

    for (let k = 1; k <= totalWrites; k++) {
      const run = await installInto(`resume-${k}`);
      const first = await freshEngine();
      const stopped = await drive(
        { ...first.deps, kube: crashingAfter(first.client, k, { writes: 0 }) },
        run.ns,
      );
      expect(stopped, `stop after write ${k}`).toBe('crashed');
      const second = await freshEngine();
      expect(await drive(second.deps, run.ns)).toBe('converged');
      expect(await finalState(run.kube, run.ns), `stop after write ${k} of ${totalWrites}`).toEqual(expected);
    }
  }, 600_000);

  it('two engines working at once converge to the same state, with one revision', async () => {
    const reference = await finalStateOfSingle();
    const run = await installInto('resume-two');
    const [a, b] = [await freshEngine(), await freshEngine()];
    const results = await Promise.all([drive(a.deps, run.ns), drive(b.deps, run.ns)]);
    expect(results).toEqual(['converged', 'converged']);
    expect(await finalState(run.kube, run.ns)).toEqual(reference);
  }, 300_000);
});

async function finalStateOfSingle(): Promise<Final> {
  const run = await installInto('resume-single');
  const engine = await freshEngine();
  expect(await drive(engine.deps, run.ns)).toBe('converged');
  return finalState(run.kube, run.ns);
}
