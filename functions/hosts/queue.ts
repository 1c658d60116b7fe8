/**
 * @module hosts/queue
 * The runner's work queue: one entry per key (de-duplicated), a due time per key (timers for requeues), at
 * most `concurrency` keys in flight, never the same key twice at once (a key triggered while running runs
 * again right after), a token-bucket rate limit, and a clean drain on stop.
 *
 * Scheduling is O(log n): the due times live in a binary min-heap beside the map of keys (an entry whose key was
 * rescheduled earlier or started is skipped when it surfaces, and the heap is rebuilt when such entries pile
 * up). The queue holds at most `maxKeys` waiting keys: a new key beyond that is refused (`add` returns false,
 * `onRefused` counts it) and the host answers event senders 429 while {@link WorkQueue.full}; a refused key is
 * not lost, its object's status keeps what is due and the schedule tick or a resync finds it.
 */
/** Waiting keys at most, by default. */
export const MAX_QUEUED_KEYS = 100_000;

export interface QueueOptions {
  readonly concurrency: number;
  /** Steps started per second at most (a burst of `concurrency` allowed). */
  readonly ratePerSecond: number;
  readonly run: (key: string) => Promise<number | undefined>;
  readonly onError?: (key: string, error: unknown) => void;
  /** Waiting keys at most (default MAX_QUEUED_KEYS). */
  readonly maxKeys?: number;
  /** A key was refused because the queue was full. */
  readonly onRefused?: (key: string) => void;
  /**
   * How far ahead of waiting work a key added to run now goes, ms (default 0: first come, first served). A host
   * gives the later steps of an install precedence (its ObjectSets over its ObjectDeployments over new Packages),
   * so work already started finishes before new work starts: with 10,000 Packages created at once, the first are
   * Available within seconds instead of after every Package has rendered. Bounded, so nothing waits forever.
   */
  readonly precedenceMs?: (key: string) => number;
}

/**
 * A binary min-heap of due times and keys, kept in two parallel arrays (a Float64Array of times, an array of
 * keys): an entry costs 8 bytes and a slot, no object of its own, which is what a flood of forged keys fills.
 */
class DueHeap {
  private times = new Float64Array(64);
  private keys: string[] = [];

  public get size(): number {
    return this.keys.length;
  }

  /** The earliest due time (undefined: empty). */
  public peekAt(): number | undefined {
    return this.keys.length === 0 ? undefined : this.times[0];
  }

  /** The key of the earliest due time ('' when empty). */
  public peekKey(): string {
    return this.keys[0] ?? '';
  }

  public push(at: number, key: string): void {
    let i = this.keys.length;
    if (i === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    this.keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.times[parent] ?? 0;
      if (p <= at) break;
      this.times[i] = p;
      this.keys[i] = this.keys[parent] ?? '';
      i = parent;
    }
    this.times[i] = at;
    this.keys[i] = key;
  }

  /** Remove the earliest entry. */
  public pop(): void {
    const last = this.keys.length - 1;
    if (last < 0) return;
    const at = this.times[last] ?? 0;
    const key = this.keys.pop() ?? '';
    if (last === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = l;
      if (l >= last) break;
      if (r < last && (this.times[r] ?? 0) < (this.times[l] ?? 0)) m = r;
      if ((this.times[m] ?? 0) >= at) break;
      this.times[i] = this.times[m] ?? 0;
      this.keys[i] = this.keys[m] ?? '';
      i = m;
    }
    this.times[i] = at;
    this.keys[i] = key;
  }

  /** Rebuild from the live entries only. */
  public rebuild(live: ReadonlyMap<string, number>): void {
    this.clear();
    for (const [key, at] of live) this.push(at, key);
  }

  public clear(): void {
    this.times = new Float64Array(64);
    this.keys = [];
  }
}

export class WorkQueue {
  /**
   * Due times are kept in ms since this queue was made: small integers (V8 stores them in the map's slot, where
   * an epoch time would take a heap number of its own per key).
   */
  private readonly epoch = Date.now();
  private readonly due = new Map<string, number>();
  private readonly heap = new DueHeap();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private stopped = false;
  private tokens: number;
  private lastRefill = Date.now();
  private idleWaiters: (() => void)[] = [];

