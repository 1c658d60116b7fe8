/**
 * @module hosts/event-lane
 * Event writes of a host that outlives its steps (the runner), taken off the steps' path: a step hands its Events
 * over and finishes, and the lane writes them behind it, a few at a time, as client-go's event broadcaster does.
 * Events are best effort by design (a step never fails for one), so a full lane drops the newest and counts it
 * rather than letting a burst of installs hold memory or slow the reconciles. Hosts that end with their step
 * (`serve`, Lambda) write Events inside the step instead.
 */

/** Event writes waiting at most, by default (each a few hundred bytes until written). */
export const MAX_PENDING_EVENT_WRITES = 2_000;
/** Event writes in flight at once, by default. */
export const EVENT_WRITES_IN_FLIGHT = 2;

export interface EventLaneOptions {
  readonly maxPending?: number;
  readonly inFlight?: number;
  /** A write was dropped because the lane was full (the count so far). */
  readonly onDropped?: (dropped: number) => void;
}

/** A bounded FIFO of Event writes, written `inFlight` at a time. */
export class EventLane {
  private readonly pending: (() => Promise<void>)[] = [];
  private running = 0;
  private droppedCount = 0;
  private idle: (() => void)[] = [];

  public constructor(private readonly options: EventLaneOptions = {}) {}

  /** Writes dropped so far because the lane was full. */
  public get dropped(): number {
    return this.droppedCount;
  }

  /** Writes waiting or in flight. */
  public get depth(): number {
    return this.pending.length + this.running;
  }

  /** Queue a write (never throws; its failure is its own). False when the lane is full and the write dropped. */
  public add(write: () => Promise<void>): boolean {
    if (this.pending.length >= (this.options.maxPending ?? MAX_PENDING_EVENT_WRITES)) {
      this.droppedCount += 1;
      this.options.onDropped?.(this.droppedCount);
      return false;
    }
    this.pending.push(write);
    this.pump();
    return true;
  }

  /** Resolves once every queued write is done, or after `timeoutMs` (what is left then is dropped). */
  public async drain(timeoutMs: number): Promise<void> {
    if (this.depth === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.pending.length = 0;
  }

  private pump(): void {
    while (this.running < (this.options.inFlight ?? EVENT_WRITES_IN_FLIGHT) && this.pending.length > 0) {
      const write = this.pending.shift();
      if (write === undefined) return;
      this.running += 1;
      void write()
        .catch(() => undefined)
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (this.depth === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }
}
