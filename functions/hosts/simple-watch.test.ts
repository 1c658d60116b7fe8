/**
 * ServedWatches, the lifecycle both controllers beside the runner share (HostedClusterFleet, HostedClusterPackages):
 * the watches start at once when every required kind is served, else after a poll finds them (logging the line it
 * was given); each listed or watched object's keys go to the queue; stop aborts the watches, drains the queue, and
 * waits for the loops.
 */
import { describe, expect, it } from 'vitest';
import type { ResourceInfo } from '../../shared/ports.js';
import type { WatchRequest } from '../adapters/kube/client.js';
import { ServedWatches, watchObjects, type KeyQueue, type ServedWatchesOptions } from './simple-watch.js';

class FakeClient {
  public readonly served = new Set<string>();
  public readonly looked: string[] = [];
  public readonly watching: string[] = [];
  public readonly items = new Map<string, unknown[]>();

  public resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    this.looked.push(kind);
    return Promise.resolve(
      this.served.has(kind) ? { plural: `${kind.toLowerCase()}s`, namespaced: true } : undefined,
    );
  }

  public collectionPath(apiVersion: string, kind: string): Promise<string> {
    return Promise.resolve(`/${apiVersion}/${kind}`);
  }

  public listWithVersion(path: string): Promise<{ items: unknown[]; resourceVersion: string }> {
    return Promise.resolve({ items: this.items.get(path) ?? [], resourceVersion: '1' });
  }

  /** A watch that sends nothing and ends when the signal aborts. */
  public watch(watch: WatchRequest): Promise<void> {
    this.watching.push(watch.path);
    return new Promise((resolve) => {
      if (watch.signal.aborted) resolve();
      watch.signal.addEventListener('abort', () => {
        resolve();
      });
    });
  }
}

class FakeQueue implements KeyQueue {
  public readonly keys: string[] = [];
  public stopped = false;

  public add(key: string): boolean {
    this.keys.push(key);
    return true;
  }

  public stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

function setup(): { client: FakeClient; queue: FakeQueue; logs: string[]; options: ServedWatchesOptions } {
  const client = new FakeClient();
  const queue = new FakeQueue();
  const logs: string[] = [];
  const options: ServedWatchesOptions = {
    client,
    requires: [
      { apiVersion: 'h/v1', kind: 'Cluster' },
      { apiVersion: 'p/v1', kind: 'Fleet' },
    ],
    watches: [
      { apiVersion: 'p/v1', kind: 'Fleet', keysFor: (o) => [o.metadata.name] },
      {
        apiVersion: 'h/v1',
        kind: 'Cluster',
        keysFor: (o) => [`a-${o.metadata.name}`, `b-${o.metadata.name}`],
      },
    ],
    queue,
    pollMs: 10,
    detected: 'detected the APIs',
    log: (m) => logs.push(m),
  };
  client.items.set('/p/v1/Fleet', [{ metadata: { name: 'one' } }]);
  client.items.set('/h/v1/Cluster', [{ metadata: { name: 'c', namespace: 'ns' } }]);
  return { client, queue, logs, options };
}

const settle = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ServedWatches', () => {
  it('watches at once when every kind is served, queues the keys, and stops in order', async () => {
    const { client, queue, logs, options } = setup();
    client.served.add('Cluster').add('Fleet');
    const w = new ServedWatches(options);
    await w.start();
    await settle();
    expect(client.looked).toEqual(['Cluster', 'Fleet']);
    expect(client.watching).toEqual(['/p/v1/Fleet', '/h/v1/Cluster']);
    expect(queue.keys).toEqual(['one', 'a-c', 'b-c']);
    expect(logs).toEqual([]);
    await w.stop();
    expect(queue.stopped).toBe(true);
  });

  it('looks no further than the first kind not served, then polls until all are', async () => {
    const { client, queue, logs, options } = setup();
    const w = new ServedWatches(options);
    await w.start();
    expect(client.looked).toEqual(['Cluster']);
    expect(client.watching).toEqual([]);
    client.served.add('Cluster').add('Fleet');
    await settle(50);
    expect(logs).toEqual(['detected the APIs']);
    expect(client.watching).toEqual(['/p/v1/Fleet', '/h/v1/Cluster']);
    expect(queue.keys).toEqual(['one', 'a-c', 'b-c']);
    await w.stop();
  });

  it('stops while waiting without watching', async () => {
    const { client, queue, logs, options } = setup();
    const w = new ServedWatches(options);
    await w.start();
    await w.stop();
    await settle(30);
    expect(client.watching).toEqual([]);
    expect(queue.stopped).toBe(true);
    expect(logs).toEqual([]);
  });
});

describe('watchObjects reports an outage once', () => {
  it('onFailing on the first failure after one that worked, not on every retry', async () => {
    const abort = new AbortController();
    // What each LIST and watch does, in turn: 'fail' throws (connection refused), 'ok' works.
    const lists = ['fail', 'fail', 'ok', 'ok'];
    const watches = ['fail', 'end'];
    const failing: string[] = [];
    const refused = (): Error => new Error('connect ECONNREFUSED 127.0.0.1:1');
    const client = {
      collectionPath: (): Promise<string> => Promise.resolve('/api/v1/configmaps'),
      listWithVersion: (): Promise<{ items: unknown[]; resourceVersion: string }> =>
        lists.shift() === 'fail'
          ? Promise.reject(refused())
          : Promise.resolve({ items: [], resourceVersion: '1' }),
      watch: (): Promise<void> => {
        const next = watches.shift();
        if (next === 'fail') return Promise.reject(refused());
        abort.abort();
        return Promise.resolve();
      },
    };
    await watchObjects({
      client,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      signal: abort.signal,
      onObject: () => undefined,
      onFailing: (error) => failing.push(String(error)),
      log: () => undefined,
    });
    // LIST refused (reported), refused again (not), LIST works and its watch breaks (a new outage: reported).
    expect(failing).toEqual([String(refused()), String(refused())]);
    expect(lists).toEqual(['ok']);
  }, 20_000);
});
