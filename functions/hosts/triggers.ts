/**
 * @module hosts/triggers
 * The trigger core every watch-less host shares (`gantry serve`, the Lambda handler): a dispatcher that runs
 * keys in-process through the engine's `runStep` (the same steps `gantry run` runs, never a second
 * implementation), the schedule tick that finds persisted requeues that are due, the registry trigger that
 * re-resolves tags, and the package lookup admission uses within its time budget.
 */
import { LRUCache } from 'lru-cache';
import {
  apiVersionOf,
  GANTRY_API_VERSION,
  RECONCILED_KINDS,
  type KindName,
} from '../../shared/api/constants.js';
import { parseResource } from '../../shared/api/resources.js';
import type { Candidate } from '../../shared/catalog/follow.js';
import { LABEL_PACKAGE_NAME, LABEL_REPOSITORY } from '../../shared/catalog/model.js';
import { candidateOf, revisionSchema } from '../../shared/catalog/revision.js';
import { field, isRecord, refOf } from '../../shared/api/objects.js';
import { retryDelayMs } from '../../shared/retry.js';
import { errorMessage } from '../../shared/errors.js';
import { isConflict, isNotFound } from '../../shared/kube-errors.js';
import { parseReference } from '../../shared/oci/reference.js';
import { applyPrefixOverrides } from '../../shared/packages/images.js';
import { loadPackage, selectComponent } from '../../shared/packages/structure.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import { tickShardKey } from '../../shared/hypershift/target-clusters.js';
import {
  controllerKeyOf,
  imageMatches,
  isDue,
  owns,
  resolvedDigest,
  type Shard,
} from '../../shared/triggers/index.js';
import type { DispatchReason, ManifestLookup } from '../../webhooks/admission.js';
import type { ImagePush } from '../../webhooks/registry-events.js';
import type { AdmissionAuth } from '../../webhooks/admission-auth.js';
import type { RouterDeps } from '../../webhooks/router.js';
import type { EventsAuth } from '../../shared/triggers/events-auth.js';
import { ReplayGuard } from '../../webhooks/replay.js';
import type { RawKubeClient } from '../adapters/kube/client.js';
import { onePageLister, walkCollection, type WalkResult } from '../adapters/kube/pages.js';
import { DEFAULT_PAGE_SIZE, type PagedLister } from '../../shared/triggers/pages.js';
import { runStep, type RunStepDeps } from '../steps/run-step.js';
import { OutboundPool } from './outbound-pool.js';
import { WorkQueue } from './queue.js';
import { TickGate } from './tick-gate.js';

