/**
 * @module hosts/console/cache
 * What the console shows, kept current by watches: one LIST + WATCH per kind (Packages, ClusterPackages,
 * ObjectDeployments, ObjectSets, ObjectTemplates and their cluster-scoped twins, Events) with the user's own client, relisted on 410
 * and after a watch that failed (exponential back-off with jitter). Objects are kept without `managedFields`. A kind
 * the user may not list is left out and named in {@link WatchCache.warnings}; nothing else stops the console.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { API_VERSION } from '../../../shared/api/constants.js';
import { isRecord, parseKubeObject, parseMeta } from '../../../shared/api/objects.js';
import { errorMessage } from '../../../shared/errors.js';
import { isKubeReason, KubeUnavailableError } from '../../../shared/kube-errors.js';
import type { KubeObject } from '../../../shared/ports.js';
import { retryDelayMs } from '../../../shared/retry.js';
import type { RawKubeClient } from '../../adapters/kube/client.js';

/** The kinds the console watches. */
export const WATCHED_KINDS = [
  { apiVersion: API_VERSION, kind: 'Package' },
  { apiVersion: API_VERSION, kind: 'ClusterPackage' },
  { apiVersion: API_VERSION, kind: 'ObjectDeployment' },
  { apiVersion: API_VERSION, kind: 'ClusterObjectDeployment' },
  { apiVersion: API_VERSION, kind: 'ObjectSet' },
  { apiVersion: API_VERSION, kind: 'ClusterObjectSet' },
  { apiVersion: API_VERSION, kind: 'ObjectTemplate' },
  { apiVersion: API_VERSION, kind: 'ClusterObjectTemplate' },
  { apiVersion: 'v1', kind: 'Event' },
] as const;
export type WatchedKind = (typeof WATCHED_KINDS)[number]['kind'];

/** A change of one kind: an object added, changed or deleted, or the whole kind listed again. */
export type CacheChange =
  | {
      readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
      readonly kind: WatchedKind;
      readonly object: KubeObject;
    }
  | { readonly type: 'RELISTED'; readonly kind: WatchedKind };

export interface WatchCacheOptions {
  /** '' for every namespace; else only that namespace (and no cluster-scoped kinds). */
  readonly namespace: string;
  /** Most objects kept of one kind (Events beyond it: the oldest are dropped). */
  readonly maxObjectsPerKind?: number;
  readonly log?: (message: string) => void;
}

const BACKOFF = { baseMs: 1000, capMs: 30_000 };
const WATCH_TIMEOUT_S = 300;
const DEFAULT_MAX_OBJECTS = 20_000;
const QUICK_WATCH_MS = 1000;

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** The object without `managedFields` (most of its size, never shown). */
function slim(object: KubeObject): KubeObject {
  const metadata = parseMeta(
    Object.fromEntries(Object.entries(object.metadata).filter(([k]) => k !== 'managedFields')),
  );
  return metadata === undefined ? object : { ...object, metadata };
}

/** The watches and what they hold. */
export class WatchCache {
  private readonly objects = new Map<WatchedKind, Map<string, KubeObject>>();
  private readonly listeners = new Set<(change: CacheChange) => void>();
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly problems = new Map<WatchedKind, string>();

  public constructor(
    private readonly client: RawKubeClient,
    private readonly options: WatchCacheOptions,
  ) {}

  /** Lists every kind (resolves once each is listed or left out), then watches them until {@link stop}. */
  public async start(): Promise<void> {
    await Promise.all(WATCHED_KINDS.map((k) => this.startKind(k.apiVersion, k.kind)));
  }

