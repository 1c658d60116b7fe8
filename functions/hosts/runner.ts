/**
 * @module hosts/runner
 * `gantry run`: the local / in-cluster runner. Watches every Gantry kind and the objects its ObjectSets manage
 * (label `package-operator.run/cache=True`), each starting with a streaming list (one WATCH with
 * `sendInitialEvents`; a LIST and a WATCH where the API server refuses that), turns events into keys (the object itself, its
 * controller owner, and the ObjectTemplates that read it as a source), runs `runStep` through a de-duplicating,
 * rate-limited queue with timers for requeues, re-lists on 410 and on a silent watch, and stops cleanly on SIGTERM.
 */
import { setMaxListeners } from 'node:events';
import {
  apiVersionOf,
  isReconciledKind,
  LABEL_CACHE,
  RECONCILED_KINDS,
  type ReconciledKind,
} from '../../shared/api/constants.js';
import { followedRepository } from '../../shared/catalog/model.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRecord, parseKubeObject, refOf } from '../../shared/api/objects.js';
import { controllingPhaseOf } from '../../shared/phases/owners.js';
import { retryDelayMs, type Backoff } from '../../shared/retry.js';
import { errorMessage, RetryableError } from '../../shared/errors.js';
import { isKubeReason, KubeUnavailableError } from '../../shared/kube-errors.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import type { RawKubeClient } from '../adapters/kube/client.js';
import { runStep, type RunStepDeps, type RunStepResult } from '../steps/run-step.js';
import { controllerKeyOf, installPrecedenceMs, owns, type Shard } from '../../shared/triggers/index.js';
import { EventLane } from './event-lane.js';
import { CachedKube } from './cached-kube.js';
import { OwnWrites } from './own-writes.js';
import { WatchCache } from './watch-cache.js';
import { WorkQueue } from './queue.js';
import { watchObjects } from './simple-watch.js';
import { keyOf, refOfKey } from './triggers.js';
import type { ClusterClient } from './hosted-cluster-targets.js';
import { clusterShardKey } from '../../shared/hypershift/target-clusters.js';
import type { TargetResolver } from '../steps/types.js';

/** Streaming lists answered 429 / 503 with Retry-After that are asked again before falling back to a LIST. */
const STREAM_RETRIES = 3;

/** The resourceVersion of a watch event's object. */
function resourceVersionOf(object: unknown): string | undefined {
  const meta = isRecord(object) ? object['metadata'] : undefined;
  return isRecord(meta) && typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined;
}

/** The BOOKMARK that ends a streaming list's initial events. */
function endsInitialEvents(object: unknown): boolean {
  const meta = isRecord(object) ? object['metadata'] : undefined;
  const annotations = isRecord(meta) ? meta['annotations'] : undefined;
  return isRecord(annotations) && annotations['k8s.io/initial-events-end'] === 'true';
}

export interface RunnerOptions {
  readonly client: RawKubeClient;
  readonly deps: RunStepDeps;
  readonly concurrency: number;
  /** Only this namespace ('' = all namespaces; cluster-scoped kinds are always watched). */
  readonly namespace: string;
  /** Every Gantry object is run again after this long (drift of objects nobody watches). */
  readonly resyncMs: number;
  /** A watch that delivered nothing for this long is restarted (list + watch). */
  readonly silentWatchMs?: number;
  /** The ObjectSetPhase classes this runner serves (`--phase-class`); default `default`. */
  readonly phaseClasses?: readonly string[];
  /**
   * The kinds this runner watches and reconciles (default every kind the engine reconciles); a runner that applies
   * phases into another cluster serves (Cluster)ObjectSetPhases only, as PKO's remote-phase manager.
   */
  readonly kinds?: readonly ReconciledKind[];
  /**
   * The target cluster's client (`deps.target`): the kinds a phase manages there are watched there, and an event runs
   * the (Cluster)ObjectSetPhase its owners annotation names as controller.
   */
  readonly targetClient?: RawKubeClient;
  /**
   * Many target clusters (`--hosted-clusters`, `deps.targets`): the open client of a control-plane namespace's
   * cluster, whose watches end with its signal, and who says when a cluster changed (its phases run again). Keys
   * shard by namespace then (every phase of one cluster on the same replica).
   */
  readonly targetFleet?: TargetFleet;
  readonly log: (message: string) => void;
  readonly onQueueDepth?: (depth: number) => void;
  /** This replica's share (`--shard I/N`): watch events and resyncs queue only the keys it owns. */
  readonly shard?: Shard;
  /** The back-off of failed watches and lists (default 1 s doubling to 30 s, with jitter). */
  readonly watchBackoff?: Backoff;
  /** The jitter's randomness, in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /**
   * Steps read from the watches' cache (default true): no GET of the key on every step, no reads of the objects a
   * phase manages. false: every read goes to the API server.
   */
  readonly readFromCache?: boolean;
}

