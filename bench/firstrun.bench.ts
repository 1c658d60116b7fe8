// The first run as a new user meets it: every binary `gantry demo` needs, built from nothing (empty Gantry cache,
// empty Go build cache, empty Go module cache: every module is downloaded), through devenv's real build code.
// Per unit: wall time, how much of it went to downloading and loading packages, compiling (wall and CPU, from
// `go build -debug-actiongraph`) and linking. GANTRY_BENCH_FIRSTRUN=before measures the old shape (one `go build`
// per binary, one after another), `both` measures both; the default is the current shape. Takes ~15-25 minutes
// per shape on 2 cores and needs the Go module proxy.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ensureBinaries } from '../devenv/binaries.js';
import { formatDuration, type BuildUnit, type PlanShape } from '../devenv/build-plan.js';
import { buildProgress } from '../devenv/build-progress.js';
import { environmentBinaries } from '../cli/commands/dev.js';
import type { BenchResult } from './types.js';

const actionSchema = z.object({
  Mode: z.string(),
  Package: z.string().optional(),
  TimeStart: z.string().optional(),
  TimeDone: z.string().optional(),
  CmdReal: z.number().optional(),
  CmdUser: z.number().optional(),
  CmdSys: z.number().optional(),
});
type Action = z.infer<typeof actionSchema>;

interface Split {
  /** Nanosecond durations in Go's JSON: seconds here. */
  readonly compileCpuS: number;
  readonly compileWallS: number;
  readonly linkWallS: number;
  readonly actionsWallS: number;
}

const ns = (n: number | undefined): number => (n ?? 0) / 1e9;
const at = (t: string | undefined): number => (t === undefined ? Number.NaN : Date.parse(t));

function split(actions: readonly Action[]): Split {
  const timed = actions.filter((a) => a.TimeStart !== undefined && a.TimeDone !== undefined);
  const span = (list: readonly Action[]): number => {
    if (list.length === 0) return 0;
    const start = Math.min(...list.map((a) => at(a.TimeStart)));
    const done = Math.max(...list.map((a) => at(a.TimeDone)));
    return (done - start) / 1000;
  };
  const compile = timed.filter((a) => a.Mode === 'build');
  const link = timed.filter((a) => a.Mode === 'link');
  return {
    compileCpuS: compile.reduce((s, a) => s + ns(a.CmdUser) + ns(a.CmdSys), 0),
    compileWallS: span(compile),
    linkWallS: span(link),
    actionsWallS: span(timed),
  };
}

async function graphs(dir: string): Promise<Map<string, Split>> {
  const out = new Map<string, Split>();
  for (const file of await readdir(dir)) {
    const parsed = z.array(actionSchema).safeParse(JSON.parse(await readFile(join(dir, file), 'utf8')));
    if (parsed.success) out.set(file.replace(/\.json$/, ''), split(parsed.data));
  }
  return out;
}

async function measure(label: string, shape: PlanShape): Promise<BenchResult[]> {
  const root = await mkdtemp(join(tmpdir(), 'gantry-firstrun-bench-'));
  const graphDir = join(root, 'graphs');
  const saved = { ...process.env };
  Object.assign(process.env, {
    XDG_CACHE_HOME: join(root, 'cache'),
    GOCACHE: join(root, 'go-build'),
    GOMODCACHE: join(root, 'go-mod'),
  });
  const units: { unit: BuildUnit; ms: number }[] = [];
  const progress = buildProgress({ write: () => undefined, isTTY: false });
  const started = performance.now();
  try {
    await ensureBinaries(environmentBinaries({ full: true, registry: true, s3: false }), () => undefined, {
      actionGraphDir: graphDir,
      shape,
      progress: {
        ...progress,
        finished: (unit, ms) => {
          units.push({ unit, ms });
        },
      },
    });
    const totalMs = performance.now() - started;
    const split = await graphs(graphDir);
    const results: BenchResult[] = units.map(({ unit, ms }) => {
      const s = split.get(unit.id);
      const other =
        s === undefined
          ? ''
          : `download+load ${formatDuration(ms - s.actionsWallS * 1000)}, compile ${s.compileWallS.toFixed(0)} s wall / ${s.compileCpuS.toFixed(0)} s CPU, link ${s.linkWallS.toFixed(0)} s`;
      return {
        name: `first build (${label}): ${unit.binaries.join(', ')}`,
        ops: 1000 / ms,
        meanMs: ms,
        p95Ms: ms,
        note: other,
      };
    });
    results.push({
      name: `first build (${label}): everything gantry demo needs`,
      ops: 1000 / totalMs,
      meanMs: totalMs,
      p95Ms: totalMs,
      note: `${formatDuration(totalMs)} wall; load average at the end ${(await readFile('/proc/loadavg', 'utf8')).split(' ')[0] ?? '?'}`,
    });
    return results;
  } finally {
    process.env = saved;
    // The Go module cache is written read-only: make it removable first.
    execFileSync('chmod', ['-R', 'u+w', root]);
    await rm(root, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const mode = process.env['GANTRY_BENCH_FIRSTRUN'] ?? 'after';
  const results: BenchResult[] = [];
  if (mode === 'before' || mode === 'both')
    results.push(...(await measure('one build per binary, one lane', { grouped: false, twoLanes: false })));
  if (mode === 'after' || mode === 'both') results.push(...(await measure('grouped, two lanes', {})));
  return results;
}
