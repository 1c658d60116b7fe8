/**
 * One runner serving the remote phases of many hosted clusters (`gantry run --phase-class hosted-cluster
 * --hosted-clusters`): the test run's control plane is the management cluster (HyperShift's HostedCluster CRD
 * installed as PKO's own tests do), two more control planes started here are the hosted clusters, each reached
 * through the admin kubeconfig Secret its HostedCluster's `status.kubeconfig.name` names. A third HostedCluster's
 * Secret holds no usable kubeconfig. The engine runs in-process (class `default`, it makes the ObjectSetPhases);
 * ONE `gantry run --hosted-clusters` process applies the phases of all three control-plane namespaces.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startControlPlane, type ControlPlane } from '../../devenv/control-plane.js';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import { conditions, conditionsReach, eventually, getOrUndefined, useEngine } from './setup/engine.js';
import { spawnGantryRun, type GantryRunProcess } from './setup/gantry-run.js';
import { deleteNamespace } from './setup/namespace.js';

const suite = useEngine();
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const CRD_NAME = 'hostedclusters.hypershift.openshift.io';
const HC_API = 'hypershift.openshift.io/v1beta1';
const API = 'package-operator.run/v1alpha1';
/** A value inside the bad Secret: it must never show in a condition or in the runner's output. */
const SECRET_MARKER = 'do-not-print-this-token';

let kube: KubeApi;
let hcNamespace: string;
let crdCreated = false;
const planes: ControlPlane[] = [];
const targets: RawKubeClient[] = [];
const controlPlaneNamespaces: string[] = [];
let runner: GantryRunProcess;

/** The control plane's admin kubeconfig with its certificates inline (a Secret cannot point at files). */
async function inlineKubeconfig(plane: ControlPlane): Promise<string> {
  const b64 = async (file: string): Promise<string> => (await readFile(file)).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
  - name: hosted
    cluster:
      server: ${plane.server}
      certificate-authority-data: ${await b64(plane.certs.caCert)}
users:
  - name: admin
    user:
      client-certificate-data: ${await b64(plane.certs.adminCert)}
      client-key-data: ${await b64(plane.certs.adminKey)}
contexts:
  - name: hosted
    context: {cluster: hosted, user: admin}
current-context: hosted
`;
}

const BAD_KUBECONFIG = `apiVersion: v1
kind: Config
users:
  - name: admin
    user: {token: ${SECRET_MARKER}}
`;

async function hostedCluster(name: string, kubeconfig: string): Promise<void> {
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${name}-admin-kubeconfig`, namespace: hcNamespace },
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
  });
  const hc = await kube.create({
    apiVersion: HC_API,
    kind: 'HostedCluster',
    metadata: { name, namespace: hcNamespace },
    spec: {
      release: { image: 'quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64' },
      platform: { type: 'None' },
    },
  });
  await kube.updateStatus({ ...hc, status: { kubeconfig: { name: `${name}-admin-kubeconfig` } } });
}

beforeAll(async () => {
  kube = suite.kube();
  const crd: unknown = parseYaml(
    await readFile(
      join(import.meta.dirname, '..', 'fixtures', 'hypershift', 'hostedclusters.crd.yaml'),
      'utf8',
    ),
  );
  const created = await suite.admin.create(CRDS, crd);
  expect([201, 409], created.text).toContain(created.status);
  crdCreated = created.status === 201;
  hcNamespace = await suite.namespace('hcs');
  await eventually('HostedClusters served', async () =>
    (await suite.admin.get(`/apis/${HC_API}/namespaces/${hcNamespace}/hostedclusters`)).status === 200
      ? true
      : undefined,
  );
  planes.push(...(await Promise.all([0, 1].map(() => startControlPlane({ log: () => undefined })))));
  for (const p of planes) targets.push(new RawKubeClient(loadConnection(p.kubeconfigPath)));
  // Control-plane namespaces `<ns>-<name, dots as dashes>`; the objects of a phase go to its namespace in the
  // target too, so it must exist there.
  for (const suffix of ['one', 'two-x', 'bad']) {
    const name = `${hcNamespace}-${suffix}`;
    controlPlaneNamespaces.push(name);
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const t of targets) await t.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  await hostedCluster('one', await inlineKubeconfig(planes[0] as ControlPlane));
  await hostedCluster('two.x', await inlineKubeconfig(planes[1] as ControlPlane));
  await hostedCluster('bad', BAD_KUBECONFIG);
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
  for (const ns of controlPlaneNamespaces) await deleteNamespace(suite.admin, ns);
  for (const t of targets) t.close();
  await Promise.all(planes.map((p) => p.stop()));
  if (crdCreated) await suite.admin.delete(`${CRDS}/${CRD_NAME}`);
  expect(code, runner.output()).toBe(0);
  expect(runner.output()).not.toContain(SECRET_MARKER);
});

const osRef = (ns: string): ObjectRef => ({ apiVersion: API, kind: 'ObjectSet', namespace: ns, name: 'set' });
const ospRef = (ns: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ObjectSetPhase',
  namespace: ns,
  name: 'set-config',
});
const cmRef = (ns: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name: 'cfg',
});

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

function dataOf(object: KubeObject | undefined): unknown {
  return object?.['data'];
}

async function objectSet(ns: string): Promise<void> {
  await kube.create({
    apiVersion: API,
    kind: 'ObjectSet',
    metadata: { name: 'set', namespace: ns, labels: { 'package-operator.run/object-deployment': 'set' } },
    spec: {
      revision: 1,
      phases: [
        {
          name: 'config',
          class: 'hosted-cluster',
          objects: [
            { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { ns } } },
          ],
        },
      ],
    },
  });
}

const AVAILABLE = {
  status: 'True',
  reason: 'Available',
  message: 'Object is available and passes all probes.',
};

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
    const why =
      `hosted cluster ${hcNamespace}/bad: Secret ${hcNamespace}/bad-admin-kubeconfig: key "kubeconfig" is not a ` +
      'usable kubeconfig: kubeconfig: clusters: Invalid input: expected array, received undefined';
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
    expect(await getOrUndefined(t1, cmRef(bad))).toBeUndefined();

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
