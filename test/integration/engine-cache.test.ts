/**
 * Steps of a watching host read from its watch cache; every write they make stays guarded by the resourceVersion
 * they read. A cache that lags behind a write (here: an object changed by someone else, whose watch event has not
 * arrived) makes the guarded write refuse, the stale entry is distrusted, and the retry reads the object from the API
 * server and goes on from there.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import { createEngine } from '../../functions/hosts/engine.js';
import { Runner } from '../../functions/hosts/runner.js';
import { CachedKube } from '../../functions/hosts/cached-kube.js';
import { WatchCache } from '../../functions/hosts/watch-cache.js';
import { runStep } from '../../functions/steps/run-step.js';
import { configMap, conditionsReach, manifest, pkgRef, pushPackage } from './setup/engine.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';
import { inject } from 'vitest';

const admin = testClient();
const namespaces: string[] = [];

afterAll(async () => {
  for (const ns of namespaces) await deleteNamespace(admin, ns);
});

describe('a watch cache behind a write', () => {
  it('a stale cached Package: the guarded write refuses, the entry is distrusted, the retry reads the server', async () => {
    const ns = await createNamespace(admin, 'cache-lag');
    namespaces.push(ns);
    const engine = await createEngine({ kubeconfig: inject('kube').kubeconfigPath, env: {} });
    try {
      const kube = engine.client;
      const image = await pushPackage('cache-lag', {
        'manifest.yaml': manifest('lag', ['only']),
        'cm.yaml': configMap('lagging', 'only', { a: '1' }),
      });
      const ref = pkgRef(ns, 'lag');
      const created = await kube.create({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ns },
        spec: { image },
      });
      const cache = new WatchCache();
      cache.cover(ref.apiVersion, ref.kind, { namespace: ns, managedFields: false });
      cache.replace(ref.apiVersion, ref.kind, [created], created.metadata.resourceVersion ?? '');
      // Someone else changes the Package; the cache has not heard of it.
      const changed = await kube.mergePatch(ref, { metadata: { labels: { changed: 'yes' } } });
      expect(cache.lookup(ref)?.metadata.resourceVersion).toBe(created.metadata.resourceVersion);

      const deps = { ...engine.deps, kube: new CachedKube(kube, cache), cache };
      const first = await runStep(ref, deps);
      expect(first.outcome).toBe('conflict');
      expect(first.requeueAfterMs).toBe(0);
      // Nothing was written from the stale read: no finalizer, no status.
      const untouched = await kube.get(ref);
      expect(untouched.metadata.resourceVersion).toBe(changed.metadata.resourceVersion);
      expect(untouched.metadata.finalizers).toBeUndefined();
      expect(untouched['status']).toBeUndefined();
      expect(cache.lookup(ref)).toBeUndefined();

      // The retry reads the Package from the API server and makes progress from it.
      const second = await runStep(ref, deps);
      expect(second.outcome).not.toBe('conflict');
      expect(second.wroteStatus).toBe(true);
      const after = await kube.get(ref);
      expect(after.metadata.labels?.['changed']).toBe('yes');
      expect(after.metadata.finalizers).toEqual(['package-operator.run/metrics']);
      // The cache holds the engine's own last write, not the stale version.
      expect(cache.lookup(ref)?.metadata.resourceVersion).toBe(after.metadata.resourceVersion);
    } finally {
      engine.close();
    }
  });
});

describe("a fresh runner's first install", () => {
  it('reads the objects its first ObjectSet manages from the watch it starts for them: no LIST, no GET', async () => {
    const ns = await createNamespace(admin, 'cache-first');
    namespaces.push(ns);
    const files: Record<string, string> = { 'manifest.yaml': manifest('first', ['one', 'two']) };
    // Without the watch started before its first read, the ObjectSet step would GET each (or LIST many).
    for (let i = 0; i < 12; i++)
      files[`cm-${i}.yaml`] = configMap(`cm-${i}`, i < 6 ? 'one' : 'two', { i: `${i}` });
    const image = await pushPackage('cache-first', files);
    const engine = await createEngine({ kubeconfig: inject('kube').kubeconfigPath, env: {} });
    const requests: string[] = [];
    const client = new RawKubeClient(loadConnection(inject('kube').kubeconfigPath), {
      observe: (verb, _code, _ms, path) => requests.push(`${verb} ${path}`),
    });
    // Watches only what this test's namespace holds, so that no other test's ConfigMap watch is already running.
    const runner = new Runner({
      client,
      deps: { ...engine.deps, kube: client },
      concurrency: 4,
      namespace: ns,
      resyncMs: 3_600_000,
      log: () => undefined,
    });
    try {
      await runner.start();
      const ref = pkgRef(ns, 'first');
      await client.create({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: 'first', namespace: ns },
        spec: { image },
      });
      await conditionsReach(client, ref, {
        Available: { status: 'True', reason: 'Available', message: 'Latest Revision is Available.' },
      });
      const configMaps = requests.filter((r) => r.includes('/configmaps'));
      expect(configMaps.filter((r) => r.startsWith('WATCH'))).toEqual([
        `WATCH /api/v1/namespaces/${ns}/configmaps`,
      ]);
      expect(configMaps.filter((r) => !r.startsWith('WATCH') && !r.startsWith('PATCH'))).toEqual([]);
      expect(configMaps.filter((r) => r.startsWith('PATCH'))).toHaveLength(12);
    } finally {
      await runner.stop();
      client.close();
      engine.close();
    }
  });
});