/** The hosted clusters of a many-clusters runner, as the runner uses them. */
export interface TargetFleet {
  clientOf(namespace: string): ClusterClient | undefined;
  onChange(listener: (namespace: string) => void): void;
}

const WATCH_BACKOFF: Backoff = { baseMs: 1_000, capMs: 30_000 };
/** A watch that ends sooner than this without an event counts as a failure. */
const QUICK_WATCH_MS = 1_000;

/** The key of an object's controller when that is a Gantry kind the engine reconciles. */
function gantryOwnerKey(object: KubeObject): string | undefined {
  const owner = controllerKeyOf(object);
  return owner === undefined ? undefined : keyOf(owner);
}

/** How long a stopping runner still writes the Events its last steps recorded. */
const EVENT_DRAIN_MS = 5_000;
/** How long a step waits for the first list of a managed kind's new watch before it reads the API server instead. */
const MANAGED_WATCH_WAIT_MS = 2_000;

/** The local runner. */
export class Runner {
  private readonly queue: WorkQueue;
  private readonly abort = new AbortController();
  private readonly watched = new Set<string>();
  /** The API server refused a streaming list (`sendInitialEvents`): watches start with a LIST. */
  private streamingRefused = false;
  private readonly watches: Promise<void>[] = [];
  /** resourceVersions this process wrote, per object: their watch events are our own, not drift. */
  private readonly ownWrites = new OwnWrites();
  private readonly known = new Set<string>();
  /** The kind each watch path lists. */
  private readonly kindOfPath = new Map<string, { apiVersion: string; kind: string }>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly running = new Set<string>();
  /** Source object key -> the ObjectTemplates that read it (sources are not owned by the template). */
  private readonly readers = new Map<string, Set<string>>();
  /** ObjectTemplate key -> the source keys it read on its last step. */
  private readonly readsOf = new Map<string, Set<string>>();
  /** resourceVersions this process wrote in the target cluster(s): their events there are our own, not drift. */
  private readonly targetWrites = new OwnWrites();
  /** The client signal of each watch in a hosted cluster (`target|cluster|apiVersion|kind`). */
  private readonly clusterWatches = new Map<string, AbortSignal>();
  /** The latest object of every watch, when steps read from it. */
  private readonly cache: WatchCache | undefined;
  /** Event writes, done behind the steps that record them. */
  private readonly events: EventLane;

