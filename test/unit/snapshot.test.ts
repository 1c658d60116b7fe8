/**
 * Gantry's startup snapshot (cli/snapshot.ts, built by scripts/bundle.ts) and its launcher bin/gantry. These tests
 * build both into a scratch root in dist/ (`<scratch>/dist` and `<scratch>/bin/gantry`, with `bin/kubectl-gantry`
 * linked to it and a stand-in `bin/gantry.mjs` that prints what it was asked) and prove:
 * - validate, tree and render from the snapshot print what the TypeScript sources print, exit code included;
 * - every other command, `gantry --help`, `--pull` and GANTRY_FROM_SOURCE=1 go to bin/gantry.mjs;
 * - a stale snapshot (an input newer than the build, another Node.js, another folder) runs nothing, exits 75, and
 *   bin/gantry then runs bin/gantry.mjs; a rebuild makes it current again;
 * - started as kubectl-gantry, help texts say `kubectl gantry`.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SNAPSHOT_COMMANDS,
  SNAPSHOT_MANIFEST,
  snapshotManifestSchema,
  STALE_EXIT_CODE,
} from '../../cli/snapshot-manifest.js';
import { execToEnd } from '../exec-file.js';
import type { CliResult } from '../run-cli.js';

const root = join(import.meta.dirname, '..', '..');
let scratch = '';

type Outcome = CliResult;

/** A process without the launcher's variables of this one. */
function run(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  cwd = root,
): Promise<Outcome> {
  const { GANTRY_FROM_SOURCE: _unset, GANTRY_PROGRAM: _unset2, ...base } = process.env;
  return execToEnd(file, args, { cwd, env: { ...base, ...env } });
}

