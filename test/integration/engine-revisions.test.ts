/**
 * Revisions and big packages: revisionHistoryLimit 0 and 1 (counting archived revisions only), a package large
 * enough to be sliced into ObjectSlices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import {
  configMap,
  conditions,
  eventually,
  manifest,
  pkgRef,
  pushPackage,
  startEngine,
  type TestEngine,
} from './setup/engine.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

let engine: TestEngine;
let kube: KubeApi;
const admin = testClient();
const namespaces: string[] = [];

beforeAll(async () => {
  engine = await startEngine();
  kube = engine.engine.client;
});

afterAll(async () => {
  await engine.stop();
  for (const ns of namespaces) await deleteNamespace(admin, ns);
});

async function namespace(prefix: string): Promise<string> {
  const ns = await createNamespace(admin, prefix);
  namespaces.push(ns);
  return ns;
}

const API = 'package-operator.run/v1alpha1';

function objectDeployment(ns: string, limit: number, value: string): KubeObject {
  return {
    apiVersion: API,
    kind: 'ObjectDeployment',
    metadata: { name: 'od', namespace: ns },
    spec: {
      revisionHistoryLimit: limit,
      selector: { matchLabels: { app: 'od' } },
      template: {
        metadata: { labels: { app: 'od' } },
        spec: {
          phases: [
            {
              name: 'only',
              objects: [
                {
                  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { value } },
                },
              ],
            },
          ],
        },
      },
    },
  };
}

async function sets(ns: string): Promise<KubeObject[]> {
  return (await kube.list(API, 'ObjectSet', ns)).sort(
    (a, b) => (a['spec'] as { revision: number }).revision - (b['spec'] as { revision: number }).revision,
  );
}

async function rollThrough(ns: string, limit: number, values: readonly string[]): Promise<KubeObject[]> {
  const od: ObjectRef = { apiVersion: API, kind: 'ObjectDeployment', namespace: ns, name: 'od' };
  await kube.create(objectDeployment(ns, limit, values[0] ?? ''));
  for (const [i, value] of values.entries()) {
    if (i > 0)
      await kube.mergePatch(od, {
        spec: { template: (objectDeployment(ns, limit, value)['spec'] as { template: unknown }).template },
      });
    await eventually(`revision ${i + 1} available`, async () => {
      const c = conditions(await kube.get(od));
      const rev = ((await kube.get(od))['status'] as { revision?: number } | undefined)?.revision;
      return rev === i + 1 && c['Available']?.status === 'True' && c['Progressing']?.status === 'False'
        ? true
        : undefined;
    });
  }
  return eventually('history trimmed', async () => {
    const list = await sets(ns);
    const archived = list.filter(
      (s) => (s['spec'] as { lifecycleState: string }).lifecycleState === 'Archived',
    );
    return archived.length <= limit && list.length === limit + 1 ? list : undefined;
  });
}

describe('revisionHistoryLimit counts archived revisions', () => {
  it('limit 1 keeps the current revision and one archived', async () => {
    const ns = await namespace('rev-limit1');
    const left = await rollThrough(ns, 1, ['a', 'b', 'c']);
    expect(left.map((s) => (s['spec'] as { revision: number }).revision)).toEqual([2, 3]);
    expect(conditions(left[0]!)['Archived']?.status).toBe('True');
    expect(
      (
        (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cm' }))['data'] as {
          value: string;
        }
      ).value,
    ).toBe('c');
  });

  it('limit 0 keeps only the current revision', async () => {
    const ns = await namespace('rev-limit0');
    const left = await rollThrough(ns, 0, ['a', 'b']);
    expect(left.map((s) => (s['spec'] as { revision: number }).revision)).toEqual([2]);
  });
});

describe('big packages', () => {
  it('a package over 1 MiB is applied through ObjectSlices', async () => {
    const ns = await namespace('sliced');
    const big = 'y'.repeat(400_000);
    const image = await pushPackage('sliced', {
      'manifest.yaml': manifest('sliced', ['only']),
      'a.yaml': configMap('big-a', 'only', { v: big }),
      'b.yaml': configMap('big-b', 'only', { v: big }),
      'c.yaml': configMap('big-c', 'only', { v: big }),
    });
    await kube.create({
      apiVersion: API,
      kind: 'Package',
      metadata: { name: 'big', namespace: ns },
      spec: { image },
    });
    await eventually('the sliced package Available', async () =>
      conditions(await kube.get(pkgRef(ns, 'big')))['Available']?.status === 'True' ? true : undefined,
    );
    const slices = await kube.list(API, 'ObjectSlice', ns);
    expect(slices.length).toBeGreaterThanOrEqual(2);
    for (const s of slices) expect(s.metadata.labels?.['slices.package-operator.run/owner']).toBe('big');
    const [set] = await sets(ns);
    const phase = (set!['spec'] as { phases: { name: string; slices?: string[]; objects?: unknown[] }[] })
      .phases[0]!;
    expect(phase.objects).toBeUndefined();
    expect([...(phase.slices ?? [])].sort()).toEqual(slices.map((s) => s.metadata.name).sort());
    for (const name of ['big-a', 'big-b', 'big-c'])
      expect(
        (
          (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name }))['data'] as {
            v: string;
          }
        ).v,
      ).toHaveLength(400_000);
  });
});
