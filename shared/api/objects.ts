/**
 * @module api/objects
 * Type guards and small accessors for Kubernetes objects read as JSON (no `as` on input): what the steps
 * read from the API server is checked here before it is trusted.
 */
import type { KubeMeta, KubeObject, KubeOwnerReference, ObjectRef } from '../ports.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function ownerReference(value: unknown): KubeOwnerReference | undefined {
  if (!isRecord(value)) return undefined;
  const { apiVersion, kind, name, uid, controller, blockOwnerDeletion } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string')
    return undefined;
  if (typeof uid !== 'string') return undefined;
  return {
    apiVersion,
    kind,
    name,
    uid,
    ...(typeof controller === 'boolean' ? { controller } : {}),
    ...(typeof blockOwnerDeletion === 'boolean' ? { blockOwnerDeletion } : {}),
  };
}

/** The metadata of an object, or undefined when it has no name. */
export function parseMeta(value: unknown): KubeMeta | undefined {
  if (!isRecord(value)) return undefined;
  const m = value;
  const name = m['name'];
  if (typeof name !== 'string') return undefined;
  const str = (k: string): string | undefined => (typeof m[k] === 'string' ? m[k] : undefined);
  const labels = stringMap(m['labels']);
  const annotations = stringMap(m['annotations']);
  const finalizers = Array.isArray(m['finalizers'])
    ? m['finalizers'].filter((f): f is string => typeof f === 'string')
    : undefined;
  const owners = Array.isArray(m['ownerReferences'])
    ? m['ownerReferences'].map(ownerReference).filter((o): o is KubeOwnerReference => o !== undefined)
    : undefined;
  return {
    ...m,
    name,
    ...(labels !== undefined ? { labels } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
    ...(finalizers !== undefined ? { finalizers } : {}),
    ...(owners !== undefined ? { ownerReferences: owners } : {}),
    ...(str('namespace') !== undefined ? { namespace: str('namespace') } : {}),
    ...(typeof m['generation'] === 'number' ? { generation: m['generation'] } : {}),
  };
}

/** A Kubernetes object (apiVersion, kind, metadata.name), or undefined. */
export function parseKubeObject(value: unknown): KubeObject | undefined {
  if (!isRecord(value)) return undefined;
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const metadata = parseMeta(value['metadata']);
  if (metadata === undefined) return undefined;
  return { ...value, apiVersion, kind, metadata };
}

/** The reference of an object. */
export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
  };
}

/** `group` of an apiVersion (`apps/v1` → `apps`, `v1` → ``). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `version` of an apiVersion. */
export function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

/** PKO's object key in messages: `<ns>/<name>` (ns may be empty). */
export function nsName(ref: { readonly namespace: string; readonly name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

/** apimachinery's GroupVersionKind String(): `apps/v1, Kind=Deployment`, `/v1, Kind=ConfigMap`. */
export function gvkString(apiVersion: string, kind: string): string {
  return `${groupOf(apiVersion)}/${versionOf(apiVersion)}, Kind=${kind}`;
}

/** The controller owner reference, if any. */
export function controllerOf(meta: KubeMeta): KubeOwnerReference | undefined {
  return meta.ownerReferences?.find((o) => o.controller === true);
}

/** A field of a nested record, or undefined. */
export function field(value: unknown, ...path: readonly string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}