  public constructor(private readonly options: RunnerOptions) {
    // One signal ends every watch (one per watched kind, a dozen or more): not a listener leak.
    setMaxListeners(0, this.abort.signal);
    this.cache = options.readFromCache === false ? undefined : new WatchCache();
    this.events = new EventLane({
      onDropped: (dropped) => {
        if (dropped === 1 || dropped % 1000 === 0)
          options.log(`${dropped} Event writes dropped so far: more waiting than the event lane holds`);
      },
    });
    const deps: RunStepDeps = {
      ...options.deps,
      deferEvents: (write) => {
        this.events.add(write);
      },
      ...(this.cache !== undefined
        ? {
            kube: new CachedKube(options.deps.kube, this.cache),
            cache: this.cache,
            watchKinds: async (kinds) => this.watchManaged(kinds),
          }
        : {}),
      ...(options.phaseClasses !== undefined ? { phaseClasses: options.phaseClasses } : {}),
      ...(options.deps.target !== undefined
        ? {
            target: {
              ...options.deps.target,
              wrote: (object: KubeObject) => {
                const rv = object.metadata.resourceVersion;
                if (rv !== undefined) this.targetWrites.remember(keyOf(refOf(object)), rv);
              },
            },
          }
        : {}),
      ...(options.deps.targets !== undefined ? { targets: this.remembering(options.deps.targets) } : {}),
      wrote: (object) => {
        this.rememberWrite(object);
        options.deps.wrote?.(object);
      },
    };
    options.targetFleet?.onChange((namespace) => {
      this.rerunNamespace(namespace);
    });
    this.queue = new WorkQueue({
      concurrency: options.concurrency,
      ratePerSecond: 50 * options.concurrency,
      precedenceMs: (key) => installPrecedenceMs(refOfKey(key).kind),
      run: async (key) => {
        const ref = refOfKey(key);
        this.running.add(key);
        try {
          const result = await runStep(ref, deps);
          await this.watchFor(key, result.watch);
          options.onQueueDepth?.(this.queue.depth);
          return result.requeueAfterMs;
        } finally {
          this.running.delete(key);
          this.settleSeen(key);
        }
      },
      onError: (key, error) => {
        options.log(`step of ${key} failed: ${errorMessage(error)}`);
      },
    });
  }

  /** The targets' clusters with the runner's memory of its writes there (per cluster). */
  private remembering(targets: TargetResolver): TargetResolver {
    return {
      resolve: async (namespace) => {
        const resolved = await targets.resolve(namespace);
        if (!resolved.ok) return resolved;
        const wrote = (object: KubeObject): void => {
          const rv = object.metadata.resourceVersion;
          if (rv !== undefined) this.targetWrites.remember(`${resolved.cluster}|${keyOf(refOf(object))}`, rv);
        };
        return { ...resolved, target: { ...resolved.target, wrote } };
      },
    };
  }

  /** A hosted cluster changed (its HostedCluster, its client): run the phases of its namespace again. */
  private rerunNamespace(namespace: string): void {
    for (const key of this.known)
      if (refOfKey(key).namespace === namespace && this.mine(key)) this.queue.add(key);
  }

  private rememberWrite(object: KubeObject): void {
    const rv = object.metadata.resourceVersion;
    if (rv === undefined) return;
    this.ownWrites.remember(
      keyOf({
        apiVersion: object.apiVersion,
        kind: object.kind,
        namespace: object.metadata.namespace ?? '',
        name: object.metadata.name,
      }),
      rv,
    );
  }

  /**
   * After a step: run its key again only if an event held while it ran (of the object itself or of an object it
   * manages) shows a change by someone else; the step's own writes race their watch events.
   */
  private settleSeen(key: string): void {
    if (this.ownWrites.settle(key)) this.queue.add(key);
  }

  private stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** Start the watches; resolves once the initial lists are queued. */
  public async start(): Promise<void> {
    // All kinds at once: an API server answers a CRD's first request 429 until that CRD's watch cache is up (about
    // a second), so one kind after another would take a second per kind on a freshly started API server.
    await Promise.all(
      (this.options.kinds ?? RECONCILED_KINDS).map((kind) =>
        this.startWatch(apiVersionOf(kind), kind, undefined),
      ),
    );
    this.resyncTimer = setInterval(() => {
      for (const key of this.known) if (this.mine(key)) this.queue.add(key);
    }, this.options.resyncMs);
  }

  /** Whether a key is this runner's to run: a kind it serves, in its shard. */
  private mine(key: string): boolean {
    const kinds = this.options.kinds;
    const ref = refOfKey(key);
    if (kinds !== undefined && !kinds.some((k) => k === ref.kind)) return false;
    return owns(this.options.shard, this.options.targetFleet !== undefined ? clusterShardKey(ref, key) : key);
  }

  /** How many Gantry objects the runner knows (resync runs each): bounded by what the cluster has, pruned on relist. */
  public get knownObjects(): number {
    return this.known.size;
  }

  public get depth(): number {
    return this.queue.depth;
  }

  /** The runner's queue, for triggers that share it (`gantry run --serve`). */
  public get workQueue(): WorkQueue {
    return this.queue;
  }

