/**
 * @module hosts/outbound-pool
 * Every request admission makes on a caller's behalf (tag reads, package pulls) goes through one pool: at most
 * `concurrency` in flight, at most `perHost` of them to one registry, waiting work served round-robin across
 * registries, at most `maxWaiting` waiting and `maxWaitingPerHost` for one registry (more is refused at once,
 * so one registry cannot fill the line either), and each task aborted at its deadline. A
 * registry that never answers holds `perHost` slots until their deadline, and every other registry goes on.
 */
export interface OutboundPoolOptions {
  readonly concurrency: number;
  readonly perHost: number;
  readonly maxWaiting: number;
  readonly maxWaitingPerHost: number;
  /** Each task's signal aborts after this long (queueing included). */
  readonly deadlineMs: number;
}

interface Waiting {
  readonly start: () => void;
}

export class PoolBusyError extends Error {
  public override readonly name = 'PoolBusyError';
}

export class OutboundPool {
  private readonly inFlight = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting[]>();
  private running = 0;
  private queued = 0;

  public constructor(private readonly options: OutboundPoolOptions) {}

  /** Tasks running now, per host (for tests and metrics). */
  public runningFor(host: string): number {
    return this.inFlight.get(host) ?? 0;
  }

  /**
   * Run `task` for `host` when a slot is free; its signal aborts at the deadline. Throws PoolBusyError when full.
   * The deadline's timer exists only while the task waits or runs: work refused at once arms none, and a task
   * that ends clears its own (a flood of lookups leaves no timers behind).
   */
  public async run<T>(host: string, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (!this.canStart(host)) this.checkRoom(host);
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, this.options.deadlineMs);
    try {
      if (this.canStart(host)) this.take(host);
      else await this.wait(host, controller.signal);
      try {
        controller.signal.throwIfAborted();
        return await task(controller.signal);
      } finally {
        this.release(host);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private checkRoom(host: string): void {
    if (this.queued >= this.options.maxWaiting)
      throw new PoolBusyError(`${this.queued} outbound requests are waiting already`);
    const forHost = this.waiting.get(host)?.length ?? 0;
    if (forHost >= this.options.maxWaitingPerHost)
      throw new PoolBusyError(`${forHost} outbound requests to ${host} are waiting already`);
  }

  /** Wait in `host`'s line until a slot is taken for it, or leave the line when `signal` aborts. */
  private async wait(host: string, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const entry: Waiting = {
        start: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      // Past its deadline while waiting: it leaves the line without taking a slot.
      const onAbort = (): void => {
        this.dequeue(host, entry);
        reject(signal.reason instanceof Error ? signal.reason : new Error('deadline passed'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.enqueue(host, entry);
    });
  }

  private canStart(host: string): boolean {
    return this.running < this.options.concurrency && (this.inFlight.get(host) ?? 0) < this.options.perHost;
  }

  private take(host: string): void {
    this.running += 1;
    this.inFlight.set(host, (this.inFlight.get(host) ?? 0) + 1);
  }

  private enqueue(host: string, entry: Waiting): void {
    const list = this.waiting.get(host) ?? [];
    list.push(entry);
    this.waiting.set(host, list);
    this.queued += 1;
  }

  private dequeue(host: string, entry: Waiting): void {
    const list = this.waiting.get(host) ?? [];
    const i = list.indexOf(entry);
    if (i < 0) return;
    list.splice(i, 1);
    this.queued -= 1;
    if (list.length === 0) this.waiting.delete(host);
  }

  private release(host: string): void {
    this.running -= 1;
    const n = (this.inFlight.get(host) ?? 1) - 1;
    if (n === 0) this.inFlight.delete(host);
    else this.inFlight.set(host, n);
    this.startWaiting();
  }

  /** Start waiting work round-robin: each host with work and a free per-host slot gets one turn per pass. */
  private startWaiting(): void {
    for (const [host, list] of this.waiting) {
      if (this.running >= this.options.concurrency) return;
      if (!this.canStart(host)) continue;
      const next = list.shift();
      // Map order is insertion order: a host served goes to the back of the line.
      this.waiting.delete(host);
      if (list.length > 0) this.waiting.set(host, list);
      if (next === undefined) continue;
      this.queued -= 1;
      this.take(host);
      next.start();
    }
  }
}
