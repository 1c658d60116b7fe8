/**
 * The HostedClusterPackage step with Gantry's progress deadline (gantry.run/cluster-progress-deadline) against an
 * in-memory API server: the update records when the Package got the template, the step asks to run again the
 * moment the deadline passes, and then a Package still progressing counts as failed and stops the rollout.
 */
import { describe, expect, it } from 'vitest';
import { reconcileHostedClusterPackage } from '../../functions/steps/hostedclusterpackage.js';
import { parseKubeObject } from '../../shared/api/objects.js';
import { FakeKube } from '../fakes/kube.js';

const API = 'package-operator.run/v1alpha1';
const OLD = { image: 'registry.example/app:v1' };
const NEW = { image: 'registry.example/app:v2' };
const T0 = new Date('2026-01-02T00:00:00.000Z');
const at =
  (ms: number): (() => Date) =>
  (): Date =>
    new Date(T0.getTime() + ms);

function hostedCluster(kube: FakeKube, name: string): void {
  kube.put({
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { name, namespace: 'clusters', uid: `hc-${name}`, labels: { wave: name } },
    status: { conditions: [{ type: 'Available', status: 'True' }] },
  });
}

function settledPkg(kube: FakeKube, cluster: string, spec: unknown): void {
  kube.put({
    apiVersion: API,
    kind: 'Package',
    metadata: { name: 'app', namespace: `clusters-${cluster}`, uid: `pkg-${cluster}`, generation: 1 },
    spec,
    status: {
      conditions: [
        { type: 'Available', status: 'True', observedGeneration: 1 },
        { type: 'Progressing', status: 'False', observedGeneration: 1 },
        { type: 'Unpacked', status: 'True', observedGeneration: 1 },
      ],
    },
  });
}

/** The Package as its controller leaves it while the new revision's probe never passes. */
function progressing(kube: FakeKube, cluster: string): void {
  const key = `${API}|Package|clusters-${cluster}|app`;
  const live = parseKubeObject(kube.objects.get(key));
  if (live === undefined) throw new Error(`no Package ${key}`);
  const generation = (live.metadata.generation ?? 1) + 1;
  kube.put({
    ...live,
    metadata: { ...live.metadata, generation },
    status: {
      conditions: [
        { type: 'Available', status: 'True', observedGeneration: generation },
        { type: 'Progressing', status: 'True', observedGeneration: generation },
        { type: 'Unpacked', status: 'True', observedGeneration: generation },
      ],
    },
  });
}

function hcpkg(kube: FakeKube, annotations: Record<string, string>): void {
  kube.put({
    apiVersion: API,
    kind: 'HostedClusterPackage',
    metadata: { name: 'app', uid: 'hcpkg-uid', generation: 2, annotations },
    spec: { strategy: { rollingUpgrade: { maxUnavailable: 2 } }, template: { spec: NEW } },
  });
}

const progressingOf = (kube: FakeKube): unknown =>
  (
    kube.objects.get(`${API}|HostedClusterPackage||app`)?.['status'] as
      { conditions?: { type: string }[] } | undefined
  )?.conditions?.find((c) => c.type === 'Progressing');
const pkgOf = (kube: FakeKube, cluster: string): Record<string, unknown> | undefined =>
  kube.objects.get(`${API}|Package|clusters-${cluster}|app`);

describe('the HostedClusterPackage step with a progress deadline', () => {
  it('records the update, runs again at the deadline, then stops on the Package still progressing', async () => {
    const kube = new FakeKube();
    hostedCluster(kube, 'x');
    settledPkg(kube, 'x', OLD);
    hcpkg(kube, {
      'gantry.run/max-failed-clusters': '0',
      'gantry.run/cluster-progress-deadline': '10m',
    });
    const first = await reconcileHostedClusterPackage('app', kube, at(0));
    expect(first.actions).toEqual(['updated Package clusters-x/app']);
    expect(pkgOf(kube, 'x')?.['metadata']).toMatchObject({
      annotations: { 'gantry.run/template-applied-at': '2026-01-02T00:00:00.000Z' },
    });
    // The fake API server does not bump the generation on a spec change, so the old status still reads as
    // settled: no deadline to wait for yet (a real one does, and the Package's next event runs the key).
    expect(first.requeueAfterMs).toBeUndefined();

    progressing(kube, 'x');
    const early = await reconcileHostedClusterPackage('app', kube, at(240_000));
    expect(early).toEqual({ outcome: 'reconciled', actions: [], requeueAfterMs: 360_000 });
    expect(progressingOf(kube)).toMatchObject({ reason: 'NotAllPackagesProgressed' });

    const late = await reconcileHostedClusterPackage('app', kube, at(600_000));
    expect(late).toEqual({
      outcome: 'reconciled',
      actions: ['rollout stopped: 1 updated packages failed (0 allowed, 1 past the progress deadline)'],
    });
    expect(progressingOf(kube)).toEqual({
      type: 'Progressing',
      status: 'False',
      reason: 'RolloutStopped',
      message:
        '1 updated packages failed (1 not settled within the 10m of gantry.run/cluster-progress-deadline), more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-02T00:10:00Z',
    });
  });

  it('holds every update on a deadline that is not a duration, and says why', async () => {
    const kube = new FakeKube();
    hostedCluster(kube, 'x');
    settledPkg(kube, 'x', OLD);
    hcpkg(kube, { 'gantry.run/cluster-progress-deadline': 'soon' });
    const result = await reconcileHostedClusterPackage('app', kube, at(0));
    expect(result).toEqual({
      outcome: 'reconciled',
      actions: ['rollout stopped: gantry.run/cluster-progress-deadline "soon" is not a duration'],
    });
    expect(pkgOf(kube, 'x')?.['spec']).toEqual(OLD);
    expect(kube.writes).toEqual(['status HostedClusterPackage/app']);
    expect(progressingOf(kube)).toEqual({
      type: 'Progressing',
      status: 'False',
      reason: 'RolloutStopped',
      message:
        'gantry.run/cluster-progress-deadline "soon" is not a positive duration such as 10m or 1h30m: rollout stopped.',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-02T00:00:00Z',
    });
  });
});
