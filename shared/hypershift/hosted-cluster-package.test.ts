import { describe, expect, it } from 'vitest';
import {
  disruptionBudget,
  fleetConditions,
  fleetState,
  type FleetMember,
  type FleetSpec,
} from './hosted-cluster-package.js';

const NEW = { image: 'registry.example/app:v2' };
const OLD = { image: 'registry.example/app:v1' };

function member(
  uid: string,
  labels: Record<string, string>,
  pkg?: { spec: unknown; available: boolean; paused?: boolean },
): FleetMember {
  return {
    hostedCluster: { uid, labels },
    ...(pkg === undefined
      ? {}
      : {
          pkg: {
            uid: `pkg-${uid}`,
            generation: 2,
            spec: pkg.spec,
            conditions: [
              { type: 'Available', status: pkg.available ? 'True' : 'False', observedGeneration: 2 },
              { type: 'Progressing', status: 'False', observedGeneration: 2 },
              { type: 'Unpacked', status: 'True', observedGeneration: 2 },
              ...(pkg.paused === true ? [{ type: 'Paused', status: 'True', observedGeneration: 2 }] : []),
            ],
          },
        }),
  };
}

const instant: FleetSpec = { strategy: { instant: {} }, templateSpec: NEW, processing: [] };

describe("PKO's HostedClusterPackage decisions", () => {
  it('instant: every HostedCluster without a Package gets one, every outdated Package the new spec', () => {
    const state = fleetState(instant, [
      member('a', {}),
      member('b', {}, { spec: OLD, available: true }),
      member('c', {}, { spec: NEW, available: true }),
      member('d', {}, { spec: OLD, available: false }),
    ]);
    expect(state).toEqual({
      total: 3,
      available: 2,
      unavailable: 2,
      progressed: 3,
      updated: 1,
      paused: 0,
      missing: ['a'],
      toUpdate: ['pkg-d', 'pkg-b'],
    });
    expect(disruptionBudget(instant, 2)).toBe(-1);
    expect(fleetConditions(instant, state)).toEqual([
      {
        type: 'Available',
        status: 'False',
        reason: 'NotEnoughPackagesAvailable',
        message: '2/3 packages available.',
      },
      {
        type: 'Progressing',
        status: 'False',
        reason: 'AllPackagesProgressed',
        message: '3/3 packages progressed.',
      },
      {
        type: 'HasPausedPackage',
        status: 'False',
        reason: 'NoPackagePaused',
        message: '0/3 packages paused.',
      },
    ]);
  });

  it('rolling upgrade: within maxUnavailable, partition by partition, the processing ones first', () => {
    const spec: FleetSpec = {
      strategy: { rollingUpgrade: { maxUnavailable: 1 } },
      partition: { labelKey: 'wave', order: { static: ['canary', '*'] } },
      templateSpec: NEW,
      processing: [],
    };
    const fleet = [
      member('x', {}, { spec: OLD, available: true }),
      member('y', { wave: 'canary' }, { spec: OLD, available: true }),
      member('z', { wave: 'canary' }, { spec: OLD, available: true }),
    ];
    expect(fleetState(spec, fleet).toUpdate).toEqual(['pkg-y']);
    // One already being updated and unavailable: the budget is spent, only it goes on.
    const busy = [
      member('x', {}, { spec: OLD, available: true }),
      member('y', { wave: 'canary' }, { spec: NEW, available: false }),
      member('z', { wave: 'canary' }, { spec: OLD, available: true }),
    ];
    expect(fleetState({ ...spec, processing: ['pkg-y'] }, busy).toUpdate).toEqual(['pkg-y']);
    expect(disruptionBudget(spec, 1)).toBe(0);
    expect(fleetConditions(spec, fleetState(spec, busy))[0]).toEqual({
      type: 'Available',
      status: 'True',
      reason: 'EnoughPackagesAvailable',
      message: '2/3 packages available.',
    });
  });

  it('alphanumeric partitions, the unlabelled last; a paused Package is reported', () => {
    const spec: FleetSpec = {
      strategy: { rollingUpgrade: { maxUnavailable: 2 } },
      partition: { labelKey: 'wave', order: { alphanumericAsc: {} } },
      templateSpec: NEW,
      processing: [],
    };
    const state = fleetState(spec, [
      member('n', {}, { spec: OLD, available: true }),
      member('b', { wave: 'b' }, { spec: OLD, available: true, paused: true }),
      member('a', { wave: 'a' }, { spec: OLD, available: true }),
    ]);
    expect(state.toUpdate).toEqual(['pkg-a', 'pkg-b']);
    expect(fleetConditions(spec, state)[2]).toEqual({
      type: 'HasPausedPackage',
      status: 'True',
      reason: 'AtLeastOnePackagePaused',
      message: '1/3 packages paused.',
    });
  });
});
