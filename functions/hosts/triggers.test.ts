/**
 * The trigger core against a small in-memory KubeApi that has no objects at all: what forged keys cost; and the
 * schedule tick over an in-memory paged lister: which pages it asks for, which keys it runs.
 */
import { describe, expect, it } from 'vitest';
import { RECONCILED_KINDS } from '../../shared/api/constants.js';
import type { ImageSource, KubeApi, KubeObject, ObjectRef, PulledPackage } from '../../shared/ports.js';
import type { RunStepDeps } from '../steps/run-step.js';
import { FakeCluster, FakePages, recordingQueue, unusedPort, type PageCall } from './fake-cluster.js';
import { admissionAuth } from '../../webhooks/admission-auth.js';
import { refOf } from '../../shared/api/objects.js';
import { shardOf } from '../../shared/triggers/index.js';
import { hostedClusterServing, keyOf, routerDeps, TriggerCore } from './triggers.js';

const unused = unusedPort;

const noImages: ImageSource = {
  pull: unused,
  resolveDigest: unused,
  listTags: unused,
  pullImageFiles: unused,
};

/** Step dependencies that render nothing (and pull only through `images`). */
function depsOf(kube: KubeApi, images: ImageSource = noImages): RunStepDeps {
  return {
    kube,
    clock: { now: () => new Date() },
    images,
    environment: { environment: unused },
    engines: { gotmpl: { render: unused } },
    prefixOverrides: [],
    forceAdoption: false,
  };
}

function core(kube: KubeApi, images: ImageSource = noImages, budgetMs = 0): TriggerCore {
  return new TriggerCore({
    deps: depsOf(kube, images),
    concurrency: 4,
    namespace: '',
    fullResyncMs: 3_600_000,
    admissionBudgetMs: budgetMs,
    log: () => undefined,
  });
}

describe('trigger core under forged keys', () => {
  it('a key whose object does not exist costs one GET, however many forged creations name it', async () => {
    const kube = new FakeCluster();
    const c = core(kube);
    const ref = (name: string): ObjectRef => ({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      namespace: 'ns',
      name,
    });
    for (let i = 0; i < 20; i++) c.dispatch(ref('forged'), 'create');
    for (let i = 0; i < 5; i++) c.dispatch(ref(`forged-${i}`), 'create');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(kube.gets).toBe(6);
    expect(c.depth).toBe(0);
    await c.stop();
  });
});

describe('admission lookups', () => {
  const manifest = `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: app
spec:
  scopes: [Namespaced]
  phases: [{ name: deploy }]
`;
  const pulled: PulledPackage = {
    files: new Map([['manifest.yaml', new TextEncoder().encode(manifest)]]),
    labels: {},
    resolved: 'fast.example/app@sha256:1',
    digest: 'sha256:1',
  };
  /** A registry that never answers (until the request is aborted) and one that answers at once. */
  const hangUntilAborted = (signal: AbortSignal | undefined): Promise<never> =>
    new Promise((_, reject) => {
      signal?.addEventListener('abort', () => {
        reject(new Error('aborted'));
      });
    });
  const images: ImageSource = {
    listTags: () => Promise.reject(new Error('no tag listing in this test')),
    pullImageFiles: () => Promise.reject(new Error('no image files in this test')),
    resolveDigest: (ref, options) =>
      ref.startsWith('slow.example/') ? hangUntilAborted(options?.signal) : Promise.resolve('sha256:1'),
    pull: (ref, options) =>
      ref.startsWith('slow.example/') ? hangUntilAborted(options?.signal) : Promise.resolve(pulled),
  };

  it('a registry that never answers cannot switch schema checks off for the others', async () => {
    const c = core(new FakeCluster(), images, 300);
    const slow = Array.from({ length: 40 }, async (_, i) =>
      c.lookupManifest(`slow.example/app-${i}:v1`, undefined),
    );
    const fast = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => c.lookupManifest(`fast.example/app-${i}:v1`, undefined)),
    );
    expect(fast.map((l) => l.kind)).toEqual(['found', 'found', 'found', 'found', 'found']);
    expect((await Promise.all(slow)).map((l) => (l.kind === 'unavailable' ? l.reason : l.kind))).toEqual(
      Array.from({ length: 40 }, (_, i) =>
        i < 10
          ? `fetching slow.example/app-${i}:v1 took longer than 300 ms`
          : `resolving slow.example/app-${i}:v1: 8 outbound requests to slow.example are waiting already`,
      ),
    );
    await c.stop();
  });

  it('fetches at admission only for a caller proven to be the API server, never for an unauthenticated one', async () => {
    const pulls: string[] = [];
    const counting: ImageSource = {
      listTags: () => Promise.reject(new Error('no tag listing in this test')),
      pullImageFiles: () => Promise.reject(new Error('no image files in this test')),
      resolveDigest: () => Promise.resolve('sha256:1'),
      pull: (ref) => {
        pulls.push(ref);
        return Promise.resolve(pulled);
      },
    };
    const c = core(new FakeCluster(), counting, 2_000);
    const options = { eventsAuth: {}, admissionBudgetMs: 2_000, selfUsername: undefined, ready: () => true };
    const metrics = { metrics: { eventRefused: () => undefined } };
    expect(routerDeps(metrics, c, options).admission.lookupManifest).toBeUndefined();
    const auth = admissionAuth({ clientCertificate: false, tokens: ['a-token-of-at-least-16-chars'] });
    const lookup = routerDeps(metrics, c, { ...options, admissionAuth: auth }).admission.lookupManifest;
    expect((await lookup?.('fast.example/app:v1', undefined))?.kind).toBe('found');
    expect(pulls).toEqual(['fast.example/app:v1']);
    await c.stop();
  });
});

