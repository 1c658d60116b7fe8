/**
 * The ObjectSetPhase step of a host that applies into another cluster (`gantry run --target-kubeconfig`, PKO's
 * remote-phase manager), against two in-memory API servers: the phase's objects are written to the target with the
 * owners annotation, never to the management cluster; the phase's status is written in the management cluster;
 * probe failures are reported without the phase, as PKO's ObjectSetPhase does; teardown deletes in the target.
 */
import { describe, expect, it } from 'vitest';
import { runStep } from '../../functions/steps/run-step.js';
import type { TargetResolution } from '../../functions/steps/types.js';
import { KubeUnavailableError } from '../../shared/kube-errors.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import { fakeStepDeps } from '../fakes/deps.js';
import { FakeKube } from '../fakes/kube.js';

const API = 'package-operator.run/v1alpha1';
const PHASE: ObjectRef = {
  apiVersion: API,
  kind: 'ObjectSetPhase',
  namespace: 'clusters-a',
  name: 'set-hosted',
};
const CM: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'clusters-a', name: 'cm' };

function phaseObject(management: FakeKube, probes: unknown[] = []): KubeObject {
  return management.put({
    apiVersion: API,
    kind: 'ObjectSetPhase',
    metadata: {
      name: 'set-hosted',
      namespace: 'clusters-a',
      uid: 'phase-uid',
      generation: 1,
      labels: { 'package-operator.run/phase-class': 'hosted-cluster' },
      ownerReferences: [
        {
          apiVersion: API,
          kind: 'ObjectSet',
          name: 'set',
          uid: 'set-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      revision: 3,
      ...(probes.length > 0 ? { availabilityProbes: probes } : {}),
      objects: [
        { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } } },
      ],
    },
  });
}

function conditionsOf(object: KubeObject | undefined): unknown {
  const status = object?.['status'];
  return typeof status === 'object' && status !== null && 'conditions' in status
    ? (status.conditions as { type: string; status: string; reason: string; message: string }[]).map(
        ({ type, status: s, reason, message }) => ({ type, status: s, reason, message }),
      )
    : undefined;
}

const OWNERS =
  '[{"apiVersion":"package-operator.run/v1alpha1","kind":"ObjectSetPhase","name":"set-hosted","namespace":"clusters-a","uid":"phase-uid","controller":true}]';

describe('an ObjectSetPhase applied into a target cluster', () => {
  it('applies there with the owners annotation, reports in the management cluster, and tears down there', async () => {
    const management = new FakeKube();
    const target = new FakeKube();
    phaseObject(management);
    const deps = fakeStepDeps(management, { phaseClasses: ['hosted-cluster'], target: { kube: target } });

    const result = await runStep(PHASE, deps);
    expect(result.outcome).toBe('done');
    expect(result.watch).toEqual({ targetKinds: [{ apiVersion: 'v1', kind: 'ConfigMap' }] });
    expect(await management.get(CM).catch(() => undefined)).toBeUndefined();
    const cm = await target.get(CM);
    expect(cm.metadata.ownerReferences).toBeUndefined();
    expect(cm.metadata.labels).toEqual({ 'package-operator.run/cache': 'True' });
    expect(cm.metadata.annotations).toEqual({
      'package-operator.run/revision': '3',
      'package-operator.run/owners': OWNERS,
    });
    const phase = await management.get(PHASE);
    expect(phase.metadata.finalizers).toEqual(['package-operator.run/cached']);
    expect(conditionsOf(phase)).toEqual([
      {
        type: 'Available',
        status: 'True',
        reason: 'Available',
        message: 'Object is available and passes all probes.',
      },
    ]);
    expect((phase['status'] as { controllerOf?: unknown }).controllerOf).toEqual([
      { kind: 'ConfigMap', group: '', version: 'v1', name: 'cm', namespace: 'clusters-a' },
    ]);

    // Deletion: the object goes in the target, then the finalizer in the management cluster.
    await management.delete(PHASE);
    expect((await runStep(PHASE, deps)).outcome).toBe('waiting');
    expect(await target.get(CM).catch(() => undefined)).toBeUndefined();
    expect((await runStep(PHASE, deps)).outcome).toBe('done');
    expect(await management.get(PHASE).catch(() => undefined)).toBeUndefined();
  });

  it('reports a probe failure without the phase (the ObjectSet adds it)', async () => {
    const management = new FakeKube();
    const target = new FakeKube();
    phaseObject(management, [
      {
        selector: { kind: { group: '', kind: 'ConfigMap' } },
        probes: [{ condition: { type: 'Ready', status: 'True' } }],
      },
    ]);
    const deps = fakeStepDeps(management, { phaseClasses: ['hosted-cluster'], target: { kube: target } });
    expect((await runStep(PHASE, deps)).outcome).toBe('waiting');
    expect(conditionsOf(await management.get(PHASE))).toEqual([
      {
        type: 'Available',
        status: 'False',
        reason: 'ProbeFailure',
        message: ' ConfigMap clusters-a/cm: condition "Ready" == "True": missing .status.conditions',
      },
    ]);
  });

  it('refuses to adopt an object another owner controls in the target (collision protection)', async () => {
    const management = new FakeKube();
    const target = new FakeKube();
    phaseObject(management);
    target.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        namespace: 'clusters-a',
        annotations: {
          'package-operator.run/owners':
            '[{"apiVersion":"package-operator.run/v1alpha1","kind":"ObjectSetPhase","name":"other","namespace":"x","uid":"other-uid","controller":true}]',
        },
      },
    });
    const deps = fakeStepDeps(management, { phaseClasses: ['hosted-cluster'], target: { kube: target } });
    expect((await runStep(PHASE, deps)).outcome).toBe('waiting');
    expect(conditionsOf(await management.get(PHASE))).toEqual([
      {
        type: 'Available',
        status: 'False',
        reason: 'CollisionDetected',
        message:
          'object /cm kind:ConfigMap: refusing adoption, object /v1, Kind=ConfigMap clusters-a/cm not owned by previous revision',
      },
    ]);
  });
});

