/**
 * @module hosts/simple-watch
 * A list-then-watch loop of one collection that only turns objects into keys (no cache, no own-write memory): for
 * the watches beside the runner's own, of the HostedClusters and of the objects in a target cluster. A 410 lists
 * again; other failures wait a moment and watch again from the last version seen.
 */
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
  while (!aborted(signal)) {
    try {
      if (rv === undefined) {
        const list = await client.listWithVersion(path, w.labelSelector, w.fieldSelector);
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
          const meta = isRecord(object) ? object['metadata'] : undefined;
          if (isRecord(meta) && typeof meta['resourceVersion'] === 'string') rv = meta['resourceVersion'];
          if (type !== 'BOOKMARK') seen(object, type);
        },
      );
    } catch (error) {
      if (aborted(signal)) return;
      if (isKubeReason(error, 'Gone')) rv = undefined;
      else if (w.stopWhenForbidden === true && isKubeReason(error, 'Forbidden')) {
        w.log(`not watching ${path}: ${errorMessage(error)}`);
        return;
      } else {
        w.log(`watch ${path}: ${errorMessage(error)}`);
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
