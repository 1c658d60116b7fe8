import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/ports.js';
import { WatchCache } from './watch-cache.js';

function cm(name: string, rv: string, labels: Record<string, string> = {}, namespace = 'a'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      resourceVersion: rv,
      labels,
      managedFields: [{ manager: 'x' }],
    } as KubeObject['metadata'],
  };
}

const ref = (
  name: string,
  namespace = 'a',
): { apiVersion: string; kind: string; namespace: string; name: string } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace,
  name,
});

describe('watch cache', () => {
  it("tells how long ago the API server answered this host with a version, not a watch's version", async () => {
    let now = 5_000;
    const cache = new WatchCache(() => now);
    cache.cover('v1', 'ConfigMap', { namespace: '', managedFields: false });
    cache.replace('v1', 'ConfigMap', [], '1');
    cache.observe('ADDED', cm('watched', '2'));
    expect(await cache.answeredAgoMs(ref('watched'), '2')).toBeUndefined();
    cache.remember(cm('written', '3'));
    now += 250;
    expect(await cache.answeredAgoMs(ref('written'), '3')).toBe(250);
    expect(await cache.answeredAgoMs(ref('written'), '4')).toBeUndefined();
    // An object of a kind no watch covers is remembered too (a GET's answer).
    cache.remember({ ...cm('other', '7'), kind: 'Secret' });
    expect(await cache.answeredAgoMs({ ...ref('other'), kind: 'Secret' }, '7')).toBe(0);
    // Bounded: the oldest answers are forgotten first.
    for (let i = 0; i < 5_000; i++) cache.remember(cm(`n${i}`, '9'));
    expect(await cache.answeredAgoMs(ref('written'), '3')).toBeUndefined();
    expect(await cache.answeredAgoMs(ref('n4999'), '9')).toBe(0);
  });

  it('waits for the answer of a request of the object under way (its watch event may come first)', async () => {
    const cache = new WatchCache(() => 0);
    let answer: (o: KubeObject) => void = () => undefined;
    const request = new Promise<KubeObject>((resolve) => {
      answer = resolve;
    }).then((o) => {
      cache.remember(o);
      return o;
    });
    cache.asking(ref('late'), request);
    const asked = cache.answeredAgoMs(ref('late'), '5');
    answer(cm('late', '5'));
    expect(await asked).toBe(0);
    // A failed request is no answer: the asker is told so, not thrown at.
    cache.asking(ref('failed'), Promise.reject(new Error('refused')));
    expect(await cache.answeredAgoMs(ref('failed'), '1')).toBeUndefined();
  });

  it('answers nothing for a kind before its first list, then what the list and events say', () => {
    const cache = new WatchCache();
    expect(cache.lookup(ref('one'))).toBeUndefined();
    cache.cover('v1', 'ConfigMap', { namespace: '', managedFields: false });
    expect(cache.lookup(ref('one'))).toBeUndefined();
    cache.replace('v1', 'ConfigMap', [cm('one', '10')], '10');
    expect(cache.lookup(ref('one'))?.metadata.resourceVersion).toBe('10');
    expect(cache.lookup(ref('two'))).toBeNull();
    cache.observe('ADDED', cm('two', '11'));
    cache.observe('MODIFIED', cm('one', '12'));
    expect(cache.lookup(ref('one'))?.metadata.resourceVersion).toBe('12');
    cache.observe('DELETED', cm('two', '13'));
    expect(cache.lookup(ref('two'))).toBeNull();
    expect(cache.size).toBe(1);
  });

  it('keeps its own newer write over a lagging event or list, and forgets an invalidated object', () => {
    const cache = new WatchCache();
    cache.cover('v1', 'ConfigMap', { namespace: '', managedFields: false });
    cache.replace('v1', 'ConfigMap', [cm('one', '9')], '9');
    cache.remember(cm('one', '100'));
    cache.observe('MODIFIED', cm('one', '99'));
    expect(cache.lookup(ref('one'))?.metadata.resourceVersion).toBe('100');
    cache.replace('v1', 'ConfigMap', [], '50');
    expect(cache.lookup(ref('one'))?.metadata.resourceVersion).toBe('100');
    cache.replace('v1', 'ConfigMap', [], '100');
    expect(cache.lookup(ref('one'))).toBeNull();
    cache.observe('ADDED', cm('one', '101'));
    cache.invalidate(ref('one'));
    // Distrusted, not dropped: reads of it and lists of its kind go to the server until a newer version comes.
    expect(cache.lookup(ref('one'))).toBeUndefined();
    expect(cache.list('v1', 'ConfigMap', '')).toBeUndefined();
    cache.observe('MODIFIED', cm('one', '101'));
    expect(cache.lookup(ref('one'))).toBeUndefined();
    cache.observe('MODIFIED', cm('one', '102'));
    expect(cache.lookup(ref('one'))?.metadata.resourceVersion).toBe('102');
    expect(cache.list('v1', 'ConfigMap', '')?.map((o) => o.metadata.name)).toEqual(['one']);
    cache.invalidate(ref('one'));
    cache.observe('DELETED', cm('one', '103'));
    expect(cache.lookup(ref('one'))).toBeNull();
    expect(cache.list('v1', 'ConfigMap', '')).toEqual([]);
  });

  it('drops managedFields unless asked to keep those a migration reads (an Update entry of the object)', () => {
    const withEntries = (name: string, entries: readonly Record<string, string>[]): KubeObject => {
      const object = cm(name, '1');
      return {
        ...object,
        metadata: { ...object.metadata, managedFields: entries } as KubeObject['metadata'],
      };
    };
    const applied = withEntries('applied', [{ manager: 'package-operator', operation: 'Apply' }]);
    const editedEntries = [
      { manager: 'package-operator', operation: 'Apply' },
      { manager: 'kubectl-client-side-apply', operation: 'Update' },
    ];
    const edited = withEntries('edited', editedEntries);
    const statusOnly = withEntries('status-only', [
      { manager: 'package-operator', operation: 'Apply' },
      { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status' },
    ]);
    const plain = new WatchCache();
    plain.cover('v1', 'ConfigMap', { namespace: '', managedFields: false });
    plain.replace('v1', 'ConfigMap', [applied, edited], '1');
    expect('managedFields' in (plain.lookup(ref('edited'))?.metadata ?? {})).toBe(false);
    const kept = new WatchCache();
    kept.cover('v1', 'ConfigMap', { namespace: '', managedFields: true });
    kept.replace('v1', 'ConfigMap', [applied, edited, statusOnly], '1');
    expect(kept.lookup(ref('edited'))?.metadata).toHaveProperty('managedFields', editedEntries);
    expect('managedFields' in (kept.lookup(ref('applied'))?.metadata ?? {})).toBe(false);
    expect('managedFields' in (kept.lookup(ref('status-only'))?.metadata ?? {})).toBe(false);
  });

  it('a selected watch answers lookups of what it selects and never lists', () => {
    const cache = new WatchCache();
    cache.cover('v1', 'ConfigMap', {
      namespace: '',
      labelSelector: 'package-operator.run/cache=True',
      managedFields: true,
    });
    cache.replace('v1', 'ConfigMap', [cm('one', '1', { 'package-operator.run/cache': 'True' })], '1');
    cache.remember(cm('unlabelled', '2'));
    expect(cache.lookup(ref('unlabelled'))).toBeNull();
    expect(cache.list('v1', 'ConfigMap', 'a')).toBeUndefined();
    cache.observe('MODIFIED', cm('one', '3'));
    expect(cache.lookup(ref('one'))).toBeNull();
  });

  it('lists a namespace with a selector, and only the namespace it watches', () => {
    const cache = new WatchCache();
    cache.cover('v1', 'ConfigMap', { namespace: 'a', managedFields: false });
    cache.replace(
      'v1',
      'ConfigMap',
      [
        cm('one', '1', { app: 'x', tier: 'web' }),
        cm('two', '2', { app: 'y' }),
        cm('three', '3', { app: 'x' }),
      ],
      '3',
    );
    expect(cache.list('v1', 'ConfigMap', 'a', 'app=x')?.map((o) => o.metadata.name)).toEqual([
      'one',
      'three',
    ]);
    expect(cache.list('v1', 'ConfigMap', 'a', 'app in (x,y),!tier')?.map((o) => o.metadata.name)).toEqual([
      'two',
      'three',
    ]);
    expect(cache.list('v1', 'ConfigMap', 'a', 'app notin (x)')?.map((o) => o.metadata.name)).toEqual(['two']);
    expect(cache.list('v1', 'ConfigMap', 'b')).toBeUndefined();
    expect(cache.lookup(ref('one', 'b'))).toBeUndefined();
    expect(cache.list('v1', 'ConfigMap', 'a', 'app=x,=bad')).toBeUndefined();
  });
});
