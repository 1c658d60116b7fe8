/**
 * @module steps/hostedclusterpackage
 * One reconcile of a HostedClusterPackage, as PKO v1.19.0's controller (shared/hypershift/fleet-rollout.ts): the
 * processing queue rebuilt from its Packages, the Available HostedClusters its selector matches indexed with their
 * Package, the missing Packages created, the Packages the strategy allows updated (the queue persisted first), then
 * everything read again and the status written when it changed; with a progress deadline
 * (`gantry.run/cluster-progress-deadline`) it asks to run again the moment the next one passes (a stuck Package
 * sends no more events), and a Package it creates or updates records when (`gantry.run/template-applied-at`, in
 * the same write as the spec). Level-based and idempotent: the key is the
 * HostedClusterPackage's name; every write is resourceVersion-guarded (a conflict: run again).
 */
import { API_VERSION } from '../../shared/api/constants.js';
import { parseKubeObject } from '../../shared/api/objects.js';
import { getOrUndefined, isConflict, isKubeReason } from '../../shared/kube-errors.js';
import { HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND } from '../../shared/hypershift/hosted-cluster.js';
import type { FleetMember, FleetPackage } from '../../shared/hypershift/hosted-cluster-package.js';
import {
  fleetPackage,
  fleetPackageOf,
  fleetPackageRef,
  fleetStatus,
  hostedClusterPackageRef,
  parseHostedClusterPackage,
  planRollout,
  rebuildProcessing,
  selectsHostedCluster,
  stopAction,
  type HostedClusterPackage,
  type ProcessingRef,
} from '../../shared/hypershift/fleet-rollout.js';
import { canonicalJson } from '../../shared/render/hash.js';
import type { KubeApi, KubeObject } from '../../shared/ports.js';

export type HostedClusterPackageOutcome = 'gone' | 'deleting' | 'malformed' | 'reconciled' | 'conflict';

export interface HostedClusterPackageResult {
  readonly outcome: HostedClusterPackageOutcome;
  /** What was done, for the log: `created <ns>/<name>`, `updated <ns>/<name>`, `stopped …`. */
  readonly actions: readonly string[];
  /** Run again in this many ms: the moment an updated Package's progress deadline passes. */
  readonly requeueAfterMs?: number;
}

interface IndexedHostedCluster {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly pkg?: KubeObject;
}

interface Fleet {
  readonly members: FleetMember[];
  readonly clusters: IndexedHostedCluster[];
}

/** PKO's `indexPackageState`: the selected Available HostedClusters and their Package. */
async function indexFleet(kube: KubeApi, hcpkg: HostedClusterPackage): Promise<Fleet> {
  const hostedClusters = await kube.list(HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND, '');
  const members: FleetMember[] = [];
  const clusters: IndexedHostedCluster[] = [];
  for (const hc of hostedClusters) {
    if (!selectsHostedCluster(hcpkg, hc)) continue;
    const at = { namespace: hc.metadata.namespace ?? '', name: hc.metadata.name };
    const pkg = await getOrUndefined(kube, fleetPackageRef(hcpkg.metadata.name, at));
    const fleetPkg = pkg === undefined ? undefined : fleetPackageOf(pkg);
    const uid = hc.metadata.uid ?? `${at.namespace}/${at.name}`;
    members.push({
      hostedCluster: { uid, labels: hc.metadata.labels ?? {} },
      ...(fleetPkg !== undefined ? { pkg: fleetPkg } : {}),
    });
    clusters.push({ ...at, uid, ...(pkg !== undefined ? { pkg } : {}) });
  }
  return { members, clusters };
}

