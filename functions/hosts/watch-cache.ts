/**
 * @module hosts/watch-cache
 * The latest object of every watch a watching host runs (the runner, `run --serve`), kept so that steps read from
 * memory instead of GETting and LISTing what the host already saw (ports.ts `ObjectCache`).
 *
 * A watch covers one kind in one namespace ('' = all), optionally only the objects of a label selector (the
 * objects an engine manages carry `package-operator.run/cache=True`). The cache answers for a kind only once that
 * watch's first LIST is in. It never answers "gone" for an object its watch does not select: `lookup` says `null`
 * (not seen), and callers either ask the API server or make a write that fails when the object exists.
 *
 * Versions only move forward: an event or a LIST older than what the host itself wrote (`remember`) is ignored,
 * so the host's next step sees its own last write, not the watch lagging behind it. A write refused as a
 * conflict makes it distrust the entry (`invalidate`), so the retry reads from the API server.
 */
import { refOf } from '../../shared/api/objects.js';
import { hasObjectUpdateEntries } from '../../shared/phases/managed-fields.js';
import { matchesSelector, parseSelectorString, type LabelSelector } from '../../shared/probing/selector.js';
import type { KubeObject, ObjectCache, ObjectRef } from '../../shared/ports.js';

interface Coverage {
  readonly namespace: string;
  readonly selector: LabelSelector | undefined;
  /** The watch's first LIST is in. */
  synced: boolean;
  /**
   * Keep `metadata.managedFields` where adoption may migrate them: on objects with a client-side (`Update`) entry.
   * Gantry's own kinds never need them.
   */
  readonly managedFields: boolean;
}

