/**
 * One runner serving the remote phases of many hosted clusters (`gantry run --phase-class hosted-cluster
 * --hosted-clusters`): the test run's control plane is the management cluster (HyperShift's HostedCluster CRD
 * installed as PKO's own tests do), two more control planes started here are the hosted clusters, each reached
 * through the admin kubeconfig Secret its HostedCluster's `status.kubeconfig.name` names. A third HostedCluster's
 * Secret holds no usable kubeconfig. The engine runs in-process (class `default`, it makes the ObjectSetPhases);
 * ONE `gantry run --hosted-clusters` process applies the phases of all three control-plane namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../devenv/control-plane.js';
import type { RawKubeClient } from '../../functions/adapters/kube/client.js';
import type { KubeApi } from '../../shared/ports.js';
import { conditions, conditionsReach, eventually, getOrUndefined, useEngine } from './setup/engine.js';
import { spawnGantryRun, type GantryRunProcess } from './setup/gantry-run.js';
import {
  AVAILABLE,
  BAD_KUBECONFIG,
  badKubeconfigMessage,
  cmRef,
  dataOf,
  HC_API,
  inlineKubeconfig,
  objectSet as objectSetIn,
  osRef,
  ospRef,
  owners,
  SECRET_MARKER,
  startHostedFleet,
  type HostedFleet,
} from './setup/hosted-clusters.js';

const suite = useEngine();

let kube: KubeApi;
let fleet: HostedFleet;
let hcNamespace: string;
let planes: readonly ControlPlane[];
let targets: readonly RawKubeClient[];
let controlPlaneNamespaces: readonly string[];
let runner: GantryRunProcess;

async function objectSet(ns: string): Promise<void> {
  await objectSetIn(kube, ns);
}

beforeAll(async () => {
  kube = suite.kube();
  fleet = await startHostedFleet(suite, 2, ['one', 'two-x', 'bad']);
  ({ hcNamespace, planes, targets, controlPlaneNamespaces } = fleet);
  await fleet.hostedCluster('one', await inlineKubeconfig(planes[0] as ControlPlane));
  await fleet.hostedCluster('two.x', await inlineKubeconfig(planes[1] as ControlPlane));
  await fleet.hostedCluster('bad', BAD_KUBECONFIG);
  runner = spawnGantryRun([
    '--phase-class',
    'hosted-cluster',
    '--hosted-clusters',
    '--hosted-cluster-clients',
    '2',
  ]);
}, 180_000);

afterAll(async () => {
  runner.child.kill('SIGTERM');
  const code = await runner.exited;
  await fleet.stop();
  expect(code, runner.output()).toBe(0);
  expect(runner.output()).not.toContain(SECRET_MARKER);
});

describe('one runner for the phases of many hosted clusters', () => {
  it("applies each control-plane namespace's phases into its HostedCluster's cluster, reports a bad Secret, tears down in both, lets a deleted HostedCluster go", async () => {
    const [one, two, bad] = controlPlaneNamespaces as [string, string, string];
    const [t1, t2] = targets as [RawKubeClient, RawKubeClient];
    for (const ns of [one, two, bad]) await objectSet(ns);

    for (const ns of [one, two]) {
      await conditionsReach(kube, osRef(ns), { Available: AVAILABLE }, 90_000);
      expect(conditions(await kube.get(ospRef(ns)))['Available']).toEqual(AVAILABLE);
    }
    // Each cluster has its own namespace's object, with PKO's owners annotation, and not the other's.
    for (const [ns, mine, other] of [
      [one, t1, t2],
      [two, t2, t1],
    ] as const) {
      const cm = await mine.get(cmRef(ns));
      expect(dataOf(cm)).toEqual({ ns });
      expect(cm.metadata.ownerReferences).toBeUndefined();
      expect(cm.metadata.annotations).toEqual({
        'package-operator.run/revision': '1',
        'package-operator.run/owners': owners(await kube.get(ospRef(ns))),
      });
      expect(await getOrUndefined(other, cmRef(ns))).toBeUndefined();
      expect(await getOrUndefined(kube, cmRef(ns))).toBeUndefined();
    }

    // The bad Secret: the phase says why, without the Secret's content; the other clusters are served.
    const why = badKubeconfigMessage(hcNamespace, 'bad');
    await conditionsReach(
      kube,
      ospRef(bad),
      { Available: { status: 'False', reason: 'TargetClusterUnavailable', message: why } },
      60_000,
    );
    // The ObjectSet reports a phase object that is not Available as PKO's does: a ProbeFailure with its message.
    expect(conditions(await kube.get(osRef(bad)))['Available']).toEqual({
      status: 'False',
      reason: 'ProbeFailure',
      message: `Phase "config" failed: ${why}`,
    });
    expect(await getOrUndefined(t1, cmRef(bad))).toBeUndefined();
    expect(await getOrUndefined(t2, cmRef(bad))).toBeUndefined();

    // Drift in a hosted cluster is put back (the runner watches each cluster it applies into).
    await t2.mergePatch(cmRef(two), { data: { ns: 'changed by hand' } });
    await eventually('the ConfigMap put back in the second cluster', async () =>
      JSON.stringify(dataOf(await t2.get(cmRef(two)))) === JSON.stringify({ ns: two }) ? true : undefined,
    );

    // The Secret fixed (it names the first cluster now): a new client, the phase applied there.
    await kube.mergePatch(
      { apiVersion: 'v1', kind: 'Secret', namespace: hcNamespace, name: 'bad-admin-kubeconfig' },
      {
        data: {
          kubeconfig: Buffer.from(await inlineKubeconfig(planes[0] as ControlPlane)).toString('base64'),
        },
      },
    );
    await conditionsReach(kube, osRef(bad), { Available: AVAILABLE }, 90_000);
    expect(dataOf(await t1.get(cmRef(bad)))).toEqual({ ns: bad });

    // Changed again (the second cluster now) while the phase is Available and nothing is due: the runner watches
    // the Secret of each client it keeps, so the phase runs at once and its object goes to the second cluster.
    await kube.mergePatch(
      { apiVersion: 'v1', kind: 'Secret', namespace: hcNamespace, name: 'bad-admin-kubeconfig' },
      {
        data: {
          kubeconfig: Buffer.from(await inlineKubeconfig(planes[1] as ControlPlane)).toString('base64'),
        },
      },
    );
    await eventually(
      'the phase applied into the second cluster',
      async () => ((await getOrUndefined(t2, cmRef(bad))) !== undefined ? true : undefined),
      10_000,
    );
    expect(dataOf(await t2.get(cmRef(bad)))).toEqual({ ns: bad });
    expect(runner.output()).toContain(
      `hosted cluster ${hcNamespace}/bad: its admin kubeconfig Secret ${hcNamespace}/bad-admin-kubeconfig changed`,
    );

    // Teardown: the runner deletes the objects in every cluster before the phases' finalizers go.
    for (const ns of [one, two, bad]) await kube.delete(osRef(ns));
    for (const ns of [one, two, bad])
      await eventually(
        `the ObjectSet of ${ns} gone`,
        async () => ((await getOrUndefined(kube, osRef(ns))) === undefined ? true : undefined),
        90_000,
      );
    expect(await getOrUndefined(t1, cmRef(one))).toBeUndefined();
    expect(await getOrUndefined(t2, cmRef(two))).toBeUndefined();
    // The bad cluster's phase is torn down where its Secret points now (the first cluster is another cluster now).
    expect(await getOrUndefined(t2, cmRef(bad))).toBeUndefined();

    // The HostedCluster gone: its namespace has no target any more; a phase there says so, and is deleted
    // without a teardown (the cluster went with its HostedCluster).
    await kube.delete({ apiVersion: HC_API, kind: 'HostedCluster', namespace: hcNamespace, name: 'two.x' });
    await objectSet(two);
    await conditionsReach(
      kube,
      ospRef(two),
      {
        Available: {
          status: 'False',
          reason: 'TargetClusterUnavailable',
          message: `namespace ${two} is not the control-plane namespace of any HostedCluster`,
        },
      },
      60_000,
    );
    expect(await getOrUndefined(t2, cmRef(two))).toBeUndefined();
    await kube.delete(osRef(two));
    await eventually(
      `the ObjectSet of ${two} gone`,
      async () => ((await getOrUndefined(kube, osRef(two))) === undefined ? true : undefined),
      60_000,
    );
  });
});
