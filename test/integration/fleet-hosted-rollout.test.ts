/**
 * A HostedClusterPackage rolled out into real hosted clusters: the test run's control plane is the management
 * cluster (HyperShift's HostedCluster CRD as PKO's own tests install it), two more control planes started here are
 * the hosted clusters `a` (partition `main`) and `b` (partition `canary`), each Available and reached through the
 * admin kubeconfig Secret its `status.kubeconfig.name` names. The package's two phases are of class
 * `hosted-cluster`, so its objects land in the hosted clusters. Two processes, as in production: `gantry run` on
 * the management cluster (HostedClusterPackage → Packages → ObjectSets → ObjectSetPhases) and ONE `gantry run
 * --phase-class hosted-cluster --hosted-clusters` applying the phases of both clusters.
 *
 * In order: an instant rollout (v1 in both hosted clusters), a rolling upgrade by partition (v2 into `b`, the
 * canary, before `a`), a failing template stopping the rollout (`gantry.run/max-failed-clusters: "0"`: the canary
 * gets an image that cannot be pulled, `a` keeps v2 in its hosted cluster), and the teardown across both clusters
 * when the HostedClusterPackage is deleted.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import { conditions, conditionsReach, eventually, getOrUndefined, pushPackage } from './setup/engine.js';
import { spawnGantryRun, type GantryRunProcess } from './setup/gantry-run.js';
import { HC_API, inlineKubeconfig, startHostedFleet, type HostedFleet } from './setup/hosted-clusters.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';
import { fleetPackageFiles } from '../fleet-package.js';

const PKO_API = 'package-operator.run/v1alpha1';
const NAME = 'fleet-hosted';
/** The hosted clusters: HostedCluster name (= control-plane namespace suffix) and partition. */
const CLUSTERS = [
  { name: 'a', wave: 'main' },
  { name: 'b', wave: 'canary' },
] as const;
const OBJECTS = 4;

const admin = testClient();
const namespaces: string[] = [];
let kube: RawKubeClient;
let fleet: HostedFleet;
let v1: string;
let v2: string;
let management: GantryRunProcess;
let hosted: GantryRunProcess;

const hcpkgRef: ObjectRef = { apiVersion: PKO_API, kind: 'HostedClusterPackage', namespace: '', name: NAME };

/** The package: ConfigMaps `cm-<i>` (data.version) in two phases, both applied into the hosted cluster. */
function packageFiles(version: string): Record<string, string> {
  return fleetPackageFiles(NAME, version, OBJECTS);
}

/** The `data.version` of every ConfigMap of the package in hosted cluster `i` (undefined where one is missing). */
async function versionsIn(i: number): Promise<(string | undefined)[]> {
  const target = fleet.targets[i];
  const namespace = fleet.controlPlaneNamespaces[i];
  if (target === undefined || namespace === undefined) throw new Error(`no hosted cluster ${i}`);
  return Promise.all(
    Array.from({ length: OBJECTS }, async (_, k) => {
      const cm = await getOrUndefined(target, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace,
        name: `cm-${k}`,
      });
      const data = cm?.['data'];
      return typeof data === 'object' &&
        data !== null &&
        'version' in data &&
        typeof data.version === 'string'
        ? data.version
        : undefined;
    }),
  );
}

/** Hosted cluster `i` holds every ConfigMap at `version`. */
async function holds(i: number, version: string): Promise<boolean> {
  return (await versionsIn(i)).every((v) => v === version);
}

function settled(n: number): Record<string, { status: string; reason: string; message: string }> {
  return {
    Available: {
      status: 'True',
      reason: 'EnoughPackagesAvailable',
      message: `${n}/${n} packages available.`,
    },
    Progressing: {
      status: 'False',
      reason: 'AllPackagesProgressed',
      message: `${n}/${n} packages progressed.`,
    },
  };
}

/** The HostedClusterPackage's generation observed, both Packages updated and available, nothing processing. */
async function rolledOut(generation: number): Promise<KubeObject> {
  await conditionsReach(kube, hcpkgRef, settled(2), 150_000);
  return eventually(
    `status of generation ${generation}`,
    async () => {
      const o = await kube.get(hcpkgRef);
      const s = (o['status'] ?? {}) as {
        observedGeneration?: number;
        updatedPackages?: number;
        processing?: unknown;
      };
      return s.observedGeneration === generation && s.updatedPackages === 2 && s.processing === undefined
        ? o
        : undefined;
    },
    60_000,
  );
}

function imageOf(pkg: KubeObject | undefined): unknown {
  const spec = pkg?.['spec'];
  return typeof spec === 'object' && spec !== null && 'image' in spec ? spec.image : undefined;
}

/** The Package of HostedCluster `i` (named after the HostedClusterPackage, in its control-plane namespace). */
function packageRef(i: number): ObjectRef {
  return {
    apiVersion: PKO_API,
    kind: 'Package',
    namespace: fleet.controlPlaneNamespaces[i] ?? '',
    name: NAME,
  };
}