  /** Stop: no new steps, wait for running ones, close the watches. */
  public async stop(): Promise<void> {
    if (this.resyncTimer !== undefined) clearInterval(this.resyncTimer);
    this.abort.abort();
    await this.queue.stop();
    await this.events.drain(EVENT_DRAIN_MS);
    await Promise.allSettled(this.watches);
  }

  /** Watch what a step named: the kinds it manages, its sources (remembered, so their events run the key). */
  private async watchFor(key: string, watch: RunStepResult['watch']): Promise<void> {
    if (watch === undefined) return;
    const fleet = this.options.targetFleet;
    const cluster = fleet?.clientOf(refOfKey(key).namespace);
    for (const k of watch.targetKinds ?? [])
      if (fleet === undefined) this.startTargetWatch(k.apiVersion, k.kind);
      else if (cluster !== undefined) this.startClusterWatch(cluster, k.apiVersion, k.kind);
    for (const k of watch.managedKinds ?? [])
      await this.startWatch(k.apiVersion, k.kind, `${LABEL_CACHE}=True`);
    if (watch.sources === undefined) return;
    this.forgetReader(key);
    const keys = new Set(watch.sources.map(keyOf));
    this.readsOf.set(key, keys);
    for (const source of keys) this.readers.set(source, (this.readers.get(source) ?? new Set()).add(key));
    for (const s of watch.sources) await this.startWatch(s.apiVersion, s.kind, `${LABEL_CACHE}=True`);
  }

