/**
 * @module metrics/pko
 * PKO v1.19.0's Prometheus series (`package_operator_*`), computed from the objects as the engine writes them, so
 * dashboards and alerts built for PKO keep working. Pure: what a series should say for an object; the adapter
 * keeps the gauges.
 */
import { isRecord } from '../api/objects.js';
import type { KubeObject } from '../ports.js';

const INSTANCE_LABEL = 'package-operator.run/instance';
const SOURCE_IMAGE_ANNOTATION = 'package-operator.run/package-source-image';

/** What PKO's recorder sets for a (Cluster)Package; `deleted` when its series must go. */
export type PackageSeries =
  | { readonly deleted: true; readonly name: string; readonly namespace: string }
  | {
      readonly deleted: false;
      readonly name: string;
      readonly namespace: string;
      readonly image: string;
      /** 0 Unavailable, 1 Available, 2 Unknown (no Available condition). */
      readonly availability: 0 | 1 | 2;
      readonly createdSeconds: number;
      readonly revision: number;
    };

/** What PKO's recorder sets for a (Cluster)ObjectSet. */
export interface ObjectSetSeries {
  readonly name: string;
  readonly namespace: string;
  readonly instance: string;
  readonly image: string;
  /** Undefined: delete the created series (the set is being deleted). */
  readonly createdSeconds?: number;
  /** Seconds of its Succeeded condition's transition; 'delete' when deleted or archived; undefined: leave as is. */
  readonly succeeded?: number | 'delete';
  /** Objects it manages, per `group/version, Kind=K` (PKO's managed cache count), for active sets. */
  readonly objectsPerGvk: Readonly<Record<string, number>>;
  readonly uid: string;
}

function conditionsOf(object: KubeObject): Record<string, unknown>[] {
  const status = object['status'];
  const list = isRecord(status) ? status['conditions'] : undefined;
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

function seconds(timestamp: unknown): number {
  const t = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

export function packageSeries(object: KubeObject): PackageSeries {
  const name = object.metadata.name;
  const namespace = object.metadata.namespace ?? '';
  if (object.metadata.deletionTimestamp !== undefined) return { deleted: true, name, namespace };
  const available = conditionsOf(object).find((c) => c['type'] === 'Available');
  const availability = available?.['status'] === 'True' ? 1 : available?.['status'] === 'False' ? 0 : 2;
  const spec = object['spec'];
  const status = object['status'];
  const image = isRecord(spec) && typeof spec['image'] === 'string' ? spec['image'] : '';
  const revision = isRecord(status) && typeof status['revision'] === 'number' ? status['revision'] : 0;
  return {
    deleted: false,
    name,
    namespace,
    image,
    availability,
    createdSeconds: seconds(object.metadata.creationTimestamp),
    revision,
  };
}

/** `group/version, Kind=K` as Go's GroupVersionKind.String() writes it (`/v1, Kind=ConfigMap` for the core group). */
function gvkString(object: unknown): string | undefined {
  if (!isRecord(object)) return undefined;
  const apiVersion = object['apiVersion'];
  const kind = object['kind'];
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  return `${group ?? ''}/${version ?? ''}, Kind=${kind}`;
}

function objectsPerGvk(object: KubeObject): Record<string, number> {
  const spec = object['spec'];
  const phases = isRecord(spec) && Array.isArray(spec['phases']) ? spec['phases'] : [];
  const counts: Record<string, number> = {};
  for (const phase of phases) {
    const objects = isRecord(phase) && Array.isArray(phase['objects']) ? phase['objects'] : [];
    for (const o of objects) {
      const gvk = gvkString(isRecord(o) ? o['object'] : undefined);
      if (gvk !== undefined) counts[gvk] = (counts[gvk] ?? 0) + 1;
    }
  }
  return counts;
}

export function objectSetSeries(object: KubeObject): ObjectSetSeries {
  const deleting = object.metadata.deletionTimestamp !== undefined;
  const conditions = conditionsOf(object);
  const archived = conditions.some((c) => c['type'] === 'Archived' && c['status'] === 'True');
  const succeeded = conditions.find((c) => c['type'] === 'Succeeded');
  const spec = object['spec'];
  const active = !deleting && !(isRecord(spec) && spec['lifecycleState'] === 'Archived');
  return {
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? '',
    uid: object.metadata.uid ?? '',
    instance: object.metadata.labels?.[INSTANCE_LABEL] ?? '',
    image: object.metadata.annotations?.[SOURCE_IMAGE_ANNOTATION] ?? '',
    ...(deleting ? {} : { createdSeconds: seconds(object.metadata.creationTimestamp) }),
    ...(deleting || archived
      ? { succeeded: 'delete' as const }
      : succeeded !== undefined
        ? { succeeded: seconds(succeeded['lastTransitionTime']) }
        : {}),
    objectsPerGvk: active ? objectsPerGvk(object) : {},
  };
}
