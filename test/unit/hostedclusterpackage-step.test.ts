/**
 * The HostedClusterPackage step against an in-memory API server: the missing Package created with its owner, the
 * processing queue persisted before a rolling upgrade's update (as PKO), one Package at a time, the stop on failure
 * holding the updates, a conflict reported for a retry, and nothing done for a HostedClusterPackage gone, being
 * deleted or malformed.
 */
import { describe, expect, it } from 'vitest';
import { reconcileHostedClusterPackage } from '../../functions/steps/hostedclusterpackage.js';
import type { KubeObject } from '../../shared/ports.js';
import { FakeKube } from '../fakes/kube.js';

const API = 'package-operator.run/v1alpha1';
const OLD = { image: 'registry.example/app:v1' };
const NEW = { image: 'registry.example/app:v2' };
const NOW = (): Date => new Date('2026-01-02T00:00:00Z');

function hostedCluster(kube: FakeKube, name: string, wave: string): void {
  kube.put({
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { name, namespace: 'clusters', uid: `hc-${name}`, labels: { wave } },
    status: { conditions: [{ type: 'Available', status: 'True' }] },
  });
}

function pkg(kube: FakeKube, cluster: string, spec: unknown, unpacked = 'True'): KubeObject {
  return kube.put({
    apiVersion: API,
    kind: 'Package',
    metadata: { name: 'app', namespace: `clusters-${cluster}`, uid: `pkg-${cluster}`, generation: 1 },
    spec,
    status: {
      conditions: [
        { type: 'Available', status: 'True', observedGeneration: 1 },
        { type: 'Progressing', status: 'False', observedGeneration: 1 },
        { type: 'Unpacked', status: unpacked, observedGeneration: 1 },
      ],
    },
  });
}

function hcpkg(kube: FakeKube, spec: Record<string, unknown>, annotations?: Record<string, string>): void {
  kube.put({
    apiVersion: API,
    kind: 'HostedClusterPackage',
    metadata: { name: 'app', uid: 'hcpkg-uid', generation: 2, ...(annotations ? { annotations } : {}) },
    spec: { template: { spec: NEW }, ...spec },
  });
}

const statusOf = (kube: FakeKube): Record<string, unknown> =>
  kube.objects.get(`${API}|HostedClusterPackage||app`)?.['status'] as Record<string, unknown>;
const specOf = (kube: FakeKube, cluster: string): unknown =>
  kube.objects.get(`${API}|Package|clusters-${cluster}|app`)?.['spec'];

describe('the HostedClusterPackage step', () => {
  it('creates the missing Package, owned by the HostedClusterPackage, and writes the status', async () => {
    const kube = new FakeKube();
    hostedCluster(kube, 'a.b', 'one');
    hcpkg(kube, {});
    const result = await reconcileHostedClusterPackage('app', kube, NOW);
    expect(result).toEqual({ outcome: 'reconciled', actions: ['created Package clusters-a-b/app'] });
    const created = kube.objects.get(`${API}|Package|clusters-a-b|app`);
    expect(created?.metadata.ownerReferences).toEqual([
      {
        apiVersion: API,
        kind: 'HostedClusterPackage',
        name: 'app',
        uid: 'hcpkg-uid',
        blockOwnerDeletion: true,
        controller: true,
      },
    ]);
    expect(created?.['spec']).toEqual(NEW);
    // The new Package is not Available yet: 0/1.
    expect(statusOf(kube)).toMatchObject({ observedGeneration: 2, updatedPackages: 1, totalPackages: 1 });
    expect(kube.writes).toEqual(['create Package/app', 'status HostedClusterPackage/app']);
    // Nothing changed: no write.
    await reconcileHostedClusterPackage('app', kube, NOW);
    expect(kube.writes).toHaveLength(2);
  });

  it('rolling upgrade: persists the queue, then updates one Package, in partition order', async () => {
    const kube = new FakeKube();
    hostedCluster(kube, 'x', 'b-second');
    hostedCluster(kube, 'y', 'a-first');
    pkg(kube, 'x', OLD);
    pkg(kube, 'y', OLD);
    hcpkg(kube, { strategy: { rollingUpgrade: { maxUnavailable: 1 } }, partition: { labelKey: 'wave' } });
    const result = await reconcileHostedClusterPackage('app', kube, NOW);
    expect(result.actions).toEqual(['updated Package clusters-y/app']);
    expect(kube.writes.slice(0, 2)).toEqual(['status HostedClusterPackage/app', 'update Package/app']);
    expect(specOf(kube, 'y')).toEqual(NEW);
    expect(specOf(kube, 'x')).toEqual(OLD);
    expect(statusOf(kube)['processing']).toEqual([{ uid: 'pkg-y', name: 'app', namespace: 'clusters-y' }]);
  });

  it('holds the updates when more updated Packages failed than gantry.run/max-failed-clusters allows', async () => {
    const kube = new FakeKube();
    hostedCluster(kube, 'x', 'one');
    hostedCluster(kube, 'y', 'two');
    pkg(kube, 'x', NEW, 'False');
    pkg(kube, 'y', OLD);
    hcpkg(
      kube,
      { strategy: { rollingUpgrade: { maxUnavailable: 1 } } },
      { 'gantry.run/max-failed-clusters': '0' },
    );
    const result = await reconcileHostedClusterPackage('app', kube, NOW);
    expect(result.actions).toEqual(['rollout stopped: 1 updated packages failed (0 allowed)']);
    expect(specOf(kube, 'y')).toEqual(OLD);
    expect(kube.writes).toEqual(['status HostedClusterPackage/app']);
    expect(statusOf(kube)['conditions']).toContainEqual({
      type: 'Progressing',
      status: 'False',
      reason: 'RolloutStopped',
      message:
        '1 updated packages failed, more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-02T00:00:00Z',
    });
  });

  it('reports a conflict for a retry', async () => {
    const kube = new FakeKube();
    hostedCluster(kube, 'x', 'one');
    pkg(kube, 'x', OLD);
    hcpkg(kube, {});
    kube.beforeWrite = (verb, ref): void => {
      if (verb === 'status' && ref.kind === 'HostedClusterPackage') {
        const live = kube.objects.get(`${API}|HostedClusterPackage||app`);
        if (live !== undefined) kube.put(live);
      }
    };
    expect((await reconcileHostedClusterPackage('app', kube, NOW)).outcome).toBe('conflict');
  });

  it('does nothing for a HostedClusterPackage gone, being deleted or malformed', async () => {
    const kube = new FakeKube();
    expect((await reconcileHostedClusterPackage('app', kube, NOW)).outcome).toBe('gone');
    kube.put({
      apiVersion: API,
      kind: 'HostedClusterPackage',
      metadata: { name: 'bad', uid: 'u' },
      spec: {},
    });
    expect((await reconcileHostedClusterPackage('bad', kube, NOW)).outcome).toBe('malformed');
    kube.put({
      apiVersion: API,
      kind: 'HostedClusterPackage',
      metadata: { name: 'going', uid: 'u2', deletionTimestamp: '2026-01-01T00:00:00Z' },
      spec: { template: { spec: NEW } },
    });
    expect((await reconcileHostedClusterPackage('going', kube, NOW)).outcome).toBe('deleting');
    expect(kube.writes).toEqual([]);
  });
});