  /**
   * Start the watches of managed kinds a step is about to read, and wait for their first lists at most
   * {@link MANAGED_WATCH_WAIT_MS}: the step then reads them from the cache (a kind not yet listed is read from the
   * API server, as without a watch).
   */
  private async watchManaged(
    kinds: readonly { readonly apiVersion: string; readonly kind: string }[],
  ): Promise<void> {
    const started = Promise.all(
      kinds.map(async (k) => this.startWatch(k.apiVersion, k.kind, `${LABEL_CACHE}=True`)),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      started,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, MANAGED_WATCH_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  private forgetReader(key: string): void {
    for (const source of this.readsOf.get(key) ?? []) {
      const readers = this.readers.get(source);
      readers?.delete(key);
      if (readers?.size === 0) this.readers.delete(source);
    }
    this.readsOf.delete(key);
  }

  /** A watch of the phases' objects of one kind in the target cluster (label `package-operator.run/cache=True`). */
  private startTargetWatch(apiVersion: string, kind: string): void {
    const client = this.options.targetClient;
    const id = `target|${apiVersion}|${kind}`;
    if (client === undefined || this.watched.has(id)) return;
    this.watched.add(id);
    this.watches.push(
      watchObjects({
        client,
        apiVersion,
        kind,
        labelSelector: `${LABEL_CACHE}=True`,
        signal: this.abort.signal,
        log: this.options.log,
        onObject: (object) => {
          // The event of the runner's own write there (an apply, a create) is no change to react to.
          if (this.targetWrites.isOwn(keyOf(refOf(object)), object.metadata.resourceVersion)) return;
          const phase = controllingPhaseOf(object.metadata);
          if (phase !== undefined && this.mine(keyOf(phase))) this.queue.add(keyOf(phase));
        },
      }),
    );
  }

  /**
   * A watch of one hosted cluster's objects of a kind (`--hosted-clusters`), until that cluster's client is closed
   * (evicted, rebuilt, its HostedCluster deleted) or the runner stops.
   */
  private startClusterWatch(cc: ClusterClient, apiVersion: string, kind: string): void {
    const id = `target|${cc.cluster}|${apiVersion}|${kind}`;
    const current = this.clusterWatches.get(id);
    if ((current !== undefined && !current.aborted) || cc.signal.aborted) return;
    this.clusterWatches.set(id, cc.signal);
    const done = watchObjects({
      client: cc.client,
      apiVersion,
      kind,
      labelSelector: `${LABEL_CACHE}=True`,
      signal: AbortSignal.any([this.abort.signal, cc.signal]),
      log: (m) => {
        this.options.log(`hosted cluster ${cc.cluster}: ${m}`);
      },
      // The cluster may be gone (its API server down, its credentials revoked): its phases find out and say so
      // (TargetClusterUnavailable), instead of staying Available until the next resync.
      onFailing: () => {
        this.rerunNamespace(cc.controlPlaneNamespace);
      },
      onObject: (object) => {
        if (this.targetWrites.isOwn(`${cc.cluster}|${keyOf(refOf(object))}`, object.metadata.resourceVersion))
          return;
        const phase = controllingPhaseOf(object.metadata);
        if (phase !== undefined && this.mine(keyOf(phase))) this.queue.add(keyOf(phase));
      },
    }).finally(() => {
      if (this.clusterWatches.get(id) === cc.signal) this.clusterWatches.delete(id);
    });
    this.watches.push(done);
  }

  private async startWatch(
    apiVersion: string,
    kind: string,
    labelSelector: string | undefined,
  ): Promise<void> {
    const id = `${apiVersion}|${kind}`;
    if (this.watched.has(id)) return;
    this.watched.add(id);
    const managed = labelSelector !== undefined;
    let path: string;
    let namespaced: boolean;
    try {
      const info = await this.options.client.resource(apiVersion, kind);
      if (info === undefined) {
        this.watched.delete(id);
        return;
      }
      namespaced = info.namespaced;
      path = await this.options.client.collectionPath(
        apiVersion,
        kind,
        info.namespaced ? this.options.namespace : '',
      );
    } catch (error) {
      this.watched.delete(id);
      this.options.log(`cannot watch ${kind}: ${errorMessage(error)}`);
      return;
    }
    this.kindOfPath.set(path, { apiVersion, kind });
    this.cache?.cover(apiVersion, kind, {
      namespace: namespaced ? this.options.namespace : '',
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      managedFields: managed,
    });
    if (!this.streamingRefused && (await this.streamedStart(path, labelSelector, managed))) return;
    if (this.stopping()) return;
    const first = await this.listWithRetry(path, labelSelector);
    this.cacheList(path, first);
    for (const item of this.withKind(path, first.items)) this.onEvent('ADDED', item, managed);
    this.watches.push(this.watchLoop(path, labelSelector, first.resourceVersion, managed));
  }

  /**
   * Start a watch with a streaming list: true once its initial events are in the cache and queued (the watch goes
   * on); false when it ended or failed before that (the caller lists instead; a server that refuses streaming
   * lists, Kubernetes < 1.32 or the WatchList feature off, is not asked again).
   */
  private async streamedStart(
    path: string,
    labelSelector: string | undefined,
    managed: boolean,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.watches.push(
        this.streamedWatch(path, labelSelector, managed, resolve).catch((error: unknown) => {
          this.options.log(`watch ${path}: ${errorMessage(error)}`);
          resolve(false);
        }),
      );
    });
  }

