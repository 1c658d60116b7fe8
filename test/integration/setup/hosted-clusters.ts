/**
 * A HyperShift-like fleet for the tests of hosts serving the remote phases of many hosted clusters: the test run's
 * control plane is the management cluster (HyperShift's HostedCluster CRD installed as PKO's own tests do), more
 * control planes started here are the hosted clusters, each reached through the admin kubeconfig Secret its
 * HostedCluster's `status.kubeconfig.name` names (certificates inline: a Secret cannot point at files). A
 * HostedCluster may be given a Secret with no usable kubeconfig, whose content must never be printed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startControlPlane, type ControlPlane } from '../../../devenv/control-plane.js';
import { RawKubeClient } from '../../../functions/adapters/kube/client.js';
import { loadConnection } from '../../../functions/adapters/kube/kubeconfig.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../../shared/ports.js';
import { eventually, type EngineSuite } from './engine.js';
import { deleteNamespace } from './namespace.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const CRD_NAME = 'hostedclusters.hypershift.openshift.io';
export const HC_API = 'hypershift.openshift.io/v1beta1';
export const API = 'package-operator.run/v1alpha1';
/** A value inside the bad Secret: it must never show in a condition or in a host's output. */
export const SECRET_MARKER = 'do-not-print-this-token';

/** A kubeconfig with a token and no cluster: not usable. */
export const BAD_KUBECONFIG = `apiVersion: v1
kind: Config
users:
  - name: admin
    user: {token: ${SECRET_MARKER}}
`;

/** The control plane's admin kubeconfig with its certificates inline (a Secret cannot point at files). */
export async function inlineKubeconfig(plane: ControlPlane): Promise<string> {
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

/** The management cluster and the hosted clusters of a test file. */
export interface HostedFleet {
  /** The namespace of the HostedClusters and their Secrets. */
  readonly hcNamespace: string;
  readonly planes: readonly ControlPlane[];
  /** Clients of the hosted control planes (admin). */
  readonly targets: readonly RawKubeClient[];
  /** `<hcNamespace>-<suffix>` for each suffix, in the management cluster and in every hosted cluster. */
  readonly controlPlaneNamespaces: readonly string[];
  /** A HostedCluster `name` in `hcNamespace` with its Secret `<name>-admin-kubeconfig` holding `kubeconfig`. */
  hostedCluster(name: string, kubeconfig: string): Promise<void>;
  /** Delete what was made (namespaces, control planes, the CRD if this file installed it). */
  stop(): Promise<void>;
}

/**
 * Install the HostedCluster CRD, start `planes` hosted control planes, and make the control-plane namespaces of
 * the given suffixes (dots as dashes) in the management cluster and in every hosted cluster.
 */
export async function startHostedFleet(
  suite: EngineSuite,
  planeCount: number,
  suffixes: readonly string[],
): Promise<HostedFleet> {
  const kube: KubeApi = suite.kube();
  const crd: unknown = parseYaml(
    await readFile(
      join(import.meta.dirname, '..', '..', 'fixtures', 'hypershift', 'hostedclusters.crd.yaml'),
      'utf8',
    ),
  );
  const created = await suite.admin.create(CRDS, crd);
  expect([201, 409], created.text).toContain(created.status);
  const crdCreated = created.status === 201;
  const hcNamespace = await suite.namespace('hcs');
  await eventually('HostedClusters served', async () =>
    (await suite.admin.get(`/apis/${HC_API}/namespaces/${hcNamespace}/hostedclusters`)).status === 200
      ? true
      : undefined,
  );
  const planes = await Promise.all(
    Array.from({ length: planeCount }, () => startControlPlane({ log: () => undefined })),
  );
  const targets = planes.map((p) => new RawKubeClient(loadConnection(p.kubeconfigPath)));
  // The objects of a phase go to its namespace in the target too, so it must exist there.
  const controlPlaneNamespaces: string[] = [];
  for (const suffix of suffixes) {
    const name = `${hcNamespace}-${suffix}`;
    controlPlaneNamespaces.push(name);
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const t of targets) await t.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  return {
    hcNamespace,
    planes,
    targets,
    controlPlaneNamespaces,
    hostedCluster: async (name, kubeconfig) => {
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
    },
    stop: async () => {
      for (const ns of controlPlaneNamespaces) await deleteNamespace(suite.admin, ns);
      for (const t of targets) t.close();
      await Promise.all(planes.map((p) => p.stop()));
      if (crdCreated) await suite.admin.delete(`${CRDS}/${CRD_NAME}`);
    },
  };
}

export const osRef = (ns: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ObjectSet',
  namespace: ns,
  name: 'set',
});
export const ospRef = (ns: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ObjectSetPhase',
  namespace: ns,
  name: 'set-config',
});
export const cmRef = (ns: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name: 'cfg',
});

/** PKO's owners annotation naming the ObjectSetPhase as controller. */
export function owners(phase: KubeObject): string {
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

export function dataOf(object: KubeObject | undefined): unknown {
  return object?.['data'];
}

/** An ObjectSet `set` in `ns` whose one phase `config` (class hosted-cluster) holds the ConfigMap `cfg`. */
export async function objectSet(kube: KubeApi, ns: string): Promise<void> {
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

export const AVAILABLE = {
  status: 'True',
  reason: 'Available',
  message: 'Object is available and passes all probes.',
};

/** The condition message of a phase whose HostedCluster's Secret holds {@link BAD_KUBECONFIG}. */
export function badKubeconfigMessage(hcNamespace: string, name: string): string {
  return (
    `hosted cluster ${hcNamespace}/${name}: Secret ${hcNamespace}/${name}-admin-kubeconfig: key "kubeconfig" is ` +
    'not a usable kubeconfig: kubeconfig: clusters: Invalid input: expected array, received undefined'
  );
}