const gantry = (args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Outcome> =>
  run(join(scratch, 'bin', 'gantry'), args, env);
const fromSources = (args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Outcome> =>
  run(process.execPath, ['bin/gantry.mjs', ...args], { GANTRY_FROM_SOURCE: '1', ...env });
const fromBlob = (blob: string, args: readonly string[]): Promise<Outcome> =>
  run(process.execPath, ['--snapshot-blob', blob, '--', ...args]);
/** What the stand-in bin/gantry.mjs prints. */
/** The node flags bin/gantry gives the long-running hosts (run, serve, demo). */
const HOST_FLAGS = ['--heap-growing-percent=25', '--max-semi-space-size=4'];

const fallback = (
  args: readonly string[],
  program = 'gantry',
  execArgv: readonly string[] = [],
): Outcome => ({
  code: 0,
  stdout: `bin/gantry.mjs ${JSON.stringify({ args, program, ...(execArgv.length > 0 ? { execArgv } : {}) })}\n`,
  stderr: '',
});

async function build(): Promise<void> {
  const built = await run(process.execPath, [
    '--import',
    'tsx',
    'scripts/bundle.ts',
    '--out',
    join(scratch, 'dist'),
  ]);
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
}

const manifestPath = (): string => join(scratch, 'dist', SNAPSHOT_MANIFEST);

beforeAll(async () => {
  await mkdir(join(root, 'dist'), { recursive: true });
  scratch = await mkdtemp(join(root, 'dist', 'snapshot-test-'));
  await mkdir(join(scratch, 'bin'));
  await copyFile(join(root, 'bin', 'gantry'), join(scratch, 'bin', 'gantry'));
  await symlink('gantry', join(scratch, 'bin', 'kubectl-gantry'));
  // As npm links them (npx gantry, npm link).
  await mkdir(join(scratch, 'node_modules', '.bin'), { recursive: true });
  await symlink('../../bin/gantry', join(scratch, 'node_modules', '.bin', 'gantry'));
  await symlink('../../bin/kubectl-gantry', join(scratch, 'node_modules', '.bin', 'kubectl-gantry'));
  await writeFile(
    join(scratch, 'bin', 'gantry.mjs'),
    'const x = process.execArgv;\n' +
      'process.stdout.write(`bin/gantry.mjs ${JSON.stringify({ args: process.argv.slice(2), program: process.env.GANTRY_PROGRAM, ...(x.length > 0 ? { execArgv: x } : {}) })}\\n`);\n',
  );
  await build();
}, 180_000);

afterAll(async () => {
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

const examples = [['examples/simple'], ['examples/templated'], ['examples/multi', '--component', 'backend']];
const cases: { args: string[]; code: number }[] = [
  ...['validate', 'tree', 'render'].map((c) => ({ args: [c, '--help'], code: 0 })),
  ...examples.flatMap(([folder = '', ...flags]) => [
    { args: ['validate', folder], code: 0 },
    { args: ['tree', folder, ...flags], code: 0 },
    { args: ['render', folder, ...flags], code: 0 },
  ]),
  { args: ['render', 'examples/templated', '--config-testcase', 'prod', '-o', 'json'], code: 0 },
  { args: ['tree', 'examples/multi'], code: 1 },
  { args: ['tree', 'examples/templated', '--config-testcase', 'nope'], code: 1 },
  { args: ['validate', 'examples/does-not-exist'], code: 1 },
];

describe.concurrent('the snapshot prints what the sources print', () => {
  for (const c of cases) {
    it(`gantry ${c.args.join(' ')}`, async () => {
      const [snapshot, sources] = await Promise.all([gantry(c.args), fromSources(c.args)]);
      expect(sources.code).toBe(c.code);
      expect(sources.stdout + sources.stderr).not.toBe('');
      expect(snapshot).toEqual(sources);
    }, 120_000);
  }

  it('kubectl gantry tree --help, as the sources print it for the kubectl plugin', async () => {
    const [plugin, sources] = await Promise.all([
      run(join(scratch, 'bin', 'kubectl-gantry'), ['tree', '--help']),
      fromSources(['tree', '--help'], { GANTRY_PROGRAM: 'kubectl gantry' }),
    ]);
    expect(plugin).toEqual(sources);
    expect(plugin.stdout).toContain('\n  kubectl gantry tree <folder> [flags]\n');
  }, 120_000);
});

describe('bin/gantry started by any path', () => {
  it('runs from the snapshot when named relative to the working folder', async () => {
    const golden = await readFile(join(root, 'examples', 'simple', '.golden', 'tree.txt'), 'utf8');
    const args = ['tree', join(root, 'examples', 'simple')];
    expect(await run('bin/gantry', args, {}, scratch)).toEqual({ code: 0, stdout: golden, stderr: '' });
    expect(await run('./gantry', args, {}, join(scratch, 'bin'))).toEqual({
      code: 0,
      stdout: golden,
      stderr: '',
    });
  });

  it('runs from the snapshot through the links npm makes, and as kubectl-gantry says kubectl gantry', async () => {
    expect(await run(join(scratch, 'node_modules', '.bin', 'gantry'), ['tree', 'examples/simple'])).toEqual({
      code: 0,
      stdout: await readFile(join(root, 'examples', 'simple', '.golden', 'tree.txt'), 'utf8'),
      stderr: '',
    });
    const help = await run(join(scratch, 'node_modules', '.bin', 'kubectl-gantry'), ['render', '--help']);
    expect(help.stdout).toContain('\nUsage:\n  kubectl gantry render <folder> [flags]\n');
    expect(await run(join(scratch, 'node_modules', '.bin', 'kubectl-gantry'), ['serve'])).toEqual(
      fallback(['serve'], 'kubectl gantry', HOST_FLAGS),
    );
  });
});

describe('bin/gantry starts from the snapshot', () => {
  it('exactly the commands cli/snapshot-manifest.ts names', async () => {
    const launcher = await readFile(join(root, 'bin', 'gantry'), 'utf8');
    expect(launcher).toContain(`\n  ${SNAPSHOT_COMMANDS.join(' | ')})\n`);
  });
});

describe('bin/gantry sends to bin/gantry.mjs', () => {
  it('every command the snapshot does not serve', async () => {
    expect(await gantry(['build', 'examples/simple', '-o', 'x.tar'])).toEqual(
      fallback(['build', 'examples/simple', '-o', 'x.tar']),
    );
    expect(await gantry(['frobnicate'])).toEqual(fallback(['frobnicate']));
    expect(await gantry(['--help'])).toEqual(fallback(['--help']));
    expect(await gantry([])).toEqual(fallback([]));
    expect(await run(join(scratch, 'bin', 'kubectl-gantry'), ['run', '--help'])).toEqual(
      fallback(['run', '--help'], 'kubectl gantry', HOST_FLAGS),
    );
  });

  it('the long-running hosts (run, serve, demo) with a small heap; NODE_OPTIONS may set the young generation', async () => {
    const small = HOST_FLAGS;
    expect(await gantry(['run', '--kubeconfig', 'k'])).toEqual(
      fallback(['run', '--kubeconfig', 'k'], 'gantry', small),
    );
    expect(await gantry(['serve', '--dev-cert', 'd'])).toEqual(
      fallback(['serve', '--dev-cert', 'd'], 'gantry', small),
    );
    expect(await gantry(['demo'])).toEqual(fallback(['demo'], 'gantry', small));
    expect(await gantry(['run'], { NODE_OPTIONS: '--max-semi-space-size=16' })).toEqual(
      fallback(['run'], 'gantry', ['--heap-growing-percent=25']),
    );
    expect(await gantry(['build', 'x'], {})).toEqual(fallback(['build', 'x']));
  });

  it('a pull (the registry and S3 clients are not in the snapshot)', async () => {
    expect(await gantry(['tree', '--pull', 'localhost:5001/simple:v1'])).toEqual(
      fallback(['tree', '--pull', 'localhost:5001/simple:v1']),
    );
  });

  it('anything with GANTRY_FROM_SOURCE=1', async () => {
    expect(await gantry(['tree', 'examples/simple'], { GANTRY_FROM_SOURCE: '1' })).toEqual(
      fallback(['tree', 'examples/simple']),
    );
  });
});

describe('a stale snapshot', () => {
  const tree = ['tree', 'examples/simple'];

  it('runs nothing once an input is newer than the build; bin/gantry then runs bin/gantry.mjs', async () => {
    const current = snapshotManifestSchema.parse(JSON.parse(await readFile(manifestPath(), 'utf8')));
    await writeFile(manifestPath(), JSON.stringify({ ...current, builtAt: 0 }));
    expect(await fromBlob(join(scratch, 'dist', 'gantry.blob'), tree)).toEqual({
      code: STALE_EXIT_CODE,
      stdout: '',
      stderr: '',
    });
    expect(await gantry(tree)).toEqual(fallback(tree));
    await writeFile(manifestPath(), JSON.stringify({ ...current, node: 'v0.0.1' }));
    expect(await gantry(tree)).toEqual(fallback(tree));
  });

  it('runs nothing when started from another folder than the one it was built in', async () => {
    await mkdir(join(scratch, 'moved'));
    await copyFile(join(scratch, 'dist', 'gantry.blob'), join(scratch, 'moved', 'gantry.blob'));
    await copyFile(manifestPath(), join(scratch, 'moved', SNAPSHOT_MANIFEST));
    expect(await fromBlob(join(scratch, 'moved', 'gantry.blob'), tree)).toEqual({
      code: STALE_EXIT_CODE,
      stdout: '',
      stderr: '',
    });
  });

  it('is current again after a rebuild (npm run build:cli)', async () => {
    await build();
    const after = await gantry(tree);
    expect(after).toEqual({
      code: 0,
      stdout: await readFile(join(root, 'examples', 'simple', '.golden', 'tree.txt'), 'utf8'),
      stderr: '',
    });
  }, 180_000);
});