describe('an ObjectSetPhase of a many-clusters runner (--hosted-clusters)', () => {
  it('is applied into the cluster its namespace resolves to', async () => {
    const management = new FakeKube();
    const target = new FakeKube();
    phaseObject(management);
    const asked: string[] = [];
    const deps = fakeStepDeps(management, {
      phaseClasses: ['hosted-cluster'],
      targets: {
        resolve: (namespace) => {
          asked.push(namespace);
          return Promise.resolve({ ok: true, cluster: 'clusters/a', target: { kube: target } });
        },
      },
    });
    expect((await runStep(PHASE, deps)).watch).toEqual({
      targetKinds: [{ apiVersion: 'v1', kind: 'ConfigMap' }],
    });
    expect(asked).toEqual(['clusters-a']);
    expect((await target.get(CM)).metadata.annotations?.['package-operator.run/owners']).toBe(OWNERS);
    expect(await management.get(CM).catch(() => undefined)).toBeUndefined();
  });

  it('says so in its condition when the cluster cannot be used, and applies nothing', async () => {
    const management = new FakeKube();
    const target = new FakeKube();
    target.failNext(
      'apply',
      new KubeUnavailableError(
        'PATCH /api/v1/namespaces/clusters-a/configmaps/cm: connect ECONNREFUSED 10.0.0.1:6443',
        1000,
      ),
    );
    phaseObject(management);
    const resolve = (ok: boolean): TargetResolution =>
      ok
        ? { ok: true, cluster: 'clusters/a', target: { kube: target } }
        : { ok: false, message: 'hosted cluster clusters/a: Secret clusters/a-admin-kubeconfig not found' };
    let usable = false;
    const deps = fakeStepDeps(management, {
      phaseClasses: ['hosted-cluster'],
      targets: { resolve: () => Promise.resolve(resolve(usable)) },
    });
    const first = await runStep(PHASE, deps);
    expect(first.outcome).toBe('waiting');
    expect(first.requeueAfterMs).toBe(15_000);
    expect(conditionsOf(await management.get(PHASE))).toEqual([
      {
        type: 'Available',
        status: 'False',
        reason: 'TargetClusterUnavailable',
        message: 'hosted cluster clusters/a: Secret clusters/a-admin-kubeconfig not found',
      },
    ]);
    usable = true;
    expect((await runStep(PHASE, deps)).outcome).toBe('waiting');
    expect(conditionsOf(await management.get(PHASE))).toEqual([
      {
        type: 'Available',
        status: 'False',
        reason: 'TargetClusterUnavailable',
        message:
          'hosted cluster clusters/a: its API server cannot be used: PATCH /api/v1/namespaces/clusters-a/configmaps/cm: connect ECONNREFUSED 10.0.0.1:6443',
      },
    ]);
    expect((await runStep(PHASE, deps)).outcome).toBe('done');
    expect(await target.get(CM)).toBeDefined();
  });

  it('drops its finalizer without a teardown once no HostedCluster has its namespace; waits while the Secret is bad', async () => {
    const management = new FakeKube();
    const target = new FakeKube();
    phaseObject(management);
    let resolution: TargetResolution = { ok: true, cluster: 'clusters/a', target: { kube: target } };
    const deps = fakeStepDeps(management, {
      phaseClasses: ['hosted-cluster'],
      targets: { resolve: () => Promise.resolve(resolution) },
    });
    expect((await runStep(PHASE, deps)).outcome).toBe('done');
    await management.delete(PHASE);
    resolution = {
      ok: false,
      message: 'hosted cluster clusters/a: Secret clusters/a-admin-kubeconfig not found',
    };
    expect((await runStep(PHASE, deps)).outcome).toBe('waiting');
    expect(await management.get(PHASE)).toBeDefined();
    resolution = {
      ok: false,
      gone: true,
      message: 'namespace clusters-a is not the control-plane namespace of any HostedCluster',
    };
    expect((await runStep(PHASE, deps)).outcome).toBe('done');
    expect(await management.get(PHASE).catch(() => undefined)).toBeUndefined();
  });
});
