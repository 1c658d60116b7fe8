/**
 * @module hosts/hosted-cluster-targets
 * `gantry run --phase-class hosted-cluster --hosted-clusters`: one runner serving the remote phases of every hosted
 * cluster. It lists and watches HyperShift's HostedClusters in the management cluster; the target of an
 * ObjectSetPhase in control-plane namespace `<ns>-<name>` is the HostedCluster `<ns>/<name>`'s cluster, reached
 * with the admin kubeconfig of the Secret its `status.kubeconfig.name` names (key `kubeconfig`, read when a phase
 * needs it). Clients are made lazily, with at most `maxSockets` request connections each, and at most
 * `maxClusters` of them are kept (the least recently used is closed); a Secret whose kubeconfig changed gets a new
 * client. Each client carries a signal that aborts when it is closed (evicted, rebuilt, its HostedCluster deleted),
 * which ends the runner's watches of that cluster.
 *
 * Watch-less (`lookup`: `gantry serve --hosted-clusters`, the Lambda): nothing is listed or watched; a phase's
 * HostedCluster is found when its step needs it, by GET of the names its control-plane namespace may split into
 * (a LIST, at most every 5 s, only for a name with dots), and remembered for `lookup.ttlMs`; its Secret is read
 * at every step as in the runner, so a changed kubeconfig gets a new client at the next step.
 */
import { setMaxListeners } from 'node:events';
import { LRUCache } from 'lru-cache';
import { errorMessage, TerminalError } from '../../shared/errors.js';
import { HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND } from '../../shared/hypershift/hosted-cluster.js';
import {
  hostedClusterCandidates,
  hostedClusterOfNamespace,
  kubeconfigOfSecret,
  targetHostedClusterOf,
  type TargetHostedCluster,
} from '../../shared/hypershift/target-clusters.js';
import { isNotFound, KubeApiError } from '../../shared/kube-errors.js';
import type { KubeObject } from '../../shared/ports.js';
import { RawKubeClient, type RequestObserver } from '../adapters/kube/client.js';
import { connectionFromKubeconfig } from '../adapters/kube/lite-kubeconfig.js';
import type { TargetResolution, TargetResolver } from '../steps/types.js';
import { isServed, waitUntilServed, watchObjects, type WatchClient } from './simple-watch.js';

/** What the fleet asks of the management cluster's client. */
export type ManagementClient = WatchClient & Pick<RawKubeClient, 'resource' | 'list' | 'get'>;

export interface HostedClusterTargetsOptions {
  /** The management cluster's client. */
  readonly client: ManagementClient;
  /** Clients kept at once (default 64); the least recently used is closed. */
  readonly maxClusters?: number;
  /** Request connections per cluster (default 4; watches have their own). */
  readonly maxSockets?: number;
  /** A request to a hosted cluster that takes longer fails (default 15 s). */
  readonly requestTimeoutMs?: number;
  readonly observe?: RequestObserver;
  readonly log: (message: string) => void;
  /** How often the HostedCluster API is looked for while it is not served (default 60 s). */
  readonly pollMs?: number;
  /**
   * Watch-less: no LIST or watch at start; a namespace's HostedCluster is looked up (GET) when a step needs it and
   * remembered this long (`ttlMs`), a namespace of none too.
   */
  readonly lookup?: { readonly ttlMs: number };
}

/** The client of one hosted cluster, while it is open. */
export interface ClusterClient {
  /** `<namespace>/<name>` of the HostedCluster. */
  readonly cluster: string;
  /** Its control-plane namespace (`<namespace>-<name>`), where its ObjectSetPhases live. */
  readonly controlPlaneNamespace: string;
  readonly client: RawKubeClient;
  /** Aborted when the client is closed. */
  readonly signal: AbortSignal;
}

interface Entry extends ClusterClient {
  readonly fingerprint: string;
  readonly uid: string;
  readonly abort: AbortController;
}

