/**
 * HyperShift's side of the `--hosted-clusters` tests: an admin kubeconfig with its certificates inline (what a
 * HostedCluster's Secret holds) and a HostedCluster whose `status.kubeconfig.name` names such a Secret.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeClient } from '../../../devenv/kube.js';
import type { KubeApi } from '../../../shared/ports.js';
import { eventually } from './engine.js';

export const HC_API = 'hypershift.openshift.io/v1beta1';
export const HC_CRD_PATH =
  '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/hostedclusters.hypershift.openshift.io';

/**
 * HyperShift's HostedCluster CRD (PKO's test copy) installed, served in `namespace`; true when this call created
 * it (then the caller deletes it), false when it was there.
 */
export async function installHostedClusterCrd(admin: KubeClient, namespace: string): Promise<boolean> {
  const crd: unknown = parseYaml(
    await readFile(
      join(import.meta.dirname, '..', '..', 'fixtures', 'hypershift', 'hostedclusters.crd.yaml'),
      'utf8',
    ),
  );
  const created = await admin.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (created.status !== 201 && created.status !== 409)
    throw new Error(`creating the HostedCluster CRD: ${created.status} ${created.text}`);
  await eventually('HostedClusters served', async () =>
    (await admin.get(`/apis/${HC_API}/namespaces/${namespace}/hostedclusters`)).status === 200
      ? true
      : undefined,
  );
  return created.status === 201;
}

/** A control plane's admin kubeconfig with its certificates inline (a Secret cannot point at files). */
export async function inlineKubeconfig(
  server: string,
  files: { readonly ca: string; readonly cert: string; readonly key: string },
): Promise<string> {
  const b64 = async (file: string): Promise<string> => (await readFile(file)).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
  - name: hosted
    cluster:
      server: ${server}
      certificate-authority-data: ${await b64(files.ca)}
users:
  - name: admin
    user:
      client-certificate-data: ${await b64(files.cert)}
      client-key-data: ${await b64(files.key)}
contexts:
  - name: hosted
    context: {cluster: hosted, user: admin}
current-context: hosted
`;
}

/** The HostedCluster `namespace/name` and its Secret `<name>-admin-kubeconfig` holding `kubeconfig`. */
export async function createHostedCluster(
  kube: KubeApi,
  namespace: string,
  name: string,
  kubeconfig: string,
): Promise<void> {
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${name}-admin-kubeconfig`, namespace },
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
  });
  const hc = await kube.create({
    apiVersion: HC_API,
    kind: 'HostedCluster',
    metadata: { name, namespace },
    spec: {
      release: { image: 'quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64' },
      platform: { type: 'None' },
    },
  });
  await kube.updateStatus({ ...hc, status: { kubeconfig: { name: `${name}-admin-kubeconfig` } } });
}
