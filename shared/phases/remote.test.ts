import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import {
  desiredPhaseObject,
  mappedPhaseConditions,
  phaseNameOf,
  remoteFailureMessage,
  remotePausedState,
  remotePhaseFailure,
  siblingSelector,
} from './remote.js';

const objectSet = {
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'ObjectSet',
  name: 'web-1',
  namespace: 'shop',
  uid: 'os-uid',
  labels: { 'package-operator.run/object-deployment': 'web' },
  annotations: { a: 'b' },
  revision: 3,
  paused: false,
};
const objects = [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } }];

function phaseObject(generation: number, conditions: unknown[]): KubeObject {
  return {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'ObjectSetPhase',
    metadata: {
      name: 'web-1-deploy',
      generation,
      ownerReferences: [
        { apiVersion: 'x', kind: 'ObjectSet', name: 'web-1', uid: 'os-uid', controller: true },
      ],
    },
    status: { conditions },
  };
}

describe('the ObjectSetPhase of a classed phase', () => {
  it('has PKO labels, annotations, spec and owner', () => {
    expect(
      desiredPhaseObject({
        objectSet: { ...objectSet, previous: [{ name: 'web-0' }], availabilityProbes: [{ probes: [] }] },
        phase: { name: 'deploy', class: 'default', objects },
      }),
    ).toEqual({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectSetPhase',
      metadata: {
        name: 'web-1-deploy',
        namespace: 'shop',
        labels: {
          'package-operator.run/object-deployment': 'web',
          'package-operator.run/phase-class': 'default',
        },
        annotations: { a: 'b' },
        ownerReferences: [
          {
            apiVersion: 'package-operator.run/v1alpha1',
            kind: 'ObjectSet',
            name: 'web-1',
            uid: 'os-uid',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { revision: 3, previous: [{ name: 'web-0' }], availabilityProbes: [{ probes: [] }], objects },
    });
  });

  it('a ClusterObjectSet makes a ClusterObjectSetPhase; pause passes through', () => {
    const p = desiredPhaseObject({
      objectSet: { ...objectSet, kind: 'ClusterObjectSet', namespace: '', paused: true },
      phase: { name: 'deploy', class: 'hosted', objects },
    });
    expect(p.kind).toBe('ClusterObjectSetPhase');
    expect(p.metadata.namespace).toBeUndefined();
    expect(p['spec']).toEqual({ revision: 3, objects, paused: true });
  });
});

describe('what the ObjectSet reads from it', () => {
  it('no Available at its generation: no status reported; False: its message; True: passes', () => {
    expect(remotePhaseFailure(phaseObject(2, []))).toBe('no status reported');
    expect(
      remotePhaseFailure(phaseObject(2, [{ type: 'Available', status: 'True', observedGeneration: 1 }])),
    ).toBe('no status reported');
    expect(
      remotePhaseFailure(
        phaseObject(2, [
          { type: 'Available', status: 'False', message: 'Phase "deploy" failed: x', observedGeneration: 2 },
        ]),
      ),
    ).toBe('Phase "deploy" failed: x');
    expect(
      remotePhaseFailure(phaseObject(2, [{ type: 'Available', status: 'True', observedGeneration: 2 }])),
    ).toBeUndefined();
    expect(remoteFailureMessage('deploy', 'no status reported')).toBe(
      'Phase "deploy" failed: no status reported',
    );
  });

  it('mapped conditions at its generation', () => {
    expect(
      mappedPhaseConditions(
        phaseObject(2, [
          { type: 'my.io/Ready', status: 'True', reason: 'R', message: 'm', observedGeneration: 2 },
          { type: 'my.io/Old', status: 'True', reason: 'R', message: 'm', observedGeneration: 1 },
          { type: 'Available', status: 'True', reason: 'A', message: '', observedGeneration: 2 },
        ]),
      ).map((c) => c.type),
    ).toEqual(['my.io/Ready']);
  });

  it('Paused over the phases (§4.9)', () => {
    const paused = phaseObject(1, [{ type: 'Paused', status: 'True', observedGeneration: 1 }]);
    const running = phaseObject(1, []);
    expect(remotePausedState(true, [paused])).toBe('True');
    expect(remotePausedState(false, [running])).toBe('none');
    expect(remotePausedState(true, [running])).toBe('Unknown');
    expect(remotePausedState(false, [paused])).toBe('Unknown');
    expect(remotePausedState(true, [paused, undefined])).toBe('Unknown');
  });

  it('the phase name, and the siblings selector', () => {
    expect(phaseNameOf(phaseObject(1, []))).toBe('deploy');
    expect(siblingSelector({ 'package-operator.run/object-deployment': 'web' })).toBe(
      'package-operator.run/object-deployment=web',
    );
    expect(siblingSelector({})).toBeUndefined();
  });
});