const REQUEST_TIMEOUT_MS = 15_000;
/** A fresh LIST at most this often when a namespace names no known HostedCluster. */
const RELIST_MS = 5_000;
/** Watch-less: namespaces whose lookup is remembered at most. */
const LOOKUPS_KEPT = 4096;

export class HostedClusterTargets implements TargetResolver {
  private readonly abort = new AbortController();
  private readonly clusters = new Map<string, TargetHostedCluster>();
  private readonly clients: LRUCache<string, Entry>;
  private readonly loops: Promise<void>[] = [];
  private listedAt = 0;
  private served = false;
  /** Watch-less: what each namespace's lookup found (undefined: no HostedCluster), for `lookup.ttlMs`. */
  private readonly lookups: LRUCache<string, { readonly hc: TargetHostedCluster | undefined }> | undefined;
  /** Watch-less: when the HostedCluster API was last looked for while not served. */
  private servedCheckedAt = 0;
  /** Called with a control-plane namespace whose cluster changed (its HostedCluster, or its client rebuilt). */
  private changed: (namespace: string) => void = () => undefined;

  public constructor(private readonly options: HostedClusterTargetsOptions) {
    setMaxListeners(0, this.abort.signal);
    this.lookups =
      options.lookup === undefined
        ? undefined
        : new LRUCache({ max: LOOKUPS_KEPT, ttl: options.lookup.ttlMs, ttlAutopurge: false });
    this.clients = new LRUCache<string, Entry>({
      max: options.maxClusters ?? 64,
      // Its watches end at once; its connections close a request timeout later, so a step still using it finishes.
      dispose: (entry) => {
        entry.abort.abort();
        if (this.abort.signal.aborted) entry.client.close();
        else
          setTimeout(() => {
            entry.client.close();
          }, this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS).unref();
      },
    });
  }

  /** Who hears of a cluster that changed (the runner: it runs that namespace's phases again). */
  public onChange(listener: (namespace: string) => void): void {
    this.changed = listener;
  }

  /** List the HostedClusters (once their API is served) and watch them. */
  public async start(): Promise<void> {
    if (this.lookups !== undefined) return;
    const kind = {
      client: this.options.client,
      apiVersion: HOSTED_CLUSTER_API_VERSION,
      kind: HOSTED_CLUSTER_KIND,
      log: this.options.log,
    };
    if (await isServed(kind)) await this.begin();
    else
      this.loops.push(
        waitUntilServed([kind], this.options.pollMs ?? 60_000, this.abort.signal).then(async (served) => {
          if (served) await this.begin();
        }),
      );
  }

  public stop(): void {
    this.abort.abort();
    this.clients.clear();
  }

  private async begin(): Promise<void> {
    this.served = true;
    await this.relist().catch((error: unknown) => {
      this.options.log(`listing HostedClusters: ${errorMessage(error)}`);
    });
    this.loops.push(
      watchObjects({
        client: this.options.client,
        apiVersion: HOSTED_CLUSTER_API_VERSION,
        kind: HOSTED_CLUSTER_KIND,
        signal: this.abort.signal,
        log: this.options.log,
        onObject: (object, type) => {
          this.observe(object, type === 'DELETED');
        },
      }),
    );
  }

  private async relist(): Promise<void> {
    this.listedAt = Date.now();
    const items = await this.options.client.list(HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND, '');
    for (const item of items) this.observe(item, false);
  }

  /**
   * A HostedCluster seen by the LIST or the watch: one being deleted or gone closes its client (and so ends the
   * runner's watches there) and is no target any more.
   */
  private observe(object: KubeObject, deleted: boolean): void {
    const hc = targetHostedClusterOf(object);
    if (hc === undefined) return;
    const before = this.clusters.get(hc.id);
    const gone = deleted || hc.deleting;
    if (gone) {
      this.clusters.delete(hc.id);
      this.clients.delete(hc.id);
    } else this.clusters.set(hc.id, hc);
    if (before === undefined || before.secretName !== hc.secretName || before.uid !== hc.uid || gone)
      this.changed(hc.controlPlaneNamespace);
  }