/** The Packages of the processing queue as they are now, keyed `namespace/name`. */
async function processingPackages(
  kube: KubeApi,
  hcpkg: HostedClusterPackage,
): Promise<Map<string, FleetPackage>> {
  const found = new Map<string, FleetPackage>();
  for (const ref of hcpkg.status?.processing ?? []) {
    const raw = await getOrUndefined(kube, {
      apiVersion: API_VERSION,
      kind: 'Package',
      namespace: ref.namespace ?? '',
      name: ref.name,
    });
    const pkg = raw === undefined ? undefined : fleetPackageOf(raw);
    if (pkg !== undefined) found.set(`${ref.namespace ?? ''}/${ref.name}`, pkg);
  }
  return found;
}

async function writeStatus(
  raw: KubeObject,
  status: Record<string, unknown>,
  kube: KubeApi,
): Promise<KubeObject> {
  const written = await kube.updateStatus({ ...raw, status });
  return parseKubeObject(written) ?? written;
}

/** The HostedClusterPackage `name`: its Packages created and updated, its status written. */
export async function reconcileHostedClusterPackage(
  name: string,
  kube: KubeApi,
  now: () => Date,
): Promise<HostedClusterPackageResult> {
  let raw = await getOrUndefined(kube, hostedClusterPackageRef(name));
  if (raw === undefined) return { outcome: 'gone', actions: [] };
  const parsed = parseHostedClusterPackage(raw);
  if (!parsed.ok) return { outcome: 'malformed', actions: [parsed.message] };
  const hcpkg = parsed.value;
  if (hcpkg.metadata.deletionTimestamp !== undefined) return { outcome: 'deleting', actions: [] };
  const actions: string[] = [];
  try {
    let processing: readonly ProcessingRef[] = rebuildProcessing(
      hcpkg,
      await processingPackages(kube, hcpkg),
    );
    const fleet = await indexFleet(kube, hcpkg);
    const byPkgUid = new Map(
      fleet.clusters.flatMap((c) =>
        c.pkg?.metadata.uid === undefined ? [] : [[c.pkg.metadata.uid, c] as const],
      ),
    );
    const plan = planRollout(
      hcpkg,
      processing,
      fleet.members,
      (uid) => {
        const c = byPkgUid.get(uid);
        return c?.pkg === undefined || c.pkg.metadata.uid === undefined
          ? undefined
          : { uid: c.pkg.metadata.uid, name: c.pkg.metadata.name, namespace: c.pkg.metadata.namespace ?? '' };
      },
      now(),
    );
    for (const c of fleet.clusters.filter((x) => plan.create.includes(x.uid))) {
      const created = await kube.create(fleetPackage(hcpkg, c, undefined, now()));
      actions.push(`created Package ${created.metadata.namespace ?? ''}/${created.metadata.name}`);
    }
    if (plan.update.length > 0) {
      processing = plan.processing;
      raw = await writeStatus(raw, { ...hcpkg.status, processing }, kube);
      for (const uid of plan.update) {
        const c = byPkgUid.get(uid);
        if (c?.pkg === undefined) continue;
        await kube.update(fleetPackage(hcpkg, c, c.pkg, now()));
        actions.push(`updated Package ${c.pkg.metadata.namespace ?? ''}/${c.pkg.metadata.name}`);
      }
    }
    const at = now();
    const after = planRollout(
      hcpkg,
      processing,
      (await indexFleet(kube, hcpkg)).members,
      () => undefined,
      at,
    );
    const status = fleetStatus(
      hcpkg,
      { state: after.state, processing, ...(after.stop !== undefined ? { stop: after.stop } : {}) },
      at,
    );
    if (canonicalJson(status) !== canonicalJson(raw['status'] ?? {})) {
      await writeStatus(raw, status, kube);
      if (after.stop !== undefined) actions.push(stopAction(after.stop));
    }
    if (after.recheckInMs !== undefined)
      return { outcome: 'reconciled', actions, requeueAfterMs: after.recheckInMs };
  } catch (error) {
    if (isConflict(error) || isKubeReason(error, 'AlreadyExists')) return { outcome: 'conflict', actions };
    throw error;
  }
  return { outcome: 'reconciled', actions };
}