  public async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  /** Called on every change, synchronously, in order. Returns the unsubscribe function. */
  public subscribe(listener: (change: CacheChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  public list(kind: WatchedKind): readonly KubeObject[] {
    return [...(this.objects.get(kind)?.values() ?? [])];
  }

  public get(kind: WatchedKind, namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(kind)?.get(`${namespace}/${name}`);
  }

  /** What the console cannot show, in words for the user (a kind not served or not allowed). */
  public warnings(): readonly string[] {
    return [...this.problems.values()];
  }

  private emit(change: CacheChange): void {
    for (const l of this.listeners) l(change);
  }

  private async startKind(apiVersion: string, kind: WatchedKind): Promise<void> {
    const cluster = kind.startsWith('Cluster');
    if (cluster && this.options.namespace !== '') return;
    const first = await this.firstList(apiVersion, kind);
    if (first === 'unavailable') {
      // The server did not answer: keep trying in the background; the page says why it shows nothing yet.
      this.loops.push(this.retryStart(apiVersion, kind));
      return;
    }
    if (first === undefined) return;
    this.replace(apiVersion, kind, first.items);
    this.loops.push(this.watchLoop({ apiVersion, kind, path: first.path }, first.resourceVersion));
  }

  /** The first LIST; undefined when the kind is not served or not allowed, 'unavailable' when the server failed. */
  private async firstList(
    apiVersion: string,
    kind: WatchedKind,
  ): Promise<{ path: string; items: unknown[]; resourceVersion: string } | 'unavailable' | undefined> {
    try {
      if ((await this.client.resource(apiVersion, kind)) === undefined) {
        this.problems.set(kind, `${kind}: not served by this cluster`);
        return undefined;
      }
      const path = await this.client.collectionPath(apiVersion, kind, this.options.namespace);
      const listed = await this.client.listWithVersion(path);
      this.problems.delete(kind);
      return { path, ...listed };
    } catch (error) {
      this.problems.set(kind, `${kind}: ${errorMessage(error)}`);
      return error instanceof KubeUnavailableError ? 'unavailable' : undefined;
    }
  }

  private async retryStart(apiVersion: string, kind: WatchedKind): Promise<void> {
    for (let failures = 0; !this.stopped(); failures++) {
      await this.backOff(kind, failures, undefined);
      if (this.stopped()) return;
      const first = await this.firstList(apiVersion, kind);
      if (first === 'unavailable') continue;
      if (first === undefined) return;
      this.replace(apiVersion, kind, first.items);
      this.emit({ type: 'RELISTED', kind });
      await this.watchLoop({ apiVersion, kind, path: first.path }, first.resourceVersion);
      return;
    }
  }

  private replace(apiVersion: string, kind: WatchedKind, items: readonly unknown[]): void {
    const map = new Map<string, KubeObject>();
    for (const item of items) {
      const object = parseKubeObject(isRecord(item) ? { ...item, apiVersion, kind } : item);
      if (object !== undefined) map.set(keyOf(object), slim(object));
    }
    this.objects.set(kind, map);
  }

  private onEvent(kind: WatchedKind, apiVersion: string, type: string, raw: unknown): void {
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    const parsed = parseKubeObject(isRecord(raw) ? { ...raw, apiVersion, kind } : raw);
    if (parsed === undefined) return;
    const object = slim(parsed);
    const map = this.objects.get(kind) ?? new Map<string, KubeObject>();
    this.objects.set(kind, map);
    if (type === 'DELETED') map.delete(keyOf(object));
    else {
      map.set(keyOf(object), object);
      const max = this.options.maxObjectsPerKind ?? DEFAULT_MAX_OBJECTS;
      // A Map iterates in insertion order: the first key is the one written longest ago.
      const oldest = map.size > max ? map.keys().next().value : undefined;
      if (oldest !== undefined) map.delete(oldest);
    }
    this.emit({ type, kind, object });
  }

  private async watchLoop(
    target: { apiVersion: string; kind: WatchedKind; path: string },
    startRv: string,
  ): Promise<void> {
    let rv = startRv;
    let failures = 0;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        await this.client.watch(
          { path: target.path, resourceVersion: rv, timeoutSeconds: WATCH_TIMEOUT_S, signal },
          (type, object) => {
            failures = 0;
            const meta = isRecord(object) ? object['metadata'] : undefined;
            if (isRecord(meta) && typeof meta['resourceVersion'] === 'string') rv = meta['resourceVersion'];
            this.onEvent(target.kind, target.apiVersion, type, object);
          },
        );
        // A server that hangs up at once, again and again, is not hammered.
        if (Date.now() - started < QUICK_WATCH_MS) await this.backOff(target.kind, failures++, undefined);
      } catch (error) {
        if (this.stopped()) return;
        if (!isKubeReason(error, 'Gone') || failures > 0) await this.backOff(target.kind, failures, error);
        failures += 1;
        rv = await this.relist(target).catch((listError: unknown) => {
          this.options.log?.(`console: list ${target.kind}: ${errorMessage(listError)}`);
          return rv;
        });
      }
    }
  }

  private stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async relist(target: { apiVersion: string; kind: WatchedKind; path: string }): Promise<string> {
    const listed = await this.client.listWithVersion(target.path);
    this.replace(target.apiVersion, target.kind, listed.items);
    this.emit({ type: 'RELISTED', kind: target.kind });
    return listed.resourceVersion;
  }

  private async backOff(kind: string, failures: number, error: unknown): Promise<void> {
    const retryAfter = error instanceof KubeUnavailableError && error.serverAsked ? error.retryAfterMs : 0;
    const delay = retryDelayMs(failures, BACKOFF, Math.random(), retryAfter);
    if (error !== undefined)
      this.options.log?.(
        `console: watch ${kind}: ${errorMessage(error)}; retrying in ${(delay / 1000).toFixed(1)} s`,
      );
    await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }
}
