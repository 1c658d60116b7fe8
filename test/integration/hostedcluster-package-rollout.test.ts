/**
 * PKO's HostedClusterPackage controller (started by `gantry run` once HyperShift's HostedCluster API and the
 * HostedClusterPackage CRD are served), on the test run's control plane with PKO's HostedCluster CRD: three
 * Available HostedClusters in partitions, a HostedClusterPackage rolled out instantly (a Package per HostedCluster,
 * its status in PKO's words), then by a rolling upgrade (maxUnavailable 1, a static partition order), Gantry's stop
 * on failure (annotation gantry.run/max-failed-clusters) with an image that cannot be pulled, the rollout resumed
 * by a good template, its progress deadline (gantry.run/cluster-progress-deadline) stopping a rollout whose first
 * Package's new revision never passes its availability probe, and the Packages gone with their HostedClusterPackage (garbage collection of the owner
 * reference). `gantry run` runs as a process.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import { configMap, conditions, conditionsReach, eventually, manifest, pushPackage } from './setup/engine.js';
import { spawnGantryRun, type GantryRunProcess } from './setup/gantry-run.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const execFileAsync = promisify(execFile);
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const CRD_NAME = 'hostedclusters.hypershift.openshift.io';
const HC_API = 'hypershift.openshift.io/v1beta1';
const PKO_API = 'package-operator.run/v1alpha1';
const NAME = 'fleet-app';
/** The HostedClusters: name, partition label (`wave`), control-plane namespace suffix. */
const CLUSTERS = [
  { name: 'alpha', wave: 'canary', suffix: 'alpha' },
  { name: 'bravo.x', wave: 'main', suffix: 'bravo-x' },
  { name: 'charlie', wave: undefined, suffix: 'charlie' },
] as const;
const admin = testClient();
let kube: RawKubeClient;
let ns: string;
let v1: string;
let v2: string;
/** v3 with an availability probe that never passes: its revision stays Progressing. */
let stuck: string;
let runner: GantryRunProcess;

const hcpkgRef: ObjectRef = { apiVersion: PKO_API, kind: 'HostedClusterPackage', namespace: '', name: NAME };

