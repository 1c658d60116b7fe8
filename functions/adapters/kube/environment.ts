/**
 * @module adapters/kube/environment
 * PKO's environment manager over the KubeApi port: the cluster's facts (server version, OpenShift's ClusterVersion,
 * managed-OpenShift ConfigMap and Proxy, whether HyperShift's HostedCluster API is served) are read at most once per
 * `ttlMs` (PKO probes every minute) and shared by concurrent callers; HostedClusters are listed per call, only when
 * HyperShift is there and the object is namespaced, as PKO looks its HostedCluster up for every reconcile.
 */
import { isNotFound } from '../../../shared/kube-errors.js';
import { clusterEnvironment, environmentIn, type Environment } from '../../../shared/packages/environment.js';
import type { EnvironmentSource, KubeApi, ObjectRef } from '../../../shared/ports.js';

/** PKO's `environmentProbeInterval`. */
export const ENVIRONMENT_PROBE_INTERVAL_MS = 60_000;

const CLUSTER_VERSION: ObjectRef = {
  apiVersion: 'config.openshift.io/v1',
  kind: 'ClusterVersion',
  namespace: '',
  name: 'version',
};
const PROXY: ObjectRef = {
  apiVersion: 'config.openshift.io/v1',
  kind: 'Proxy',
  namespace: '',
  name: 'cluster',
};
const MANAGED_CONFIG_MAP: ObjectRef = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'openshift-config',
  name: 'osd-cluster-metadata',
};
const HOSTED_CLUSTER = { apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'HostedCluster' } as const;

/** The object, or undefined when it or its kind is not there (NotFound covers a kind the server does not serve). */
async function getIfThere(kube: KubeApi, ref: ObjectRef): Promise<unknown> {
  try {
    return await kube.get(ref);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Read the cluster's facts and build the cluster-wide environment. */
export async function probeEnvironment(kube: KubeApi): Promise<Environment> {
  const [kubernetesVersion, clusterVersion, hostedClusterApi] = await Promise.all([
    kube.serverVersion(),
    getIfThere(kube, CLUSTER_VERSION),
    kube.resource(HOSTED_CLUSTER.apiVersion, HOSTED_CLUSTER.kind),
  ]);
  const [managedConfigMap, proxy] =
    clusterVersion === undefined
      ? [undefined, undefined]
      : await Promise.all([getIfThere(kube, MANAGED_CONFIG_MAP), getIfThere(kube, PROXY)]);
  return clusterEnvironment({
    kubernetesVersion,
    clusterVersion,
    managedConfigMap,
    proxy,
    hyperShift: hostedClusterApi !== undefined,
  });
}

export class EnvironmentProbe implements EnvironmentSource {
  private cached: { readonly at: number; readonly value: Promise<Environment> } | undefined;

  public constructor(
    private readonly kube: KubeApi,
    private readonly options: { readonly ttlMs?: number; readonly now?: () => number } = {},
  ) {}

  private cluster(): Promise<Environment> {
    const now = (this.options.now ?? Date.now)();
    const ttl = this.options.ttlMs ?? ENVIRONMENT_PROBE_INTERVAL_MS;
    if (this.cached !== undefined && now - this.cached.at < ttl) return this.cached.value;
    const value = probeEnvironment(this.kube);
    const entry = { at: now, value };
    this.cached = entry;
    // A failed probe is not kept: the next caller probes again.
    value.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return value;
  }

  public async environment(namespace: string): Promise<Environment> {
    const cluster = await this.cluster();
    if (namespace === '' || cluster.hyperShift === undefined) return cluster;
    const hostedClusters = await this.kube.list(HOSTED_CLUSTER.apiVersion, HOSTED_CLUSTER.kind, '');
    return environmentIn(cluster, namespace, hostedClusters);
  }
}
