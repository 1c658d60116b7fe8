/**
 * Revisions and big packages: revisionHistoryLimit 0 and 1 (counting archived revisions only), a package large
 * enough to be sliced into ObjectSlices.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import { templateHash } from '../../shared/steps/deployment.js';
import {
  configMap,
  conditions,
  eventually,
  manifest,
  pkgRef,
  pushPackage,
  useEngine,
} from './setup/engine.js';

const suite = useEngine();
const { namespace } = suite;
let kube: KubeApi;
beforeAll(() => {
  kube = suite.kube();
});

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
      // A kind that only a slice holds (no inline object of this file's packages is a Secret): it is watched too.
      'd.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: small\n  annotations:\n    package-operator.run/phase: only\ndata:\n  k: dg==\n',
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

    // Drift of an object that lives in a slice is put back at once, not at the next resync (an hour here).
    const secret: ObjectRef = { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'small' };
    expect((await kube.get(secret))['data']).toEqual({ k: 'dg==' });
    await suite.admin.request(
      'PATCH',
      `/api/v1/namespaces/${ns}/secrets/small?fieldManager=someone`,
      { data: { k: 'ZHJpZnQ=' } },
      'application/merge-patch+json',
    );
    const started = Date.now();
    await eventually(
      'the sliced Secret put back',
      async () => (((await kube.get(secret))['data'] as { k: string }).k === 'dg==' ? true : undefined),
      5_000,
    );
    expect(Date.now() - started).toBeLessThan(5_000);

    // Shrunk below the slicing threshold: the new revision holds its objects inline; the slices stay while the
    // archived revision 1 still names them (as PKO keeps them: it tears an archived revision down by reading them).
    const before = (await kube.list(API, 'ObjectSlice', ns)).map((x) => x.metadata.name).sort();
    const small = await pushPackage(
      'sliced',
      {
        'manifest.yaml': manifest('sliced', ['only']),
        'a.yaml': configMap('big-a', 'only', { v: 'small' }),
      },
      'v2',
    );
    await kube.mergePatch(pkgRef(ns, 'big'), { spec: { image: small } });
    await eventually('the small revision Available', async () => {
      const pkg = await kube.get(pkgRef(ns, 'big'));
      const revision = (pkg['status'] as { revision?: number } | undefined)?.revision;
      return revision === 2 && conditions(pkg)['Available']?.status === 'True' ? true : undefined;
    });
    const revisions = await sets(ns);
    const newest = revisions.find((x) => (x['spec'] as { revision?: number }).revision === 2);
    const newPhase = (newest?.['spec'] as { phases: { slices?: string[]; objects?: unknown[] }[] }).phases[0];
    expect(newPhase?.slices).toBeUndefined();
    expect(newPhase?.objects).toHaveLength(1);
    expect((await kube.list(API, 'ObjectSlice', ns)).map((x) => x.metadata.name).sort()).toEqual(before);
  });
});

describe('collisions and failed revisions', () => {
  it('a foreign ObjectSet holding the next revision name is a hash collision: collisionCount 1, another name', async () => {
    const ns = await namespace('rev-collision');
    const odRef: ObjectRef = { apiVersion: API, kind: 'ObjectDeployment', namespace: ns, name: 'od' };
    const od = objectDeployment(ns, 10, 'a');
    // Paused, so no revision is made yet; the hash is taken from the object as the server stores it (defaults applied).
    await kube.create({ ...od, spec: { ...(od['spec'] as Record<string, unknown>), paused: true } });
    const taken = `od-${templateHash(await kube.get(odRef))}`;
    await kube.create({
      apiVersion: API,
      kind: 'ObjectSet',
      metadata: { name: taken, namespace: ns },
      spec: { revision: 7, phases: [{ name: 'x', objects: [] }] },
    });
    await kube.mergePatch(odRef, { spec: { paused: false } });
    // Wait for the whole state asserted below (collisionCount, Available and the revision come in separate steps).
    const status = await eventually('collisionCount 1 and revision 1 available', async () => {
      const od = await kube.get(odRef);
      const s = od['status'] as { collisionCount?: number; revision?: number } | undefined;
      return s?.collisionCount === 1 &&
        s.revision !== undefined &&
        conditions(od)['Available']?.status === 'True'
        ? s
        : undefined;
    });
    expect(status.revision).toBe(1);
    const names = (await sets(ns)).map((s) => s.metadata.name);
    expect(names).toContain(taken);
    expect(names).toHaveLength(2);
    expect(names.find((n) => n !== taken)).toMatch(/^od-[bcdfghjklmnpqrstvwxz2456789]+$/);
  });

  it('an intermediate revision that never became Available is archived once a newer one is', async () => {
    const ns = await namespace('rev-failed');
    const odRef: ObjectRef = { apiVersion: API, kind: 'ObjectDeployment', namespace: ns, name: 'od' };
    const withProbe = (value: string, rule: string): KubeObject => {
      const od = objectDeployment(ns, 10, value);
      const spec = od['spec'] as { template: { spec: Record<string, unknown> } };
      spec.template.spec['availabilityProbes'] = [
        {
          selector: { kind: { group: '', kind: 'ConfigMap' } },
          probes: [{ cel: { rule, message: 'not good' } }],
        },
      ];
      return od;
    };
    await kube.create(withProbe('good', "self.data.value == 'good' || self.data.value == 'better'"));
    await eventually('revision 1 Available', async () =>
      conditions(await kube.get(odRef))['Available']?.status === 'True' ? true : undefined,
    );
    const template = (o: KubeObject): unknown => (o['spec'] as { template: unknown }).template;
    await kube.mergePatch(odRef, {
      spec: {
        template: template(withProbe('bad', "self.data.value == 'good' || self.data.value == 'better'")),
      },
    });
    const [first] = await eventually('revision 2 failing its probe', async () => {
      const list = await sets(ns);
      return list.length === 2 && conditions(list[1]!)['Available']?.reason === 'ProbeFailure'
        ? list
        : undefined;
    });
    // The ObjectDeployment reports it a step later: wait for its words, not for the ObjectSet's.
    const c = await eventually('the ObjectDeployment to name the previous revision', async () => {
      const od = conditions(await kube.get(odRef));
      return od['Available']?.message.startsWith('Previous Revision') === true ? od : undefined;
    });
    expect(c['Available']?.message).toBe(`Previous Revision '${first!.metadata.name}' is still Available.`);
    await kube.mergePatch(odRef, {
      spec: {
        template: template(withProbe('better', "self.data.value == 'good' || self.data.value == 'better'")),
      },
    });
    // The lifecycle state is set first, the Archived condition by the ObjectSet's own teardown step after it:
    // wait for the condition asserted, not for the first change.
    const left = await eventually('revisions 1 and 2 archived, 3 Available', async () => {
      const list = await sets(ns);
      const states = list.map((s) => (s['spec'] as { lifecycleState: string }).lifecycleState);
      return list.length === 3 &&
        states[0] === 'Archived' &&
        states[1] === 'Archived' &&
        conditions(list[1]!)['Archived']?.status === 'True' &&
        conditions(list[2]!)['Available']?.status === 'True'
        ? list
        : undefined;
    });
    expect(conditions(left[1]!)['Archived']?.status).toBe('True');
  });
});
