/**
 * @module steps/progress
 * Whether a new status is worth a write. `status.progress` records where a key's steps are: which step ran last,
 * its phase, and, while it fails or waits, the attempt, the next attempt's time and the last error, which a host
 * that resumes the key needs. A status that differs from the stored one only in the name of the step or phase that
 * ran last, while neither records a failure or a wait, tells nobody anything new: every step decides from the
 * objects, never from that name. Such a write is skipped (it was one write per step of every install).
 */
import { isRecord } from '../api/objects.js';
import { canonicalJson } from '../render/hash.js';

/** Progress fields that only name where the last step was. */
const WHERE = ['step', 'phase'] as const;
/** Progress fields a resuming host needs. */
const RESUME = ['attempt', 'nextAttemptTime', 'lastError'] as const;

function progressOf(status: unknown): Record<string, unknown> {
  const p = isRecord(status) ? status['progress'] : undefined;
  return isRecord(p) ? p : {};
}

function resumable(progress: Record<string, unknown>): boolean {
  return RESUME.some((k) => progress[k] !== undefined);
}

function withoutWhere(status: Record<string, unknown>): Record<string, unknown> {
  const progress = { ...progressOf(status) };
  for (const k of WHERE) Reflect.deleteProperty(progress, k);
  return { ...status, progress };
}

/** Whether writing `next` over `stored` changes something a user, a step or a resuming host reads. */
export function statusWorthWriting(stored: unknown, next: Record<string, unknown>): boolean {
  const before = isRecord(stored) ? stored : {};
  if (canonicalJson(before) === canonicalJson(next)) return false;
  if (resumable(progressOf(before)) || resumable(progressOf(next))) return true;
  if (!isRecord(before['progress'])) return true;
  return canonicalJson(withoutWhere(before)) !== canonicalJson(withoutWhere(next));
}
