// Start-up of the `gantry` process (issues 13 and 19): whole-process wall time, CPU time (user + sys) and peak RSS,
// median of RUNS fresh processes each, for `gantry --help`, `gantry tree examples/simple` and `gantry tree
// examples/templated`, run as users run them (bin/gantry: tree from the V8 startup snapshot dist/gantry.blob, --help
// from the bundle), as the kubectl plugin (bin/kubectl-gantry, and `kubectl gantry` where kubectl is built), through
// bin/gantry.mjs (the ES module bundle: how it started before the snapshot), from the bundle with every package left
// external, and from the TypeScript sources through tsx; beside PKO's `kubectl package` where it is built, and the
// import cost of @kubernetes/client-node and the AWS SDK alone inside a bundle.
// Targets (bin/gantry): tree of a plain package within 3x PKO's CLI (3 x its median here, else 3 x 100 ms) and
// <= 70 MiB, --help <= 150 ms, templated tree <= 400 ms.
// The machine may be shared: CPU time is the steadier figure when the load average is high (printed last), so a
// target is judged on wall and on CPU time.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { delimiter, join } from 'node:path';
import { build } from 'esbuild';
import { binaryPath } from '../devenv/binaries.js';
import { locatePkoCli } from '../test/pko-cli.js';
import type { BenchResult } from './types.js';

const RUNS = 5;
/** PKO's CLI on this machine when it was not built here (issue 19). */
const PKO_TREE_MS = 100;
const root = join(import.meta.dirname, '..');
const TIME = '/usr/bin/time';

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly rssBytes: number;
}

function exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { cwd: root, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr || error.message}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/** One fresh process under /usr/bin/time: wall time measured here, CPU and peak RSS from time(1). */
async function once(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const dir = await mkdtemp('/tmp/gantry-startup-');
  const out = join(dir, 'time');
  try {
    const t = performance.now();
    await exec(TIME, ['-f', '%U %S %M', '-o', out, ...argv], env);
    const wallMs = performance.now() - t;
    const [user = 'NaN', sys = 'NaN', rssKiB = 'NaN'] = (await readFile(out, 'utf8'))
      .trim()
      .split(/\s+/)
      .slice(-3);
    return { wallMs, cpuMs: (Number(user) + Number(sys)) * 1000, rssBytes: Number(rssKiB) * 1024 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly target?: { readonly wallMs: number; readonly rssMiB?: number; readonly why?: string };
  /** Subtracted from the figures (the cost of an empty node process), for import costs. */
  readonly baseline?: Sample;
}

async function measure(c: Case): Promise<{ result: BenchResult; median: Sample }> {
  await once(c.argv, { ...process.env, ...c.env }); // warm the page cache, not counted
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await once(c.argv, { ...process.env, ...c.env }));
  const base = c.baseline ?? { wallMs: 0, cpuMs: 0, rssBytes: 0 };
  const m: Sample = {
    wallMs: median(samples.map((s) => s.wallMs)) - base.wallMs,
    cpuMs: median(samples.map((s) => s.cpuMs)) - base.cpuMs,
    rssBytes: median(samples.map((s) => s.rssBytes)) - base.rssBytes,
  };
  const walls = samples.map((s) => s.wallMs).sort((a, b) => a - b);
  const mean = walls.reduce((a, b) => a + b, 0) / walls.length - base.wallMs;
  const mib = m.rssBytes / 1024 / 1024;
  const verdict = c.target === undefined ? '' : targetVerdict(c.target, m);
  const result: BenchResult = {
    name: c.name,
    ops: 1000 / Math.max(1, m.wallMs),
    meanMs: mean,
    p95Ms: (walls[walls.length - 1] ?? 0) - base.wallMs,
    memoryBytes: m.rssBytes,
    note: `median of ${RUNS}: ${m.wallMs.toFixed(0)} ms wall, ${m.cpuMs.toFixed(0)} ms CPU, ${mib.toFixed(0)} MiB peak${
      c.baseline !== undefined ? ' (minus empty node)' : ''
    }${verdict}`,
  };
  return { result, median: m };
}

/** `; target <= N ms (why)[, <= M MiB]: wall met|MISSED, CPU met|MISSED` (RSS counts for both). */
function targetVerdict(target: NonNullable<Case['target']>, m: Sample): string {
  const rssMet = target.rssMiB === undefined || m.rssBytes / 1024 / 1024 <= target.rssMiB;
  const met = (ms: number): string => (ms <= target.wallMs && rssMet ? 'met' : 'MISSED');
  const why = target.why !== undefined ? ` (${target.why})` : '';
  const rss = target.rssMiB !== undefined ? `, <= ${target.rssMiB} MiB` : '';
  return `; target <= ${target.wallMs} ms${why}${rss}: wall ${met(m.wallMs)}, CPU ${met(m.cpuMs)}`;
}

/** A bundle of one import (what a host pays for a library before its first request). */
async function importBundle(dir: string, name: string, source: string): Promise<string> {
  const entry = join(dir, `${name}.ts`);
  await writeFile(entry, source);
  const outfile = join(root, 'dist', 'bench', `${name}.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'error',
    nodePaths: [join(root, 'node_modules')],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return outfile;
}

/** PATH with bin/ first: kubectl finds the plugin bin/kubectl-gantry there. */
const pluginPath = (): NodeJS.ProcessEnv => ({
  PATH: `${join(root, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
});

function cliCases(pkoTreeMs: { readonly ms: number; readonly why: string }): Case[] {
  const kubectl = binaryPath('kubectl');
  const modes: { label: string; argv: string[]; env?: NodeJS.ProcessEnv; targets: boolean }[] = [
    { label: 'bin/gantry', argv: ['bin/gantry'], targets: true },
    { label: 'kubectl plugin: bin/kubectl-gantry', argv: ['bin/kubectl-gantry'], targets: false },
    ...(existsSync(kubectl)
      ? [{ label: 'kubectl gantry', argv: [kubectl, 'gantry'], env: pluginPath(), targets: false }]
      : []),
    {
      label: 'bundle: node bin/gantry.mjs, as before the snapshot',
      argv: ['node', 'bin/gantry.mjs'],
      targets: false,
    },
    { label: 'bundle, packages external', argv: ['node', 'dist/bench/external/gantry.mjs'], targets: false },
    {
      label: 'tsx sources',
      argv: ['node', 'bin/gantry.mjs'],
      env: { GANTRY_FROM_SOURCE: '1' },
      targets: false,
    },
  ];
  const commands: { args: string[]; target: Case['target'] }[] = [
    { args: ['--help'], target: { wallMs: 150 } },
    {
      args: ['tree', 'examples/simple'],
      target: { wallMs: Math.round(3 * pkoTreeMs.ms), rssMiB: 70, why: `3x ${pkoTreeMs.why}` },
    },
    { args: ['tree', 'examples/templated'], target: { wallMs: 400 } },
  ];
  return modes.flatMap((mode) =>
    commands.map((c) => ({
      name: `startup: gantry ${c.args.join(' ')} (${mode.label})`,
      argv: [...mode.argv, ...c.args],
      ...(mode.env !== undefined ? { env: mode.env } : {}),
      ...(mode.targets && c.target !== undefined ? { target: c.target } : {}),
    })),
  );
}

function pkoCases(): Case[] {
  const pko = locatePkoCli();
  if (!('path' in pko)) return [];
  return ['simple', 'templated'].map((example) => ({
    name: `startup: PKO kubectl-package tree examples/${example}`,
    argv: [pko.path, 'tree', `examples/${example}`],
  }));
}

export async function run(): Promise<BenchResult[]> {
  await exec('node', ['--import', 'tsx', 'scripts/bundle.ts']);
  await exec('node', [
    '--import',
    'tsx',
    'scripts/bundle.ts',
    '--out',
    'dist/bench/external',
    '--external-deps',
  ]);
  const scratch = await mkdtemp('/tmp/gantry-startup-src-');
  const results: BenchResult[] = [];
  try {
    const kube = await importBundle(
      scratch,
      'client-node',
      "import { KubeConfig } from '@kubernetes/client-node';\nnew KubeConfig();\n",
    );
    const s3 = await importBundle(
      scratch,
      'client-s3',
      "import { S3Client } from '@aws-sdk/client-s3';\nnew S3Client({ region: 'us-east-1' });\n",
    );
    const empty = await measure({ name: 'startup: node -e 0 (empty process)', argv: ['node', '-e', '0'] });
    results.push(empty.result);
    // PKO first: the target of `gantry tree` of a plain package is 3x PKO's CLI.
    let pkoTreeMs = { ms: PKO_TREE_MS, why: `PKO's CLI, not built here: its ${PKO_TREE_MS} ms of issue 19` };
    for (const c of pkoCases()) {
      const r = await measure(c);
      results.push(r.result);
      if (c.name.endsWith('examples/simple')) pkoTreeMs = { ms: r.median.wallMs, why: "PKO's CLI here" };
    }
    if (pkoCases().length === 0) {
      const why = locatePkoCli();
      results.push({
        name: 'startup: PKO kubectl-package',
        ops: 0,
        meanMs: 0,
        p95Ms: 0,
        note: 'missing' in why ? why.missing : '',
      });
    }
    for (const c of cliCases(pkoTreeMs)) results.push((await measure(c)).result);
    const unbundled = (code: string): string[] => ['node', '--input-type=module', '-e', code];
    for (const [label, bundled, plain] of [
      [
        '@kubernetes/client-node (KubeConfig)',
        kube,
        "const { KubeConfig } = await import('@kubernetes/client-node'); new KubeConfig();",
      ],
      [
        '@aws-sdk/client-s3 (S3Client)',
        s3,
        "const { S3Client } = await import('@aws-sdk/client-s3'); new S3Client({ region: 'us-east-1' });",
      ],
    ] as const) {
      for (const [how, argv] of [
        ['bundled', ['node', bundled]],
        ['from node_modules', unbundled(plain)],
      ] as const) {
        const r = await measure({
          name: `startup: import ${label} alone, ${how}`,
          argv,
          baseline: empty.median,
        });
        results.push(r.result);
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const load = `${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`;
  results.push({ name: 'startup: load average after the runs', ops: 0, meanMs: 0, p95Ms: 0, note: load });
  return results;
}
