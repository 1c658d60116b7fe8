/**
 * The trigger core against a small in-memory KubeApi that has no objects at all: what forged keys cost.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSource, KubeApi, ObjectRef, PulledPackage } from '../../shared/ports.js';
import type { RunStepDeps } from '../steps/run-step.js';
import { FakeCluster, unusedPort } from './fake-cluster.js';
import { admissionAuth } from '../../webhooks/admission-auth.js';
import { routerDeps, TriggerCore } from './triggers.js';

const unused = unusedPort;

function core(
  kube: KubeApi,
  images: ImageSource = { pull: unused, resolveDigest: unused, listTags: unused, pullImageFiles: unused },
  budgetMs = 0,
): TriggerCore {
  const deps: RunStepDeps = {
    kube,
    clock: { now: () => new Date() },
    images,
    environment: { environment: unused },
    engines: { gotmpl: { render: unused } },
    prefixOverrides: [],
    forceAdoption: false,
  };
  return new TriggerCore({
    deps,
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
