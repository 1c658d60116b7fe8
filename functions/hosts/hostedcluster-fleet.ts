/**
 * @module hosts/hostedcluster-fleet
 * PKO's HostedClusterPackage controller beside the runner (`gantry run`): once the API server serves HyperShift's
 * HostedCluster and the HostedClusterPackage CRD (looked for at start, then every minute, as PKO's manager enables
 * it with its HostedCluster controller), it lists and watches HostedClusterPackages, Packages and HostedClusters.
 * A HostedClusterPackage's event runs its key; a Package's event runs the HostedClusterPackage its controller owner
 * reference names (PKO's `Owns`); a HostedCluster's event runs every HostedClusterPackage known (PKO's map
 * function). Each key runs `reconcileHostedClusterPackage` through its own small queue.
 */
import { API_VERSION } from '../../shared/api/constants.js';
import { controllerOf } from '../../shared/api/objects.js';
import { errorMessage } from '../../shared/errors.js';
import { HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND } from '../../shared/hypershift/hosted-cluster.js';
import { HOSTED_CLUSTER_PACKAGE_KIND } from '../../shared/hypershift/fleet-rollout.js';
import type { KubeObject } from '../../shared/ports.js';
import type { RawKubeClient } from '../adapters/kube/client.js';
import { reconcileHostedClusterPackage } from '../steps/hostedclusterpackage.js';
import { WorkQueue } from './queue.js';
import { ServedWatches } from './simple-watch.js';

/** How often a runner looks for the HostedCluster and HostedClusterPackage APIs while they are not served. */
const FLEET_API_POLL_MS = 600_000;

export interface HostedClusterFleetOptions {
  readonly client: RawKubeClient;
  readonly log: (message: string) => void;
  /**
   * How often the APIs are looked for while they are not served (default 10 minutes: this controller runs in
   * every `gantry run`, and an idle runner on a cluster without HyperShift should make no requests).
   */
  readonly pollMs?: number;
  readonly now?: () => Date;
}

/** The HostedClusterPackage a Package belongs to: its controller owner reference. */
function ownerOf(pkg: KubeObject): string | undefined {
  const owner = controllerOf(pkg.metadata);
  return owner?.kind === HOSTED_CLUSTER_PACKAGE_KIND && owner.apiVersion === API_VERSION
    ? owner.name
    : undefined;
}

export class HostedClusterFleet {
  private readonly watches: ServedWatches;
  /** The HostedClusterPackages seen (a HostedCluster's event runs them all). */
  private readonly known = new Set<string>();

  public constructor(options: HostedClusterFleetOptions) {
    const now = options.now ?? ((): Date => new Date());
    const queue = new WorkQueue({
      concurrency: 2,
      ratePerSecond: 20,
      run: async (name) => {
        const { outcome, actions, requeueAfterMs } = await reconcileHostedClusterPackage(
          name,
          options.client,
          now,
        );
        if (outcome === 'gone') this.known.delete(name);
        for (const action of actions) options.log(`HostedClusterPackage ${name}: ${action}`);
        // A conflict runs again now; a progress deadline at the moment it passes.
        return outcome === 'conflict' ? 0 : requeueAfterMs;
      },
      onError: (name, error) => {
        options.log(`HostedClusterPackage ${name}: ${errorMessage(error)}`);
      },
    });
    this.watches = new ServedWatches({
      client: options.client,
      requires: [
        { apiVersion: HOSTED_CLUSTER_API_VERSION, kind: HOSTED_CLUSTER_KIND },
        { apiVersion: API_VERSION, kind: HOSTED_CLUSTER_PACKAGE_KIND },
      ],
      watches: [
        {
          apiVersion: API_VERSION,
          kind: HOSTED_CLUSTER_PACKAGE_KIND,
          keysFor: (o) => {
            this.known.add(o.metadata.name);
            return [o.metadata.name];
          },
        },
        {
          apiVersion: API_VERSION,
          kind: 'Package',
          keysFor: (o) => {
            const owner = ownerOf(o);
            return owner === undefined ? [] : [owner];
          },
        },
        { apiVersion: HOSTED_CLUSTER_API_VERSION, kind: HOSTED_CLUSTER_KIND, keysFor: () => [...this.known] },
      ],
      queue,
      pollMs: options.pollMs ?? FLEET_API_POLL_MS,
      detected: 'detected the HostedCluster API: rolling out HostedClusterPackages',
      log: options.log,
    });
  }

  /** Start: the watches once both APIs are served (resolves at once; the first look is made here). */
  public start(): Promise<void> {
    return this.watches.start();
  }

  public stop(): Promise<void> {
    return this.watches.stop();
  }
}
