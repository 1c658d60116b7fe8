/**
 * @module triggers
 * Pure decisions of the trigger hosts: which replica owns a key (`--shard I/N`), which objects a schedule tick
 * runs, and whether a registry push names a Package's image.
 */
import { createHash } from 'node:crypto';
import { API_VERSION, isReconciledKind, KINDS } from '../api/constants.js';
import { controllerOf, isRecord } from '../api/objects.js';
import { parseReference } from '../oci/reference.js';
import type { KubeMeta, KubeObject, ObjectRef } from '../ports.js';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parse `I/N` (0 ≤ I < N ≤ 1024). */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (m === null) return `--shard must be I/N (e.g. 0/3), got ${JSON.stringify(text)}`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1024 || index >= count) return `--shard ${text}: need 0 <= I < N <= 1024`;
  return { index, count };
}

/** The shard a key belongs to: a stable hash, the same on every replica and every version. */
export function shardOf(key: string, count: number): number {
  if (count <= 1) return 0;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % count;
}

export function owns(shard: Shard | undefined, key: string): boolean {
  return shard === undefined || shardOf(key, shard.count) === shard.index;
}

function progressOf(object: KubeObject): Record<string, unknown> {
  const status = object['status'];
  const p = isRecord(status) ? status['progress'] : undefined;
  return isRecord(p) ? p : {};
}

/**
 * Whether a schedule tick runs an object: its persisted requeue is due, it is being deleted, its spec changed
 * since its last step, or its last step did not finish and asked for no particular time (waiting on others).
 * `full` (a drift resync) runs everything.
 */
export function isDue(object: KubeObject, now: Date, full: boolean): boolean {
  if (full || object.metadata.deletionTimestamp !== undefined) return true;
  const p = progressOf(object);
  if (p['step'] === undefined) return true;
  if (
    typeof p['observedGeneration'] === 'number' &&
    p['observedGeneration'] !== (object.metadata.generation ?? 0)
  )
    return true;
  const next = p['nextAttemptTime'];
  if (typeof next === 'string') return Date.parse(next) <= now.getTime();
  return p['step'] !== 'done';
}

/** Docker Hub's names for itself. */
const HUB = new Set(['', 'docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Does a push of `registry/repository:tag` name this image reference (tags only: digests never move)? */
export function imageMatches(
  image: string,
  push: { registry: string; repository: string; tag: string },
): boolean {
  const ref = parseReference(image);
  if (!ref.ok || ref.value.digest !== undefined) return false;
  const tag = ref.value.tag ?? 'latest';
  if (tag !== push.tag) return false;
  const hub = HUB.has(ref.value.registry);
  const repo =
    hub && !ref.value.repository.includes('/') ? `library/${ref.value.repository}` : ref.value.repository;
  const pushRepo = hub && !push.repository.includes('/') ? `library/${push.repository}` : push.repository;
  if (repo !== pushRepo) return false;
  if (push.registry === '') return true;
  return hub ? HUB.has(push.registry) : ref.value.registry === push.registry;
}

/** The digest part of `status.resolvedImage` (`…@sha256:…`), if any. */
export function resolvedDigest(object: KubeObject): string | undefined {
  const status = object['status'];
  const resolved = isRecord(status) ? status['resolvedImage'] : undefined;
  if (typeof resolved !== 'string') return undefined;
  const at = resolved.lastIndexOf('@');
  return at < 0 ? undefined : resolved.slice(at + 1);
}

/**
 * The Gantry object that controls `child` (its controller reference, when that is a kind the engine reconciles):
 * in the child's namespace for a namespaced controller, in none ('') for a cluster-scoped one (a
 * ClusterObjectTemplate's output Package). Admission, the runner and the triggers all key controllers with it, so
 * one object never has two queue keys.
 */
export function controllerKeyOf(child: { readonly metadata: KubeMeta }): ObjectRef | undefined {
  const owner = controllerOf(child.metadata);
  if (owner === undefined || owner.apiVersion !== API_VERSION || !isReconciledKind(owner.kind))
    return undefined;
  return {
    apiVersion: API_VERSION,
    kind: owner.kind,
    namespace: KINDS[owner.kind].namespaced ? (child.metadata.namespace ?? '') : '',
    name: owner.name,
  };
}

/**
 * How far ahead of waiting work a key of this kind goes when it is due now (ms): an install's later steps first
 * (an ObjectSet's apply and probe, then its ObjectDeployment's rollout), so what is under way finishes before new
 * Packages start. Bounded: a Package waits at most a minute behind them.
 */
export function installPrecedenceMs(kind: string): number {
  switch (kind) {
    case 'ObjectSet':
    case 'ClusterObjectSet':
    case 'ObjectSetPhase':
    case 'ClusterObjectSetPhase':
      return 60_000;
    case 'ObjectDeployment':
    case 'ClusterObjectDeployment':
      return 30_000;
    default:
      return 0;
  }
}
