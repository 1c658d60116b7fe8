/**
 * Phases applied into another cluster, as PKO's remote-phase manager does for HyperShift (docs/pko-compatibility.md
 * §4.10): two real control planes, the test run's (management) and one started here (target). The engine runs
 * in-process against the management cluster (class `default`); `gantry run --phase-class hosted-cluster
 * --target-kubeconfig` runs as a process and applies the `hosted-cluster` phases' objects into the target with the
 * owners annotation, reports back through the ObjectSetPhases' status, and tears them down there.
 */
import { spawnGantryRun, type GantryRunProcess } from './setup/gantry-run.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../devenv/control-plane.js';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import { conditions, conditionsReach, eventually, getOrUndefined, useEngine } from './setup/engine.js';

const suite = useEngine();
const API = 'package-operator.run/v1alpha1';
let target: ControlPlane;
let targetKube: RawKubeClient;
let kube: KubeApi;
let remote: GantryRunProcess;

beforeAll(async () => {
  kube = suite.kube();
  target = await startControlPlane({ log: () => undefined });
  targetKube = new RawKubeClient(loadConnection(target.kubeconfigPath));
  remote = spawnGantryRun(['--phase-class', 'hosted-cluster', '--target-kubeconfig', target.kubeconfigPath]);
});

afterAll(async () => {
  remote.child.kill('SIGTERM');
  const code = await remote.exited;
  targetKube.close();
  await target.stop();
  expect(code, remote.output()).toBe(0);
});

const osRef = (ns: string): ObjectRef => ({ apiVersion: API, kind: 'ObjectSet', namespace: ns, name: 'set' });
const ospRef = (ns: string, phase: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ObjectSetPhase',
  namespace: ns,
  name: `set-${phase}`,
});
const cmRef = (ns: string, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name,
});
const roleRef = (name: string): ObjectRef => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  namespace: '',
  name,
});

function statusOf(object: KubeObject): Record<string, unknown> {
  const s = object['status'];
  return typeof s === 'object' && s !== null ? { ...s } : {};
}

/** PKO's owners annotation naming the ObjectSetPhase as controller. */
function owners(phase: KubeObject): string {
  return JSON.stringify([
    {
      apiVersion: API,
      kind: 'ObjectSetPhase',
      name: phase.metadata.name,
      namespace: phase.metadata.namespace,
      uid: phase.metadata.uid,
      controller: true,
    },
  ]);
}

