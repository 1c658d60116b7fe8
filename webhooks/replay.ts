/**
 * @module webhooks/replay
 * Signed events are proofs of origin, not of freshness: a captured `run.gantry.*` event and its signature can be
 * sent again and again. This guard refuses an event whose `time` is outside a window around now (stale, or from
 * the future), and an id seen within that window (a replay). The ids remembered are bounded: past the bound the
 * oldest is forgotten, and an event that old is refused as stale anyway once the window has passed.
 */
import { LRUCache } from 'lru-cache';

export interface ReplayGuardOptions {
  /** How far an event's time may be from now, either way (default 5 minutes). */
  readonly windowMs?: number;
  /** Ids remembered at most (default 10,000). */
  readonly maxIds?: number;
  readonly now?: () => number;
}

export class ReplayGuard {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly seen: LRUCache<string, true>;

  public constructor(options: ReplayGuardOptions = {}) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.seen = new LRUCache({ max: options.maxIds ?? 10_000, ttl: 2 * this.windowMs, ttlAutopurge: false });
  }

  /** How many ids are remembered now. */
  public get size(): number {
    return this.seen.size;
  }

  /** Why an event with this source, id and time is refused; undefined when it is fresh (and now remembered). */
  public check(source: string, id: string, time: string | undefined): string | undefined {
    const at = time === undefined ? Number.NaN : Date.parse(time);
    if (!Number.isFinite(at)) return `event ${JSON.stringify(id)} has no time; signed events need one`;
    const skew = at - this.now();
    if (Math.abs(skew) > this.windowMs)
      return `event ${JSON.stringify(id)} is ${skew < 0 ? 'stale' : 'from the future'}: its time is more than ${this.windowMs / 1000} s from now`;
    const key = JSON.stringify([source, id]);
    if (this.seen.has(key)) return `event ${JSON.stringify(id)} was received already (a replay)`;
    this.seen.set(key, true);
    return undefined;
  }
}