describe('the schedule tick', () => {
  const API = 'package-operator.run/v1alpha1';
  const pkg = (name: string, step?: string): KubeObject => ({
    apiVersion: API,
    kind: 'Package',
    metadata: { name, namespace: 'ns', generation: 1 },
    ...(step !== undefined ? { status: { progress: { step, observedGeneration: 1 } } } : {}),
  });
  // Three due (never stepped), two done.
  const packages = [pkg('a'), pkg('b', 'done'), pkg('c'), pkg('d', 'done'), pkg('e')];

  function tickCore(pages: FakePages, ran: string[]): TriggerCore {
    return new TriggerCore({
      deps: depsOf(new FakeCluster()),
      concurrency: 1,
      namespace: 'ns',
      fullResyncMs: 3_600_000,
      admissionBudgetMs: 0,
      log: () => undefined,
      pages,
      pageSize: 2,
      queue: recordingQueue(ran),
    });
  }

  it('walks each kind page by page, dispatches the due objects, and lists no older than the last tick next', async () => {
    const pages = new FakePages((kind) => (kind === 'Package' ? packages : []));
    const ran: string[] = [];
    const c = tickCore(pages, ran);
    expect(await c.tick()).toBe(3);
    // The fake cluster's discovery calls every kind namespaced.
    const others = RECONCILED_KINDS.filter((k) => k !== 'Package').map((kind) => ({ kind, namespace: 'ns' }));
    expect(pages.calls).toEqual([
      { kind: 'Package', namespace: 'ns', request: { limit: 2 } },
      { kind: 'Package', namespace: 'ns', request: { limit: 2, continue: '2' } },
      { kind: 'Package', namespace: 'ns', request: { limit: 2, continue: '4' } },
      ...others.map((o) => ({ ...o, request: { limit: 2 } })),
    ]);
    await new Promise((r) => setTimeout(r, 1_100)); // ticks closer than 1 s coalesce
    pages.calls.length = 0;
    pages.revision = '101';
    expect(await c.tick()).toBe(3);
    expect(pages.calls.slice(0, 3)).toEqual([
      { kind: 'Package', namespace: 'ns', request: { limit: 2, notOlderThan: '100' } },
      { kind: 'Package', namespace: 'ns', request: { limit: 2, continue: '2' } },
      { kind: 'Package', namespace: 'ns', request: { limit: 2, continue: '4' } },
    ]);
    expect(pages.calls.length).toBe(3 + others.length);
    await c.stop();
    expect([...new Set(ran)].sort()).toEqual(
      ['a', 'c', 'e'].map((name) => keyOf({ apiVersion: API, kind: 'Package', namespace: 'ns', name })),
    );
  });

  it('a failed list forgets its revision: the next list of that kind is a consistent read again', async () => {
    let fail = false;
    const pages = new FakePages((kind) => {
      if (fail && kind === 'ObjectSet') throw new Error('the server is gone');
      return kind === 'Package' ? packages : [];
    });
    const c = tickCore(pages, []);
    await c.tick();
    fail = true;
    await new Promise((r) => setTimeout(r, 1_100));
    await expect(c.tick()).rejects.toThrow('the server is gone');
    fail = false;
    await new Promise((r) => setTimeout(r, 1_100));
    pages.calls.length = 0;
    await c.tick();
    const firstPages = pages.calls.filter((call) => call.request.continue === undefined);
    expect(firstPages.find((call) => call.kind === 'ObjectSet')?.request).toEqual({ limit: 2 });
    expect(firstPages.find((call) => call.kind === 'Package')?.request).toEqual({
      limit: 2,
      notOlderThan: '100',
    });
    await c.stop();
  });
});

