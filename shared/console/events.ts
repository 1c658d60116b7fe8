/**
 * @module console/events
 * The Events timeline of the console: core/v1 Events parsed at the boundary (zod), kept when they speak of a
 * (Cluster)Package or one of its children (its ObjectDeployment, ObjectSets `<name>-<hash>`, ObjectSetPhases), newest
 * first.
 */
import { z } from 'zod';
import type { KubeObject } from '../ports.js';

const eventSchema = z
  .object({
    metadata: z
      .object({ name: z.string(), namespace: z.string().optional(), uid: z.string().optional() })
      .loose(),
    involvedObject: z
      .object({
        kind: z.string().default(''),
        name: z.string().default(''),
        namespace: z.string().optional(),
      })
      .loose(),
    type: z.string().default('Normal'),
    reason: z.string().default(''),
    message: z.string().default(''),
    count: z.number().optional(),
    firstTimestamp: z.string().nullish(),
    lastTimestamp: z.string().nullish(),
    eventTime: z.string().nullish(),
    series: z.object({ lastObservedTime: z.string().optional() }).loose().nullish(),
  })
  .loose();

/** One entry of the timeline. */
export interface EventView {
  readonly uid: string;
  readonly time: string;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  /** `<Kind>/<name>` of the object the Event is about. */
  readonly object: string;
  readonly count: number;
}

const CHILD_KINDS = new Set(['ObjectDeployment', 'ObjectSet', 'ObjectSetPhase']);

/** The Event as the timeline shows it, or undefined when it is not an Event. */
export function eventView(
  raw: KubeObject,
): (EventView & { readonly kind: string; readonly name: string; readonly namespace: string }) | undefined {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const time = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';
  return {
    uid: e.metadata.uid ?? `${e.metadata.namespace ?? ''}/${e.metadata.name}`,
    time,
    type: e.type,
    reason: e.reason,
    message: e.message,
    object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
    count: e.count ?? 1,
    kind: e.involvedObject.kind,
    name: e.involvedObject.name,
    namespace: e.involvedObject.namespace ?? e.metadata.namespace ?? '',
  };
}

/** Whether an Event speaks of the (Cluster)Package `name` in `namespace` or of one of its children. */
export function concernsPackage(
  event: { readonly kind: string; readonly name: string; readonly namespace: string },
  kind: 'Package' | 'ClusterPackage',
  namespace: string,
  name: string,
): boolean {
  const cluster = kind === 'ClusterPackage';
  const bare = event.kind.startsWith('Cluster') ? event.kind.slice('Cluster'.length) : event.kind;
  if (event.kind.startsWith('Cluster') !== cluster) return false;
  if (!cluster && event.namespace !== namespace) return false;
  if (bare === 'Package' || bare === 'ObjectDeployment') return event.name === name;
  return CHILD_KINDS.has(bare) && event.name.startsWith(`${name}-`);
}

/** The timeline of a Package: its Events and its children's, newest first, at most `limit`. */
export function packageTimeline(
  events: readonly KubeObject[],
  kind: 'Package' | 'ClusterPackage',
  namespace: string,
  name: string,
  limit = 200,
): readonly EventView[] {
  return events
    .map(eventView)
    .filter((e): e is NonNullable<ReturnType<typeof eventView>> => e !== undefined)
    .filter((e) => concernsPackage(e, kind, namespace, name))
    .sort((a, b) => b.time.localeCompare(a.time))
    .slice(0, limit)
    .map(({ kind: _k, name: _n, namespace: _ns, ...view }) => view);
}
