// The real local components: control plane start-to-ready (plain and full mode, binaries cached), resident
// memory of the running control plane, and stop time. Numbers go into issue notes, never into tests.
import { readFileSync } from 'node:fs';
import { startControlPlane } from '../devenv/control-plane.js';
import { summarize, type BenchResult } from './types.js';

function rssBytes(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    total += Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
  }
  return total;
}

async function measure(full: boolean, runs: number): Promise<BenchResult[]> {
  const starts: number[] = [];
  const stops: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const cp = await startControlPlane({ full, log: () => undefined });
    starts.push(cp.startMs);
    await new Promise((r) => setTimeout(r, full ? 20_000 : 5_000));
    rss = Math.max(rss, rssBytes(cp.processes.map((p) => p.pid)));
    const t = performance.now();
    await cp.stop();
    stops.push(performance.now() - t);
  }
  const mode = full ? 'full' : 'plain';
  return [
    summarize(`control plane start to ready (${mode})`, starts, {
      memoryBytes: rss,
      note: `${mode === 'full' ? 'target < 20 s' : 'target < 10 s'}; memory = RSS of all processes`,
    }),
    summarize(`control plane stop (${mode})`, stops, { note: 'every process gone, ports free' }),
  ];
}

export async function run(): Promise<BenchResult[]> {
  return [...(await measure(false, 3)), ...(await measure(true, 2))];
}
