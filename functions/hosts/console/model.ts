/**
 * @module hosts/console/model
 * The console's answers, from the watch cache: the Package list, one Package in detail (state, pipeline of the
 * current revision, the previous revision, history, Events, the actions the user may take) and the object-level
 * diff between two revisions. ObjectSlices (big packages keep their objects there) are read on demand and kept in a
 * bounded cache (a slice never changes: its name is its content's hash).
 */
import { LRUCache } from 'lru-cache';
import { API_VERSION, LABEL_INSTANCE, scopedKind } from '../../../shared/api/constants.js';
import { isRecord, parseKubeObject } from '../../../shared/api/objects.js';
import {
  objectSetSchema,
  objectSliceSchema,
  packageSchema,
  type ApiObjectSet,
  type ApiPackage,
} from '../../../shared/api/resources.js';
import { ANNOTATION_PROPOSED } from '../../../shared/catalog/model.js';
import type { ActionRights, PackageDetail } from '../../../shared/console/api.js';
import { revisionDiff, type ObjectDiffView } from '../../../shared/console/diff.js';
import { packageTimeline } from '../../../shared/console/events.js';
import {
  currentSet,
  packageSummary,
  pipelineOf,
  revisionViews,
  type PackageSummary,
  type PhaseObjects,
} from '../../../shared/console/view.js';
import type { KubeApi, KubeObject } from '../../../shared/ports.js';
import type { WatchCache } from './cache.js';

/** A (Cluster)Package the console addresses: from a key `<kind>/<namespace>/<name>`. */
export interface PackageAddress {
  readonly kind: 'Package' | 'ClusterPackage';
  readonly namespace: string;
  readonly name: string;
}

/** The address a key names, or undefined when it names none. */
export function parseKey(key: string): PackageAddress | undefined {
  const m = /^(Package|ClusterPackage)\/([a-z0-9.-]{0,253})\/([a-z0-9.-]{1,253})$/.exec(key);
  if (m === null) return undefined;
  const [, kind, namespace = '', name = ''] = m;
  if (kind === 'Package' && namespace !== '') return { kind, namespace, name };
  if (kind === 'ClusterPackage' && namespace === '') return { kind, namespace, name };
  return undefined;
}

/** Most objects a revision's diff reads (in its spec and slices). */
const MAX_DIFF_OBJECTS = 2000;

function parsed<T>(
  schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false } },
  o: KubeObject,
): T | undefined {
  const r = schema.safeParse(o);
  return r.success ? r.data : undefined;
}

/** The Package list from the cache. */
export function packageList(cache: WatchCache): PackageSummary[] {
  return [...cache.list('Package'), ...cache.list('ClusterPackage')]
    .map((o) => parsed(packageSchema, o))
    .filter((p): p is ApiPackage => p !== undefined)
    .map(packageSummary);
}

/** The summary of one Package, undefined when it is not (or no longer) there. */
export function summaryOf(cache: WatchCache, address: PackageAddress): PackageSummary | undefined {
  const raw = cache.get(address.kind, address.namespace, address.name);
  const pkg = raw === undefined ? undefined : parsed(packageSchema, raw);
  return pkg === undefined ? undefined : packageSummary(pkg);
}

/** The ObjectSets of a Package (by `package-operator.run/instance`), from the cache. */
export function packageSets(cache: WatchCache, address: PackageAddress): ApiObjectSet[] {
  const kind = scopedKind('ObjectSet', address.kind === 'ClusterPackage');
  return cache
    .list(kind)
    .filter(
      (o) =>
        (o.metadata.namespace ?? '') === address.namespace &&
        o.metadata.labels?.[LABEL_INSTANCE] === address.name,
    )
    .map((o) => parsed(objectSetSchema, o))
    .filter((s): s is ApiObjectSet => s !== undefined);
}

/** Whether a change of `object` (of `kind`) may change what the page of `address` shows. */
export function concerns(kind: string, object: KubeObject, address: PackageAddress): boolean {
  if ((object.metadata.namespace ?? '') !== address.namespace && kind !== 'Event') return false;
  if (kind === address.kind) return object.metadata.name === address.name;
  if (kind.endsWith('ObjectDeployment')) return object.metadata.name === address.name;
  if (kind.endsWith('ObjectSet')) return object.metadata.labels?.[LABEL_INSTANCE] === address.name;
  if (kind === 'Event') {
    const involved = object['involvedObject'];
    return isRecord(involved) && typeof involved['name'] === 'string'
      ? involved['name'] === address.name || involved['name'].startsWith(`${address.name}-`)
      : false;
  }
  return false;
}

/** Reads the objects of ObjectSets, slices included, through a bounded cache of slices. */
export class SliceReader {
  private readonly slices = new LRUCache<string, { readonly object: Record<string, unknown> }[]>({
    max: 500,
  });

  public constructor(private readonly kube: KubeApi) {}

