/**
 * @module hosts/simple-watch
 * A list-then-watch loop of one collection that only turns objects into keys (no cache, no own-write memory): for
 * the watches beside the runner's own, of the HostedClusters and of the objects in a target cluster. A 410 lists
 * again; other failures wait a moment and watch again from the last version seen. `ServedWatches`: the lifecycle
 * of a controller beside the runner built on such loops (start once its kinds are served, stop with its queue).
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRecord, parseKubeObject } from '../../shared/api/objects.js';
import { errorMessage } from '../../shared/errors.js';
import { isKubeReason } from '../../shared/kube-errors.js';
import type { KubeObject } from '../../shared/ports.js';
import type { RawKubeClient } from '../adapters/kube/client.js';

/** What the loop asks of a client. */
export type WatchClient = Pick<RawKubeClient, 'collectionPath' | 'listWithVersion' | 'watch'>;

export interface SimpleWatch {
  readonly client: WatchClient;
  readonly apiVersion: string;
  readonly kind: string;
  readonly labelSelector?: string;
  /** `metadata.name=<name>`: one object (with `namespace`, one namespace's). */
  readonly fieldSelector?: string;
  /** Only this namespace (default: all). */
  readonly namespace?: string;
  /** Stop (logged once) when the API server says Forbidden, instead of trying again every 2 s. */
  readonly stopWhenForbidden?: boolean;
  readonly signal: AbortSignal;
  /** Every object listed or changed (deleted ones included); `type` is the watch event's (`ADDED` when listed). */
  readonly onObject: (object: KubeObject, type: string) => void;
  /**
   * The watch started failing (anything but an expired resourceVersion): called once per outage, when a LIST or
   * watch fails after the last one that worked (or the first), not on every retry.
   */
  readonly onFailing?: (error: unknown) => void;
  readonly log: (message: string) => void;
}

const RETRY_MS = 2_000;
const WATCH_TIMEOUT_SECONDS = 300;

function aborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Run the loop until the signal aborts; resolves then. */
export async function watchObjects(w: SimpleWatch): Promise<void> {
  const { client, apiVersion, kind, signal } = w;
  let path: string;
  try {
    path = await client.collectionPath(apiVersion, kind, w.namespace ?? '');
  } catch (error) {
    w.log(`cannot watch ${kind}: ${errorMessage(error)}`);
    return;
  }
  const seen = (raw: unknown, type = 'ADDED'): void => {
    // A LIST of built-in kinds leaves apiVersion and kind out of its items.
    const object = parseKubeObject(isRecord(raw) ? { apiVersion, kind, ...raw } : raw);
    if (object !== undefined) w.onObject(object, type);
  };
  let rv: string | undefined;
  let failing = false;
  while (!aborted(signal)) {
    try {
      if (rv === undefined) {
        const list = await client.listWithVersion(path, w.labelSelector, w.fieldSelector);
        failing = false;
        for (const item of list.items) seen(item);
        rv = list.resourceVersion;
      }
      await client.watch(
        {
          path,
          resourceVersion: rv,
          ...(w.labelSelector !== undefined ? { labelSelector: w.labelSelector } : {}),
          ...(w.fieldSelector !== undefined ? { fieldSelector: w.fieldSelector } : {}),
          timeoutSeconds: WATCH_TIMEOUT_SECONDS,
          signal,
        },
        (type, object) => {
          failing = false;
          const meta = isRecord(object) ? object['metadata'] : undefined;
          if (isRecord(meta) && typeof meta['resourceVersion'] === 'string') rv = meta['resourceVersion'];
          if (type !== 'BOOKMARK') seen(object, type);
        },
      );
      failing = false;
    } catch (error) {
      if (aborted(signal)) return;
      if (isKubeReason(error, 'Gone')) rv = undefined;
      else if (w.stopWhenForbidden === true && isKubeReason(error, 'Forbidden')) {
        w.log(`not watching ${path}: ${errorMessage(error)}`);
        return;
      } else {
        w.log(`watch ${path}: ${errorMessage(error)}`);
        if (!failing) w.onFailing?.(error);
        failing = true;
        await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}

export interface ServedKind {
  readonly client: Pick<RawKubeClient, 'resource'>;
  readonly apiVersion: string;
  readonly kind: string;
  readonly log: (message: string) => void;
}

/** Whether the API server serves the kind now (a failed discovery is logged and counts as not served). */
export async function isServed(k: ServedKind): Promise<boolean> {
  try {
    return (await k.client.resource(k.apiVersion, k.kind)) !== undefined;
  } catch (error) {
    k.log(`looking for the ${k.kind} API: ${errorMessage(error)}`);
    return false;
  }
}

/** Look for the kinds every `pollMs` until all are served (true) or the signal aborts (false). */
export async function waitUntilServed(
  kinds: readonly ServedKind[],
  pollMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  while (!aborted(signal)) {
    await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    if (aborted(signal)) return false;
    let all = true;
    for (const k of kinds) if (!(await isServed(k))) all = false;
    if (all) return true;
  }
  return false;
}

/** One collection a {@link ServedWatches} watches, and the keys an object's event runs. */
export interface KeyedWatch {
  readonly apiVersion: string;
  readonly kind: string;
  readonly keysFor: (object: KubeObject) => readonly string[];
}

/** What a {@link ServedWatches} feeds: a host's work queue. */
export interface KeyQueue {
  add(key: string): unknown;
  stop(): Promise<void>;
}

export interface ServedWatchesOptions {
  readonly client: WatchClient & Pick<RawKubeClient, 'resource'>;
  /** The kinds the API server must serve before the watches start (looked for in this order). */
  readonly requires: readonly { readonly apiVersion: string; readonly kind: string }[];
  readonly watches: readonly KeyedWatch[];
  readonly queue: KeyQueue;
  /** How often the kinds are looked for while they are not served. */
  readonly pollMs: number;
  /** Logged when the kinds are served after a wait. */
  readonly detected: string;
  readonly log: (message: string) => void;
}

/**
 * The lifecycle of a controller beside the runner that only turns watch events into keys of its own queue: the
 * watches start once every required kind is served (looked for at start, then every `pollMs`), and stop with the
 * queue (the watches aborted, the queue drained, then the loops awaited).
 */
export class ServedWatches {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];

  public constructor(private readonly options: ServedWatchesOptions) {
    setMaxListeners(0, this.abort.signal);
  }

  /** Start: the watches once the kinds are served (resolves at once; the first look is made here). */
  public async start(): Promise<void> {
    let served = true;
    for (const k of this.kinds())
      if (!(await isServed(k))) {
        served = false;
        break;
      }
    if (served) {
      this.watchAll();
      return;
    }
    this.loops.push(this.waitForApis());
  }

  public async stop(): Promise<void> {
    this.abort.abort();
    await this.options.queue.stop();
    await Promise.allSettled(this.loops);
  }

  private kinds(): ServedKind[] {
    const { client, log } = this.options;
    return this.options.requires.map(({ apiVersion, kind }) => ({ client, apiVersion, kind, log }));
  }

  private async waitForApis(): Promise<void> {
    if (!(await waitUntilServed(this.kinds(), this.options.pollMs, this.abort.signal))) return;
    this.options.log(this.options.detected);
    this.watchAll();
  }

  private watchAll(): void {
    const { client, log, queue } = this.options;
    for (const { apiVersion, kind, keysFor } of this.options.watches)
      this.loops.push(
        watchObjects({
          client,
          apiVersion,
          kind,
          signal: this.abort.signal,
          log,
          onObject: (object) => {
            for (const key of keysFor(object)) queue.add(key);
          },
        }),
      );
  }
}