  /** The open client of a namespace's cluster, for the runner's watches there. */
  public clientOf(namespace: string): ClusterClient | undefined {
    const hc = hostedClusterOfNamespace(this.clusters.values(), namespace);
    return hc === undefined ? undefined : this.clients.peek(hc.id);
  }

  public async resolve(namespace: string): Promise<TargetResolution> {
    if (this.lookups !== undefined) return this.resolveByLookup(namespace, this.lookups);
    if (!this.served)
      return { ok: false, message: 'the HostedCluster API (hypershift.openshift.io/v1beta1) is not served' };
    let hc = hostedClusterOfNamespace(this.clusters.values(), namespace);
    if (hc === undefined && Date.now() - this.listedAt > RELIST_MS) {
      await this.relist();
      hc = hostedClusterOfNamespace(this.clusters.values(), namespace);
    }
    return this.targetOf(namespace, hc);
  }

  /** The target of a namespace whose HostedCluster was found (or not): its cluster's client. */
  private async targetOf(namespace: string, hc: TargetHostedCluster | undefined): Promise<TargetResolution> {
    if (hc === undefined)
      return {
        ok: false,
        gone: true,
        message: `namespace ${namespace} is not the control-plane namespace of any HostedCluster`,
      };
    const entry = await this.entryOf(hc);
    if ('error' in entry) return { ok: false, message: `hosted cluster ${hc.id}: ${entry.error}` };
    return { ok: true, cluster: hc.id, target: { kube: entry.client } };
  }

  /** Watch-less: the HostedCluster of a namespace by GET (remembered a while), then its client. */
  private async resolveByLookup(
    namespace: string,
    lookups: LRUCache<string, { readonly hc: TargetHostedCluster | undefined }>,
  ): Promise<TargetResolution> {
    if (!this.served && Date.now() - this.servedCheckedAt > RELIST_MS) {
      this.servedCheckedAt = Date.now();
      this.served = await isServed({
        client: this.options.client,
        apiVersion: HOSTED_CLUSTER_API_VERSION,
        kind: HOSTED_CLUSTER_KIND,
        log: this.options.log,
      });
    }
    if (!this.served)
      return { ok: false, message: 'the HostedCluster API (hypershift.openshift.io/v1beta1) is not served' };
    let found = lookups.get(namespace);
    if (found === undefined) {
      found = { hc: await this.lookUp(namespace) };
      lookups.set(namespace, found);
    }
    return this.targetOf(namespace, found.hc);
  }

  /** The HostedCluster whose control-plane namespace this is: GETs of the candidates, else (dots) a LIST. */
  private async lookUp(namespace: string): Promise<TargetHostedCluster | undefined> {
    for (const candidate of hostedClusterCandidates(namespace)) {
      let object: KubeObject;
      try {
        object = await this.options.client.get({
          apiVersion: HOSTED_CLUSTER_API_VERSION,
          kind: HOSTED_CLUSTER_KIND,
          ...candidate,
        });
      } catch (error) {
        if (isNotFound(error)) continue;
        throw error;
      }
      const hc = hostedClusterOfNamespace(
        [targetHostedClusterOf(object)].filter((c) => c !== undefined),
        namespace,
      );
      if (hc !== undefined) return hc;
      // Being deleted: no target, and not one of another split either (the namespace is that cluster's).
      if (targetHostedClusterOf(object)?.controlPlaneNamespace === namespace) return undefined;
    }
    if (Date.now() - this.listedAt > RELIST_MS) {
      this.clusters.clear();
      await this.relist();
    }
    return hostedClusterOfNamespace(this.clusters.values(), namespace);
  }

