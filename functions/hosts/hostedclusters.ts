/**
 * @module hosts/hostedclusters
 * `gantry run --package-operator-package-image IMAGE`: PKO's HostedCluster controller beside the runner. Once the
 * API server serves HyperShift's HostedCluster (looked for at start, then every minute, as PKO's manager does), it
 * lists and watches HostedClusters and Packages; a HostedCluster's event runs its key, and so does an event of a
 * Package whose owners annotation names a HostedCluster as controller (a Package deleted or edited by hand is put
 * back). Each key runs `reconcileHostedCluster` through its own small queue.
 */
import { setMaxListeners } from 'node:events';
import { API_VERSION } from '../../shared/api/constants.js';
import { errorMessage } from '../../shared/errors.js';
import {
  HOSTED_CLUSTER_API_VERSION,
  HOSTED_CLUSTER_KIND,
  REMOTE_PHASE_PACKAGE,
  type HostedClusterPackageSettings,
} from '../../shared/hypershift/hosted-cluster.js';
import { annotationOwners } from '../../shared/phases/owners.js';
import type { KubeObject } from '../../shared/ports.js';
import type { RawKubeClient } from '../adapters/kube/client.js';
import { reconcileHostedCluster } from '../steps/hostedcluster.js';
import { WorkQueue } from './queue.js';
import { isServed, waitUntilServed, watchObjects, type ServedKind } from './simple-watch.js';

export interface HostedClusterPackagesOptions {
  readonly client: RawKubeClient;
  readonly settings: HostedClusterPackageSettings;
  readonly log: (message: string) => void;
  /** How often the HostedCluster API is looked for while it is not served (default 60 s). */
  readonly pollMs?: number;
}

/** The key of a HostedCluster: `namespace/name`. */
function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The HostedCluster a Package belongs to: the HostedCluster controller of its owners annotation. */
function ownerKeyOf(pkg: KubeObject): string | undefined {
  if (pkg.metadata.name !== REMOTE_PHASE_PACKAGE) return undefined;
  const owner = annotationOwners(pkg.metadata).find(
    (o) =>
      o.controller === true &&
      o.kind === HOSTED_CLUSTER_KIND &&
      o.apiVersion.startsWith('hypershift.openshift.io/'),
  );
  return owner === undefined ? undefined : keyOf(owner.namespace, owner.name);
}

export class HostedClusterPackages {
  private readonly abort = new AbortController();
  private readonly queue: WorkQueue;
  private readonly loops: Promise<void>[] = [];

  public constructor(private readonly options: HostedClusterPackagesOptions) {
    setMaxListeners(0, this.abort.signal);
    this.queue = new WorkQueue({
      concurrency: 2,
      ratePerSecond: 20,
      run: async (key) => {
        const [namespace = '', name = ''] = key.split('/');
        const outcome = await reconcileHostedCluster({ namespace, name }, options.client, options.settings);
        if (outcome === 'created' || outcome === 'updated')
          options.log(
            `HostedCluster ${key}: ${outcome} Package ${namespace}-${name.replaceAll('.', '-')}/${REMOTE_PHASE_PACKAGE}`,
          );
        return outcome === 'conflict' ? 0 : undefined;
      },
      onError: (key, error) => {
        options.log(`HostedCluster ${key}: ${errorMessage(error)}`);
      },
    });
  }

  /** Start: the watches once HostedClusters are served (resolves at once; the first look is made here). */
  public async start(): Promise<void> {
    if (await isServed(this.hostedClusterApi())) {
      this.watchAll();
      return;
    }
    this.loops.push(this.waitForApi());
  }

  public async stop(): Promise<void> {
    this.abort.abort();
    await this.queue.stop();
    await Promise.allSettled(this.loops);
  }

  private hostedClusterApi(): ServedKind {
    return {
      client: this.options.client,
      apiVersion: HOSTED_CLUSTER_API_VERSION,
      kind: HOSTED_CLUSTER_KIND,
      log: this.options.log,
    };
  }

  private async waitForApi(): Promise<void> {
    if (!(await waitUntilServed([this.hostedClusterApi()], this.options.pollMs ?? 60_000, this.abort.signal)))
      return;
    this.options.log('detected the HostedCluster API: making a Package for every available HostedCluster');
    this.watchAll();
  }

  private watchAll(): void {
    this.loops.push(
      this.watch(HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND, (o) =>
        keyOf(o.metadata.namespace ?? '', o.metadata.name),
      ),
      this.watch(API_VERSION, 'Package', ownerKeyOf),
    );
  }

  private watch(
    apiVersion: string,
    kind: string,
    keyFor: (o: KubeObject) => string | undefined,
  ): Promise<void> {
    return watchObjects({
      client: this.options.client,
      apiVersion,
      kind,
      signal: this.abort.signal,
      log: this.options.log,
      onObject: (object) => {
        const key = keyFor(object);
        if (key !== undefined) this.queue.add(key);
      },
    });
  }
}