describe('the tick of a host serving the phases of many hosted clusters', () => {
  const API = 'package-operator.run/v1alpha1';
  const phase = (namespace: string, name: string, phaseClass: string): KubeObject => ({
    apiVersion: API,
    kind: 'ObjectSetPhase',
    metadata: {
      name,
      namespace,
      generation: 1,
      labels: { 'package-operator.run/phase-class': phaseClass },
    },
  });
  const namespaces = ['clusters-a', 'clusters-b', 'clusters-c', 'clusters-d', 'clusters-e', 'clusters-f'];
  const phases = namespaces.flatMap((ns) =>
    ['one', 'two', 'three'].map((name) => phase(ns, name, 'hosted-cluster')),
  );
  const other = phase('clusters-a', 'local', 'default');

  function shardCore(index: number, pages: FakePages, ran: string[]): TriggerCore {
    return new TriggerCore({
      deps: depsOf(new FakeCluster()),
      concurrency: 1,
      namespace: '',
      fullResyncMs: 3_600_000,
      admissionBudgetMs: 0,
      log: () => undefined,
      pages,
      queue: recordingQueue(ran),
      shard: { index, count: 2 },
      ...hostedClusterServing(['hosted-cluster']),
    });
  }

  it('lists ObjectSetPhases only and puts all phases of one control-plane namespace on one replica', async () => {
    const runs: string[][] = [[], []];
    const calls: PageCall[][] = [];
    for (const index of [0, 1]) {
      const pages = new FakePages((kind) => (kind === 'ObjectSetPhase' ? [...phases, other] : []));
      const ran = runs[index] ?? [];
      const c = shardCore(index, pages, ran);
      await c.tick();
      // What the tick dispatched: run already, or waiting (what a stopping host hands back).
      ran.push(...c.pendingKeys());
      await c.stop();
      calls.push(pages.calls);
    }
    for (const call of calls) expect(call.map((c) => c.kind)).toEqual(['ObjectSetPhase']);
    const keyOfPhase = (o: KubeObject): string => keyOf(refOf(o));
    // Each namespace's three phases on the replica its namespace hashes to (as the runner's), on that one only.
    for (const ns of namespaces) {
      const mine = phases.filter((p) => p.metadata.namespace === ns).map(keyOfPhase);
      const index = shardOf(`namespace/${ns}`, 2);
      expect(runs[index]).toEqual(expect.arrayContaining(mine));
      for (const key of mine) expect(runs[1 - index]).not.toContain(key);
    }
    // A phase of a class applied locally keeps its own key's shard.
    expect(runs[shardOf(keyOfPhase(other), 2)]).toContain(keyOfPhase(other));
    expect(runs[1 - shardOf(keyOfPhase(other), 2)]).not.toContain(keyOfPhase(other));
    expect((runs[0] ?? []).length + (runs[1] ?? []).length).toBe(phases.length + 1);
    // The six namespaces are not all on one replica (the hash spreads them).
    expect(new Set(namespaces.map((ns) => shardOf(`namespace/${ns}`, 2))).size).toBe(2);
  });

  it('runs no key of a kind it does not serve, whatever names it', async () => {
    const ran: string[] = [];
    const c = shardCore(0, new FakePages(() => []), ran);
    const pkg = { apiVersion: API, kind: 'Package', namespace: 'clusters-a', name: 'p' };
    c.dispatch(pkg, 'update');
    c.dispatchAt(pkg, 0);
    c.dispatch(refOf(phases[0] ?? other), 'update');
    expect([...ran, ...c.pendingKeys()]).toEqual([keyOf(refOf(phases[0] ?? other))]);
    await c.stop();
  });
});
