/**
 * @module retry
 * How long to wait before trying the world again: exponential back-off, capped, with jitter so that many clients
 * that failed together do not retry together; never sooner than the server's `Retry-After` (itself bounded, so a
 * server cannot park a client for days).
 */

export interface Backoff {
  readonly baseMs: number;
  readonly capMs: number;
}

/** The longest `Retry-After` honoured. */
export const RETRY_AFTER_CAP_MS = 600_000;

/**
 * The wait before retry number `attempt` (0 first): `base·2^attempt` capped at `cap`, of which the upper half is
 * random ("equal jitter": `random` in [0, 1) comes from the caller), at least `retryAfterMs` (bounded).
 */
export function retryDelayMs(attempt: number, backoff: Backoff, random: number, retryAfterMs = 0): number {
  const exp = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  const jittered = Math.round(exp / 2 + (exp / 2) * Math.min(Math.max(random, 0), 1));
  return Math.max(jittered, Math.min(Math.max(retryAfterMs, 0), RETRY_AFTER_CAP_MS));
}
