/**
 * @module triggers/pages
 * How a watch-less host lists a whole collection without holding it: page by page from the API server's watch
 * cache. Pure parts only: the query of each page, the parse of an answer, the keys a page makes due.
 *
 * The API server's rules (v1.34 and later, `ConsistentListFromCache` and `ListFromCacheSnapshot` on by default):
 * - `resourceVersion=0`: served from the cache, but `limit` is ignored: the whole collection in one answer, which
 *   the client must then hold (10,000 Packages with status are tens of MB of JSON).
 * - no `resourceVersion` with `limit`: a consistent read from the cache (one cheap etcd revision read, then a wait
 *   until the cache has caught up; a cache that stays behind for 3 s makes the server list from etcd instead).
 * - `resourceVersion=R&resourceVersionMatch=NotOlderThan` with `limit`: from the cache at once (it is past R
 *   already), `limit` honoured.
 * - `continue`: from the cache's snapshot of the first page's revision, while the cache keeps it.
 * So the first list of a kind is consistent; every later one is NotOlderThan the revision the previous list saw:
 * always the cache, one page in memory at a time, never etcd.
 */
import { z } from 'zod';
import { parseKubeObject } from '../api/objects.js';
import type { KubeObject } from '../ports.js';

/** Objects per page: about 2.5 MB of JSON for Packages with status; 20 requests for 10,000 Packages. */
export const DEFAULT_PAGE_SIZE = 500;

/** What one page asks for. */
export interface PageRequest {
  readonly limit: number;
  /** The previous page's continue token (then no resourceVersion: the server keeps the first page's). */
  readonly continue?: string;
  /** First page only: an answer not older than this revision (the previous list's), from the cache. */
  readonly notOlderThan?: string;
  readonly labelSelector?: string;
}

export interface ListPage {
  readonly items: readonly KubeObject[];
  /** The revision the list is served at (the same on every page of one list). */
  readonly resourceVersion: string;
  /** Undefined on the last page. */
  readonly continue: string | undefined;
}

/** A source of pages: the API server (functions/adapters/kube/pages.ts) or an in-memory fake. */
export interface PagedLister {
  listPage(apiVersion: string, kind: string, namespace: string, request: PageRequest): Promise<ListPage>;
}

/** The query parameters of one page, in a stable order. */
export function pageQuery(request: PageRequest): [string, string][] {
  const params: [string, string][] = [];
  if (request.labelSelector !== undefined) params.push(['labelSelector', request.labelSelector]);
  params.push(['limit', String(request.limit)]);
  if (request.continue !== undefined) params.push(['continue', request.continue]);
  else if (request.notOlderThan !== undefined)
    params.push(['resourceVersion', request.notOlderThan], ['resourceVersionMatch', 'NotOlderThan']);
  return params;
}

const listSchema = z.object({
  metadata: z.object({ resourceVersion: z.string().optional(), continue: z.string().optional() }).optional(),
  items: z.array(z.unknown()).nullable().optional(),
});

/**
 * A LIST answer as a page: items without `apiVersion` / `kind` (the server leaves them out of list items) get the
 * collection's; an item that is not an object with metadata is skipped. Undefined when the answer is not a list.
 */
export function parseListPage(body: unknown, apiVersion: string, kind: string): ListPage | undefined {
  const parsed = listSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const items: KubeObject[] = [];
  for (const item of parsed.data.items ?? []) {
    const object =
      typeof item === 'object' && item !== null ? parseKubeObject({ ...item, apiVersion, kind }) : undefined;
    if (object !== undefined) items.push(object);
  }
  const next = parsed.data.metadata?.continue;
  return {
    items,
    resourceVersion: parsed.data.metadata?.resourceVersion ?? '',
    continue: next === undefined || next === '' ? undefined : next,
  };
}
