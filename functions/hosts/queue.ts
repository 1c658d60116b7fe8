/**
 * @module hosts/queue
 * The runner's work queue: one entry per key (de-duplicated), a due time per key (timers for requeues), at
 * most `concurrency` keys in flight, never the same key twice at once (a key triggered while running runs
 * again right after), a token-bucket rate limit, and a clean drain on stop.
 */
export interface QueueOptions {
  readonly concurrency: number;
  /** Steps started per second at most (a burst of `concurrency` allowed). */
  readonly ratePerSecond: number;
  readonly run: (key: string) => Promise<number | undefined>;
  readonly onError?: (key: string, error: unknown) => void;
}

export class WorkQueue {
  private readonly due = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
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
    return { running: this.running.size, due: [...this.due] };
  }

  /** Run `key` after `delayMs` (0: now); an earlier due time wins. */
  public add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      if (delayMs <= 0) this.again.add(key);
      else this.schedule(key, delayMs);
      return;
    }
    this.schedule(key, delayMs);
  }

  private schedule(key: string, delayMs: number): void {
    const at = Date.now() + Math.max(0, delayMs);
    const current = this.due.get(key);
    if (current === undefined || at < current) this.due.set(key, at);
    this.pump();
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
    const now = Date.now();
    this.refill();
    let next = Number.POSITIVE_INFINITY;
    for (const [key, at] of [...this.due].sort((a, b) => a[1] - b[1])) {
      if (this.running.size >= this.options.concurrency) break;
      if (this.running.has(key)) continue;
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      if (this.tokens < 1) {
        next = Math.min(next, now + 1000 / this.options.ratePerSecond);
        break;
      }
      this.tokens -= 1;
      this.due.delete(key);
      this.start(key);
    }
    if (Number.isFinite(next))
      this.timer = setTimeout(
        () => {
          this.pump();
        },
        Math.max(1, next - now),
      );
    this.notifyIdle();
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
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
