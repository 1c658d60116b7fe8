/**
 * @module steps/hostedcluster
 * One reconcile of a HyperShift HostedCluster, as PKO's HostedCluster controller (shared/hypershift): read it and
 * its Package `remote-phase`, then create that Package or put its spec back. Level-based and idempotent: the key is
 * the HostedCluster, everything else is read.
 */
import { getOrUndefined, isConflict, isKubeReason } from '../../shared/kube-errors.js';
import {
  decideHostedCluster,
  HOSTED_CLUSTER_API_VERSION,
  HOSTED_CLUSTER_KIND,
  remotePhasePackageRef,
  type HostedClusterPackageSettings,
} from '../../shared/hypershift/hosted-cluster.js';
import type { KubeApi } from '../../shared/ports.js';

export type HostedClusterOutcome =
  'gone' | 'deleting' | 'unavailable' | 'malformed' | 'created' | 'updated' | 'unchanged' | 'conflict';

/** The HostedCluster `namespace/name`: what its Package needs (a conflict: run again). */
export async function reconcileHostedCluster(
  hc: { readonly namespace: string; readonly name: string },
  kube: KubeApi,
  settings: HostedClusterPackageSettings,
): Promise<HostedClusterOutcome> {
  const raw = await getOrUndefined(kube, {
    apiVersion: HOSTED_CLUSTER_API_VERSION,
    kind: HOSTED_CLUSTER_KIND,
    ...hc,
  });
  if (raw === undefined) return 'gone';
  const existing = await getOrUndefined(kube, remotePhasePackageRef(hc));
  const decision = decideHostedCluster(raw, existing, settings);
  try {
    if (decision.kind === 'create') {
      await kube.create(decision.pkg);
      return 'created';
    }
    if (decision.kind === 'update') {
      await kube.update(decision.pkg);
      return 'updated';
    }
  } catch (error) {
    if (isConflict(error) || isKubeReason(error, 'AlreadyExists')) return 'conflict';
    throw error;
  }
  return decision.kind;
}
