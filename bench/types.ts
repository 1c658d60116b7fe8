// Shared shapes for benchmarks: every `bench/<name>.bench.ts` exports `run(): Promise<BenchResult[]>`;
// bench/run.ts imports them all and prints one table.

export interface BenchResult {
  readonly name: string;
  /** Operations per second (1000 / mean ms). */
  readonly ops: number;
  readonly meanMs: number;
  readonly p95Ms: number;
  /** Memory attributed to the benchmark (RSS growth, or what the note says), bytes; undefined when not measured. */
  readonly memoryBytes?: number;
  readonly note?: string;
}

/** Summarise per-operation timings (ms). */
export function summarize(
  name: string,
  samples: readonly number[],
  extra: Partial<BenchResult> = {},
): BenchResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
  return { name, ops: mean > 0 ? 1000 / mean : 0, meanMs: mean, p95Ms: p95, ...extra };
}

/** Time `fn` `iterations` times after `warmup` untimed runs; one sample per call. */
export async function sample(
  fn: () => unknown,
  iterations: number,
  warmup = Math.min(50, iterations),
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}
