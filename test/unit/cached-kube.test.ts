import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/ports.js';
import { FakeKube } from '../fakes/kube.js';
import { getOrUndefined } from '../../shared/kube-errors.js';
import { CachedKube } from '../../functions/hosts/cached-kube.js';
import { WatchCache } from '../../functions/hosts/watch-cache.js';

const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'cm' };

function desired(value: string, resourceVersion?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'a', ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
    data: { value },
  };
}

function setup(): { fake: FakeKube; cache: WatchCache; kube: CachedKube } {
  const fake = new FakeKube();
  const cache = new WatchCache();
  cache.cover('v1', 'ConfigMap', { namespace: '', managedFields: true });
  cache.replace('v1', 'ConfigMap', [], '1');
  return { fake, cache, kube: new CachedKube(fake, cache) };
}

describe('cached kube', () => {
  it('reads what the cache holds without a request, and a copy of it', async () => {
    const { fake, cache, kube } = setup();
    const live = fake.put(desired('1'));
    cache.observe('ADDED', live);
    const read = await kube.get(ref);
    expect(read).toEqual(live);
    Reflect.set(read, 'data', { value: 'changed by a step' });
    Reflect.set(read.metadata, 'name', 'renamed by a step');
    expect((await kube.get(ref))['data']).toEqual({ value: '1' });
    expect(fake.writes).toEqual([]);
  });

  it('skips an apply of the same body to an object unchanged since, and sends it after a change', async () => {
    const { fake, cache, kube } = setup();
    const first = await kube.apply(desired('1'), { force: true });
    expect(fake.writes).toHaveLength(1);
    const again = await kube.apply(desired('1', first.metadata.resourceVersion), { force: true });
    expect(again.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(fake.writes).toHaveLength(1);
    // Someone changed it: the watch says so, and the same apply goes to the server again.
    const drifted = fake.put({ ...first, data: { value: 'drift' } });
    cache.observe('MODIFIED', drifted);
    const corrected = await kube.apply(desired('1', drifted.metadata.resourceVersion), { force: true });
    expect(fake.writes).toHaveLength(2);
    expect(corrected['data']).toEqual({ value: '1' });
    // Another body is always sent.
    await kube.apply(desired('2', corrected.metadata.resourceVersion), { force: true });
    expect(fake.writes).toHaveLength(3);
  });

  it('a write refused as stale distrusts the cached object, so the retry reads the server', async () => {
    const { fake, cache, kube } = setup();
    const live = fake.put(desired('1'));
    cache.observe('ADDED', live);
    fake.put({ ...live, data: { value: 'newer' } });
    await expect(kube.update({ ...live, data: { value: 'mine' } })).rejects.toMatchObject({ code: 409 });
    expect(cache.lookup(ref)).toBeUndefined();
    expect((await kube.get(ref))['data']).toEqual({ value: 'newer' });
    // The server's answer is newer: trusted again.
    expect(cache.lookup(ref)?.['data']).toEqual({ value: 'newer' });
  });
});

describe('getOrUndefined over a watch cache', () => {
  it('answers absent without a request when the synced watch has not seen the object; fresh asks the server', async () => {
    const { fake, cache, kube } = setup();
    fake.put(desired('created a moment ago')); // the watch has not delivered it
    fake.failNext('get', new Error('no GET expected'));
    expect(await getOrUndefined(kube, ref, { cache })).toBeUndefined();
    // The GET failure is still armed: the next (fresh) read consumes it, then reads the object.
    await expect(getOrUndefined(kube, ref, { fresh: true })).rejects.toThrow('no GET expected');
    expect((await getOrUndefined(kube, ref, { fresh: true, cache }))?.['data']).toEqual({
      value: 'created a moment ago',
    });
  });

  it('reads the server where no watch covers the kind', async () => {
    const fake = new FakeKube();
    const cache = new WatchCache();
    fake.put(desired('1'));
    expect((await getOrUndefined(new CachedKube(fake, cache), ref, { cache }))?.['data']).toEqual({
      value: '1',
    });
  });
});
