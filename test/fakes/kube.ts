/**
 * An in-memory KubeApi that keeps the port's contract where the steps depend on it: resourceVersions that change
 * on every write, writes guarded by the resourceVersion they carry (409 Conflict), AlreadyExists on a create of
 * an object that exists, NotFound, finalizers that hold a deleted object (deletionTimestamp) until they are gone,
 * JSON merge patches, watch events of every change, and reads that lag (a cache behind the server). Tests hook
 * `beforeWrite` to act between a step's read and its write (a 409 race), and `failNext` to make one call fail.
 */
import { KINDS } from '../../shared/api/constants.js';
import { isRecord, refOf } from '../../shared/api/objects.js';
import { KubeApiError } from '../../shared/kube-errors.js';
import type {
  DeletePreconditions,
  KubeApi,
  KubeObject,
  ListOptions,
  ObjectRef,
  ResourceInfo,
} from '../../shared/ports.js';

const API = 'package-operator.run/v1alpha1';

export type Verb = 'apply' | 'create' | 'update' | 'status' | 'patch' | 'delete';

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
}

function keyOf(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace}|${ref.name}`;
}

/** RFC 7386: objects merge, null deletes, anything else replaces. */
export function mergePatchOf(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : mergePatchOf(out[k], v);
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** A synchronous body as a promise: its value, or its throw as a rejection. */
function attempt<T>(body: () => T): Promise<T> {
  try {
    return Promise.resolve(body());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function notFound(ref: ObjectRef): KubeApiError {
  return new KubeApiError(`${ref.kind.toLowerCase()}s "${ref.name}" not found`, 404, 'NotFound');
}

function conflict(ref: ObjectRef): KubeApiError {
  return new KubeApiError(
    `Operation cannot be fulfilled on ${ref.kind.toLowerCase()}s "${ref.name}": the object has been modified; please apply your changes to the latest version and try again`,
    409,
    'Conflict',
  );
}

const BUILT_IN: Readonly<Record<string, ResourceInfo>> = {
  'v1|ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1|Secret': { plural: 'secrets', namespaced: true },
  'v1|Namespace': { plural: 'namespaces', namespaced: false },
  'v1|Event': { plural: 'events', namespaced: true },
  'apps/v1|Deployment': { plural: 'deployments', namespaced: true },
};

/** The fake API server. */
export class FakeKube implements KubeApi {
  public readonly objects = new Map<string, KubeObject>();
  /** Every write, as `verb Kind/name`, in order. */
  public readonly writes: string[] = [];
  /** Every GET, as `Kind/name`, in order. */
  public readonly getRequests: string[] = [];
  /** Every change, as a watch would deliver it. */
  public readonly events: WatchEvent[] = [];
  /** Called before every write is carried out: a test acts here between a step's read and its write. */
  public beforeWrite?: (verb: Verb, ref: ObjectRef) => void;
  private rv = 1;
  private readonly previous = new Map<string, KubeObject | undefined>();
  private readonly lagging = new Set<string>();
  private readonly failures: { verb: Verb | 'get' | 'list'; error: Error }[] = [];

  public constructor(private readonly clock: () => Date = () => new Date('2026-01-01T00:00:00Z')) {}

  /** Store an object as the server would (a new resourceVersion, a uid if it has none), without a write record. */
  public put(o: KubeObject): KubeObject {
    const key = keyOf(refOf(o));
    const before = this.objects.get(key);
    this.previous.set(key, before);
    const stored: KubeObject = {
      ...o,
      metadata: {
        uid: before?.metadata.uid ?? `uid-${o.metadata.name}`,
        creationTimestamp: before?.metadata.creationTimestamp ?? this.clock().toISOString(),
        ...o.metadata,
        resourceVersion: String(this.rv++),
      },
    };
    this.objects.set(key, stored);
    this.events.push({ type: before === undefined ? 'ADDED' : 'MODIFIED', object: stored });
    return stored;
  }

  /** The next read of `ref` (GET or LIST) sees the version before its last write: a cache that lags. */
  public lag(ref: ObjectRef): void {
    this.lagging.add(keyOf(ref));
  }

  /** The next call of `verb` fails with `error`. */
  public failNext(verb: Verb | 'get' | 'list', error: Error): void {
    this.failures.push({ verb, error });
  }

  private failure(verb: Verb | 'get' | 'list'): Error | undefined {
    const i = this.failures.findIndex((f) => f.verb === verb);
    return i < 0 ? undefined : this.failures.splice(i, 1)[0]?.error;
  }

  private read(key: string): KubeObject | undefined {
    if (this.lagging.delete(key)) return this.previous.get(key);
    return this.objects.get(key);
  }

  private write(verb: Verb, ref: ObjectRef): void {
    this.writes.push(`${verb} ${ref.kind}/${ref.name}`);
    this.beforeWrite?.(verb, ref);
    const error = this.failure(verb);
    if (error !== undefined) throw error;
  }

  /** The stored object a guarded write goes to: NotFound, or Conflict when `rv` names another version. */
  private current(ref: ObjectRef, rv: string | undefined): KubeObject {
    const live = this.objects.get(keyOf(ref));
    if (live === undefined) throw notFound(ref);
    if (rv !== undefined && rv !== live.metadata.resourceVersion) throw conflict(ref);
    return live;
  }

  public resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const gantry =
      apiVersion === API && Object.hasOwn(KINDS, kind)
        ? Object.entries(KINDS).find(([k]) => k === kind)
        : undefined;
    if (gantry !== undefined)
      return Promise.resolve({ plural: gantry[1].plural, namespaced: gantry[1].namespaced });
    return Promise.resolve(BUILT_IN[`${apiVersion}|${kind}`]);
  }

  public get(ref: ObjectRef): Promise<KubeObject> {
    this.getRequests.push(`${ref.kind}/${ref.name}`);
    const error = this.failure('get');
    if (error !== undefined) return Promise.reject(error);
    const o = this.read(keyOf(ref));
    return o === undefined ? Promise.reject(notFound(ref)) : Promise.resolve(o);
  }

  public list(
    apiVersion: string,
    kind: string,
    namespace: string,
    options: ListOptions = {},
  ): Promise<KubeObject[]> {
    const error = this.failure('list');
    if (error !== undefined) return Promise.reject(error);
    const selector = (options.labelSelector ?? '').split(',').filter((s) => s !== '');
    const out: KubeObject[] = [];
    for (const key of this.objects.keys()) {
      const o = this.read(key);
      if (o === undefined || o.apiVersion !== apiVersion || o.kind !== kind) continue;
      if (namespace !== '' && (o.metadata.namespace ?? '') !== namespace) continue;
      const labels = o.metadata.labels ?? {};
      if (
        selector.every((s) => {
          const [k, v] = s.split('=');
          return k !== undefined && labels[k] === v;
        })
      )
        out.push(o);
    }
    return Promise.resolve(out);
  }

  public apply(
    object: KubeObject,
    options: { readonly force?: boolean; readonly dryRun?: boolean } = {},
  ): Promise<KubeObject> {
    const ref = refOf(object);
    return attempt(() => {
      this.write('apply', ref);
      const live = this.objects.get(keyOf(ref));
      // As the API server: an apply creates a missing object whatever resourceVersion it carries, and is
      // refused with a 409 by an object that exists at another one.
      const rv = object.metadata.resourceVersion;
      if (live !== undefined) this.current(ref, rv);
      const { resourceVersion: _rv, ...metadata } = object.metadata;
      const merged: KubeObject = {
        ...live,
        ...object,
        metadata: { ...live?.metadata, ...metadata },
        ...(live?.['status'] !== undefined ? { status: live['status'] } : {}),
      };
      return options.dryRun === true ? merged : this.put(merged);
    });
  }

  public create(object: KubeObject): Promise<KubeObject> {
    const ref = refOf(object);
    return attempt(() => {
      this.write('create', ref);
      if (this.objects.has(keyOf(ref)))
        throw new KubeApiError(
          `${ref.kind.toLowerCase()}s "${ref.name}" already exists`,
          409,
          'AlreadyExists',
        );
      return this.put(object);
    });
  }

  public update(object: KubeObject): Promise<KubeObject> {
    const ref = refOf(object);
    return attempt(() => {
      this.write('update', ref);
      const live = this.current(ref, object.metadata.resourceVersion);
      return this.put({ ...object, ...(live['status'] !== undefined ? { status: live['status'] } : {}) });
    });
  }

  public updateStatus(object: KubeObject): Promise<KubeObject> {
    const ref = refOf(object);
    return attempt(() => {
      this.write('status', ref);
      const live = this.current(ref, object.metadata.resourceVersion);
      return this.put({ ...live, status: object['status'] });
    });
  }

  public mergePatch(ref: ObjectRef, patch: unknown): Promise<KubeObject> {
    return attempt(() => {
      this.write('patch', ref);
      const meta = isRecord(patch) && isRecord(patch['metadata']) ? patch['metadata'] : {};
      const rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined;
      const live = this.current(ref, rv);
      const merged = mergePatchOf(live, patch);
      if (!isRecord(merged) || !isRecord(merged['metadata'])) throw new Error('a patch removed the metadata');
      const next: KubeObject = {
        ...live,
        ...merged,
        metadata: { ...live.metadata, ...merged['metadata'], name: ref.name },
      };
      return this.finish(next);
    });
  }

  /** Store a change; an object being deleted goes once its last finalizer has. */
  private finish(next: KubeObject): KubeObject {
    if (next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0) {
      this.objects.delete(keyOf(refOf(next)));
      this.events.push({ type: 'DELETED', object: next });
      return next;
    }
    return this.put(next);
  }

  public delete(
    ref: ObjectRef,
    options: { readonly preconditions?: DeletePreconditions; readonly propagationPolicy?: string } = {},
  ): Promise<void> {
    return attempt(() => {
      this.write('delete', ref);
      const live = this.current(ref, options.preconditions?.resourceVersion);
      if (options.preconditions?.uid !== undefined && options.preconditions.uid !== live.metadata.uid)
        throw conflict(ref);
      if (live.metadata.deletionTimestamp === undefined)
        this.finish({
          ...live,
          metadata: { ...live.metadata, deletionTimestamp: this.clock().toISOString() },
        });
      return;
    });
  }

  public serverVersion(): Promise<string> {
    return Promise.resolve('v1.37.2');
  }
}
