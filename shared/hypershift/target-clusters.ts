/**
 * @module hypershift/target-clusters
 * One runner serving the remote phases of many hosted clusters (`gantry run --phase-class hosted-cluster
 * --hosted-clusters`), as pure decisions: which HostedCluster a control-plane namespace belongs to
 * (`<namespace>-<name, dots as dashes>`, HyperShift's convention), which Secret holds its admin kubeconfig
 * (`status.kubeconfig.name`, HyperShift's JSON field, in the HostedCluster's namespace, key `kubeconfig`), the kubeconfig text read from it
 * (zod at the boundary; never echoed into messages), and the shard key that keeps every phase of one cluster on
 * one replica. Pure.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { hostedClusterNamespace } from '../packages/environment.js';
import { LABEL_PHASE_CLASS } from '../api/constants.js';
import { hostedClusterSchema } from './hosted-cluster.js';
import type { KubeObject } from '../ports.js';

/** A watch-less host remembers a control-plane namespace's HostedCluster this long (its Secret is read each step). */
export const HOSTED_CLUSTER_LOOKUP_TTL_MS = 10_000;

/** A HostedCluster as the fleet of targets sees it. */
export interface TargetHostedCluster {
  /** `<namespace>/<name>`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** Its control-plane namespace, where its ObjectSetPhases live. */
  readonly controlPlaneNamespace: string;
  /** The Secret `status.kubeconfig.name` names (in `namespace`); undefined until HyperShift reports it. */
  readonly secretName?: string;
  readonly deleting: boolean;
}

/** A HostedCluster object read as a target; undefined when malformed. */
export function targetHostedClusterOf(object: KubeObject): TargetHostedCluster | undefined {
  const parsed = hostedClusterSchema.safeParse(object);
  if (!parsed.success) return undefined;
  const { metadata, status } = parsed.data;
  const secretName = status?.kubeconfig?.name;
  return {
    id: `${metadata.namespace}/${metadata.name}`,
    namespace: metadata.namespace,
    name: metadata.name,
    uid: metadata.uid,
    controlPlaneNamespace: hostedClusterNamespace(metadata.namespace, metadata.name),
    ...(secretName !== undefined ? { secretName } : {}),
    deleting: metadata.deletionTimestamp !== undefined,
  };
}

const secretSchema = z.object({
  metadata: z.object({ resourceVersion: z.string().optional() }).loose(),
  data: z.record(z.string(), z.string()).optional(),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The admin kubeconfig of a HostedCluster from its Secret (key `kubeconfig`, base64 as the API serves it), with a
 * fingerprint that changes with the content; a message (naming the Secret and the key, never the content) when the
 * Secret has no usable kubeconfig.
 */
export function kubeconfigOfSecret(
  secret: KubeObject,
  where: string,
): { readonly text: string; readonly fingerprint: string } | { readonly error: string } {
  const parsed = secretSchema.safeParse(secret);
  if (!parsed.success) return { error: `Secret ${where} is malformed` };
  const data = parsed.data.data?.['kubeconfig'];
  if (data === undefined || data === '') return { error: `Secret ${where} has no key "kubeconfig"` };
  if (!BASE64.test(data)) return { error: `Secret ${where}: key "kubeconfig" is not base64` };
  const text = Buffer.from(data, 'base64').toString('utf8');
  return { text, fingerprint: createHash('sha256').update(text).digest('hex') };
}

/** The HostedCluster whose control-plane namespace is `namespace` (not one being deleted), if any. */
export function hostedClusterOfNamespace(
  clusters: Iterable<TargetHostedCluster>,
  namespace: string,
): TargetHostedCluster | undefined {
  for (const c of clusters) if (c.controlPlaneNamespace === namespace && !c.deleting) return c;
  return undefined;
}

/**
 * The shard key of an object served by a many-clusters runner: its namespace (a control-plane namespace is one
 * hosted cluster), so every phase of one cluster lands on the same replica (one client, one set of watches per
 * cluster per replica). Cluster-scoped objects keep their own key.
 */
export function clusterShardKey(ref: { readonly namespace: string }, key: string): string {
  return ref.namespace === '' ? key : `namespace/${ref.namespace}`;
}

/**
 * The HostedClusters a control-plane namespace may belong to, for a host that looks them up by GET (no watch):
 * `<namespace>-<name>` split at each dash, the namespace part shortest first (HyperShift's usual `clusters-…`
 * found with the first GET). A name with dots (dashes in the namespace) is not among them: only a LIST finds it.
 */
export function hostedClusterCandidates(
  controlPlaneNamespace: string,
): { readonly namespace: string; readonly name: string }[] {
  const candidates: { namespace: string; name: string }[] = [];
  for (let i = controlPlaneNamespace.indexOf('-'); i !== -1; i = controlPlaneNamespace.indexOf('-', i + 1)) {
    const namespace = controlPlaneNamespace.slice(0, i);
    const name = controlPlaneNamespace.slice(i + 1);
    if (namespace !== '' && name !== '') candidates.push({ namespace, name });
  }
  return candidates;
}

/**
 * The shard key a watch-less host (`gantry serve --hosted-clusters`, the Lambda) gives an object of its schedule
 * tick: an ObjectSetPhase of a class applied into hosted clusters is keyed by its namespace, as the runner does
 * ({@link clusterShardKey}), so all phases of one cluster are on one replica; any other object keeps its key.
 */
export function tickShardKey(
  object: { readonly kind: string; readonly metadata: KubeObject['metadata'] },
  key: string,
  remoteClasses: readonly string[],
): string {
  if (object.kind !== 'ObjectSetPhase') return key;
  const phaseClass = object.metadata.labels?.[LABEL_PHASE_CLASS] ?? '';
  return remoteClasses.includes(phaseClass)
    ? clusterShardKey({ namespace: object.metadata.namespace ?? '' }, key)
    : key;
}
