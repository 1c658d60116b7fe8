/**
 * @module packages/environment
 * `.environment` of templates, CEL conditions and constraints, as PKO v1.19.0's environment manager builds it from
 * what the cluster shows (docs/pko-compatibility.md §1.10): the Kubernetes version, OpenShift (the last completed
 * update of the ClusterVersion `version`, the managed flag from the ConfigMap `openshift-config/osd-cluster-metadata`),
 * the cluster-wide Proxy `cluster` (only on OpenShift, only when it sets something) and HyperShift (its HostedCluster
 * API is served; a namespace that is a hosted cluster's control-plane namespace also gets that HostedCluster). The
 * objects are read by an adapter; this module only decides, from their raw JSON, parsed here.
 */
import { z } from 'zod';

export interface HostedClusterEnvironment {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>> | null;
    readonly annotations: Readonly<Record<string, string>> | null;
  };
  /** The control-plane namespace: `<namespace>-<name with dots as dashes>`. */
  readonly hostedClusterNamespace: string;
  readonly nodeSelector?: Readonly<Record<string, string>>;
}

/** PKO's `PackageEnvironment` as JSON (its `omitempty` fields left out when empty). */
export interface Environment {
  readonly kubernetes: { readonly version: string };
  readonly openShift?: {
    readonly version?: string;
    readonly managed?: { readonly data?: Readonly<Record<string, string>> | null };
  };
  readonly proxy?: { readonly httpProxy?: string; readonly httpsProxy?: string; readonly noProxy?: string };
  readonly hyperShift?: Readonly<Record<string, unknown>>;
}

/** What the cluster shows, as read (raw JSON; undefined: not there, or its kind is not served). */
export interface ClusterFacts {
  /** `/version`'s gitVersion. */
  readonly kubernetesVersion: string;
  /** The `config.openshift.io/v1` ClusterVersion `version`. */
  readonly clusterVersion?: unknown;
  /** The ConfigMap `openshift-config/osd-cluster-metadata` (read only on OpenShift). */
  readonly managedConfigMap?: unknown;
  /** The `config.openshift.io/v1` Proxy `cluster` (read only on OpenShift). */
  readonly proxy?: unknown;
  /** Whether the API server serves `hypershift.openshift.io/v1beta1` HostedCluster. */
  readonly hyperShift: boolean;
}

const stringMap = z.record(z.string(), z.string());

const clusterVersionSchema = z.object({
  status: z
    .object({
      history: z.array(z.object({ state: z.string().optional(), version: z.string().optional() })).optional(),
    })
    .optional(),
});

const configMapSchema = z.object({ data: stringMap.nullish() });

const proxySchema = z.object({
  status: z
    .object({
      httpProxy: z.string().optional(),
      httpsProxy: z.string().optional(),
      noProxy: z.string().optional(),
    })
    .optional(),
});

const hostedClusterSchema = z.object({
  metadata: z.object({
    name: z.string(),
    namespace: z.string().default(''),
    labels: stringMap.nullish(),
    annotations: stringMap.nullish(),
  }),
  spec: z.object({ nodeSelector: stringMap.nullish() }).optional(),
});

/** The version of the last completed update (history is newest first), as PKO reads it; '' when none completed. */
function openShiftVersion(clusterVersion: unknown): string {
  const parsed = clusterVersionSchema.safeParse(clusterVersion);
  const history = parsed.success ? (parsed.data.status?.history ?? []) : [];
  return history.find((h) => h.state === 'Completed')?.version ?? '';
}

function managedOf(configMap: unknown): { data: Readonly<Record<string, string>> | null } {
  const parsed = configMapSchema.safeParse(configMap);
  return { data: parsed.success ? (parsed.data.data ?? null) : null };
}

function proxyOf(proxy: unknown): Environment['proxy'] {
  const parsed = proxySchema.safeParse(proxy);
  const status = parsed.success ? (parsed.data.status ?? {}) : {};
  const out = {
    ...(status.httpProxy !== undefined && status.httpProxy !== '' ? { httpProxy: status.httpProxy } : {}),
    ...(status.httpsProxy !== undefined && status.httpsProxy !== '' ? { httpsProxy: status.httpsProxy } : {}),
    ...(status.noProxy !== undefined && status.noProxy !== '' ? { noProxy: status.noProxy } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The cluster-wide environment, as PKO's manager probes it. */
export function clusterEnvironment(facts: ClusterFacts): Environment {
  const openShift =
    facts.clusterVersion === undefined
      ? undefined
      : {
          version: openShiftVersion(facts.clusterVersion),
          ...(facts.managedConfigMap !== undefined ? { managed: managedOf(facts.managedConfigMap) } : {}),
        };
  const proxy = openShift !== undefined && facts.proxy !== undefined ? proxyOf(facts.proxy) : undefined;
  return {
    kubernetes: { version: facts.kubernetesVersion },
    ...(openShift !== undefined ? { openShift } : {}),
    ...(proxy !== undefined ? { proxy } : {}),
    ...(facts.hyperShift ? { hyperShift: { hostedCluster: null } } : {}),
  };
}

/** A HostedCluster's control-plane namespace, as HyperShift names it. */
export function hostedClusterNamespace(namespace: string, name: string): string {
  return `${namespace}-${name.replaceAll('.', '-')}`;
}

/**
 * The environment of an object in `namespace` ('' for cluster-scoped ones): with HyperShift, the first
 * HostedCluster whose control-plane namespace it is fills `hyperShift.hostedCluster`.
 */
export function environmentIn(
  cluster: Environment,
  namespace: string,
  hostedClusters: readonly unknown[],
): Environment {
  if (namespace === '' || cluster.hyperShift === undefined) return cluster;
  for (const raw of hostedClusters) {
    const parsed = hostedClusterSchema.safeParse(raw);
    if (!parsed.success) continue;
    const { metadata, spec } = parsed.data;
    const controlPlane = hostedClusterNamespace(metadata.namespace, metadata.name);
    if (controlPlane !== namespace) continue;
    const nodeSelector = spec?.nodeSelector;
    const hostedCluster: HostedClusterEnvironment = {
      metadata: {
        name: metadata.name,
        namespace: metadata.namespace,
        labels: metadata.labels ?? null,
        annotations: metadata.annotations ?? null,
      },
      hostedClusterNamespace: controlPlane,
      ...(nodeSelector !== undefined && nodeSelector !== null && Object.keys(nodeSelector).length > 0
        ? { nodeSelector }
        : {}),
    };
    return { ...cluster, hyperShift: { hostedCluster } };
  }
  return cluster;
}
