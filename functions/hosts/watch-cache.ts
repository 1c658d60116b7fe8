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
 *
 * Objects are held as their JSON text (with their resourceVersion and labels beside it), by kind and namespace: a
 * read parses a fresh copy, which a step may change at will, and what the host holds is the text, about a third of
 * what the parsed objects take (at 5,000 Packages a runner held some 280 MiB of parsed objects). A list reads only
 * the namespace it asks for.
 */
import { parseKubeObject } from '../../shared/api/objects.js';
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

/** An object as the cache holds it. */
interface Entry {
  readonly json: string;
  readonly resourceVersion: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
}

/** Objects of one kind: namespace ('' for cluster-scoped) → name → entry. */
type KindStore = Map<string, Map<string, Entry>>;

function entryOf(object: KubeObject): Entry {
  return {
    json: JSON.stringify(object),
    resourceVersion: object.metadata.resourceVersion,
    labels: object.metadata.labels ?? {},
  };
}

/** A fresh copy of what an entry holds (the cache only ever stores what parsed as a KubeObject). */
function objectOf(entry: Entry): KubeObject {
  const parsed: unknown = JSON.parse(entry.json);
  const object = parseKubeObject(parsed);
  if (object === undefined) throw new Error('watch cache: an entry that is not an object');
  return object;
}

/** At most this many applies remembered (beyond it the memory starts over: applies are then sent again). */
const MAX_APPLIES = 200_000;

/** The host's watch cache. */
export class WatchCache implements ObjectCache {
  private readonly coverage = new Map<string, Coverage>();
  private readonly objects = new Map<string, KindStore>();
  /** Per kind, the objects a write found stale: read from the server until a newer version arrives. */
  private readonly stale = new Map<string, Set<string>>();
  /** Object key → the fingerprint of the host's last server-side apply to it, and the version it answered with. */
  private readonly applies = new Map<
    string,
    { readonly fingerprint: string; readonly resourceVersion: string }
  >();

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
    const before = this.objects.get(id) ?? new Map<string, Map<string, Entry>>();
    const after: KindStore = new Map();
    const set = (namespace: string, name: string, entry: Entry): void => {
      let names = after.get(namespace);
      if (names === undefined) {
        names = new Map();
        after.set(namespace, names);
      }
      names.set(name, entry);
    };
    for (const item of items)
      set(item.metadata.namespace ?? '', item.metadata.name, entryOf(this.stored(item, cover)));
    for (const [namespace, names] of before)
      for (const [name, kept] of names) {
        if (!older(listVersion, kept.resourceVersion)) continue;
        const listed = after.get(namespace)?.get(name);
        if (listed === undefined || older(listed.resourceVersion, kept.resourceVersion))
          set(namespace, name, kept);
      }
    this.objects.set(id, after);
    this.stale.delete(id);
    cover.synced = true;
  }

  /** A watch event (ADDED, MODIFIED, DELETED) of a covered kind. */
  public observe(type: string, object: KubeObject): void {
    const cover = this.coverage.get(kindId(object.apiVersion, object.kind));
    if (cover === undefined) return;
    const key = nameKey(object.metadata.namespace ?? '', object.metadata.name);
    if (type === 'DELETED') {
      this.namesOf(object)?.delete(object.metadata.name);
      this.stale.get(kindId(object.apiVersion, object.kind))?.delete(key);
      this.applies.delete(
        objectKey({ ...object, namespace: object.metadata.namespace ?? '', name: object.metadata.name }),
      );
      return;
    }
    this.put(object, cover);
  }

  /** An object as a write of this host returned it. */
  public remember(object: KubeObject): void {
    const cover = this.coverage.get(kindId(object.apiVersion, object.kind));
    if (cover === undefined || !this.selects(cover, object)) return;
    this.put(object, cover);
  }

  /**
   * Distrust the held version of an object (a write from it was refused as stale, or this host deleted it): reads
   * of it, and lists of its kind, go to the API server until its watch or a write brings a newer version. It is
   * not dropped: a list answered without it would miss an object that exists.
   */
  public invalidate(ref: ObjectRef): void {
    const id = kindId(ref.apiVersion, ref.kind);
    const key = nameKey(ref.namespace, ref.name);
    if (this.objects.get(id)?.get(ref.namespace)?.has(ref.name) === true) {
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
    const held = this.entry(ref);
    return held?.resourceVersion === last.resourceVersion ? objectOf(held) : undefined;
  }

  /** A fresh copy of the object as last seen (see ObjectCache.lookup). */
  public lookup(ref: ObjectRef): KubeObject | null | undefined {
    const held = this.entry(ref);
    if (held === undefined || held === null) return held;
    return objectOf(held);
  }

  private entry(ref: ObjectRef): Entry | null | undefined {
    const id = kindId(ref.apiVersion, ref.kind);
    const cover = this.coverage.get(id);
    if (cover?.synced !== true || !this.inNamespace(cover, ref.namespace)) return undefined;
    if (this.stale.get(id)?.has(nameKey(ref.namespace, ref.name)) === true) return undefined;
    return this.objects.get(id)?.get(ref.namespace)?.get(ref.name) ?? null;
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
    const store = this.objects.get(kindId(apiVersion, kind));
    const namespaces: Map<string, Entry>[] =
      namespace === '' ? [...(store?.values() ?? [])] : [store?.get(namespace) ?? new Map<string, Entry>()];
    const out: KubeObject[] = [];
    for (const names of namespaces)
      for (const entry of names.values())
        if (selector === undefined || matchesSelector(selector, entry.labels)) out.push(objectOf(entry));
    return out;
  }

  /** Objects held, in all (for tests and the memory bound's measurement). */
  public get size(): number {
    let n = 0;
    for (const store of this.objects.values()) for (const names of store.values()) n += names.size;
    return n;
  }

  /** The entries of the object's kind and namespace (made when `create`). */
  private namesOf(object: KubeObject, create = false): Map<string, Entry> | undefined {
    const id = kindId(object.apiVersion, object.kind);
    let store = this.objects.get(id);
    if (store === undefined) {
      if (!create) return undefined;
      store = new Map();
      this.objects.set(id, store);
    }
    const namespace = object.metadata.namespace ?? '';
    let names = store.get(namespace);
    if (names === undefined && create) {
      names = new Map();
      store.set(namespace, names);
    }
    return names;
  }

  private put(object: KubeObject, cover: Coverage): void {
    const names = this.namesOf(object, true);
    if (names === undefined) return;
    const name = object.metadata.name;
    const key = nameKey(object.metadata.namespace ?? '', name);
    const held = names.get(name);
    if (held !== undefined && older(object.metadata.resourceVersion, held.resourceVersion)) return;
    const stale = this.stale.get(kindId(object.apiVersion, object.kind));
    // The version found stale is no news; anything else is (a newer one, or one that cannot be compared).
    if (stale?.has(key) === true && held?.resourceVersion !== object.metadata.resourceVersion)
      stale.delete(key);
    if (!this.selects(cover, object)) {
      names.delete(name); // relabelled out of the watch's selection: the watch will not tell us more
      stale?.delete(key);
      return;
    }
    names.set(name, entryOf(this.stored(object, cover)));
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