beforeAll(async () => {
  kube = new RawKubeClient(loadConnection(inject('kube').kubeconfigPath));
  const crd: unknown = parseYaml(
    await readFile(
      join(import.meta.dirname, '..', 'fixtures', 'hypershift', 'hostedclusters.crd.yaml'),
      'utf8',
    ),
  );
  const created = await admin.create(CRDS, crd);
  expect(created.status, created.text).toBe(201);
  ns = await createNamespace(admin, 'fleet');
  for (const c of CLUSTERS)
    expect(
      (await admin.create('/api/v1/namespaces', { metadata: { name: `${ns}-${c.suffix}` } })).status,
    ).toBe(201);
  await eventually('HostedClusters served', async () =>
    (await admin.get(`/apis/${HC_API}/namespaces/${ns}/hostedclusters`)).status === 200 ? true : undefined,
  );
  const files = (version: string): Record<string, string> => ({
    'manifest.yaml': manifest('fleet-app', ['deploy']),
    'cm.yaml': configMap('fleet-app', 'deploy', { version }),
  });
  v1 = await pushPackage('fleet-app', files('v1'), 'v1');
  v2 = await pushPackage('fleet-app', files('v2'), 'v2');
  stuck = await pushPackage(
    'fleet-app',
    {
      'manifest.yaml': manifest(
        'fleet-app',
        ['deploy'],
        `  availabilityProbes:
    - selector:
        kind: {group: "", kind: ConfigMap}
      probes:
        - cel:
            rule: "has(self.data.ready)"
            message: "never ready"
`,
      ),
      'cm.yaml': configMap('fleet-app', 'deploy', { version: 'v3' }),
    },
    'stuck',
  );
  for (const c of CLUSTERS) {
    const hc = await kube.create({
      apiVersion: HC_API,
      kind: 'HostedCluster',
      metadata: {
        name: c.name,
        namespace: ns,
        ...(c.wave !== undefined ? { labels: { wave: c.wave } } : {}),
      },
      spec: {
        release: { image: 'quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64' },
        platform: { type: 'None' },
      },
    });
    await kube.updateStatus({
      ...hc,
      status: {
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
  runner = spawnGantryRun([]);
});

afterAll(async () => {
  runner.child.kill('SIGTERM');
  const code = await runner.exited;
  await kube.delete(hcpkgRef).catch(() => undefined);
  for (const c of CLUSTERS) {
    await admin.delete(`/apis/${HC_API}/namespaces/${ns}/hostedclusters/${c.name}`);
    await deleteNamespace(admin, `${ns}-${c.suffix}`);
  }
  await deleteNamespace(admin, ns);
  await admin.delete(`${CRDS}/${CRD_NAME}`);
  await eventually('the HostedCluster CRD gone', async () =>
    (await admin.get(`${CRDS}/${CRD_NAME}`)).status === 404 ? true : undefined,
  );
  kube.close();
  expect(code, runner.output()).toBe(0);
});

/** The fleet's Packages in one LIST (one consistent view), by control-plane namespace suffix. */
async function fleet(): Promise<Map<string, KubeObject>> {
  const list = await kube.list(PKO_API, 'Package', '', { labelSelector: 'team=fleet' });
  return new Map(
    list
      .filter((p) => p.metadata.namespace?.startsWith(`${ns}-`) === true)
      .map((p) => [(p.metadata.namespace ?? '').slice(ns.length + 1), p]),
  );
}

function imageOf(pkg: KubeObject | undefined): unknown {
  const spec = pkg?.['spec'];
  return typeof spec === 'object' && spec !== null && 'image' in spec ? spec.image : undefined;
}

/** PKO's Available: Available True for the Package's generation. */
function available(pkg: KubeObject): boolean {
  const status = pkg['status'] as
    { conditions?: { type: string; status: string; observedGeneration?: number }[] } | undefined;
  return (status?.conditions ?? []).some(
    (c) => c.type === 'Available' && c.status === 'True' && c.observedGeneration === pkg.metadata.generation,
  );
}

/** The lastTransitionTime of a condition. */
function transitionOf(object: KubeObject, type: string): string | undefined {
  const status = object['status'] as
    { conditions?: { type: string; lastTransitionTime?: string }[] } | undefined;
  return status?.conditions?.find((c) => c.type === type)?.lastTransitionTime;
}

function counts(hcpkg: KubeObject): unknown {
  const { conditions: _c, ...rest } = (hcpkg['status'] ?? {}) as Record<string, unknown>;
  return rest;
}

/** The image of each Package, by control-plane namespace suffix. */
async function images(): Promise<unknown[][]> {
  return [...(await fleet())].map(([suffix, pkg]) => [suffix, imageOf(pkg)]).sort();
}

/** Patch the HostedClusterPackage and wait until its rollout stopped with `message`. */
async function stopsWith(patch: Record<string, unknown>, message: string, timeoutMs: number): Promise<void> {
  await kube.mergePatch(hcpkgRef, patch);
  await conditionsReach(
    kube,
    hcpkgRef,
    { Progressing: { status: 'False', reason: 'RolloutStopped', message } },
    timeoutMs,
  );
}

/** PKO's conditions of a fleet of three, rolled out. */
const SETTLED = {
  Available: { status: 'True', reason: 'EnoughPackagesAvailable', message: '3/3 packages available.' },
  Progressing: { status: 'False', reason: 'AllPackagesProgressed', message: '3/3 packages progressed.' },
  HasPausedPackage: { status: 'False', reason: 'NoPackagePaused', message: '0/3 packages paused.' },
} as const;

/** Wait until the HostedClusterPackage's generation is observed with every Package updated and available. */
async function rolledOut(generation: number): Promise<KubeObject> {
  await conditionsReach(kube, hcpkgRef, SETTLED, 150_000);
  return eventually(
    `status of generation ${generation}`,
    async () => {
      const o = await kube.get(hcpkgRef);
      const s = counts(o) as {
        observedGeneration?: number;
        updatedPackages?: number;
        processing?: unknown[];
      };
      // The last Package's update leaves status.processing on the pass after it became Available.
      return s.observedGeneration === generation && s.updatedPackages === 3 && s.processing === undefined
        ? o
        : undefined;
    },
    60_000,
  );
}

describe("PKO's HostedClusterPackage controller", () => {
  it('rolls a HostedClusterPackage out instantly: a Package per Available HostedCluster, its status', async () => {
    const hcpkg = await kube.create({
      apiVersion: PKO_API,
      kind: 'HostedClusterPackage',
      metadata: { name: NAME },
      spec: {
        template: {
          metadata: { labels: { team: 'fleet' }, annotations: { 'example.com/note': 'fleet' } },
          spec: { image: v1 },
        },
      },
    });
    // PKO's defaults (the CRD's).
    expect(hcpkg['spec']).toMatchObject({ strategy: { instant: {} } });
    const pkgs = await eventually('three Packages', async () => {
      const f = await fleet();
      return f.size === 3 ? f : undefined;
    });
    for (const c of CLUSTERS) {
      const pkg = pkgs.get(c.suffix);
      expect(pkg?.metadata.labels).toEqual({ team: 'fleet' });
      expect(pkg?.metadata.annotations).toMatchObject({ 'example.com/note': 'fleet' });
      expect(pkg?.metadata.ownerReferences).toEqual([
        {
          apiVersion: PKO_API,
          kind: 'HostedClusterPackage',
          name: NAME,
          uid: hcpkg.metadata.uid,
          blockOwnerDeletion: true,
          controller: true,
        },
      ]);
      expect(pkg?.['spec']).toEqual({ image: v1 });
    }
    const done = await rolledOut(1);
    expect(counts(done)).toEqual({
      observedGeneration: 1,
      availablePackages: 3,
      progressedPackages: 3,
      updatedPackages: 3,
      totalPackages: 3,
    });
    expect(conditions(done)).toEqual(SETTLED);
    const withGeneration = (done['status'] as { conditions: { observedGeneration: number }[] }).conditions;
    expect(withGeneration.map((c) => c.observedGeneration)).toEqual([1, 1, 1]);
    const cm = await kube.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: `${ns}-charlie`,
      name: 'fleet-app',
    });
    expect(cm['data']).toEqual({ version: 'v1' });
  }, 240_000);

  it('rolls a new template out one HostedCluster at a time, partition by partition (maxUnavailable 1)', async () => {
    await kube.mergePatch(hcpkgRef, {
      spec: {
        strategy: { instant: null, rollingUpgrade: { maxUnavailable: 1 } },
        partition: { labelKey: 'wave', order: { static: ['main', 'canary', '*'] } },
        template: { spec: { image: v2 } },
      },
    });
    const order: string[] = [];
    let maxInFlight = 0;
    let maxProcessing = 0;
    await eventually(
      'every Package on v2 and available',
      async () => {
        const f = await fleet();
        const processing =
          ((await kube.get(hcpkgRef))['status'] as { processing?: unknown[] }).processing ?? [];
        maxProcessing = Math.max(maxProcessing, processing.length);
        let inFlight = 0;
        for (const [suffix, pkg] of f) {
          if (imageOf(pkg) !== v2) continue;
          if (!order.includes(suffix)) order.push(suffix);
          if (!available(pkg)) inFlight += 1;
        }
        maxInFlight = Math.max(maxInFlight, inFlight);
        return order.length === 3 && [...f.values()].every(available) ? true : undefined;
      },
      150_000,
    );
    expect(order).toEqual(['bravo-x', 'alpha', 'charlie']);
    // At most one updated Package not yet Available at a time (a fast engine may make each Available between
    // two polls, so none seen in flight is no failure).
    expect(maxInFlight).toBeLessThanOrEqual(1);
    expect(maxProcessing).toBeLessThanOrEqual(1);
    const done = await rolledOut(2);
    expect(counts(done)).toEqual({
      observedGeneration: 2,
      availablePackages: 3,
      progressedPackages: 3,
      updatedPackages: 3,
      totalPackages: 3,
    });
    const cm = await kube.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: `${ns}-charlie`,
      name: 'fleet-app',
    });
    expect(cm['data']).toEqual({ version: 'v2' });
  }, 240_000);

  it('stops the rollout when more updated Packages fail than gantry.run/max-failed-clusters allows', async () => {
    const broken = v2.replace(/:v2$/, ':missing');
    await stopsWith(
      {
        metadata: { annotations: { 'gantry.run/max-failed-clusters': '0' } },
        spec: { template: { spec: { image: broken } } },
      },
      '1 updated packages failed, more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
      90_000,
    );
    // Held: only the first partition's Package got the image that cannot be pulled.
    await new Promise((r) => setTimeout(r, 5_000));
    const f = await fleet();
    expect(await images()).toEqual([
      ['alpha', v2],
      ['bravo-x', broken],
      ['charlie', v2],
    ]);
    // PKO's budget alone would go on: the failed Package still reports Available for its generation (its previous
    // revision serves), so it frees its slot; only the stop holds the next partition.
    const bravo = f.get('bravo-x');
    expect(bravo !== undefined && available(bravo)).toBe(true);
    expect(conditions(bravo ?? (await kube.get(hcpkgRef)))['Unpacked']?.status).toBe('False');
    expect(conditions(await kube.get(hcpkgRef))['Progressing']?.reason).toBe('RolloutStopped');
    expect(runner.output()).toContain(
      `HostedClusterPackage ${NAME}: rollout stopped: 1 updated packages failed`,
    );
    // `gantry fleet status` (the CLI, read-only) shows the same: which cluster has the template, and the stop.
    const { stdout } = await execFileAsync(process.execPath, [
      join(import.meta.dirname, '..', '..', 'bin', 'gantry.mjs'),
      'fleet',
      'status',
      NAME,
      '-o',
      'json',
      '--kubeconfig',
      inject('kube').kubeconfigPath,
    ]);
    const [view] = JSON.parse(stdout) as {
      progress: { stopped?: string };
      rows: { cluster: string; partition?: string; updated: boolean; available: string; revision?: number }[];
    }[];
    expect(view?.progress.stopped).toBe(
      '1 updated packages failed, more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
    );
    const ours = (view?.rows ?? []).filter((r) => r.cluster.startsWith(`${ns}/`));
    expect(ours.map((r) => [r.cluster, r.partition, r.updated, r.available])).toEqual([
      [`${ns}/alpha`, 'canary', false, 'True'],
      [`${ns}/bravo.x`, 'main', true, 'True'],
      [`${ns}/charlie`, '*', false, 'True'],
    ]);
    expect(ours.every((r) => typeof r.revision === 'number')).toBe(true);

    // A good template: the failed Package no longer has it, the rollout resumes.
    await kube.mergePatch(hcpkgRef, { spec: { template: { spec: { image: v2 } } } });
    await rolledOut(4);
    expect([...(await fleet()).values()].map(imageOf)).toEqual([v2, v2, v2]);
  }, 240_000);

  it('stops the rollout when an updated Package does not settle within gantry.run/cluster-progress-deadline', async () => {
    await stopsWith(
      {
        metadata: { annotations: { 'gantry.run/cluster-progress-deadline': '20s' } },
        spec: { template: { spec: { image: stuck } } },
      },
      '1 updated packages failed (1 not settled within the 20s of gantry.run/cluster-progress-deadline), more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
      120_000,
    );
    const f = await fleet();
    expect(await images()).toEqual([
      ['alpha', v2],
      ['bravo-x', stuck],
      ['charlie', v2],
    ]);
    const bravo = f.get('bravo-x');
    // The Package's new revision is still progressing (its previous one serves): no other rule counts it.
    expect(conditions(bravo ?? (await kube.get(hcpkgRef)))['Progressing']?.status).toBe('True');
    expect(conditions(bravo ?? (await kube.get(hcpkgRef)))['Unpacked']?.status).toBe('True');
    // Timed from the update, stopped at the deadline by the step's own requeue (the stuck Package sends no more
    // events), not before it.
    const appliedAt = Date.parse(bravo?.metadata.annotations?.['gantry.run/template-applied-at'] ?? '');
    const stoppedAt = Date.parse(transitionOf(await kube.get(hcpkgRef), 'Progressing') ?? '');
    expect(Number.isNaN(appliedAt)).toBe(false);
    // lastTransitionTime is in whole seconds.
    expect(stoppedAt).toBeGreaterThanOrEqual(Math.floor((appliedAt + 20_000) / 1000) * 1000);
    expect(stoppedAt).toBeLessThan(appliedAt + 20_000 + 15_000);
    expect(runner.output()).toContain(
      `HostedClusterPackage ${NAME}: rollout stopped: 1 updated packages failed (0 allowed, 1 past the progress deadline)`,
    );
    // Held: nothing else got the template.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await images()).toEqual([
      ['alpha', v2],
      ['bravo-x', stuck],
      ['charlie', v2],
    ]);

    // Back to the good template: the stuck Package no longer has the template's spec, the fleet settles.
    await kube.mergePatch(hcpkgRef, { spec: { template: { spec: { image: v2 } } } });
    await rolledOut(6);
    expect([...(await fleet()).values()].map(imageOf)).toEqual([v2, v2, v2]);
  }, 240_000);

  it('leaves the Packages to garbage collection when the HostedClusterPackage goes', async () => {
    await kube.delete(hcpkgRef);
    await eventually(
      'the Packages gone',
      async () => ((await fleet()).size === 0 ? true : undefined),
      120_000,
    );
    for (const c of CLUSTERS)
      await eventually(`${c.suffix}'s Package gone`, async () =>
        (await admin.get(`/apis/${PKO_API}/namespaces/${ns}-${c.suffix}/packages/${NAME}`)).status === 404
          ? true
          : undefined,
      );
  }, 180_000);
});