beforeAll(async () => {
  kube = new RawKubeClient(loadConnection(inject('kube').kubeconfigPath));
  // No engine in this process: the two `gantry run` processes below are the controllers.
  fleet = await startHostedFleet(
    {
      kube: (): KubeApi => kube,
      namespace: async (prefix) => {
        const ns = await createNamespace(admin, prefix);
        namespaces.push(ns);
        return ns;
      },
      admin,
    },
    CLUSTERS.length,
    CLUSTERS.map((c) => c.name),
  );
  for (const [i, c] of CLUSTERS.entries()) {
    const plane = fleet.planes[i];
    if (plane === undefined) throw new Error(`no control plane ${i}`);
    await fleet.hostedCluster(c.name, await inlineKubeconfig(plane));
    const ref = { apiVersion: HC_API, kind: 'HostedCluster', namespace: fleet.hcNamespace, name: c.name };
    await kube.mergePatch(ref, { metadata: { labels: { wave: c.wave, fleet: fleet.hcNamespace } } });
    const hc = await kube.get(ref);
    await kube.updateStatus({
      ...hc,
      status: {
        ...((hc['status'] ?? {}) as Record<string, unknown>),
        conditions: [
          {
            type: 'Available',
            status: 'True',
            reason: 'AsExpected',
            message: '',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
    });
  }
  v1 = await pushPackage(NAME, packageFiles('v1'), 'v1');
  v2 = await pushPackage(NAME, packageFiles('v2'), 'v2');
  management = spawnGantryRun([]);
  hosted = spawnGantryRun(['--phase-class', 'hosted-cluster', '--hosted-clusters']);
}, 240_000);

afterAll(async () => {
  await kube.delete(hcpkgRef).catch(() => undefined);
  management.child.kill('SIGTERM');
  hosted.child.kill('SIGTERM');
  const codes = [await management.exited, await hosted.exited];
  await fleet.stop();
  for (const ns of namespaces) await deleteNamespace(admin, ns);
  kube.close();
  expect(codes, `${management.output().slice(-2000)}\n${hosted.output().slice(-2000)}`).toEqual([0, 0]);
}, 240_000);

describe('a HostedClusterPackage rolled out into two hosted control planes', () => {
  it('instantly: a Package per Available HostedCluster, its objects in each hosted cluster', async () => {
    await kube.create({
      apiVersion: PKO_API,
      kind: 'HostedClusterPackage',
      metadata: { name: NAME },
      spec: {
        hostedClusterSelector: { matchLabels: { fleet: fleet.hcNamespace } },
        template: { metadata: { labels: { team: 'fleet-hosted' } }, spec: { image: v1 } },
      },
    });
    await eventually('v1 in both hosted clusters', async () =>
      (await holds(0, 'v1')) && (await holds(1, 'v1')) ? true : undefined,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${hosted.output().slice(-3000)}`);
    });
    const done = await rolledOut(1);
    expect(done['status']).toMatchObject({ totalPackages: 2, availablePackages: 2, updatedPackages: 2 });
    // Nothing of the package in the management cluster's control-plane namespaces: only the phases' records.
    const local = await getOrUndefined(kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: fleet.controlPlaneNamespaces[0] ?? '',
      name: 'cm-0',
    });
    expect(local).toBeUndefined();
    for (const i of [0, 1]) {
      const pkg = await kube.get(packageRef(i));
      expect(imageOf(pkg)).toBe(v1);
      expect(conditions(pkg)['Available']?.status).toBe('True');
    }
  }, 240_000);

  it('by partition with a rolling upgrade: the canary cluster b gets v2 before a', async () => {
    await kube.mergePatch(hcpkgRef, {
      spec: {
        strategy: { instant: null, rollingUpgrade: { maxUnavailable: 1 } },
        partition: { labelKey: 'wave', order: { static: ['canary', 'main'] } },
        template: { spec: { image: v2 } },
      },
    });
    const order: string[] = [];
    await eventually(
      'v2 in both hosted clusters',
      async () => {
        for (const [i, c] of CLUSTERS.entries())
          if (!order.includes(c.name) && (await holds(i, 'v2'))) order.push(c.name);
        return order.length === 2 ? true : undefined;
      },
      150_000,
    );
    expect(order).toEqual(['b', 'a']);
    await rolledOut(2);
  }, 240_000);

  it('stops when the canary fails (gantry.run/max-failed-clusters "0"): cluster a keeps v2', async () => {
    const broken = v2.replace(/:v2$/, ':missing');
    await kube.mergePatch(hcpkgRef, {
      metadata: { annotations: { 'gantry.run/max-failed-clusters': '0' } },
      spec: { template: { spec: { image: broken } } },
    });
    await conditionsReach(
      kube,
      hcpkgRef,
      {
        Progressing: {
          status: 'False',
          reason: 'RolloutStopped',
          message:
            '1 updated packages failed, more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
        },
      },
      90_000,
    );
    await new Promise((r) => setTimeout(r, 5_000));
    expect(imageOf(await kube.get(packageRef(1)))).toBe(broken);
    expect(conditions(await kube.get(packageRef(1)))['Unpacked']?.status).toBe('False');
    expect(imageOf(await kube.get(packageRef(0)))).toBe(v2);
    // Both hosted clusters still run v2: the failed image never reached an object.
    expect(await versionsIn(0)).toEqual(Array.from({ length: OBJECTS }, () => 'v2'));
    expect(await versionsIn(1)).toEqual(Array.from({ length: OBJECTS }, () => 'v2'));
  }, 240_000);

  it('tears down in both hosted clusters when the HostedClusterPackage goes', async () => {
    await kube.delete(hcpkgRef);
    await eventually(
      'the package gone from both hosted clusters',
      async () => {
        const left = [...(await versionsIn(0)), ...(await versionsIn(1))].filter((v) => v !== undefined);
        return left.length === 0 ? true : undefined;
      },
      150_000,
    );
    for (const i of [0, 1])
      await eventually(`Package ${i} gone`, async () =>
        (await getOrUndefined(kube, packageRef(i))) === undefined ? true : undefined,
      );
  }, 240_000);
});
