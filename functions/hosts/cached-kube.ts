/**
 * @module hosts/cached-kube
 * The KubeApi of a watching host: reads answered from its watch cache when it covers them (a copy, so a step's
 * changes never reach the cache), everything else from the API server; every write's answer goes into the cache,
 * and a write refused as stale (409) makes it distrust the object, so the step's retry reads it from the server.
 */
import { createHash } from 'node:crypto';
import { refOf } from '../../shared/api/objects.js';
import { isConflict, isNotFound } from '../../shared/kube-errors.js';
import { canonicalJson } from '../../shared/render/hash.js';
import type {
  DeletePreconditions,
  GetOptions,
  KubeApi,
  KubeObject,
  ListOptions,
  ObjectRef,
  ResourceInfo,
} from '../../shared/ports.js';
import type { WatchCache } from './watch-cache.js';

/** What an apply sends, whatever resourceVersion guards it. */
function fingerprint(object: KubeObject, force: boolean): string {
  const metadata = { ...object.metadata };
  Reflect.deleteProperty(metadata, 'resourceVersion');
  return createHash('sha256')
    .update(canonicalJson({ ...object, metadata, force }))
    .digest('base64');
}

/** A KubeApi that reads through a watch cache. */
export class CachedKube implements KubeApi {
  public constructor(
    private readonly inner: KubeApi,
    private readonly cache: WatchCache,
  ) {}

  public async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.inner.resource(apiVersion, kind);
  }

  public async get(ref: ObjectRef, options?: GetOptions): Promise<KubeObject> {
    const hit = options?.fresh === true ? undefined : this.cache.lookup(ref);
    if (hit !== undefined && hit !== null) return structuredClone(hit);
    return this.remembered(ref, () => this.inner.get(ref));
  }

  public async list(
    apiVersion: string,
    kind: string,
    namespace: string,
    options?: ListOptions,
  ): Promise<KubeObject[]> {
    const hits = this.cache.list(apiVersion, kind, namespace, options?.labelSelector);
    if (hits !== undefined) return hits.map((o) => structuredClone(o));
    return this.inner.list(apiVersion, kind, namespace, options);
  }

  /**
   * A server-side apply; skipped when this host applied the same body to the object before and its watch shows the
   * object unchanged since (the apply would be a no-op: same fields, same owner). The guard the body carries is
   * kept: a body decided from another version than the cached one is sent, and the API server judges it.
   */
  public async apply(
    object: KubeObject,
    options?: { readonly force?: boolean; readonly dryRun?: boolean },
  ): Promise<KubeObject> {
    if (options?.dryRun === true) return this.inner.apply(object, options);
    const ref = refOf(object);
    const print = fingerprint(object, options?.force === true);
    const unchanged = this.cache.unchangedSinceApply(ref, print);
    const guard = object.metadata.resourceVersion;
    if (unchanged !== undefined && (guard === undefined || guard === unchanged.metadata.resourceVersion))
      return structuredClone(unchanged);
    const applied = await this.remembered(ref, () => this.inner.apply(object, options));
    const rv = applied.metadata.resourceVersion;
    if (rv !== undefined) this.cache.recordApply(ref, print, rv);
    return applied;
  }

  public async create(object: KubeObject): Promise<KubeObject> {
    return this.remembered(refOf(object), () => this.inner.create(object));
  }

  public async update(object: KubeObject): Promise<KubeObject> {
    return this.remembered(refOf(object), () => this.inner.update(object));
  }

  public async updateStatus(object: KubeObject): Promise<KubeObject> {
    return this.remembered(refOf(object), () => this.inner.updateStatus(object));
  }

  public async mergePatch(ref: ObjectRef, patch: unknown): Promise<KubeObject> {
    return this.remembered(ref, () => this.inner.mergePatch(ref, patch));
  }

  public async delete(
    ref: ObjectRef,
    options?: { readonly preconditions?: DeletePreconditions; readonly propagationPolicy?: string },
  ): Promise<void> {
    try {
      await this.inner.delete(ref, options);
    } finally {
      // Gone, finalizing (its watch event says which) or refused as stale: the next read asks the API server.
      this.cache.invalidate(ref);
    }
  }

  public async serverVersion(): Promise<string> {
    return this.inner.serverVersion();
  }

  /** A request whose answer is the object as it is now: remembered; a conflict or a 404 distrusts the cached one. */
  private async remembered(ref: ObjectRef, request: () => Promise<KubeObject>): Promise<KubeObject> {
    const answered = (async (): Promise<KubeObject> => {
      try {
        const object = await request();
        this.cache.remember(object);
        return object;
      } catch (error) {
        if (isConflict(error) || isNotFound(error)) this.cache.invalidate(ref);
        throw error;
      }
    })();
    this.cache.asking(ref, answered);
    return answered;
  }
}