function kindId(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

function nameKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** resourceVersion a is older than b (both etcd revisions; anything else compares as not older). */
function older(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length === b.length ? a < b : a.length < b.length;
}

function objectKey(ref: ObjectRef): string {
  return `${kindId(ref.apiVersion, ref.kind)}|${nameKey(ref.namespace, ref.name)}`;
}

function labelsOf(object: KubeObject): Readonly<Record<string, string>> {
  return object.metadata.labels ?? {};
}

function withoutManagedFields(object: KubeObject): KubeObject {
  if (!('managedFields' in object.metadata)) return object;
  const metadata = { ...object.metadata };
  Reflect.deleteProperty(metadata, 'managedFields');
  return { ...object, metadata };
}

/** At most this many applies remembered (beyond it the memory starts over: applies are then sent again). */
const MAX_APPLIES = 200_000;

/**
 * At most this many answers of the API server remembered with their time ({@link WatchCache.answeredAgoMs}): only
 * the last second's matter, and the oldest are forgotten first.
 */
const MAX_ANSWERS = 4_096;

/** The host's watch cache. */
export class WatchCache implements ObjectCache {
  private readonly coverage = new Map<string, Coverage>();
  /** Object key → the version the API server last answered this host with (a write's or a read's answer), and when. */
  private readonly answers = new Map<string, { readonly resourceVersion: string; readonly at: number }>();
  /** Object key → this host's latest request of it still waiting for the API server's answer. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  /** Per kind, the objects a write found stale: read from the server until a newer version arrives. */
  private readonly stale = new Map<string, Set<string>>();
  /** Object key → the fingerprint of the host's last server-side apply to it, and the version it answered with. */
  private readonly applies = new Map<
    string,
    { readonly fingerprint: string; readonly resourceVersion: string }
  >();

  public constructor(private readonly now: () => number = Date.now) {}

  /** A watch of this kind starts (namespace '' = all namespaces and cluster-scoped objects). */
  public cover(
    apiVersion: string,
    kind: string,
    options: { readonly namespace: string; readonly labelSelector?: string; readonly managedFields: boolean },
  ): void {
    const selector =
      options.labelSelector === undefined ? undefined : parseSelectorString(options.labelSelector);
    // A selector the cache cannot evaluate covers nothing: every read goes to the API server.
    if (options.labelSelector !== undefined && selector === undefined) return;
    this.coverage.set(kindId(apiVersion, kind), {
      namespace: options.namespace,
      selector,
      synced: false,
      managedFields: options.managedFields,
    });
  }

  /** The first LIST of a watch (or a fresh one after a 410): the kind's objects are these (newer own writes kept). */
  public replace(apiVersion: string, kind: string, items: readonly KubeObject[], listVersion: string): void {
    const id = kindId(apiVersion, kind);
    const cover = this.coverage.get(id);
    if (cover === undefined) return;
    const before = this.objects.get(id) ?? new Map<string, KubeObject>();
    const after = new Map<string, KubeObject>();
    for (const item of items) after.set(nameKey(item.metadata.namespace ?? '', item.metadata.name), item);
    for (const [key, kept] of before)
      if (older(listVersion, kept.metadata.resourceVersion)) {
        const listed = after.get(key);
        if (listed === undefined || older(listed.metadata.resourceVersion, kept.metadata.resourceVersion))
          after.set(key, kept);
      }
    this.objects.set(id, new Map([...after].map(([k, o]) => [k, this.stored(o, cover)])));
    this.stale.delete(id);
    cover.synced = true;
  }

  /** A watch event (ADDED, MODIFIED, DELETED) of a covered kind. */
  public observe(type: string, object: KubeObject): void {
    const cover = this.coverage.get(kindId(object.apiVersion, object.kind));
    if (cover === undefined) return;
    const key = nameKey(object.metadata.namespace ?? '', object.metadata.name);
    const store = this.storeOf(object);
    if (type === 'DELETED') {
      store.delete(key);
      this.stale.get(kindId(object.apiVersion, object.kind))?.delete(key);
      this.applies.delete(
        objectKey({ ...object, namespace: object.metadata.namespace ?? '', name: object.metadata.name }),
      );
      return;
    }
    this.put(store, key, object, cover);
  }

  /** An object as the API server answered this host (a write's answer, or a read's the cache could not serve). */
  public remember(object: KubeObject): void {
    this.answered(object);
    const cover = this.coverage.get(kindId(object.apiVersion, object.kind));
    if (cover === undefined || !this.selects(cover, object)) return;
    this.put(
      this.storeOf(object),
      nameKey(object.metadata.namespace ?? '', object.metadata.name),
      object,
      cover,
    );
  }

  private answered(object: KubeObject): void {
    const rv = object.metadata.resourceVersion;
    if (rv === undefined) return;
    const key = objectKey(refOf(object));
    this.answers.delete(key); // re-inserted: the map stays in the order of the answers
    this.answers.set(key, { resourceVersion: rv, at: this.now() });
    if (this.answers.size > MAX_ANSWERS) {
      const oldest = this.answers.keys().next();
      if (oldest.done !== true) this.answers.delete(oldest.value);
    }
  }

  /**
   * A request of this host for the object, waiting for its answer (which `remember` gets when it comes): askers of
   * {@link answeredAgoMs} wait for it, since the watch event of a write can arrive before the write's own answer.
   */
  public asking(ref: ObjectRef, answer: Promise<unknown>): void {
    const key = objectKey(ref);
    this.inFlight.set(key, answer);
    const done = (): void => {
      if (this.inFlight.get(key) === answer) this.inFlight.delete(key);
    };
    answer.then(done, done);
  }

  /**
   * How long ago the API server answered this host with this version of the object (the answer to a write of it or
   * to a GET), once this host's request of it under way is answered; undefined when it did not, or when a watch
   * brought that version.
   */
  public async answeredAgoMs(ref: ObjectRef, resourceVersion: string): Promise<number | undefined> {
    const key = objectKey(ref);
    await this.inFlight.get(key)?.catch(() => undefined);
    const answer = this.answers.get(key);
    return answer?.resourceVersion === resourceVersion ? this.now() - answer.at : undefined;
  }

  /**
   * Distrust the held version of an object (a write from it was refused as stale, or this host deleted it): reads
   * of it, and lists of its kind, go to the API server until its watch or a write brings a newer version. It is
   * not dropped: a list answered without it would miss an object that exists.
   */
  public invalidate(ref: ObjectRef): void {
    const id = kindId(ref.apiVersion, ref.kind);
    const key = nameKey(ref.namespace, ref.name);
    if (this.objects.get(id)?.has(key) === true) {
      let stale = this.stale.get(id);
      if (stale === undefined) {
        stale = new Set();
        this.stale.set(id, stale);
      }
      stale.add(key);
    }
    this.applies.delete(objectKey(ref));
  }

  /** This host applied a body with this fingerprint to the object, and the API server answered with this version. */
  public recordApply(ref: ObjectRef, fingerprint: string, resourceVersion: string): void {
    if (this.applies.size >= MAX_APPLIES) this.applies.clear();
    this.applies.set(objectKey(ref), { fingerprint, resourceVersion });
  }

  /**
   * The object as the host's last apply of the same body left it, when its watch shows it unchanged since (still
   * at the version that apply answered with): applying it again would change nothing. Undefined otherwise.
   */
  public unchangedSinceApply(ref: ObjectRef, fingerprint: string): KubeObject | undefined {
    const last = this.applies.get(objectKey(ref));
    if (last?.fingerprint !== fingerprint) return undefined;
    const held = this.lookup(ref);
    return held?.metadata.resourceVersion === last.resourceVersion ? held : undefined;
  }

  public lookup(ref: ObjectRef): KubeObject | null | undefined {
    const id = kindId(ref.apiVersion, ref.kind);
    const cover = this.coverage.get(id);
    if (cover?.synced !== true || !this.inNamespace(cover, ref.namespace)) return undefined;
    const key = nameKey(ref.namespace, ref.name);
    if (this.stale.get(id)?.has(key) === true) return undefined;
    return this.objects.get(id)?.get(key) ?? null;
  }

  public list(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector?: string,
  ): KubeObject[] | undefined {
    const cover = this.coverage.get(kindId(apiVersion, kind));
    // Only a watch of all objects of the kind can answer a list (a selected watch misses the rest).
    if (cover?.synced !== true || cover.selector !== undefined || !this.inNamespace(cover, namespace))
      return undefined;
    if ((this.stale.get(kindId(apiVersion, kind))?.size ?? 0) > 0) return undefined;
    const selector = labelSelector === undefined ? undefined : parseSelectorString(labelSelector);
    if (labelSelector !== undefined && selector === undefined) return undefined;
    const out: KubeObject[] = [];
    for (const object of this.objects.get(kindId(apiVersion, kind))?.values() ?? []) {
      if (namespace !== '' && (object.metadata.namespace ?? '') !== namespace) continue;
      if (selector !== undefined && !matchesSelector(selector, labelsOf(object))) continue;
      out.push(object);
    }
    return out;
  }

  /** Objects held, in all (for tests and the memory bound's measurement). */
  public get size(): number {
    let n = 0;
    for (const store of this.objects.values()) n += store.size;
    return n;
  }

  private storeOf(object: KubeObject): Map<string, KubeObject> {
    const id = kindId(object.apiVersion, object.kind);
    let store = this.objects.get(id);
    if (store === undefined) {
      store = new Map();
      this.objects.set(id, store);
    }
    return store;
  }

  private put(store: Map<string, KubeObject>, key: string, object: KubeObject, cover: Coverage): void {
    const held = store.get(key);
    if (held !== undefined && older(object.metadata.resourceVersion, held.metadata.resourceVersion)) return;
    const stale = this.stale.get(kindId(object.apiVersion, object.kind));
    // The version found stale is no news; anything else is (a newer one, or one that cannot be compared).
    if (stale?.has(key) === true && held?.metadata.resourceVersion !== object.metadata.resourceVersion)
      stale.delete(key);
    if (!this.selects(cover, object)) {
      store.delete(key); // relabelled out of the watch's selection: the watch will not tell us more
      stale?.delete(key);
      return;
    }
    store.set(key, this.stored(object, cover));
  }

  private stored(object: KubeObject, cover: Coverage): KubeObject {
    return cover.managedFields && hasObjectUpdateEntries(object.metadata)
      ? object
      : withoutManagedFields(object);
  }

  private selects(cover: Coverage, object: KubeObject): boolean {
    if (!this.inNamespace(cover, object.metadata.namespace ?? '')) return false;
    return cover.selector === undefined || matchesSelector(cover.selector, labelsOf(object));
  }

  private inNamespace(cover: Coverage, namespace: string): boolean {
    return cover.namespace === '' || namespace === '' || namespace === cover.namespace;
  }
}

/** Whether a value read from the cache may be handed out: a deep copy, so a step's changes never reach the cache. */
export function copyOf(object: KubeObject): KubeObject {
  return structuredClone(object);
}