  /**
   * The runner's watch of an open client's Secret, that one Secret only (`metadata.name` field selector in its
   * namespace; one watch per open client, so at most `maxClusters`; RBAC `watch` on it, `resourceNames` allowed):
   * a changed kubeconfig (or the Secret gone) runs the cluster's phases at once, whose steps make the new client.
   * It ends with the client, or when it is forbidden (then a change is seen at the phases' next step).
   */
  private watchSecret(hc: TargetHostedCluster, secretName: string, entry: Entry): void {
    const where = `${hc.namespace}/${secretName}`;
    let last = entry.fingerprint;
    // Not kept in `loops`: one per client ever made; it ends (and never rejects) with the client's signal.
    void watchObjects({
      client: this.options.client,
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: hc.namespace,
      fieldSelector: `metadata.name=${secretName}`,
      // Without the right (`get` only), the Secret is still read at every step: a change is seen a step later.
      stopWhenForbidden: true,
      signal: entry.signal,
      log: this.options.log,
      onObject: (object, type) => {
        const kubeconfig = type === 'DELETED' ? { error: 'deleted' } : kubeconfigOfSecret(object, where);
        const now = 'error' in kubeconfig ? `unusable: ${kubeconfig.error}` : kubeconfig.fingerprint;
        if (now === last) return;
        last = now;
        this.options.log(`hosted cluster ${hc.id}: its admin kubeconfig Secret ${where} changed`);
        this.changed(hc.controlPlaneNamespace);
      },
    });
  }

  /** The cached client of the cluster while its Secret's kubeconfig is the same, else a new one. */
  private async entryOf(hc: TargetHostedCluster): Promise<Entry | { error: string }> {
    if (hc.secretName === undefined)
      return { error: 'status.kubeconfig names no admin kubeconfig Secret yet' };
    const where = `${hc.namespace}/${hc.secretName}`;
    let secret: KubeObject | undefined;
    try {
      secret = await this.options.client.get({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: hc.namespace,
        name: hc.secretName,
      });
    } catch (error) {
      // The server's message (forbidden, unavailable) names the Secret, not its content.
      if (isNotFound(error)) secret = undefined;
      else if (error instanceof KubeApiError)
        return { error: `cannot read Secret ${where}: ${errorMessage(error)}` };
      else throw error;
    }
    if (secret === undefined) return { error: `Secret ${where} not found` };
    const kubeconfig = kubeconfigOfSecret(secret, where);
    if ('error' in kubeconfig) return kubeconfig;
    const cached = this.clients.get(hc.id);
    if (cached?.fingerprint === kubeconfig.fingerprint && cached.uid === hc.uid) return cached;
    let connection;
    try {
      connection = connectionFromKubeconfig(kubeconfig.text);
    } catch (error) {
      // The schema's messages name the field at fault, never a value; a YAML parser's would quote the content.
      const why = error instanceof TerminalError ? errorMessage(error) : 'not valid YAML';
      return { error: `Secret ${where}: key "kubeconfig" is not a usable kubeconfig: ${why}` };
    }
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const entry: Entry = {
      cluster: hc.id,
      controlPlaneNamespace: hc.controlPlaneNamespace,
      uid: hc.uid,
      fingerprint: kubeconfig.fingerprint,
      abort,
      signal: abort.signal,
      client: new RawKubeClient(connection, {
        maxSockets: this.options.maxSockets ?? 4,
        requestTimeoutMs: this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
        ...(this.options.observe !== undefined ? { observe: this.options.observe } : {}),
      }),
    };
    // Setting it disposes the previous client (its watches end with its signal).
    this.clients.set(hc.id, entry);
    if (this.lookups === undefined) this.watchSecret(hc, hc.secretName, entry);
    if (cached !== undefined) {
      this.options.log(`hosted cluster ${hc.id}: its admin kubeconfig changed, new client`);
      this.changed(hc.controlPlaneNamespace);
    }
    return entry;
  }
}
