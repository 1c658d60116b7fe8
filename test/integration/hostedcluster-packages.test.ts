/**
 * PKO's HostedCluster controller (`gantry run --package-operator-package-image`), on the test run's control plane with
 * HyperShift's HostedCluster CRD as PKO v1.19.0's own integration tests install it
 * (test/fixtures/hypershift/hostedclusters.crd.yaml): nothing until a HostedCluster is Available, then the Package
 * `remote-phase` (component `remote-phase` of the image) in its control-plane namespace, owned through the owners
 * annotation, installed by the same runner; its spec put back after a hand edit, the Package made again after a
 * deletion. `gantry run` runs as a process.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnGantryRun, type GantryRunProcess } from './setup/gantry-run.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import {
  configMap,
  conditionsReach,
  eventually,
  getOrUndefined,
  manifest,
  pushPackage,
} from './setup/engine.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const CRD_NAME = 'hostedclusters.hypershift.openshift.io';
const HC_API = 'hypershift.openshift.io/v1beta1';
const admin = testClient();
let kube: RawKubeClient;
let ns: string;
let controlPlane: string;
let image: string;
let runner: GantryRunProcess;

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
  ns = await createNamespace(admin, 'hc');
  controlPlane = `${ns}-my-hc`;
  expect((await admin.create('/api/v1/namespaces', { metadata: { name: controlPlane } })).status).toBe(201);
  await eventually('HostedClusters served', async () =>
    (await admin.get(`/apis/${HC_API}/namespaces/${ns}/hostedclusters`)).status === 200 ? true : undefined,
  );
  image = await pushPackage('hc-remote-phase', {
    'manifest.yaml': manifest('package-operator', ['deploy'], '  components: {}\n'),
    'components/remote-phase/manifest.yaml': manifest('remote-phase', ['deploy']),
    'components/remote-phase/cm.yaml': configMap('remote-phase-manager', 'deploy', {
      component: 'remote-phase',
    }),
  });
  runner = spawnGantryRun(['--package-operator-package-image', image]);
});

afterAll(async () => {
  runner.child.kill('SIGTERM');
  const code = await runner.exited;
  await admin.delete(`/apis/${HC_API}/namespaces/${ns}/hostedclusters/my.hc`);
  await deleteNamespace(admin, controlPlane);
  await deleteNamespace(admin, ns);
  await admin.delete(`${CRDS}/${CRD_NAME}`);
  await eventually('the HostedCluster CRD gone', async () =>
    (await admin.get(`${CRDS}/${CRD_NAME}`)).status === 404 ? true : undefined,
  );
  kube.close();
  expect(code, runner.output()).toBe(0);
});

const hcRef = (): ObjectRef => ({ apiVersion: HC_API, kind: 'HostedCluster', namespace: ns, name: 'my.hc' });
const pkgRef = (): ObjectRef => ({
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'Package',
  namespace: controlPlane,
  name: 'remote-phase',
});

async function setAvailable(status: 'True' | 'False'): Promise<void> {
  const hc = await kube.get(hcRef());
  await kube.updateStatus({
    ...hc,
    status: {
      conditions: [
        {
          type: 'Available',
          status,
          reason: status === 'True' ? 'AsExpected' : 'WaitingForAvailable',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  });
}

describe("PKO's HostedCluster controller", () => {
  it('makes the Package remote-phase for an Available HostedCluster, and keeps it', async () => {
    const hc = await kube.create({
      apiVersion: HC_API,
      kind: 'HostedCluster',
      metadata: { name: 'my.hc', namespace: ns },
      spec: {
        release: { image: 'quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64' },
        platform: { type: 'None' },
      },
    });
    // Not Available (no status, then Available=False): no Package, as PKO waits for it.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await getOrUndefined(kube, pkgRef())).toBeUndefined();
    await setAvailable('False');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await getOrUndefined(kube, pkgRef())).toBeUndefined();

    await setAvailable('True');
    const owners = JSON.stringify([
      {
        apiVersion: HC_API,
        kind: 'HostedCluster',
        name: 'my.hc',
        namespace: ns,
        uid: hc.metadata.uid,
        controller: true,
      },
    ]);
    const pkg = await eventually('the Package remote-phase', () => getOrUndefined(kube, pkgRef()));
    expect(pkg.metadata.annotations).toEqual({ 'package-operator.run/owners': owners });
    expect(pkg.metadata.ownerReferences).toBeUndefined();
    expect(pkg['spec']).toEqual({ image, component: 'remote-phase' });
    // The same runner installs it.
    await conditionsReach(
      kube,
      pkgRef(),
      { Available: { status: 'True', reason: 'Available', message: 'Latest Revision is Available.' } },
      90_000,
    );
    const cm = await kube.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: controlPlane,
      name: 'remote-phase-manager',
    });
    expect(cm['data']).toEqual({ component: 'remote-phase' });

    // A hand edit of the spec is put back; a deleted Package is made again.
    await kube.mergePatch(pkgRef(), { spec: { image: `${image}-edited` } });
    await eventually('the spec put back', async () => {
      const p: KubeObject = await kube.get(pkgRef());
      return (p['spec'] as { image?: string }).image === image ? true : undefined;
    });
    const first = await kube.get(pkgRef());
    await kube.delete(pkgRef());
    const again = await eventually(
      'the Package made again',
      async () => {
        const p = await getOrUndefined(kube, pkgRef());
        return p !== undefined && p.metadata.uid !== first.metadata.uid ? p : undefined;
      },
      90_000,
    );
    expect(again.metadata.annotations).toEqual({ 'package-operator.run/owners': owners });
    expect(runner.output()).toContain(
      `HostedCluster ${ns}/my.hc: created Package ${controlPlane}/remote-phase`,
    );
  });
});
