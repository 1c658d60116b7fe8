/**
 * The ObjectDeployment step on a watching host whose cache lags: a new revision is created only when the API server
 * still has the ObjectDeployment as the step read it (a create carries no resourceVersion guard). Over the
 * in-memory FakeKube, the WatchCache and CachedKube.
 */
import { describe, expect, it } from 'vitest';
import { CachedKube } from '../../functions/hosts/cached-kube.js';
import { WatchCache } from '../../functions/hosts/watch-cache.js';
import { reconcileObjectDeployment } from '../../functions/steps/deployment.js';
import type { KubeObject } from '../../shared/ports.js';
import { fakeStepDeps } from '../fakes/deps.js';
import { FakeKube } from '../fakes/kube.js';

const API = 'package-operator.run/v1alpha1';
const OD_REF = { apiVersion: API, kind: 'ObjectDeployment', namespace: 'ns', name: 'od' };

function objectDeployment(data: string): KubeObject {
  return {
    apiVersion: API,
    kind: 'ObjectDeployment',
    metadata: {
      name: 'od',
      namespace: 'ns',
      uid: 'od-uid',
      generation: 1,
      finalizers: ['package-operator.run/cached'],
    },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: {
          phases: [
            {
              name: 'one',
              objects: [
                { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { data } } },
              ],
            },
          ],
        },
      },
    },
  };
}

interface Setup {
  readonly fake: FakeKube;
  readonly cache: WatchCache;
  readonly kube: CachedKube;
  /** The ObjectDeployment as the cache holds it (what the step is handed). */
  readonly cached: KubeObject;
}

function setup(): Setup {
  const fake = new FakeKube();
  const cache = new WatchCache();
  for (const kind of ['ObjectDeployment', 'ObjectSet']) {
    cache.cover(API, kind, { namespace: '', managedFields: false });
    cache.replace(API, kind, [], '1');
  }
  const cached = fake.put(objectDeployment('1'));
  cache.observe('ADDED', cached);
  return { fake, cache, kube: new CachedKube(fake, cache), cached };
}

function objectSets(fake: FakeKube): string[] {
  return [...fake.objects.values()].filter((o) => o.kind === 'ObjectSet').map((o) => o.metadata.name);
}

describe('ObjectDeployment step over a lagging watch cache', () => {
  it('creates the first revision when the server has the ObjectDeployment as the cache does', async () => {
    const { fake, cache, kube, cached } = setup();
    const result = await reconcileObjectDeployment(cached, fakeStepDeps(kube, { cache }));
    expect(result.outcome).toBe('progressing');
    expect(objectSets(fake)).toHaveLength(1);
    expect(fake.writes.filter((w) => w.startsWith('create'))).toHaveLength(1);
  });

  it('makes no revision for an ObjectDeployment being deleted that the cache has not seen deleted', async () => {
    const { fake, cache, kube, cached } = setup();
    await fake.delete(OD_REF); // the finalizer holds it: deletionTimestamp set, the watch event not yet in
    expect(cache.lookup(OD_REF)?.metadata.deletionTimestamp).toBeUndefined();
    const result = await reconcileObjectDeployment(cached, fakeStepDeps(kube, { cache }));
    expect(objectSets(fake)).toEqual([]);
    expect(result.requeueAfterMs).toBeUndefined();
  });

  it('makes no revision for an ObjectDeployment already gone', async () => {
    const { fake, cache, kube, cached } = setup();
    fake.objects.clear();
    await reconcileObjectDeployment(cached, fakeStepDeps(kube, { cache }));
    expect(objectSets(fake)).toEqual([]);
  });

  it('runs again at once, from the newer version, when the template changed since the cache saw it', async () => {
    const { fake, cache, kube, cached } = setup();
    const newer = fake.put({ ...objectDeployment('2'), metadata: { ...cached.metadata } });
    const result = await reconcileObjectDeployment(cached, fakeStepDeps(kube, { cache }));
    expect(objectSets(fake)).toEqual([]);
    expect(result.requeueAfterMs).toBe(0);
    // The fresh read went into the cache: the next run decides from the newer template.
    expect(cache.lookup(OD_REF)?.metadata.resourceVersion).toBe(newer.metadata.resourceVersion);
    await reconcileObjectDeployment(newer, fakeStepDeps(kube, { cache }));
    const [set] = [...fake.objects.values()].filter((o) => o.kind === 'ObjectSet');
    expect(JSON.stringify(set?.['spec'])).toContain('"data":"2"');
  });

  it('takes a version the API server answered this host with within a second as current: no GET', async () => {
    let now = 1_000_000;
    const fake = new FakeKube();
    const cache = new WatchCache(() => now);
    for (const kind of ['ObjectDeployment', 'ObjectSet']) {
      cache.cover(API, kind, { namespace: '', managedFields: false });
      cache.replace(API, kind, [], '1');
    }
    const kube = new CachedKube(fake, cache);
    // The Package step's apply: the API server's answer is remembered with its time.
    const applied = await kube.apply(objectDeployment('1'));
    now += 900;
    await reconcileObjectDeployment(applied, fakeStepDeps(kube, { cache }));
    expect(objectSets(fake)).toHaveLength(1);
    expect(fake.getRequests).toEqual([]);
    // A second later the same version is asked of the API server again (a deletion there is then seen).
    const second = await kube.apply({ ...objectDeployment('2'), metadata: { ...applied.metadata } });
    now += 1_001;
    await fake.delete(OD_REF);
    await reconcileObjectDeployment(second, fakeStepDeps(kube, { cache }));
    expect(fake.getRequests).toEqual(['ObjectDeployment/od']);
    expect(objectSets(fake)).toHaveLength(1);
  });
});