  /**
   * The object as the ObjectSet step places it: a namespaced kind without a namespace goes to the ObjectSet's own
   * (discovery says which kinds are namespaced; a kind the server does not serve is left as it is).
   */
  public async placed(object: KubeObject, namespace: string): Promise<KubeObject> {
    if ((object.metadata.namespace ?? '') !== '' || namespace === '') return object;
    const info = await this.kube.resource(object.apiVersion, object.kind).catch(() => undefined);
    return info?.namespaced === true ? { ...object, metadata: { ...object.metadata, namespace } } : object;
  }

  /** The phases of a revision with their objects (those of its slices only when `slices`). */
  public async phases(set: ApiObjectSet, slices = true): Promise<PhaseObjects[]> {
    const out: PhaseObjects[] = [];
    for (const phase of set.spec.phases) {
      const objects = [...(phase.objects ?? [])];
      if (slices) for (const name of phase.slices ?? []) objects.push(...(await this.slice(set, name)));
      out.push({ name: phase.name, objects });
    }
    return out;
  }

  private async slice(
    set: ApiObjectSet,
    name: string,
  ): Promise<{ readonly object: Record<string, unknown> }[]> {
    const namespace = set.metadata.namespace ?? '';
    const id = `${set.kind}/${namespace}/${name}`;
    const hit = this.slices.get(id);
    if (hit !== undefined) return hit;
    const kind = scopedKind('ObjectSlice', set.kind === 'ClusterObjectSet');
    const raw = await this.kube.get({ apiVersion: API_VERSION, kind, namespace, name });
    const slice = parsed(objectSliceSchema, raw);
    const objects = slice?.objects ?? [];
    this.slices.set(id, objects);
    return objects;
  }
}

function previousRevision(
  sets: readonly ApiObjectSet[],
  current: ApiObjectSet | undefined,
): number | undefined {
  if (current === undefined) return undefined;
  const views = revisionViews(sets);
  const now = current.status.revision ?? current.spec.revision;
  return views.find((r) => r.revision < now && r.lifecycleState !== 'Archived')?.revision;
}

/** What of a Package's page its viewer may see besides the Package: its ObjectSets, their slices, its Events. */
export interface DetailVisibility {
  readonly sets: boolean;
  readonly slices: boolean;
  readonly events: boolean;
}

/** One Package in detail; undefined when it is not there. */
export async function packageDetail(
  cache: WatchCache,
  slices: SliceReader,
  address: PackageAddress,
  actions: ActionRights,
  seen: DetailVisibility = { sets: true, slices: true, events: true },
): Promise<PackageDetail | undefined> {
  const raw = cache.get(address.kind, address.namespace, address.name);
  const pkg = raw === undefined ? undefined : parsed(packageSchema, raw);
  if (pkg === undefined) return undefined;
  const sets = seen.sets ? packageSets(cache, address) : [];
  const current = currentSet(sets);
  return {
    summary: packageSummary(pkg),
    paused: pkg.spec.paused === true,
    pauseMessage: pkg.metadata.annotations?.['package-operator.run/pause-message'] ?? '',
    conditions: (pkg.status.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    pipeline:
      current === undefined ? undefined : pipelineOf(current, await slices.phases(current, seen.slices)),
    previous: previousRevision(sets, current),
    proposed: pkg.metadata.annotations?.[ANNOTATION_PROPOSED],
    revisions: revisionViews(sets),
    events: seen.events
      ? packageTimeline(cache.list('Event'), address.kind, address.namespace, address.name)
      : [],
    actions,
  };
}

/** The objects of a revision (spec and slices), at most {@link MAX_DIFF_OBJECTS}. */
async function revisionObjects(slices: SliceReader, set: ApiObjectSet): Promise<KubeObject[]> {
  const objects = (await slices.phases(set))
    .flatMap((p) => p.objects.map((o) => parseKubeObject(o.object)))
    .filter((o): o is KubeObject => o !== undefined)
    .slice(0, MAX_DIFF_OBJECTS);
  const namespace = set.metadata.namespace ?? '';
  const placed: KubeObject[] = [];
  for (const o of objects) placed.push(await slices.placed(o, namespace));
  return placed;
}

/** The object-level diff between revisions `from` and `to` of a Package; undefined when either is not there. */
export async function diffRevisions(
  cache: WatchCache,
  slices: SliceReader,
  address: PackageAddress,
  from: number,
  to: number,
): Promise<readonly ObjectDiffView[] | undefined> {
  const sets = packageSets(cache, address);
  const find = (n: number): ApiObjectSet | undefined =>
    sets.find((s) => (s.status.revision ?? s.spec.revision) === n);
  const a = find(from);
  const b = find(to);
  if (a === undefined || b === undefined) return undefined;
  return revisionDiff(await revisionObjects(slices, a), await revisionObjects(slices, b));
}
