/**
 * @module hosts/hostedclusters
 * `gantry run --package-operator-package-image IMAGE`: PKO's HostedCluster controller beside the runner. Once the
 * API server serves HyperShift's HostedCluster (looked for at start, then every minute, as PKO's manager does), it
 * lists and watches HostedClusters and Packages; a HostedCluster's event runs its key, and so does an event of a
 * Package whose owners annotation names a HostedCluster as controller (a Package deleted or edited by hand is put
 * back). Each key runs `reconcileHostedCluster` through its own small queue.
 */
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
import { ServedWatches } from './simple-watch.js';

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
  private readonly watches: ServedWatches;

  public constructor(options: HostedClusterPackagesOptions) {
    const queue = new WorkQueue({
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
    const one = (key: string | undefined): readonly string[] => (key === undefined ? [] : [key]);
    this.watches = new ServedWatches({
      client: options.client,
      requires: [{ apiVersion: HOSTED_CLUSTER_API_VERSION, kind: HOSTED_CLUSTER_KIND }],
      watches: [
        {
          apiVersion: HOSTED_CLUSTER_API_VERSION,
          kind: HOSTED_CLUSTER_KIND,
          keysFor: (o) => one(keyOf(o.metadata.namespace ?? '', o.metadata.name)),
        },
        { apiVersion: API_VERSION, kind: 'Package', keysFor: (o) => one(ownerKeyOf(o)) },
      ],
      queue,
      pollMs: options.pollMs ?? 60_000,
      detected: 'detected the HostedCluster API: making a Package for every available HostedCluster',
      log: options.log,
    });
  }

  /** Start: the watches once HostedClusters are served (resolves at once; the first look is made here). */
  public start(): Promise<void> {
    return this.watches.start();
  }

  public stop(): Promise<void> {
    return this.watches.stop();
  }
}