  public constructor(private readonly options: QueueOptions) {
    this.tokens = options.concurrency;
  }

  /** Number of keys waiting or running. */
  public get depth(): number {
    return this.due.size + this.running.size;
  }

  /** Keys running now, and keys waiting with their due times (ms since the epoch). */
  public snapshot(): { running: number; due: [string, number][] } {
    return { running: this.running.size, due: [...this.due].map(([key, at]) => [key, at + this.epoch]) };
  }

  /** Now, in the queue's own time (ms since it was made). */
  private now(): number {
    return Date.now() - this.epoch;
  }

  /** Whether a new key would be refused now (hosts answer event senders 429 then). */
  public get full(): boolean {
    return this.due.size >= (this.options.maxKeys ?? MAX_QUEUED_KEYS);
  }

  /**
   * Run `key` after `delayMs` (0: now); an earlier due time wins. False when the key was refused: it is not
   * waiting yet and the queue is full.
   */
  public add(key: string, delayMs = 0): boolean {
    if (this.stopped) return true;
    if (this.running.has(key) && delayMs <= 0) {
      this.again.add(key);
      return true;
    }
    return this.schedule(key, delayMs);
  }

  private schedule(key: string, delayMs: number): boolean {
    const ahead = delayMs <= 0 ? (this.options.precedenceMs?.(key) ?? 0) : 0;
    const at = this.now() + Math.max(0, delayMs) - ahead;
    const current = this.due.get(key);
    if (current === undefined && this.full) {
      this.options.onRefused?.(key);
      return false;
    }
    if (current === undefined || at < current) {
      this.due.set(key, at);
      this.heap.push(at, key);
      if (this.heap.size > 2 * this.due.size + 1024) this.heap.rebuild(this.due);
      // Nothing new is due before the timer already set: no need to look again.
      if (this.timer !== undefined && at > this.timerAt) return true;
    }
    this.pump();
    return true;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(
      this.options.concurrency,
      this.tokens + ((now - this.lastRefill) / 1000) * this.options.ratePerSecond,
    );
    this.lastRefill = now;
  }

  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.stopped) {
      this.notifyIdle();
      return;
    }
    const now = this.now();
    this.refill();
    const next = this.startDue(now);
    if (Number.isFinite(next)) {
      this.timerAt = next;
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.pump();
        },
        Math.max(1, next - now),
      );
    }
    this.notifyIdle();
  }

  /** Start the keys due by `now` while slots and tokens last; returns when to look again (Infinity: never). */
  private startDue(now: number): number {
    const busy: string[] = []; // due, but running already: back in the heap afterwards
    let next = Number.POSITIVE_INFINITY;
    while (this.running.size < this.options.concurrency) {
      const at = this.heap.peekAt();
      if (at === undefined) break;
      const key = this.heap.peekKey();
      if (this.due.get(key) !== at) {
        this.heap.pop(); // rescheduled earlier, or started: a stale entry
        continue;
      }
      if (at > now) {
        next = at;
        break;
      }
      if (this.running.has(key)) {
        this.heap.pop();
        busy.push(key);
        continue;
      }
      if (this.tokens < 1) {
        next = now + 1000 / this.options.ratePerSecond;
        break;
      }
      this.heap.pop();
      this.tokens -= 1;
      this.due.delete(key);
      this.start(key);
    }
    for (const key of busy) this.heap.push(this.due.get(key) ?? now, key);
    return next;
  }

  private start(key: string): void {
    this.running.add(key);
    void this.options
      .run(key)
      .then(
        (requeue) => {
          if (requeue !== undefined) this.schedule(key, requeue);
        },
        (error: unknown) => {
          this.options.onError?.(key, error);
          this.schedule(key, 5_000);
        },
      )
      .finally(() => {
        this.running.delete(key);
        if (this.again.delete(key)) this.schedule(key, 0);
        this.pump();
      });
  }

  private notifyIdle(): void {
    if (this.running.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Stop taking work; resolves when nothing runs any more (pending keys are dropped: they are in status). */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.due.clear();
    this.heap.clear();
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
