/**
 * @module diff/objects
 * The pure part of `gantry diff` (Gantry's own, beyond PKO): objects stripped of what the server changes on every
 * write, Secret values masked as `kubectl diff` masks them, and one unified diff per object of the live state
 * against the server's dry-run result (added: against nothing; removed: to nothing).
 */
import { formatPatch, structuredPatch, FILE_HEADERS_ONLY } from 'diff';
import { stringify } from 'yaml';
import { groupOf, isRecord, versionOf } from '../api/objects.js';
import type { ObjectRef } from '../ports.js';

/** Metadata the server rewrites on every write: noise in a diff. */
const NOISE = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp'];

/** The object without server bookkeeping (managedFields, resourceVersion, generation, uid, creationTimestamp). */
export function stripNoise(object: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const meta = isRecord(object['metadata']) ? object['metadata'] : {};
  const kept = Object.fromEntries(Object.entries(meta).filter(([k]) => !NOISE.includes(k)));
  return { ...object, metadata: kept };
}

function isSecret(object: Readonly<Record<string, unknown>> | undefined): boolean {
  return object?.['apiVersion'] === 'v1' && object['kind'] === 'Secret';
}

function stringRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/**
 * Secret values masked as `kubectl diff` does: `***` where both sides hold the same value, `*** (before)` and
 * `*** (after)` where they differ, so a diff shows which keys change and never what they hold.
 */
export function maskSecrets(
  live: Readonly<Record<string, unknown>> | undefined,
  merged: Readonly<Record<string, unknown>> | undefined,
): { live: Record<string, unknown> | undefined; merged: Record<string, unknown> | undefined } {
  if (!isSecret(live) && !isSecret(merged))
    return { live: live && { ...live }, merged: merged && { ...merged } };
  const out = { live: live && { ...live }, merged: merged && { ...merged } };
  for (const field of ['data', 'stringData']) {
    const before = stringRecord(live?.[field]);
    const after = stringRecord(merged?.[field]);
    const mask = (
      own: Record<string, unknown>,
      other: Record<string, unknown>,
      tag: string,
    ): Record<string, string> =>
      Object.fromEntries(
        Object.keys(own).map((k) => [k, k in other && other[k] === own[k] ? '***' : `*** (${tag})`]),
      );
    if (out.live !== undefined && field in out.live) out.live[field] = mask(before, after, 'before');
    if (out.merged !== undefined && field in out.merged) out.merged[field] = mask(after, before, 'after');
  }
  return out;
}

/** The file name `kubectl diff` gives an object: `<group.>version.Kind.namespace.name`. */
export function diffName(ref: ObjectRef): string {
  const group = groupOf(ref.apiVersion);
  const parts = [
    ...(group !== '' ? [group] : []),
    versionOf(ref.apiVersion),
    ref.kind,
    ...(ref.namespace !== '' ? [ref.namespace] : []),
    ref.name,
  ];
  return parts.join('.');
}

/** An object as the diff shows it: YAML with sorted keys, as kubectl prints it. */
export function diffYaml(object: Readonly<Record<string, unknown>> | undefined): string {
  if (object === undefined) return '';
  return stringify(object, {
    sortMapEntries: true,
    aliasDuplicateObjects: false,
    indentSeq: false,
    lineWidth: 0,
  });
}

/** One object's unified diff (empty when the two sides are equal), `--- live/<name>` / `+++ merged/<name>`. */
export function objectDiff(
  ref: ObjectRef,
  live: Readonly<Record<string, unknown>> | undefined,
  merged: Readonly<Record<string, unknown>> | undefined,
): string {
  const masked = maskSecrets(live && stripNoise(live), merged && stripNoise(merged));
  const before = diffYaml(masked.live);
  const after = diffYaml(masked.merged);
  if (before === after) return '';
  const name = diffName(ref);
  const patch = structuredPatch(`live/${name}`, `merged/${name}`, before, after, undefined, undefined, {
    context: 3,
  });
  return formatPatch(patch, FILE_HEADERS_ONLY);
}
