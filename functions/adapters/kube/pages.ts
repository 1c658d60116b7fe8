/**
 * @module adapters/kube/pages
 * Paginated LISTs served from the API server's watch cache (shared/triggers/pages.ts says which query does what),
 * and the walk over a collection that keeps one page in memory at a time.
 */
import { KubeUnavailableError } from '../../../shared/kube-errors.js';
import type { KubeApi } from '../../../shared/ports.js';
import {
  pageQuery,
  parseListPage,
  type ListPage,
  type PagedLister,
  type PageRequest,
} from '../../../shared/triggers/pages.js';
import { errorFor, type RawKubeClient } from './client.js';

/** Pages from the API server, through the raw client (its auth, connections, User-Agent and discovery). */
export class KubePages implements PagedLister {
  public constructor(private readonly client: RawKubeClient) {}

  public async listPage(
    apiVersion: string,
    kind: string,
    namespace: string,
    request: PageRequest,
  ): Promise<ListPage> {
    const path = `${await this.client.collectionPath(apiVersion, kind, namespace)}?${new URLSearchParams(pageQuery(request)).toString()}`;
    const response = await this.client.raw('GET', path);
    if (response.status < 200 || response.status >= 300) throw errorFor('GET', path, response);
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      body = undefined;
    }
    const page = parseListPage(body, apiVersion, kind);
    if (page === undefined) throw new KubeUnavailableError(`LIST ${kind}: the server sent no list`, 1000);
    return page;
  }
}

/** A lister over a KubeApi that cannot page (an in-memory fake): the whole collection as one page. */
export function onePageLister(kube: KubeApi): PagedLister {
  return {
    listPage: async (apiVersion, kind, namespace, request) => ({
      items: await kube.list(apiVersion, kind, namespace, {
        ...(request.labelSelector !== undefined ? { labelSelector: request.labelSelector } : {}),
      }),
      resourceVersion: '',
      continue: undefined,
    }),
  };
}

export interface WalkOptions {
  readonly pageSize: number;
  /** The revision the previous walk of this collection saw ('' or undefined: a consistent first page). */
  readonly notOlderThan?: string;
  readonly labelSelector?: string;
}

/** What a walk cost and saw. */
export interface WalkResult {
  readonly pages: number;
  readonly items: number;
  /** The revision the list was served at ('' when the lister names none). */
  readonly resourceVersion: string;
}

/**
 * Every object of a collection, page by page: `visit` sees one page and must not keep it; the next page is asked
 * for only after it returns, so at most one page is ever held.
 */
export async function walkCollection(
  lister: PagedLister,
  collection: { readonly apiVersion: string; readonly kind: string; readonly namespace: string },
  options: WalkOptions,
  visit: (items: ListPage['items']) => void,
): Promise<WalkResult> {
  const { apiVersion, kind, namespace } = collection;
  let pages = 0;
  let items = 0;
  let resourceVersion = '';
  let next: string | undefined;
  do {
    const page = await lister.listPage(apiVersion, kind, namespace, {
      limit: options.pageSize,
      ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
      ...(next !== undefined
        ? { continue: next }
        : options.notOlderThan !== undefined && options.notOlderThan !== ''
          ? { notOlderThan: options.notOlderThan }
          : {}),
    });
    if (pages === 0) resourceVersion = page.resourceVersion;
    pages += 1;
    items += page.items.length;
    visit(page.items);
    next = page.continue;
  } while (next !== undefined);
  return { pages, items, resourceVersion };
}
