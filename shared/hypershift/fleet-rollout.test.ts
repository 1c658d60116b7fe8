import { describe, expect, it } from 'vitest';
import type { FleetMember, FleetPackage } from './hosted-cluster-package.js';
import {
  comparablePackageSpec,
  fleetPackage,
  fleetPackageOf,
  fleetStatus,
  isFailedPackage,
  lateAt,
  maxFailedClusters,
  parseHostedClusterPackage,
  planRollout,
  progressDeadline,
  rebuildProcessing,
  selectsHostedCluster,
  stopAction,
  stopMessage,
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
      NOW,
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
    const plan = planRollout(rolling, [], members, refOf, NOW);
    expect(plan.update).toEqual(['pkg-b']);
    expect(plan.processing).toEqual([refOf('pkg-b')]);
  });

  it('stops on failure: more failed updated Packages than gantry.run/max-failed-clusters, nothing updated', () => {
    const rolling = hcpkg(
      { strategy: { rollingUpgrade: { maxUnavailable: 3 } } },
      { 'gantry.run/max-failed-clusters': '0' },
    );
    const members = [member('a', {}, NEW, 'pull-failed'), member('b', {}, OLD), member('c', {})];
    const plan = planRollout(rolling, [], members, refOf, NOW);
    expect(plan.stop).toEqual({ cause: 'failures', failed: 1, allowed: 0, late: 0 });
    expect(plan.update).toEqual([]);
    expect(plan.create).toEqual(['c']);
    // Within the allowance, or without the annotation: PKO's plan.
    const allowed = hcpkg(
      { strategy: { rollingUpgrade: { maxUnavailable: 3 } } },
      { 'gantry.run/max-failed-clusters': '1' },
    );
    expect(planRollout(allowed, [], members, refOf, NOW).update).toEqual(['pkg-b']);
    expect(
      planRollout(hcpkg({ strategy: { rollingUpgrade: { maxUnavailable: 3 } } }), [], members, refOf, NOW)
        .stop,
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
    const plan = planRollout(
      obj,
      [],
      [member('a', {}, NEW), member('b', {}, OLD, 'unavailable')],
      refOf,
      NOW,
    );
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
      { state: planRollout(obj, [], [], refOf, NOW).state, processing: [refOf('x')] },
      NOW,
    );
    expect(Object.keys(empty).sort()).toEqual(['conditions', 'observedGeneration', 'processing']);
  });

  it('says why the rollout stopped', () => {
    const obj = hcpkg({}, { 'gantry.run/max-failed-clusters': '0' });
    const plan = planRollout(obj, [], [member('a', {}, NEW, 'pull-failed')], refOf, NOW);
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

describe("Gantry's progress deadline (gantry.run/cluster-progress-deadline)", () => {
  const MIN = 60_000;
  const deadline = (value: string, maxFailed = '0'): HostedClusterPackage =>
    hcpkg(
      { strategy: { rollingUpgrade: { maxUnavailable: 3 } } },
      { 'gantry.run/max-failed-clusters': maxFailed, 'gantry.run/cluster-progress-deadline': value },
    );
  /** A Package with the template's spec whose new revision is still progressing (the previous one serves). */
  const stuck = (uid: string, over: Partial<FleetPackage> = {}): FleetMember => ({
    hostedCluster: { uid, labels: {} },
    pkg: {
      uid: `pkg-${uid}`,
      generation: 5,
      spec: NEW,
      conditions: [
        { type: 'Available', status: 'True', observedGeneration: 5 },
        { type: 'Progressing', status: 'True', observedGeneration: 5 },
        { type: 'Unpacked', status: 'True', observedGeneration: 5 },
      ],
      ...over,
    },
  });
  const appliedAgo = (ms: number): Partial<FleetPackage> => ({ templateAppliedAt: NOW.getTime() - ms });

  it('reads the annotation as a positive Go duration', () => {
    expect(progressDeadline(hcpkg())).toEqual({ ok: true });
    expect(progressDeadline(deadline('10m'))).toEqual({ ok: true, deadline: { ms: 600_000, text: '10m' } });
    expect(progressDeadline(deadline(' 1h30m '))).toEqual({
      ok: true,
      deadline: { ms: 5_400_000, text: '1h30m' },
    });
    expect(progressDeadline(deadline('0'))).toEqual({ ok: false, value: '0' });
    expect(progressDeadline(deadline('-5m'))).toEqual({ ok: false, value: '-5m' });
    expect(progressDeadline(deadline('10 minutes'))).toEqual({ ok: false, value: '10 minutes' });
  });

  it('counts a Package not settled past the deadline as failed and stops the rollout', () => {
    const members = [stuck('a', appliedAgo(11 * MIN)), member('b', {}, OLD)];
    const plan = planRollout(deadline('10m'), [], members, refOf, NOW);
    expect(plan.stop).toEqual({ cause: 'failures', failed: 1, allowed: 0, late: 1, deadline: '10m' });
    expect(plan.update).toEqual([]);
    expect(plan.recheckInMs).toBeUndefined();
    if (plan.stop === undefined) throw new Error('not stopped');
    expect(stopMessage(plan.stop)).toBe(
      '1 updated packages failed (1 not settled within the 10m of gantry.run/cluster-progress-deadline), more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
    );
    expect(stopAction(plan.stop)).toBe(
      'rollout stopped: 1 updated packages failed (0 allowed, 1 past the progress deadline)',
    );
    // Exactly at the deadline it is late.
    expect(planRollout(deadline('10m'), [], [stuck('a', appliedAgo(10 * MIN))], refOf, NOW).stop).toEqual({
      cause: 'failures',
      failed: 1,
      allowed: 0,
      late: 1,
      deadline: '10m',
    });
  });

  it('before the deadline: PKO plan, and run again the moment the earliest deadline passes', () => {
    const members = [stuck('a', appliedAgo(4 * MIN)), stuck('c', appliedAgo(MIN)), member('b', {}, OLD)];
    const plan = planRollout(deadline('10m'), [], members, refOf, NOW);
    expect(plan.stop).toBeUndefined();
    expect(plan.update).toEqual(['pkg-b']);
    expect(plan.recheckInMs).toBe(6 * MIN);
    // Within the allowance: no stop, and the late one no longer needs a run.
    const allowed = planRollout(
      deadline('10m', '1'),
      [],
      [stuck('a', appliedAgo(11 * MIN)), stuck('c', appliedAgo(MIN)), member('b', {}, OLD)],
      refOf,
      NOW,
    );
    expect(allowed.stop).toBeUndefined();
    expect(allowed.update).toEqual(['pkg-b']);
    expect(allowed.recheckInMs).toBe(9 * MIN);
  });

  it('an updated Package holds its slot of the budget until it settles, though its previous revision serves', () => {
    const one = (annotations: Record<string, string>): HostedClusterPackage =>
      hcpkg({ strategy: { rollingUpgrade: { maxUnavailable: 1 } } }, annotations);
    const members = [stuck('a', appliedAgo(MIN)), member('b', {}, OLD)];
    const held = planRollout(
      one({ 'gantry.run/max-failed-clusters': '0', 'gantry.run/cluster-progress-deadline': '10m' }),
      [],
      members,
      refOf,
      NOW,
    );
    expect(held.update).toEqual([]);
    expect(held.stop).toBeUndefined();
    expect(held.recheckInMs).toBe(9 * MIN);
    // PKO's budget alone (no deadline): the Available Package frees its slot.
    expect(
      planRollout(one({ 'gantry.run/max-failed-clusters': '0' }), [], members, refOf, NOW).update,
    ).toEqual(['pkg-b']);
    // Settled: the slot is free again.
    const settled = [member('a', {}, NEW), member('b', {}, OLD)];
    expect(
      planRollout(
        one({ 'gantry.run/max-failed-clusters': '0', 'gantry.run/cluster-progress-deadline': '10m' }),
        [],
        settled,
        refOf,
        NOW,
      ).update,
    ).toEqual(['pkg-b']);
  });

  it('a late Package within the allowance frees its slot like any failed one', () => {
    const obj = hcpkg(
      { strategy: { rollingUpgrade: { maxUnavailable: 1 } } },
      { 'gantry.run/max-failed-clusters': '1', 'gantry.run/cluster-progress-deadline': '10m' },
    );
    const plan = planRollout(obj, [], [stuck('a', appliedAgo(11 * MIN)), member('b', {}, OLD)], refOf, NOW);
    expect(plan.stop).toBeUndefined();
    expect(plan.update).toEqual(['pkg-b']);
  });

  it('mixes late and otherwise failed Packages in one count', () => {
    const members = [stuck('a', appliedAgo(11 * MIN)), member('b', {}, NEW, 'pull-failed')];
    const plan = planRollout(deadline('10m'), [], members, refOf, NOW);
    expect(plan.stop).toEqual({ cause: 'failures', failed: 2, allowed: 0, late: 1, deadline: '10m' });
  });

  it('without gantry.run/max-failed-clusters the deadline counts nothing', () => {
    const obj = hcpkg({}, { 'gantry.run/cluster-progress-deadline': '10m' });
    const plan = planRollout(obj, [], [stuck('a', appliedAgo(11 * MIN)), member('b', {}, OLD)], refOf, NOW);
    expect(plan.stop).toBeUndefined();
    expect(plan.recheckInMs).toBeUndefined();
    expect(plan.update).toEqual(['pkg-b']);
  });

  it('times from the Progressing transition for its generation when the annotation is missing', () => {
    const withTransition = (generation: number): FleetPackage => ({
      uid: 'u',
      generation: 5,
      spec: NEW,
      conditions: [
        { type: 'Available', status: 'True', observedGeneration: 5 },
        {
          type: 'Progressing',
          status: 'True',
          observedGeneration: generation,
          lastTransitionTime: NOW.getTime() - 3 * MIN,
        },
      ],
    });
    expect(lateAt(withTransition(5), NEW, 10 * MIN)).toBe(NOW.getTime() + 7 * MIN);
    expect(lateAt(withTransition(4), NEW, 10 * MIN)).toBeUndefined();
    // The annotation wins over the condition.
    expect(lateAt({ ...withTransition(5), templateAppliedAt: NOW.getTime() }, NEW, 10 * MIN)).toBe(
      NOW.getTime() + 10 * MIN,
    );
  });

  it('is never late: settled, paused on purpose, or another spec', () => {
    const settled = member('a', {}, NEW).pkg;
    if (settled === undefined) throw new Error('no package');
    expect(lateAt({ ...settled, templateAppliedAt: 0 }, NEW, MIN)).toBeUndefined();
    const paused = stuck('p', {
      templateAppliedAt: 0,
      conditions: [
        { type: 'Available', status: 'True', observedGeneration: 5 },
        { type: 'Progressing', status: 'True', observedGeneration: 5 },
        { type: 'Paused', status: 'True', observedGeneration: 5 },
      ],
    }).pkg;
    if (paused === undefined) throw new Error('no package');
    expect(lateAt(paused, NEW, MIN)).toBeUndefined();
    const other = stuck('o', { templateAppliedAt: 0, spec: OLD }).pkg;
    if (other === undefined) throw new Error('no package');
    expect(lateAt(other, NEW, MIN)).toBeUndefined();
    // Available False while still Progressing: not settled, late after the deadline.
    const fresh = stuck('f', {
      templateAppliedAt: 0,
      conditions: [
        { type: 'Available', status: 'False', observedGeneration: 5 },
        { type: 'Progressing', status: 'True', observedGeneration: 5 },
      ],
    }).pkg;
    if (fresh === undefined) throw new Error('no package');
    expect(lateAt(fresh, NEW, MIN)).toBe(MIN);
  });

  it('a value that is not a duration stops the rollout and says why; new HostedClusters still get theirs', () => {
    const obj = deadline('ten minutes');
    const plan = planRollout(obj, [], [member('a', {}, OLD), member('c', {})], refOf, NOW);
    expect(plan.stop).toEqual({ cause: 'invalid-deadline', value: 'ten minutes' });
    expect(plan.update).toEqual([]);
    expect(plan.create).toEqual(['c']);
    const status = fleetStatus(
      obj,
      { state: plan.state, processing: [], stop: { cause: 'invalid-deadline', value: 'ten minutes' } },
      NOW,
    );
    expect(status['conditions']).toContainEqual({
      type: 'Progressing',
      status: 'False',
      reason: 'RolloutStopped',
      message:
        'gantry.run/cluster-progress-deadline "ten minutes" is not a positive duration such as 10m or 1h30m: rollout stopped.',
      observedGeneration: 3,
      lastTransitionTime: '2026-01-02T03:04:05Z',
    });
    expect(stopAction({ cause: 'invalid-deadline', value: 'ten minutes' })).toBe(
      'rollout stopped: gantry.run/cluster-progress-deadline "ten minutes" is not a duration',
    );
    // Even without gantry.run/max-failed-clusters: a typo does not silently drop the guard.
    const alone = hcpkg({}, { 'gantry.run/cluster-progress-deadline': '5' });
    expect(planRollout(alone, [], [member('a', {}, OLD)], refOf, NOW).stop).toEqual({
      cause: 'invalid-deadline',
      value: '5',
    });
  });

  it('records when the template was given (a Package read back with it)', () => {
    const written = fleetPackage(hcpkg(), { namespace: 'clusters', name: 'hc' }, undefined, NOW);
    expect(written.metadata.annotations).toEqual({
      'gantry.run/template-applied-at': '2026-01-02T03:04:05.678Z',
    });
    const read = fleetPackageOf({
      ...written,
      metadata: { ...written.metadata, uid: 'u', generation: 1 },
      status: {
        conditions: [
          {
            type: 'Progressing',
            status: 'True',
            observedGeneration: 1,
            lastTransitionTime: '2026-01-02T03:00:00Z',
          },
          { type: 'Available', status: 'False', lastTransitionTime: 'not a time' },
        ],
      },
    });
    expect(read).toEqual({
      uid: 'u',
      generation: 1,
      spec: NEW,
      templateAppliedAt: NOW.getTime(),
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          observedGeneration: 1,
          lastTransitionTime: Date.parse('2026-01-02T03:00:00Z'),
        },
        { type: 'Available', status: 'False' },
      ],
    });
    // Without a time the annotation is left as it was.
    expect(fleetPackage(hcpkg(), { namespace: 'clusters', name: 'hc' }).metadata.annotations).toBeUndefined();
  });
});
