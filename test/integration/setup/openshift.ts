/**
 * @module test/integration/setup/openshift
 * OpenShift's `config.openshift.io` CRDs (ClusterVersion, Proxy) as the openshift/api Go module ships them, at the
 * version PKO v1.19.0's go.mod names, installed on the test control plane; the objects PKO reads from them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeClient } from '../../../devenv/kube.js';
import { waitFor } from '../../../devenv/process.js';
import { goModuleDir } from './go-modules.js';

/** `github.com/openshift/api` as PKO v1.19.0's go.mod requires it. */
export const OPENSHIFT_API_VERSION = 'v0.0.0-20250320170726-75d64d71980b';

const CRD_FILES = [
  'config/v1/zz_generated.crd-manifests/0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml',
  'config/v1/zz_generated.crd-manifests/0000_03_config-operator_01_proxies.crd.yaml',
];

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
export const CONFIG_V1 = '/apis/config.openshift.io/v1';

/** Install the CRDs and wait until both kinds are served. */
export async function installOpenShiftCrds(client: KubeClient): Promise<void> {
  const dir = await goModuleDir('github.com/openshift/api', OPENSHIFT_API_VERSION);
  for (const file of CRD_FILES) {
    const crd: unknown = parseYaml(await readFile(join(dir, file), 'utf8'));
    const r = await client.create(CRDS, crd);
    if (r.status !== 201 && r.status !== 409) throw new Error(`creating ${file}: ${r.status} ${r.text}`);
  }
  await waitFor(
    'config.openshift.io served',
    async () =>
      (await client.get(`${CONFIG_V1}/clusterversions`)).status === 200 &&
      (await client.get(`${CONFIG_V1}/proxies`)).status === 200,
    60_000,
  );
}

export async function removeOpenShiftCrds(client: KubeClient): Promise<void> {
  for (const name of ['clusterversions.config.openshift.io', 'proxies.config.openshift.io'])
    await client.delete(`${CRDS}/${name}`);
}

/** Create a cluster-scoped object, then write its status (both kinds have a status subresource). */
export async function createWithStatus(
  client: KubeClient,
  collection: string,
  object: { readonly metadata: { readonly name: string }; readonly [field: string]: unknown },
  status: unknown,
): Promise<void> {
  const created = await client.create(collection, object);
  if (created.status !== 201) throw new Error(`creating ${collection}: ${created.status} ${created.text}`);
  const body: unknown = JSON.parse(created.text);
  const r = await client.put(`${collection}/${object.metadata.name}/status`, {
    ...(typeof body === 'object' && body !== null ? body : {}),
    status,
  });
  if (r.status !== 200) throw new Error(`status of ${collection}: ${r.status} ${r.text}`);
}
