/**
 * Classed phases end to end (docs/pko-compatibility.md §4.10, §4.9, §4.7): an ObjectSet hands a phase with a `class` to an
 * ObjectSetPhase `<objectset>-<phase>`; a runner serving that class applies and probes it, a runner that does
 * not leaves it pending; pause passes through; teardown deletes the phase object and waits for it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import { conditions, eventually, getOrUndefined, startEngine, useEngine } from './setup/engine.js';

const suite = useEngine();
const { namespace } = suite;
let kube: KubeApi;
beforeAll(() => {
  kube = suite.kube();
});

const API = 'package-operator.run/v1alpha1';
const osRef = (ns: string, name: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ObjectSet',
  namespace: ns,
  name,
});
const ospRef = (ns: string, name: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ObjectSetPhase',
  namespace: ns,
  name,
});
const cmRef = (ns: string, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name,
});

async function exists(ref: ObjectRef): Promise<KubeObject | undefined> {
  return getOrUndefined(kube, ref);
}

function statusOf(object: KubeObject): Record<string, unknown> {
  const s = object['status'];
  return typeof s === 'object' && s !== null ? { ...s } : {};
}

const cm = (name: string, data: Record<string, string>): unknown => ({
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data },
});

async function createObjectSet(ns: string, name: string, phaseClass: string): Promise<void> {
  await kube.create({
    apiVersion: API,
    kind: 'ObjectSet',
    metadata: {
      name,
      namespace: ns,
      labels: { 'package-operator.run/object-deployment': name, team: 'a' },
      annotations: { note: 'classed' },
    },
    spec: {
      revision: 1,
      phases: [
        { name: 'local', objects: [cm('first', { n: '1' })] },
        { name: 'remote', class: phaseClass, objects: [cm('second', { n: '2' })] },
      ],
    },
  });
}

async function condition(
  ref: ObjectRef,
  type: string,
  status: string,
  reason?: string,
  timeoutMs = 60_000,
): Promise<KubeObject> {
  return eventually(
    `${ref.kind} ${ref.name} ${type}=${status} ${reason ?? ''}`,
    async () => {
      const o = await kube.get(ref);
      const c = conditions(o)[type];
      return c?.status === status && (reason === undefined || c.reason === reason) ? o : undefined;
    },
    timeoutMs,
  );
}

describe('a phase with a class', () => {
  it('becomes an ObjectSetPhase that the runner serving `default` applies; the ObjectSet reads its status', async () => {
    const ns = await namespace('phase-default');
    await createObjectSet(ns, 'set', 'default');
    const os = await condition(osRef(ns, 'set'), 'Available', 'True');
    const phase = await kube.get(ospRef(ns, 'set-remote'));
    expect(phase.metadata.labels).toEqual({
      'package-operator.run/object-deployment': 'set',
      team: 'a',
      'package-operator.run/phase-class': 'default',
    });
    expect(phase.metadata.annotations).toEqual({ note: 'classed' });
    expect(phase.metadata.ownerReferences).toEqual([
      {
        apiVersion: API,
        kind: 'ObjectSet',
        name: 'set',
        uid: os.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(phase.metadata.finalizers).toEqual(['package-operator.run/cached']);
    expect(phase['spec']).toEqual({
      revision: 1,
      objects: [{ ...(cm('second', { n: '2' }) as object), collisionProtection: 'Prevent' }],
    });
    expect(conditions(phase)['Available']).toEqual({
      status: 'True',
      reason: 'Available',
      message: 'Object is available and passes all probes.',
    });
    expect(statusOf(phase)['controllerOf']).toEqual([
      { kind: 'ConfigMap', group: '', version: 'v1', name: 'second', namespace: ns },
    ]);
    const second = await kube.get(cmRef(ns, 'second'));
    expect(second.metadata.ownerReferences).toEqual([
      {
        apiVersion: API,
        kind: 'ObjectSetPhase',
        name: 'set-remote',
        uid: phase.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(second.metadata.labels).toEqual({ 'package-operator.run/cache': 'True' });
    expect(second.metadata.annotations).toEqual({ 'package-operator.run/revision': '1' });

    const status = statusOf(os);
    expect(status['remotePhases']).toEqual([{ name: 'set-remote', uid: phase.metadata.uid }]);
    expect(status['controllerOf']).toEqual([
      { kind: 'ConfigMap', group: '', version: 'v1', name: 'first', namespace: ns },
      { kind: 'ConfigMap', group: '', version: 'v1', name: 'second', namespace: ns },
    ]);
    expect(conditions(os)['Available']).toEqual({
      status: 'True',
      reason: 'Available',
      message: 'Object is available and passes all probes.',
    });
    expect(conditions(os)['InTransition']).toBeUndefined();
    expect(conditions(os)['Succeeded']?.status).toBe('True');
    expect(conditions(os)['Paused']).toBeUndefined();

    // Pause passes through: the phase object is paused and says so; then the ObjectSet reports Paused.
    await kube.mergePatch(osRef(ns, 'set'), { spec: { lifecycleState: 'Paused' } });
    const paused = await condition(osRef(ns, 'set'), 'Paused', 'True');
    expect(conditions(paused)['Paused']).toEqual({
      status: 'True',
      reason: 'Paused',
      message: 'Lifecycle state set to paused.',
    });
    const pausedPhase = await kube.get(ospRef(ns, 'set-remote'));
    expect((pausedPhase['spec'] as { paused?: boolean }).paused).toBe(true);
    expect(conditions(pausedPhase)['Paused']).toEqual({
      status: 'True',
      reason: 'Paused',
      message: 'Lifecycle state set to paused.',
    });
    await kube.mergePatch(osRef(ns, 'set'), { spec: { lifecycleState: 'Active' } });
    await eventually('Paused removed', async () => {
      const o = await kube.get(osRef(ns, 'set'));
      return conditions(o)['Paused'] === undefined ? o : undefined;
    });

    // Teardown: the phase object is deleted (its ConfigMap with it) and waited for, then the local phase goes.
    await kube.delete(osRef(ns, 'set'));
    await eventually('ObjectSet gone', async () =>
      (await exists(osRef(ns, 'set'))) === undefined ? true : undefined,
    );
    expect(await exists(ospRef(ns, 'set-remote'))).toBeUndefined();
    expect(await exists(cmRef(ns, 'second'))).toBeUndefined();
    expect(await exists(cmRef(ns, 'first'))).toBeUndefined();
  });

  it('a class no runner serves is left pending; a runner serving it takes it up', async () => {
    const ns = await namespace('phase-hosted');
    await createObjectSet(ns, 'set', 'hosted');
    const os = await condition(osRef(ns, 'set'), 'Available', 'False', 'ProbeFailure');
    expect(conditions(os)['Available']?.message).toBe('Phase "remote" failed: no status reported');
    expect(conditions(os)['InTransition']?.status).toBe('True');
    await new Promise((r) => setTimeout(r, 2_000));
    const pending = await kube.get(ospRef(ns, 'set-remote'));
    expect(pending.metadata.labels?.['package-operator.run/phase-class']).toBe('hosted');
    expect(pending['status']).toBeUndefined();
    expect(pending.metadata.finalizers).toBeUndefined();
    expect(await exists(cmRef(ns, 'second'))).toBeUndefined();
    expect(await exists(cmRef(ns, 'first'))).toBeDefined();

    // Pausing while the phase does not report: the ObjectSet waits for it.
    await kube.mergePatch(osRef(ns, 'set'), { spec: { lifecycleState: 'Paused' } });
    const partially = await condition(osRef(ns, 'set'), 'Paused', 'Unknown');
    expect(conditions(partially)['Paused']).toEqual({
      status: 'Unknown',
      reason: 'PartiallyPaused',
      message: 'Waiting for ObjectSetPhases.',
    });
    await kube.mergePatch(osRef(ns, 'set'), { spec: { lifecycleState: 'Active' } });

    const hosted = await startEngine({}, ['hosted']);
    try {
      await condition(osRef(ns, 'set'), 'Available', 'True');
      const phase = await kube.get(ospRef(ns, 'set-remote'));
      expect(conditions(phase)['Available']?.status).toBe('True');
      expect((await kube.get(cmRef(ns, 'second'))).metadata.ownerReferences?.[0]?.kind).toBe(
        'ObjectSetPhase',
      );
      await kube.delete(osRef(ns, 'set'));
      await eventually('ObjectSet gone', async () =>
        (await exists(osRef(ns, 'set'))) === undefined ? true : undefined,
      );
      expect(await exists(cmRef(ns, 'second'))).toBeUndefined();
    } finally {
      await hosted.stop();
    }
  });
  it("copies the phase object's mapped conditions and probes through it", async () => {
    const ns = await namespace('phase-mapped');
    await kube.create({
      apiVersion: API,
      kind: 'ObjectSet',
      metadata: { name: 'set', namespace: ns },
      spec: {
        revision: 1,
        availabilityProbes: [
          {
            selector: { kind: { group: 'apps', kind: 'Deployment' } },
            probes: [{ condition: { type: 'Available', status: 'True' } }],
          },
        ],
        phases: [
          {
            name: 'deploy',
            class: 'default',
            objects: [
              {
                conditionMappings: [{ sourceType: 'Available', destinationType: 'my.io/WebAvailable' }],
                object: {
                  apiVersion: 'apps/v1',
                  kind: 'Deployment',
                  metadata: { name: 'web' },
                  spec: {
                    replicas: 1,
                    selector: { matchLabels: { app: 'web' } },
                    template: {
                      metadata: { labels: { app: 'web' } },
                      spec: { containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }] },
                    },
                  },
                },
              },
            ],
          },
        ],
      },
    });
    const os = await condition(osRef(ns, 'set'), 'Available', 'True', undefined, 120_000);
    const phase = await kube.get(ospRef(ns, 'set-deploy'));
    expect((phase['spec'] as { availabilityProbes?: unknown }).availabilityProbes).toEqual([
      {
        selector: { kind: { group: 'apps', kind: 'Deployment' } },
        probes: [{ condition: { type: 'Available', status: 'True' } }],
      },
    ]);
    expect(conditions(phase)['my.io/WebAvailable']?.status).toBe('True');
    expect(conditions(os)['my.io/WebAvailable']).toEqual(conditions(phase)['my.io/WebAvailable']);
    expect(statusOf(os)['controllerOf']).toEqual([
      { kind: 'Deployment', group: 'apps', version: 'v1', name: 'web', namespace: ns },
    ]);
  });
});
