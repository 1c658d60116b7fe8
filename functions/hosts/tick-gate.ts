/**
 * @module hosts/tick-gate
 * The schedule tick lists every Gantry kind: one ping is cheap, fifty concurrent ones (or a flood of forged
 * ones) are fifty cross-namespace LISTs per kind. The gate runs one tick at a time per host: a tick asked for
 * while one runs shares that one's result, and one asked for within `minIntervalMs` of the last tick's start
 * runs nothing (the keys it would find were found a moment ago, and requeues are in status).
 */
export class TickGate {
  private inFlight: Promise<number> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private runs = 0;

  public constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ticks actually run so far. */
  public get count(): number {
    return this.runs;
  }

  /** Run `tick` unless one runs (its result is shared) or one started less than the interval ago (0). */
  public async run(tick: () => Promise<number>): Promise<number> {
    if (this.inFlight !== undefined) return this.inFlight;
    if (this.now() - this.lastStart < this.minIntervalMs) return 0;
    this.lastStart = this.now();
    this.runs += 1;
    const current = tick().finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = current;
    return current;
  }
}
