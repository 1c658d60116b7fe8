import { describe, expect, it } from 'vitest';
import type { FleetMember, FleetPackage } from './hosted-cluster-package.js';
import {
  comparablePackageSpec,
  fleetPackage,
  fleetStatus,
  isFailedPackage,
  maxFailedClusters,
  parseHostedClusterPackage,
  planRollout,
  rebuildProcessing,
  selectsHostedCluster,
  type HostedClusterPackage,
} from './fleet-rollout.js';

const NEW = { image: 'registry.example/app:v2' };
const OLD = { image: 'registry.example/app:v1' };
const NOW = new Date('2026-01-02T03:04:05.678Z');

function hcpkg(
  over: Record<string, unknown> = {},
  annotations?: Record<string, string>,
): HostedClusterPackage {
  const parsed = parseHostedClusterPackage({
    metadata: { name: 'app', uid: 'hcpkg-uid', generation: 3, ...(annotations ? { annotations } : {}) },
    spec: { template: { metadata: { labels: { team: 'a' } }, spec: NEW }, ...over },
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

type Health = 'available' | 'unavailable' | 'pull-failed';

function member(uid: string, labels: Record<string, string>, spec?: unknown, health?: Health): FleetMember {
  if (spec === undefined) return { hostedCluster: { uid, labels } };
  const c = (type: string, status: string): { type: string; status: string; observedGeneration: number } => ({
    type,
    status,
    observedGeneration: 2,
  });
  const conditions =
    health === 'pull-failed'
      ? [c('Available', 'True'), c('Unpacked', 'False')]
      : [
          c('Available', health === 'unavailable' ? 'False' : 'True'),
          c('Progressing', 'False'),
          c('Unpacked', 'True'),
        ];
  return { hostedCluster: { uid, labels }, pkg: { uid: `pkg-${uid}`, generation: 2, spec, conditions } };
}

const refOf = (uid: string): { uid: string; name: string; namespace: string } => ({
  uid,
  name: 'app',
  namespace: `ns-${uid}`,
});

describe('the HostedClusterPackage object', () => {
  it("defaults the strategy to instant, as PKO's CRD does", () => {
    expect(hcpkg().spec.strategy).toEqual({ instant: {} });
    expect(parseHostedClusterPackage({ metadata: { name: 'x', uid: 'u' }, spec: {} }).ok).toBe(false);
  });

  it('compares Package specs as PKO (zero values are absent)', () => {
    expect(comparablePackageSpec({ image: 'i', paused: false, component: '' })).toEqual({ image: 'i' });
    expect(comparablePackageSpec({ image: 'i', paused: true, config: { a: 1 } })).toEqual({
      image: 'i',
      paused: true,
      config: { a: 1 },
    });
  });

  it('selects the Available HostedClusters its selector matches', () => {
    const sel = hcpkg({ hostedClusterSelector: { matchLabels: { env: 'prod' } } });
    const hc = (labels: Record<string, string>, available: string): unknown => ({
      metadata: { labels },
      status: { conditions: [{ type: 'Available', status: available }] },
    });
    expect(selectsHostedCluster(sel, hc({ env: 'prod' }, 'True'))).toBe(true);
    expect(selectsHostedCluster(sel, hc({ env: 'prod' }, 'False'))).toBe(false);
    expect(selectsHostedCluster(sel, hc({ env: 'dev' }, 'True'))).toBe(false);
    expect(selectsHostedCluster(hcpkg(), hc({}, 'True'))).toBe(true);
  });

  it("makes PKO's Package: the template's labels, annotations and spec, a controller owner reference", () => {
    const pkg = fleetPackage(hcpkg(), { namespace: 'clusters', name: 'my.hc' });
    expect(pkg).toEqual({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: {
        name: 'app',
        namespace: 'clusters-my-hc',
        labels: { team: 'a' },
        ownerReferences: [
          {
            apiVersion: 'package-operator.run/v1alpha1',
            kind: 'HostedClusterPackage',
            name: 'app',
            uid: 'hcpkg-uid',
            blockOwnerDeletion: true,
            controller: true,
          },
        ],
      },
      spec: NEW,
    });
    const existing = { ...pkg, metadata: { ...pkg.metadata, labels: { other: 'x' }, resourceVersion: '7' } };
    const updated = fleetPackage(
      hcpkg(),
      { namespace: 'clusters', name: 'my.hc' },
      { ...existing, spec: OLD },
    );
    expect(updated.metadata.labels).toEqual({ other: 'x', team: 'a' });
    expect(updated.metadata.resourceVersion).toBe('7');
    expect(updated.metadata.ownerReferences).toHaveLength(1);
    expect(updated['spec']).toEqual(NEW);
  });
});

describe('the processing queue and the plan', () => {
  it('drops Packages gone, recreated, or updated and Available from the queue', () => {
    const obj = hcpkg();
    const withQueue = {
      ...obj,
      status: {
        processing: [
          { uid: 'p1', name: 'app', namespace: 'a' },
          { uid: 'p2', name: 'app', namespace: 'b' },
          { uid: 'p3', name: 'app', namespace: 'c' },
          { uid: 'p4', name: 'app', namespace: 'd' },
        ],
      },
    };
    const pkg = (uid: string, spec: unknown, available: boolean): FleetPackage => ({
      uid,
      generation: 1,
      spec,
      conditions: [{ type: 'Available', status: available ? 'True' : 'False', observedGeneration: 1 }],
    });
    const found = new Map<string, FleetPackage>([
      ['b/app', pkg('other', NEW, false)],
      ['c/app', pkg('p3', NEW, true)],
      ['d/app', pkg('p4', NEW, false)],
    ]);
    expect(rebuildProcessing(withQueue, found)).toEqual([{ uid: 'p4', name: 'app', namespace: 'd' }]);
  });

  it('instant: every missing Package created, every outdated one updated, no queue kept', () => {
    const plan = planRollout(
      hcpkg(),
      [],
      [member('a', {}), member('b', {}, OLD), member('c', {}, NEW)],
      refOf,
    );
    expect(plan.create).toEqual(['a']);
    expect(plan.update).toEqual(['pkg-b']);
    expect(plan.processing).toEqual([]);
  });

  it('rolling upgrade: as many as maxUnavailable allows, partition by partition, queued', () => {
    const rolling = hcpkg({
      strategy: { rollingUpgrade: { maxUnavailable: 1 } },
      partition: { labelKey: 'wave', order: { static: ['first', '*'] } },
    });
    const members = [
      member('a', { wave: 'later' }, OLD),
      member('b', { wave: 'first' }, OLD),
      member('c', {}, OLD),
    ];
    const plan = planRollout(rolling, [], members, refOf);
    expect(plan.update).toEqual(['pkg-b']);
    expect(plan.processing).toEqual([refOf('pkg-b')]);
  });

  it('stops on failure: more failed updated Packages than gantry.run/max-failed-clusters, nothing updated', () => {
    const rolling = hcpkg(
      { strategy: { rollingUpgrade: { maxUnavailable: 3 } } },
      { 'gantry.run/max-failed-clusters': '0' },
    );
    const members = [member('a', {}, NEW, 'pull-failed'), member('b', {}, OLD), member('c', {})];
    const plan = planRollout(rolling, [], members, refOf);
    expect(plan.stop).toEqual({ failed: 1, allowed: 0 });
    expect(plan.update).toEqual([]);
    expect(plan.create).toEqual(['c']);
    // Within the allowance, or without the annotation: PKO's plan.
    const allowed = hcpkg(
      { strategy: { rollingUpgrade: { maxUnavailable: 3 } } },
      { 'gantry.run/max-failed-clusters': '1' },
    );
    expect(planRollout(allowed, [], members, refOf).update).toEqual(['pkg-b']);
    expect(
      planRollout(hcpkg({ strategy: { rollingUpgrade: { maxUnavailable: 3 } } }), [], members, refOf).stop,
    ).toBeUndefined();
  });

  it('counts as failed only Packages with the template spec that cannot unpack, are invalid or settled unavailable', () => {
    const p = (spec: unknown, conditions: { type: string; status: string }[]): FleetPackage => ({
      uid: 'u',
      generation: 4,
      spec,
      conditions: conditions.map((c) => ({ ...c, observedGeneration: 4 })),
    });
    expect(isFailedPackage(p(NEW, [{ type: 'Unpacked', status: 'False' }]), NEW)).toBe(true);
    expect(isFailedPackage(p(OLD, [{ type: 'Unpacked', status: 'False' }]), NEW)).toBe(false);
    expect(isFailedPackage(p(NEW, [{ type: 'Invalid', status: 'True' }]), NEW)).toBe(true);
    expect(
      isFailedPackage(
        p(NEW, [
          { type: 'Available', status: 'False' },
          { type: 'Progressing', status: 'False' },
        ]),
        NEW,
      ),
    ).toBe(true);
    expect(
      isFailedPackage(
        p(NEW, [
          { type: 'Available', status: 'False' },
          { type: 'Progressing', status: 'True' },
        ]),
        NEW,
      ),
    ).toBe(false);
  });

  it('reads the annotation as a non-negative integer, else no stop', () => {
    expect(maxFailedClusters(hcpkg({}, { 'gantry.run/max-failed-clusters': '2' }))).toBe(2);
    expect(maxFailedClusters(hcpkg({}, { 'gantry.run/max-failed-clusters': '-1' }))).toBeUndefined();
    expect(maxFailedClusters(hcpkg({}, { 'gantry.run/max-failed-clusters': 'x' }))).toBeUndefined();
    expect(maxFailedClusters(hcpkg())).toBeUndefined();
  });
});

describe('the status PKO writes', () => {
  it('counts (zero left out), conditions with the generation, the queue', () => {
    const obj = hcpkg();
    const plan = planRollout(obj, [], [member('a', {}, NEW), member('b', {}, OLD, 'unavailable')], refOf);
    const status = fleetStatus(obj, { state: plan.state, processing: [] }, NOW);
    expect(status).toEqual({
      observedGeneration: 3,
      availablePackages: 1,
      progressedPackages: 2,
      updatedPackages: 1,
      totalPackages: 2,
      conditions: [
        {
          type: 'Available',
          status: 'False',
          reason: 'NotEnoughPackagesAvailable',
          message: '1/2 packages available.',
          observedGeneration: 3,
          lastTransitionTime: '2026-01-02T03:04:05Z',
        },
        {
          type: 'Progressing',
          status: 'False',
          reason: 'AllPackagesProgressed',
          message: '2/2 packages progressed.',
          observedGeneration: 3,
          lastTransitionTime: '2026-01-02T03:04:05Z',
        },
        {
          type: 'HasPausedPackage',
          status: 'False',
          reason: 'NoPackagePaused',
          message: '0/2 packages paused.',
          observedGeneration: 3,
          lastTransitionTime: '2026-01-02T03:04:05Z',
        },
      ],
    });
    const empty = fleetStatus(
      obj,
      { state: planRollout(obj, [], [], refOf).state, processing: [refOf('x')] },
      NOW,
    );
    expect(Object.keys(empty).sort()).toEqual(['conditions', 'observedGeneration', 'processing']);
  });

  it('says why the rollout stopped', () => {
    const obj = hcpkg({}, { 'gantry.run/max-failed-clusters': '0' });
    const plan = planRollout(obj, [], [member('a', {}, NEW, 'pull-failed')], refOf);
    const status = fleetStatus(
      obj,
      { state: plan.state, processing: [], ...(plan.stop ? { stop: plan.stop } : {}) },
      NOW,
    );
    expect(status['conditions']).toContainEqual({
      type: 'Progressing',
      status: 'False',
      reason: 'RolloutStopped',
      message:
        '1 updated packages failed, more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
      observedGeneration: 3,
      lastTransitionTime: '2026-01-02T03:04:05Z',
    });
  });
});