describe('phases of class hosted-cluster', () => {
  it('are applied into the target cluster with the owners annotation, report back, and are torn down there', async () => {
    const ns = await suite.namespace('remote');
    const role = `${ns}-reader`;
    // Objects without a namespace go to the owner's namespace, in the target too (as PKO): it must exist there.
    await targetKube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await kube.create({
      apiVersion: API,
      kind: 'ObjectSet',
      metadata: { name: 'set', namespace: ns, labels: { 'package-operator.run/object-deployment': 'set' } },
      spec: {
        revision: 1,
        availabilityProbes: [
          {
            selector: { kind: { group: '', kind: 'ConfigMap' }, selector: { matchLabels: { probe: 'yes' } } },
            probes: [{ cel: { rule: "'ready' in self.metadata.labels", message: 'not marked ready' } }],
          },
        ],
        phases: [
          {
            name: 'local',
            objects: [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' } } }],
          },
          {
            name: 'rbac',
            class: 'hosted-cluster',
            objects: [
              {
                object: {
                  apiVersion: 'rbac.authorization.k8s.io/v1',
                  kind: 'ClusterRole',
                  metadata: { name: role },
                  rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
                },
              },
            ],
          },
          {
            name: 'config',
            class: 'hosted-cluster',
            objects: [
              {
                object: {
                  apiVersion: 'v1',
                  kind: 'ConfigMap',
                  metadata: { name: 'second', labels: { probe: 'yes' } },
                  data: { where: 'target' },
                },
              },
            ],
          },
        ],
      },
    });

    // The probe fails in the target: the phase reports it without the phase, the ObjectSet with it (PKO's words).
    const failing = ` ConfigMap ${ns}/second: not marked ready`;
    await conditionsReach(
      kube,
      osRef(ns),
      {
        Available: { status: 'False', reason: 'ProbeFailure', message: `Phase "config" failed: ${failing}` },
      },
      90_000,
    );
    expect(conditions(await kube.get(ospRef(ns, 'config')))['Available']).toEqual({
      status: 'False',
      reason: 'ProbeFailure',
      message: failing,
    });

    const rbacPhase = await kube.get(ospRef(ns, 'rbac'));
    const configPhase = await kube.get(ospRef(ns, 'config'));
    const second = await targetKube.get(cmRef(ns, 'second'));
    expect(second.metadata.ownerReferences).toBeUndefined();
    expect(second.metadata.labels).toEqual({ probe: 'yes', 'package-operator.run/cache': 'True' });
    expect(second.metadata.annotations).toEqual({
      'package-operator.run/revision': '1',
      'package-operator.run/owners': owners(configPhase),
    });
    expect(second['data']).toEqual({ where: 'target' });
    const clusterRole = await targetKube.get(roleRef(role));
    expect(clusterRole.metadata.ownerReferences).toBeUndefined();
    expect(clusterRole.metadata.annotations?.['package-operator.run/owners']).toBe(owners(rbacPhase));
    // Nothing of the hosted phases in the management cluster; the local phase stays there.
    expect(await getOrUndefined(kube, cmRef(ns, 'second'))).toBeUndefined();
    expect(await getOrUndefined(kube, roleRef(role))).toBeUndefined();
    expect(await getOrUndefined(kube, cmRef(ns, 'first'))).toBeDefined();
    expect(await getOrUndefined(targetKube, cmRef(ns, 'first'))).toBeUndefined();

    // Marked ready in the target (a label the phase does not set, so the next apply keeps it): Available.
    await targetKube.mergePatch(cmRef(ns, 'second'), { metadata: { labels: { ready: 'yes' } } });
    const available = {
      status: 'True',
      reason: 'Available',
      message: 'Object is available and passes all probes.',
    };
    await conditionsReach(kube, osRef(ns), { Available: available }, 90_000);
    const phase = await kube.get(ospRef(ns, 'config'));
    expect(conditions(phase)['Available']).toEqual(available);
    expect(phase.metadata.finalizers).toEqual(['package-operator.run/cached']);
    expect(statusOf(phase)['controllerOf']).toEqual([
      { kind: 'ConfigMap', group: '', version: 'v1', name: 'second', namespace: ns },
    ]);
    expect(statusOf(await kube.get(osRef(ns)))['controllerOf']).toEqual([
      { kind: 'ConfigMap', group: '', version: 'v1', name: 'first', namespace: ns },
      { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', version: 'v1', name: role },
      { kind: 'ConfigMap', group: '', version: 'v1', name: 'second', namespace: ns },
    ]);

    // Drift in the target is put back: the runner watches the target and runs the phase the annotation names.
    await targetKube.mergePatch(cmRef(ns, 'second'), { data: { where: 'changed by hand' } });
    await eventually('the ConfigMap put back in the target', async () => {
      const cm = await targetKube.get(cmRef(ns, 'second'));
      return (cm['data'] as Record<string, string>)['where'] === 'target' ? true : undefined;
    });

    // Teardown: the ObjectSet deletes its phase objects; the remote runner deletes their objects in the target.
    await kube.delete(osRef(ns));
    await eventually(
      'the ObjectSet gone',
      async () => ((await getOrUndefined(kube, osRef(ns))) === undefined ? true : undefined),
      90_000,
    );
    expect(await getOrUndefined(targetKube, cmRef(ns, 'second'))).toBeUndefined();
    expect(await getOrUndefined(targetKube, roleRef(role))).toBeUndefined();
    expect(await getOrUndefined(kube, ospRef(ns, 'config'))).toBeUndefined();
    expect(await getOrUndefined(kube, cmRef(ns, 'first'))).toBeUndefined();
  });
});