  private async streamedWatch(
    path: string,
    labelSelector: string | undefined,
    managed: boolean,
    synced: (ok: boolean) => void,
  ): Promise<void> {
    const state: { rv: string | undefined; initial: unknown[] } = { rv: undefined, initial: [] };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.streamOnce(path, labelSelector, managed, state, synced);
        break;
      } catch (error) {
        if (state.rv !== undefined) {
          if (this.stopping()) return;
          state.rv = await this.recover(error, { path, labelSelector, managed, rv: state.rv }, 0);
          break;
        }
        // The server asked to come back (a CRD's watch cache starting answers 429 with Retry-After: 1): one more
        // streaming request costs less than a LIST; anything else falls back to the LIST at once.
        const asked = error instanceof KubeUnavailableError && error.serverAsked;
        if (!asked || attempt >= STREAM_RETRIES || this.stopping()) {
          if (!(error instanceof RetryableError)) this.streamingRefused = true;
          synced(false);
          return;
        }
        state.initial = [];
        await this.backOff(path, attempt, error);
      }
    }
    if (state.rv === undefined) {
      synced(false);
      return;
    }
    await this.watchLoop(path, labelSelector, state.rv, managed);
  }

  /** One streaming-list request: its initial events, then the watch until it ends (`state.rv` set once synced). */
  private async streamOnce(
    path: string,
    labelSelector: string | undefined,
    managed: boolean,
    state: { rv: string | undefined; initial: unknown[] },
    synced: (ok: boolean) => void,
  ): Promise<void> {
    await this.options.client.watch(
      {
        path,
        resourceVersion: 'initialEvents',
        ...(labelSelector !== undefined ? { labelSelector } : {}),
        timeoutSeconds: Math.round((this.options.silentWatchMs ?? 300_000) / 1000),
        signal: this.abort.signal,
      },
      (type, object) => {
        if (state.rv !== undefined) {
          state.rv = resourceVersionOf(object) ?? state.rv;
          if (type !== 'BOOKMARK') this.onEvent(type, object, managed);
        } else if (type === 'ADDED') state.initial.push(object);
        else if (type === 'BOOKMARK' && endsInitialEvents(object)) {
          state.rv = resourceVersionOf(object) ?? '0';
          this.cacheList(path, { items: state.initial, resourceVersion: state.rv });
          for (const item of this.withKind(path, state.initial)) this.onEvent('ADDED', item, managed);
          state.initial = [];
          synced(true);
        }
      },
    );
  }

  private async watchLoop(
    path: string,
    labelSelector: string | undefined,
    startRv: string,
    managed: boolean,
  ): Promise<void> {
    let rv = startRv;
    /** Failures since the last event: the back-off grows with them. */
    let failures = 0;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const started = Date.now();
      const seen = { events: 0 };
      try {
        await this.options.client.watch(
          {
            path,
            resourceVersion: rv,
            ...(labelSelector !== undefined ? { labelSelector } : {}),
            timeoutSeconds: Math.round((this.options.silentWatchMs ?? 300_000) / 1000),
            signal,
          },
          (type, object) => {
            seen.events += 1;
            rv = resourceVersionOf(object) ?? rv;
            if (type !== 'BOOKMARK') this.onEvent(type, object, managed);
          },
        );
        if (seen.events > 0) failures = 0;
        // A watch that ended without a single event (not even a bookmark) may have missed some: list again; one
        // that ended at once with nothing counts as a failure (a server that hangs up at once is not hammered).
        if (seen.events === 0 && !this.stopping()) {
          if (Date.now() - started < QUICK_WATCH_MS) await this.backOff(path, failures++, undefined);
          rv = await this.relist(path, labelSelector, managed);
        }
      } catch (error) {
        if (this.stopping()) return;
        if (seen.events > 0) failures = 0;
        rv = await this.recover(error, { path, labelSelector, managed, rv }, failures++);
      }
    }
  }

  /**
   * After a failed watch: 410 / Expired lists again at once (after a back-off when it repeats without an event
   * in between); anything else waits an exponential back-off with jitter (at least the server's Retry-After).
   * Returns the resourceVersion to watch from.
   */
  private async recover(
    error: unknown,
    watch: { path: string; labelSelector: string | undefined; managed: boolean; rv: string },
    failures: number,
  ): Promise<string> {
    const gone = isKubeReason(error, 'Gone');
    if (!gone || failures > 0) await this.backOff(watch.path, failures, error);
    if (this.stopping()) return watch.rv;
    if (!gone) return watch.rv;
    try {
      return await this.relist(watch.path, watch.labelSelector, watch.managed);
    } catch (listError) {
      this.options.log(`list ${watch.path}: ${errorMessage(listError)}`);
      return watch.rv;
    }
  }

  private async backOff(path: string, failures: number, error: unknown): Promise<void> {
    const retryAfter = error instanceof KubeUnavailableError && error.serverAsked ? error.retryAfterMs : 0;
    const delay = retryDelayMs(
      failures,
      this.options.watchBackoff ?? WATCH_BACKOFF,
      (this.options.random ?? Math.random)(),
      retryAfter,
    );
    if (error !== undefined)
      this.options.log(`watch ${path}: ${errorMessage(error)}; retrying in ${(delay / 1000).toFixed(1)} s`);
    await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  /** The first LIST of a watch; the API server answers 429/503 while its caches initialize: wait and retry. */
  private async listWithRetry(
    path: string,
    labelSelector: string | undefined,
  ): Promise<{ items: unknown[]; resourceVersion: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.client.listWithVersion(path, labelSelector);
      } catch (error) {
        if (!(error instanceof RetryableError) || attempt >= 30 || this.stopping()) throw error;
        await this.backOff(path, Math.min(attempt, 2), error);
      }
    }
  }

  /** A LIST of a watch path as the cache's view of its kind. */
  private cacheList(path: string, list: { items: unknown[]; resourceVersion: string }): void {
    const kind = this.kindOfPath.get(path);
    if (this.cache === undefined || kind === undefined) return;
    const objects = this.withKind(path, list.items).flatMap((item) => parseKubeObject(item) ?? []);
    this.cache.replace(kind.apiVersion, kind.kind, objects, list.resourceVersion);
  }

  /** A fresh LIST: every object run as changed, and the Gantry objects the list no longer has forgotten. */
  private async relist(path: string, labelSelector: string | undefined, managed: boolean): Promise<string> {
    const list = await this.options.client.listWithVersion(path, labelSelector);
    this.cacheList(path, list);
    const listed = new Set<string>();
    for (const item of this.withKind(path, list.items)) {
      const object = parseKubeObject(item);
      if (object !== undefined) listed.add(keyOf(refOf(object)));
      this.onEvent('MODIFIED', item, managed);
    }
    if (!managed) this.forgetMissing(path, listed);
    return list.resourceVersion;
  }

  /** The items of a LIST with their kind (a LIST of built-in kinds leaves apiVersion and kind out of its items). */
  private withKind(path: string, items: readonly unknown[]): unknown[] {
    const kind = this.kindOfPath.get(path);
    return items.map((item) => (isRecord(item) && kind !== undefined ? { ...kind, ...item } : item));
  }

  /** Known objects of the kind a watch path lists that its fresh LIST does not have (a DELETED event missed). */
  private forgetMissing(path: string, listed: ReadonlySet<string>): void {
    const kind = this.kindOfPath.get(path);
    if (kind === undefined) return;
    for (const key of this.known) {
      if (listed.has(key)) continue;
      const ref = refOfKey(key);
      if (ref.apiVersion !== kind.apiVersion || ref.kind !== kind.kind) continue;
      this.known.delete(key);
      this.forgetReader(key);
    }
  }

  /**
   * An event of a Gantry object itself: remember it, and run it unless this process wrote it. While its own step
   * runs, the event is held and judged when the step is done (it may be the step's status write coming back).
   */
  private onGantryEvent(type: string, key: string, own: boolean, resourceVersion: string | undefined): void {
    if (type === 'DELETED') {
      this.known.delete(key);
      this.forgetReader(key);
      return;
    }
    this.known.add(key);
    if (own || !this.mine(key)) return;
    if (this.running.has(key)) this.ownWrites.hold(key, key, resourceVersion);
    else this.queue.add(key);
  }

  private onEvent(type: string, raw: unknown, managed: boolean): void {
    const object = parseKubeObject(raw);
    if (object === undefined) return;
    const ref: ObjectRef = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
    };
    const key = keyOf(ref);
    this.cache?.observe(type, object);
    // An object as this process last wrote it (seen by a watch or a fresh LIST) has not changed since: not drift.
    const own = this.ownWrites.isOwn(key, object.metadata.resourceVersion);
    const ownerKey = gantryOwnerKey(object);
    if (!own) for (const reader of this.readers.get(key) ?? []) this.queue.add(reader);
    if (!managed && isReconciledKind(ref.kind))
      this.onGantryEvent(type, key, own, object.metadata.resourceVersion);
    const repository = own ? undefined : followedRepository(object);
    if (repository !== undefined && this.mine(keyOf(repository))) this.queue.add(keyOf(repository));
    if (ownerKey === undefined || (managed && own) || !this.mine(ownerKey)) return;
    if (managed && this.running.has(ownerKey)) {
      this.ownWrites.hold(ownerKey, key, object.metadata.resourceVersion);
      return;
    }
    this.queue.add(ownerKey);
  }
}
