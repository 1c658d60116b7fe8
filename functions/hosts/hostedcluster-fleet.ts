/**
 * @module hosts/hostedcluster-fleet
 * PKO's HostedClusterPackage controller beside the runner (`gantry run`): once the API server serves HyperShift's
 * HostedCluster and the HostedClusterPackage CRD (looked for at start, then every minute, as PKO's manager enables
 * it with its HostedCluster controller), it lists and watches HostedClusterPackages, Packages and HostedClusters.
 * A HostedClusterPackage's event runs its key; a Package's event runs the HostedClusterPackage its controller owner
 * reference names (PKO's `Owns`); a HostedCluster's event runs every HostedClusterPackage known (PKO's map
 * function). Each key runs `reconcileHostedClusterPackage` through its own small queue.
 */
import { setMaxListeners } from 'node:events';
import { API_VERSION } from '../../shared/api/constants.js';
import { controllerOf } from '../../shared/api/objects.js';
import { errorMessage } from '../../shared/errors.js';
import { HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND } from '../../shared/hypershift/hosted-cluster.js';
import { HOSTED_CLUSTER_PACKAGE_KIND } from '../../shared/hypershift/fleet-rollout.js';
import type { KubeObject } from '../../shared/ports.js';
import type { RawKubeClient } from '../adapters/kube/client.js';
import { reconcileHostedClusterPackage } from '../steps/hostedclusterpackage.js';
import { WorkQueue } from './queue.js';
import { isServed, waitUntilServed, watchObjects, type ServedKind } from './simple-watch.js';

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
  private readonly abort = new AbortController();
  private readonly queue: WorkQueue;
  private readonly loops: Promise<void>[] = [];
  /** The HostedClusterPackages seen (a HostedCluster's event runs them all). */
  private readonly known = new Set<string>();

  public constructor(private readonly options: HostedClusterFleetOptions) {
    setMaxListeners(0, this.abort.signal);
    const now = options.now ?? ((): Date => new Date());
    this.queue = new WorkQueue({
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
  }

  /** Start: the watches once both APIs are served (resolves at once; the first look is made here). */
  public async start(): Promise<void> {
    if (
      (await isServed(this.api(HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND))) &&
      (await this.ownApi())
    ) {
      this.watchAll();
      return;
    }
    this.loops.push(this.waitForApis());
  }

  public async stop(): Promise<void> {
    this.abort.abort();
    await this.queue.stop();
    await Promise.allSettled(this.loops);
  }

  private api(apiVersion: string, kind: string): ServedKind {
    return { client: this.options.client, apiVersion, kind, log: this.options.log };
  }

  private ownApi(): Promise<boolean> {
    return isServed(this.api(API_VERSION, HOSTED_CLUSTER_PACKAGE_KIND));
  }

  private async waitForApis(): Promise<void> {
    const kinds = [
      this.api(HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND),
      this.api(API_VERSION, HOSTED_CLUSTER_PACKAGE_KIND),
    ];
    if (!(await waitUntilServed(kinds, this.options.pollMs ?? FLEET_API_POLL_MS, this.abort.signal))) return;
    this.options.log('detected the HostedCluster API: rolling out HostedClusterPackages');
    this.watchAll();
  }

  private watchAll(): void {
    this.loops.push(
      this.watch(API_VERSION, HOSTED_CLUSTER_PACKAGE_KIND, (o) => {
        this.known.add(o.metadata.name);
        return [o.metadata.name];
      }),
      this.watch(API_VERSION, 'Package', (o) => {
        const owner = ownerOf(o);
        return owner === undefined ? [] : [owner];
      }),
      this.watch(HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND, () => [...this.known]),
    );
  }

  private watch(
    apiVersion: string,
    kind: string,
    keysFor: (o: KubeObject) => readonly string[],
  ): Promise<void> {
    return watchObjects({
      client: this.options.client,
      apiVersion,
      kind,
      signal: this.abort.signal,
      log: this.options.log,
      onObject: (object) => {
        for (const key of keysFor(object)) this.queue.add(key);
      },
    });
  }
}