/** Who this host is to the API server (SelfSubjectReview), so its own status writes do not re-trigger it. */
export async function whoAmI(client: RawKubeClient): Promise<string | undefined> {
  try {
    const r = await client.raw(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      { 'content-type': 'application/json' },
    );
    if (r.status !== 201 && r.status !== 200) return undefined;
    const body: unknown = JSON.parse(r.text);
    const name = field(body, 'status', 'userInfo', 'username');
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

export function keyOf(ref: ObjectRef): string {
  return JSON.stringify([ref.apiVersion, ref.kind, ref.namespace, ref.name]);
}

export function refOfKey(key: string): ObjectRef {
  const parsed: unknown = JSON.parse(key);
  if (!Array.isArray(parsed) || parsed.length !== 4 || !parsed.every((x) => typeof x === 'string'))
    throw new Error(`bad key ${key}`);
  const [apiVersion, kind, namespace, name] = parsed.map(String);
  return { apiVersion: apiVersion ?? '', kind: kind ?? '', namespace: namespace ?? '', name: name ?? '' };
}

/** How long a key dispatched by a CREATE admission waits: the object is stored only after admission. */
const CREATE_DELAY_MS = 150;
/**
 * A key dispatched by a CREATE admission runs once, after this long (the API server stores the object right
 * after admission): a key whose object does not exist costs one GET, however many forged reviews name it. A
 * creation stored later than that is found by the schedule tick.
 */
const CREATE_FIRST_DELAY_MS = 500;
/** A pushed tag that does not name the pushed digest yet is read again this often, this many times. */
const TAG_SETTLE_MS = 250;
const TAG_SETTLE_ATTEMPTS = 12;
/** A reset of `unpackedHash` that meets a concurrent writer is tried this often, backing off from 20 ms. */
const RESET_ATTEMPTS = 8;
const RESET_BACKOFF = { baseMs: 20, capMs: 1_000 };
/** A tick asked for within this long of the last one's start runs nothing (pings coalesce). */
const MIN_TICK_INTERVAL_MS = 1_000;
/**
 * Admission's requests to registries (tag reads and pulls, each capped in size by the package source): at most
 * 8 in flight, 2 per registry, 64 waiting and 8 for one registry, each aborted after 30 s.
 */
export const ADMISSION_POOL = {
  concurrency: 8,
  perHost: 2,
  maxWaiting: 64,
  maxWaitingPerHost: 8,
  deadlineMs: 30_000,
} as const;

/** The host a package location names (a registry, an https or s3 host): the unit of fairness. */
function sourceHost(image: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(image) && URL.canParse(image)) return new URL(image).host;
  const ref = parseReference(image);
  return ref.ok && ref.value.registry !== '' ? ref.value.registry : 'index.docker.io';
}

export interface TriggerCoreOptions {
  readonly deps: RunStepDeps;
  readonly concurrency: number;
  /** '' = all namespaces. */
  readonly namespace: string;
  readonly shard?: Shard;
  /** Every this many ms a tick runs every object (drift correction), not only the due ones. */
  readonly fullResyncMs: number;
  /** Admission's package lookup budget (ms); 0 turns the lookup off. */
  readonly admissionBudgetMs: number;
  readonly log: (message: string) => void;
  readonly onQueueDepth?: (depth: number) => void;
  /** A key was refused: the queue is full. */
  readonly onQueueFull?: () => void;
  /** Run keys in this queue (a runner's, `gantry run --serve`) instead of one of the core's own. */
  readonly queue?: WorkQueue;
  /**
   * Where collection LISTs come from, page by page (the API server's watch cache: `KubePages`); default: the
   * engine's KubeApi, one page (in-memory fakes).
   */
  readonly pages?: PagedLister;
  /** Objects per page of those LISTs (default 500). */
  readonly pageSize?: number;
  /** The kinds this host runs (the tick lists, triggers dispatch); default: every reconciled kind. */
  readonly kinds?: readonly KindName[];
  /** The key `--shard` hashes for an object of the tick (default: its key). */
  readonly shardKey?: (object: KubeObject, key: string) => string;
}

/**
 * What a watch-less host serving the remote phases of many hosted clusters (`--hosted-clusters`) runs: its
 * ObjectSetPhases only (a ClusterObjectSetPhase has no control-plane namespace), those of the served classes
 * sharded by namespace, so all phases of one cluster are on one replica (one client per cluster per replica).
 */
export function hostedClusterServing(
  phaseClasses: readonly string[],
): Required<Pick<TriggerCoreOptions, 'kinds' | 'shardKey'>> {
  return {
    kinds: ['ObjectSetPhase'],
    shardKey: (object, key) => tickShardKey(object, key, phaseClasses),
  };
}

/** The dispatcher, tick, registry trigger and admission lookup of a watch-less host. */
export class TriggerCore {
  private readonly queue: WorkQueue;
  private readonly pending = new Set<Promise<void>>();
  private readonly resolving = new Set<string>();
  private readonly outbound = new OutboundPool(ADMISSION_POOL);
  /** Tags admission resolved lately: a burst of requests for one image reads its tag once every few seconds. */
  private readonly digests = new LRUCache<string, string>({ max: 1024, ttl: 5_000 });
  private lastFull = Date.now();
  private readonly ticks = new TickGate(MIN_TICK_INTERVAL_MS);
  private readonly manifests = new LRUCache<string, ManifestLookup>({ max: 256, ttl: 10 * 60_000 });
  private readonly lister: PagedLister;
  /** The revision each kind's last LIST was served at: the next one asks for no older, so the cache answers. */
  private readonly revisions = new Map<KindName, string>();

  public constructor(private readonly options: TriggerCoreOptions) {
    this.lister = options.pages ?? onePageLister(options.deps.kube);
    this.queue =
      options.queue ??
      new WorkQueue({
        concurrency: options.concurrency,
        ratePerSecond: 50 * options.concurrency,
        run: async (key) => this.run(key),
        onError: (key, error) => {
          options.log(`step of ${key} failed: ${errorMessage(error)}`);
        },
        onRefused: () => options.onQueueFull?.(),
      });
  }

  public get depth(): number {
    return this.queue.depth;
  }

  /** The queue takes no new keys: event senders are answered 429 (admission never waits for it). */
  public get full(): boolean {
    return this.queue.full;
  }

  private async run(key: string): Promise<number | undefined> {
    const result = await runStep(refOfKey(key), this.options.deps);
    this.options.onQueueDepth?.(this.queue.depth);
    // No watch tells a controller that its child changed: a child whose status changed runs its controller next.
    const owner = result.object === undefined ? undefined : controllerKeyOf(result.object);
    if (result.wroteStatus === true && owner !== undefined && this.serves(owner.kind))
      this.queue.add(keyOf(owner), CREATE_DELAY_MS);
    return result.requeueAfterMs;
  }

  /** Run a key (any trigger may name any key: a key of another shard is still run, safely). */
  public dispatch(ref: ObjectRef, reason: DispatchReason): void {
    if (!this.serves(ref.kind)) return;
    const key = keyOf(ref);
    if (reason === 'create') {
      this.queue.add(key, CREATE_FIRST_DELAY_MS);
      return;
    }
    this.queue.add(
      key,
      reason === 'delete' || reason === 'status' || reason === 'owner' ? CREATE_DELAY_MS : 0,
    );
  }

  /**
   * Every object of a kind this host serves, one page at a time (`visit` must not keep a page): a paginated LIST
   * from the watch cache, not older than the previous one. Undefined when the server does not serve the kind.
   */
  private async eachObject(
    kind: KindName,
    visit: (object: KubeObject) => void,
  ): Promise<WalkResult | undefined> {
    const apiVersion = apiVersionOf(kind);
    const info = await this.options.deps.kube.resource(apiVersion, kind);
    if (info === undefined) return undefined;
    const collection = { apiVersion, kind, namespace: info.namespaced ? this.options.namespace : '' };
    const notOlderThan = this.revisions.get(kind);
    try {
      const result = await walkCollection(
        this.lister,
        collection,
        {
          pageSize: this.options.pageSize ?? DEFAULT_PAGE_SIZE,
          ...(notOlderThan !== undefined ? { notOlderThan } : {}),
        },
        (items) => {
          for (const object of items) visit(object);
        },
      );
      this.revisions.set(kind, result.resourceVersion);
      return result;
    } catch (error) {
      // A revision the server no longer serves (a restored etcd, an expired snapshot): the next list is consistent.
      this.revisions.delete(kind);
      throw error;
    }
  }

  /** Whether this host runs objects of a kind (`kinds`). */
  private serves(kind: string): boolean {
    const kinds = this.options.kinds;
    return kinds === undefined || kinds.some((k) => k === kind);
  }

  /** The schedule tick: dispatch this shard's objects that are due; resolves to how many (one at a time). */
  public async tick(): Promise<number> {
    return this.ticks.run(async () => this.tickOnce());
  }

  private async tickOnce(): Promise<number> {
    const now = this.options.deps.clock.now();
    const full = now.getTime() - this.lastFull >= this.options.fullResyncMs;
    if (full) this.lastFull = now.getTime();
    let dispatched = 0;
    const shardKey = this.options.shardKey ?? ((_: KubeObject, key: string): string => key);
    for (const kind of this.options.kinds ?? RECONCILED_KINDS) {
      await this.eachObject(kind, (object) => {
        const key = keyOf(refOf(object));
        if (!owns(this.options.shard, shardKey(object, key)) || !isDue(object, now, full)) return;
        this.queue.add(key);
        dispatched += 1;
      });
    }
    return dispatched;
  }

  /**
   * A registry push: every Package whose image names the pushed repository and tag is re-resolved; only a
   * changed digest makes it unpack again (its `unpackedHash` is forgotten, guarded by resourceVersion). Resolves
   * to how many Packages matched; the re-resolution goes on in the background (see {@link settled}): a registry
   * may notify before the tag points at the pushed digest, so the tag is read again for a while until it does.
   */
  public async registryPush(pushes: readonly ImagePush[]): Promise<number> {
    this.digests.clear(); // a tag may have moved: admission reads it again
    let matched = 0;
    for (const kind of ['Package', 'ClusterPackage'] as const) {
      await this.eachObject(kind, (pkg) => {
        if (this.pushed(pkg, pushes)) matched += 1;
      });
    }
    return matched + (await this.pushedRepositories(pushes));
  }

  /** Whether a push names this Package's image; if so, its re-resolution starts (once per Package at a time). */
  private pushed(pkg: KubeObject, pushes: readonly ImagePush[]): boolean {
    const spec = pkg['spec'];
    const image = typeof spec === 'object' && spec !== null && 'image' in spec ? spec.image : undefined;
    if (typeof image !== 'string') return false;
    const effective = applyPrefixOverrides(image, this.options.deps.prefixOverrides);
    const push = pushes.find((p) => imageMatches(effective, p));
    if (push === undefined) return false;
    // One re-resolution per Package at a time: a flood of pushes (or replays) reads each tag once.
    const key = keyOf(refOf(pkg));
    if (this.resolving.has(key)) return true;
    this.resolving.add(key);
    this.track(this.reresolve(pkg, image, push.digest).finally(() => this.resolving.delete(key)));
    return true;
  }

  /** The versions of a repository's package in a namespace, as the follow decision sees them. */
  public async catalogVersions(
    namespace: string,
    repository: string,
    packageName: string | undefined,
  ): Promise<Candidate[]> {
    const selector = [
      `${LABEL_REPOSITORY}=${repository}`,
      ...(packageName !== undefined ? [`${LABEL_PACKAGE_NAME}=${packageName}`] : []),
    ].join(',');
    const items = await this.options.deps.kube.list(GANTRY_API_VERSION, 'PackageRevision', namespace, {
      labelSelector: selector,
    });
    return items.map((o) => candidateOf(parseResource(revisionSchema, o)));
  }

  /** PackageRepositories whose image a push names: listed again at once (the queue drops repeats). */
  private async pushedRepositories(pushes: readonly ImagePush[]): Promise<number> {
    let matched = 0;
    const overrides = this.options.deps.prefixOverrides;
    await this.eachObject('PackageRepository', (repo) => {
      const spec = isRecord(repo['spec']) ? repo['spec'] : {};
      // An OCI repository matches a push of any of its tags; an index image, a push of the index itself.
      const named =
        typeof spec['image'] === 'string'
          ? (p: ImagePush): string => `${applyPrefixOverrides(String(spec['image']), overrides)}:${p.tag}`
          : typeof spec['index'] === 'string'
            ? (): string => applyPrefixOverrides(String(spec['index']), overrides)
            : undefined;
      if (named === undefined || !pushes.some((p) => imageMatches(named(p), p))) return;
      matched += 1;
      this.queue.add(keyOf(refOf(repo)));
    });
    return matched;
  }

  private track(work: Promise<void>): void {
    const p = work.catch((error: unknown) => {
      this.options.log(`registry push: ${errorMessage(error)}`);
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves when the background work of earlier triggers is done (a Lambda invocation waits for it). */
  public async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async resolveUntil(image: string, expected: string | undefined): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const digest = await this.options.deps.images.resolveDigest(image);
      if (expected === undefined || digest === expected || attempt >= TAG_SETTLE_ATTEMPTS) return digest;
      await new Promise((r) => setTimeout(r, TAG_SETTLE_MS));
    }
  }

  private async reresolve(pkg: KubeObject, image: string, expected: string | undefined): Promise<void> {
    const digest = await this.resolveUntil(image, expected);
    if (digest === resolvedDigest(pkg)) return;
    await this.forgetUnpacked(pkg, digest);
    this.queue.add(keyOf(refOf(pkg)));
  }

  /**
   * Drop the Package's `unpackedHash`, so its next step pulls `digest`: a status write guarded by resourceVersion
   * that, when another writer (a step) changed the Package since it was read, reads it again and retries, until the
   * hash is gone, the Package has `digest` already, or it is deleted. Never lost to a 409.
   */
  private async forgetUnpacked(pkg: KubeObject, digest: string): Promise<void> {
    const kube = this.options.deps.kube;
    let current = pkg;
    for (let attempt = 0; ; attempt++) {
      const status = isRecord(current['status']) ? { ...current['status'] } : {};
      if (!('unpackedHash' in status) || resolvedDigest(current) === digest) return;
      delete status['unpackedHash'];
      try {
        await kube.updateStatus({ ...current, status });
        return;
      } catch (error) {
        if (isNotFound(error)) return;
        if (!isConflict(error) || attempt + 1 >= RESET_ATTEMPTS) throw error;
      }
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt, RESET_BACKOFF, Math.random())));
      try {
        current = await kube.get(refOf(pkg));
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
    }
  }

  /**
   * Admission's package lookup: the tag resolved to a digest, then the manifest (component selected) of that
   * digest, cached by digest; all within the budget, or `unavailable` (the fetch goes on and fills the cache).
   */
  public async lookupManifest(image: string, component: string | undefined): Promise<ManifestLookup> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<ManifestLookup>((resolve) => {
      timer = setTimeout(() => {
        resolve({
          kind: 'unavailable',
          reason: `fetching ${image} took longer than ${this.options.admissionBudgetMs} ms`,
        });
      }, this.options.admissionBudgetMs);
    });
    try {
      return await Promise.race([this.loadManifest(image, component), budget]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async loadManifest(image: string, component: string | undefined): Promise<ManifestLookup> {
    const host = sourceHost(image);
    let digest = this.digests.get(image);
    if (digest === undefined) {
      try {
        digest = await this.outbound.run(host, async (signal) =>
          this.options.deps.images.resolveDigest(image, { signal }),
        );
      } catch (error) {
        return { kind: 'unavailable', reason: `resolving ${image}: ${errorMessage(error)}` };
      }
      this.digests.set(image, digest);
    }
    const cacheKey = `${image}|${digest}|${component ?? ''}`;
    const cached = this.manifests.get(cacheKey);
    if (cached !== undefined) return cached;
    // Anyone allowed to dry-run a Package names an image: pulls share the bounded, per-registry fair pool.
    try {
      const pulled = await this.outbound.run(host, async (signal) =>
        this.options.deps.images.pull(image, { signal }),
      );
      const loaded = loadPackage({ files: pulled.files, labels: pulled.labels });
      const found: ManifestLookup = { kind: 'found', manifest: selectComponent(loaded, component).manifest };
      this.manifests.set(cacheKey, found);
      return found;
    } catch (error) {
      return { kind: 'unavailable', reason: `fetching ${image}: ${errorMessage(error)}` };
    }
  }

  /**
   * Run until nothing is running or due within the next second, or until `deadline` (ms since the epoch); resolves
   * to the keys due within a second of then, with their due times (a host that must stop hands them back to its
   * dispatcher). Requeues further out are kept in status, where the schedule tick finds them.
   */
  public async drain(deadline: number): Promise<[string, number][]> {
    for (;;) {
      const now = Date.now();
      const { running, due } = this.queue.snapshot();
      const soon = due.filter(([, at]) => at <= Math.min(deadline, now + 1_000));
      if ((running === 0 && soon.length === 0) || now >= deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.settled();
    const horizon = Date.now() + 1_000;
    return this.queue.snapshot().due.filter(([, at]) => at <= horizon);
  }

  /** Run a key no earlier than `at` (ms since the epoch): a key handed back with its due time. */
  public dispatchAt(ref: ObjectRef, at: number): void {
    if (!this.serves(ref.kind)) return;
    this.queue.add(keyOf(ref), Math.max(0, at - Date.now()));
  }

  /** Keys waiting in this core's queue (not running): what a stopping host hands back. */
  public pendingKeys(): string[] {
    return this.queue.snapshot().due.map(([key]) => key);
  }

  public async stop(): Promise<void> {
    await this.settled();
    if (this.options.queue === undefined) await this.queue.stop();
  }
}

/** The router's dependencies on a trigger core: every host wires the endpoints the same way. */
export function routerDeps(
  engine: { readonly metrics: { eventRefused(source: string, code: number): void } },
  core: TriggerCore,
  options: {
    readonly eventsAuth: EventsAuth;
    readonly admissionBudgetMs: number;
    readonly selfUsername: string | undefined;
    /** Where admission triggers go (default: the core's dispatcher). */
    readonly admissionDispatch?: (ref: ObjectRef, reason: DispatchReason) => void;
    readonly ready: () => boolean;
    /** Who may call the admission endpoints (default: anyone). */
    readonly admissionAuth?: AdmissionAuth;
  },
): RouterDeps {
  const dispatch = (ref: ObjectRef, reason: DispatchReason): void => {
    core.dispatch(ref, reason);
  };
  return {
    admission: {
      dispatch: options.admissionDispatch ?? dispatch,
      // The engine pulls by PKO's plain-http rules (private ranges, `*.local`): only a caller proven to be the API
      // server (which relays users allowed to create the Package, whose image the engine pulls anyway) makes
      // admission fetch; an unauthenticated caller never makes the host reach a registry.
      ...(options.admissionBudgetMs > 0 && options.admissionAuth !== undefined
        ? { lookupManifest: async (image, component) => core.lookupManifest(image, component) }
        : {}),
      // Checking an approval LISTs the repository's revisions: only for callers proven to be the API server.
      ...(options.admissionAuth !== undefined
        ? {
            catalogVersions: async (namespace, repository, packageName) =>
              core.catalogVersions(namespace, repository, packageName),
          }
        : {}),
      ...(options.selfUsername !== undefined ? { selfUsername: options.selfUsername } : {}),
    },
    events: {
      auth: options.eventsAuth,
      dispatch,
      tick: async () => core.tick(),
      registryPush: async (pushes) => core.registryPush(pushes),
      refused: (source, code) => {
        engine.metrics.eventRefused(source, code);
      },
      replays: new ReplayGuard(),
      busy: () => core.full,
    },
    ready: options.ready,
    ...(options.admissionAuth !== undefined ? { admissionAuth: options.admissionAuth } : {}),
  };
}
