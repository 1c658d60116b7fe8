// `npm run bench [-- filter]`: runs every bench/*.bench.ts (or those whose file name contains `filter`) and prints
// one table: name, ops/s, mean, p95, memory. Benchmarks are never part of `npm test`.
import { readdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { BenchResult } from './types.js';

const dir = new URL('.', import.meta.url);
const filter = process.argv[2] ?? '';
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts') && f.includes(filter)).sort();

function isRunner(value: unknown): value is () => Promise<BenchResult[]> {
  return typeof value === 'function';
}

const results: BenchResult[] = [];
for (const file of files) {
  const mod: unknown = await import(pathToFileURL(new URL(file, dir).pathname).href);
  const run: unknown = typeof mod === 'object' && mod !== null ? Reflect.get(mod, 'run') : undefined;
  if (!isRunner(run)) {
    console.error(`${file}: no exported run()`);
    process.exitCode = 1;
    continue;
  }
  results.push(...(await run()));
}

const fmt = (n: number, digits = 3): string => (n >= 100 ? n.toFixed(0) : n.toPrecision(digits));
const rows = results.map((r) => [
  r.name,
  fmt(r.ops),
  fmt(r.meanMs),
  fmt(r.p95Ms),
  r.memoryBytes === undefined ? '' : `${(r.memoryBytes / 1024 / 1024).toFixed(1)} MiB`,
  r.note ?? '',
]);
const header = ['benchmark', 'ops/s', 'mean ms', 'p95 ms', 'memory', 'note'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
const line = (cells: readonly string[]): string =>
  cells
    .map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
    .join('  ')
    .trimEnd();
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
