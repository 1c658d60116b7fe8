/**
 * @module hosts/fake-cluster
 * An in-memory KubeApi for the hosts' tests and benchmarks (never wired by a host): LISTs answer what `listed`
 * gives for a kind, every GET is counted and answered NotFound, writes are refused; and an in-memory paged lister.
 */
import { KubeApiError } from '../../shared/kube-errors.js';
import type { KubeApi, KubeObject, ObjectRef, ResourceInfo } from '../../shared/ports.js';
import type { ListPage, PagedLister, PageRequest } from '../../shared/triggers/pages.js';
import { WorkQueue } from './queue.js';

function unused(): Promise<never> {
  return Promise.reject(new Error('not used by the fake cluster'));
}

export class FakeCluster implements KubeApi {
  /** GETs made so far. */
  public gets = 0;

  public constructor(private readonly listed: (kind: string) => KubeObject[] = () => []) {}

  public resource(): Promise<ResourceInfo | undefined> {
    return Promise.resolve({ plural: 'x', namespaced: true });
  }

  public list(_apiVersion: string, kind: string): Promise<KubeObject[]> {
    return Promise.resolve(this.listed(kind));
  }

  public get(ref: ObjectRef): Promise<KubeObject> {
    this.gets += 1;
    return Promise.reject(new KubeApiError(`${ref.name} not found`, 404, 'NotFound'));
  }

  public apply = unused;
  public create = unused;
  public update = unused;
  public updateStatus = unused;
  public mergePatch = unused;
  public delete = unused;
  public serverVersion = unused;
}

/** Engines and images for a host that never renders nor pulls. */
export function unusedPort(): Promise<never> {
  return unused();
}

/** One page request a {@link FakePages} answered. */
export interface PageCall {
  readonly kind: string;
  readonly namespace: string;
  readonly request: PageRequest;
}

/**
 * An in-memory paged lister: each kind's objects (from `listed`), `limit` at a time, continue tokens are offsets,
 * every list is served at revision `revision`; records each request.
 */
export class FakePages implements PagedLister {
  public readonly calls: PageCall[] = [];
  public revision = '100';

  public constructor(private readonly listed: (kind: string) => KubeObject[]) {}

  public listPage(
    _apiVersion: string,
    kind: string,
    namespace: string,
    request: PageRequest,
  ): Promise<ListPage> {
    this.calls.push({ kind, namespace, request });
    const all = this.listed(kind);
    const from = request.continue === undefined ? 0 : Number(request.continue);
    const to = from + request.limit;
    return Promise.resolve({
      items: all.slice(from, to),
      resourceVersion: this.revision,
      continue: to < all.length ? String(to) : undefined,
    });
  }
}

/** A queue that runs nothing: it records each key it is given to run in `ran` (what a trigger dispatched). */
export function recordingQueue(ran: string[]): WorkQueue {
  return new WorkQueue({
    concurrency: 1,
    ratePerSecond: 1_000_000,
    run: (key) => {
      ran.push(key);
      return Promise.resolve(undefined);
    },
  });
}
