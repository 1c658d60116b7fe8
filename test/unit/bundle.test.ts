/**
 * The published `gantry` is an esbuild bundle (scripts/bundle.ts, issue 13). These tests build one into a scratch
 * folder of dist/ and prove:
 * - the bundle and the TypeScript sources (through tsx) print the same stdout and stderr and exit with the same code,
 *   for `--help`, every command's `--help`, validate/tree/render of every example and a few errors;
 * - offline commands load neither @kubernetes/client-node nor the AWS SDK, and `--help` loads no command, from the
 *   sources (every module the process resolves, test/module-trace.mjs) and from the bundle (the chunks it loads,
 *   mapped to their inputs by esbuild's metafile);
 * - bin/gantry.mjs runs the bundle only while no source file in it changed since it was built.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../cli/commands/index.js';

const root = join(import.meta.dirname, '..', '..');
let dist = '';

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runNode(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...args],
      { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const fromBundle = (args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Outcome> =>
  runNode([join(dist, 'gantry.mjs'), ...args], env);
const fromSources = (args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Outcome> =>
  runNode(['bin/gantry.mjs', ...args], { GANTRY_FROM_SOURCE: '1', ...env });

beforeAll(async () => {
  await mkdir(join(root, 'dist'), { recursive: true });
  dist = await mkdtemp(join(root, 'dist', 'test-'));
  const built = await runNode(['--import', 'tsx', 'scripts/bundle.ts', '--out', dist, '--metafile']);
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
}, 120_000);

afterAll(async () => {
  if (dist !== '') await rm(dist, { recursive: true, force: true });
});

// examples/multi: its root component is rendered with --component (without, PKO's tree refuses it: an error case).
const examples = [['examples/simple'], ['examples/templated'], ['examples/multi', '--component', 'backend']];
const cases: { args: string[]; code: number; env?: NodeJS.ProcessEnv }[] = [
  { args: ['--help'], code: 0 },
  { args: [], code: 1 },
  ...commands.map((c) => ({ args: [c.name, '--help'], code: 0 })),
  ...examples.flatMap(([folder = '', ...flags]) => [
    { args: ['validate', folder], code: 0 },
    { args: ['tree', folder, ...flags], code: 0 },
    { args: ['render', folder, ...flags], code: 0 },
  ]),
  { args: ['tree', 'examples/multi'], code: 1 },
  { args: ['tree', 'examples/templated', '--config-testcase', 'nope'], code: 1 },
  { args: ['validate', 'examples/does-not-exist'], code: 1 },
  { args: ['frobnicate'], code: 1 },
  // The AWS SDK, loaded on the first s3:// location, up to its request to a server that refuses it.
  {
    args: ['validate', '--pull', 's3://bucket/pkg.tar.gz'],
    code: 1,
    env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' },
  },
];

describe.concurrent('the bundle prints what the sources print', () => {
  for (const c of cases) {
    it(`gantry ${c.args.join(' ')}`, async () => {
      const [bundle, sources] = await Promise.all([fromBundle(c.args, c.env), fromSources(c.args, c.env)]);
      expect(sources.code).toBe(c.code);
      if (c.code === 0) expect(sources.stderr).toBe('');
      expect(sources.stdout + sources.stderr).not.toBe('');
      expect(bundle).toEqual(sources);
    }, 180_000);
  }
});

/**
 * `gantry run` against a cluster that refuses connections: both start the engine (kubeconfig through client-node, the
 * JSON step log through pino), report every watch they cannot start, and stop cleanly on SIGTERM.
 */
function runUntilWatchesFail(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...argv], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let stopping = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const failed = new Set(stderr.split('\n').filter((l) => l.startsWith('cannot watch '))).size;
      if (failed < 6 || stopping) return;
      // The runner handles SIGTERM once it has started, just after it reports the watches: give it a moment.
      stopping = true;
      setTimeout(() => child.kill('SIGTERM'), 2000);
    });
    child.on('close', (code) => {
      const lines = (text: string): string => [...new Set(text.split('\n'))].sort().join('\n');
      resolve({ code: code ?? -1, stdout: lines(stdout), stderr: lines(stderr) });
    });
  });
}

describe('gantry run', () => {
  it('starts the engine from the bundle as from the sources', async () => {
    const scratch = await mkdtemp('/tmp/gantry-run-');
    try {
      const kubeconfig = join(scratch, 'kubeconfig');
      await writeFile(
        kubeconfig,
        [
          'apiVersion: v1',
          'kind: Config',
          "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]",
          'users: [{name: u, user: {token: t}}]',
          'contexts: [{name: x, context: {cluster: c, user: u}}]',
          'current-context: x',
          '',
        ].join('\n'),
      );
      const args = ['run', '--kubeconfig', kubeconfig];
      const [bundle, sources] = await Promise.all([
        runUntilWatchesFail([join(dist, 'gantry.mjs'), ...args], {}),
        runUntilWatchesFail(['bin/gantry.mjs', ...args], { GANTRY_FROM_SOURCE: '1' }),
      ]);
      const refused = ': GET /apis/package-operator.run/v1alpha1: connect ECONNREFUSED 127.0.0.1:1';
      const refusedCatalog = ': GET /apis/gantry.run/v1alpha1: connect ECONNREFUSED 127.0.0.1:1';
      expect(sources).toEqual({
        code: 0,
        stdout: '',
        stderr: [
          '',
          ...[
            'ClusterObjectDeployment',
            'ClusterObjectSet',
            'ClusterObjectSetPhase',
            'ClusterObjectTemplate',
            'ClusterPackage',
            'ObjectDeployment',
            'ObjectSet',
            'ObjectSetPhase',
            'ObjectTemplate',
            'Package',
          ].map((kind) => `cannot watch ${kind}${refused}`),
          `cannot watch PackageRepository${refusedCatalog}`,
          // PKO's HostedClusterPackage controller looks for HyperShift's API (again every minute).
          'looking for the HostedCluster API: GET /apis/hypershift.openshift.io/v1beta1: connect ECONNREFUSED 127.0.0.1:1',
          'stopping: waiting for the steps in flight',
        ].join('\n'),
      });
      expect(bundle).toEqual(sources);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 180_000);
});

// What an offline command must not load, by path inside node_modules.
const CLUSTER_OR_CLOUD = ['@kubernetes/client-node/', '@aws-sdk/'];
const offline = [
  ['--help'],
  ['tree', 'examples/simple'],
  ['tree', 'examples/templated'],
  ['validate', 'examples/multi'],
  ['render', 'examples/simple'],
  ['build', 'examples/simple'],
];

async function traced(
  run: (args: readonly string[], env?: NodeJS.ProcessEnv) => Promise<Outcome>,
  args: readonly string[],
): Promise<string[]> {
  const scratch = await mkdtemp('/tmp/gantry-trace-');
  const file = join(scratch, 'modules');
  await writeFile(file, '');
  try {
    const trace = join(root, 'test', 'module-trace.mjs');
    const outcome = await run(args, { NODE_OPTIONS: `--import ${trace}`, GANTRY_MODULE_TRACE: file });
    expect(outcome.stderr).toBe('');
    return [...new Set((await readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith('file:')))].map(
      (url) => fileURLToPath(url),
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The source files (relative to the repository) in the bundle files loaded, from the metafile. */
async function bundleInputs(loaded: readonly string[]): Promise<string[]> {
  const meta: unknown = JSON.parse(await readFile(join(dist, 'gantry.meta.json'), 'utf8'));
  const outputs = (meta as { outputs: Record<string, { inputs: Record<string, unknown> }> }).outputs;
  return loaded.flatMap((file) => Object.keys(outputs[relative(root, file)]?.inputs ?? {}));
}

const heavy = (paths: readonly string[]): string[] =>
  paths.filter((p) => CLUSTER_OR_CLOUD.some((h) => p.includes(`node_modules/${h}`)));
const commandModules = (paths: readonly string[]): string[] =>
  paths.filter((p) => /cli\/commands\/(?!index\.ts)[a-z-]+\.ts$/.test(p));

describe.concurrent('offline commands load neither the Kubernetes client nor the AWS SDK', () => {
  for (const args of offline) {
    it(`gantry ${args.join(' ')}, from the sources`, async () => {
      const modules = await traced(fromSources, args);
      expect(modules.some((m) => m.endsWith('cli/main.ts'))).toBe(true);
      expect(heavy(modules)).toEqual([]);
      if (args[0] === '--help') expect(commandModules(modules)).toEqual([]);
    }, 180_000);

    it(`gantry ${args.join(' ')}, from the bundle`, async () => {
      const inputs = await bundleInputs(await traced(fromBundle, args));
      expect(inputs).toContain('cli/main.ts');
      expect(heavy(inputs)).toEqual([]);
      if (args[0] === '--help') expect(commandModules(inputs)).toEqual([]);
    }, 180_000);
  }

  // The checks above can fail: a command that talks to a cluster does load the client, seen the same ways.
  it('gantry run loads the Kubernetes client, and both traces see it', async () => {
    const kubeconfig = join(dist, 'missing-kubeconfig');
    const args = ['run', '--kubeconfig', kubeconfig];
    const [sources, bundle] = await Promise.all([
      tracedFailing(fromSources, args),
      tracedFailing(fromBundle, args).then(bundleInputs),
    ]);
    expect(heavy(sources).some((p) => p.includes('@kubernetes/client-node/'))).toBe(true);
    expect(heavy(bundle).some((p) => p.includes('@kubernetes/client-node/'))).toBe(true);
  }, 180_000);
});

async function tracedFailing(
  run: (args: readonly string[], env?: NodeJS.ProcessEnv) => Promise<Outcome>,
  args: readonly string[],
): Promise<string[]> {
  const scratch = await mkdtemp('/tmp/gantry-trace-');
  const file = join(scratch, 'modules');
  await writeFile(file, '');
  try {
    const trace = join(root, 'test', 'module-trace.mjs');
    const outcome = await run(args, { NODE_OPTIONS: `--import ${trace}`, GANTRY_MODULE_TRACE: file });
    expect(outcome.code).toBe(1);
    return (await readFile(file, 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('file:'))
      .map((url) => fileURLToPath(url));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

describe('bin/gantry.mjs', () => {
  it('runs the bundle while it is up to date, else the sources', async () => {
    // A copy of bin/gantry.mjs in a scratch folder, with its own bundle in dist/ and cli/ linked to the sources:
    // the modules a run loads tell which one ran (the bundle's files, or cli/main.ts through tsx).
    const scratch = await mkdtemp(join(root, 'dist', 'test-bin-'));
    try {
      await mkdir(join(scratch, 'bin'));
      await writeFile(join(scratch, 'bin', 'gantry.mjs'), await readFile(join(root, 'bin', 'gantry.mjs')));
      await symlink(join(root, 'cli'), join(scratch, 'cli'));
      const out = join(scratch, 'dist');
      const built = await runNode(['--import', 'tsx', 'scripts/bundle.ts', '--out', out, '--external-deps']);
      expect(built.code).toBe(0);
      const ran = async (env: NodeJS.ProcessEnv = {}): Promise<'bundle' | 'sources'> => {
        const modules = await traced(
          (args, traceEnv) => runNode([join(scratch, 'bin', 'gantry.mjs'), ...args], { ...traceEnv, ...env }),
          ['tree', 'examples/simple'],
        );
        const bundle = modules.includes(join(out, 'gantry.mjs'));
        const sources = modules.some((m) => m.endsWith('/cli/main.ts'));
        expect(bundle === sources).toBe(false);
        return bundle ? 'bundle' : 'sources';
      };
      expect(await ran()).toBe('bundle');
      expect(await ran({ GANTRY_FROM_SOURCE: '1' })).toBe('sources');
      const manifestFile = join(out, 'gantry.inputs.json');
      const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as {
        builtAt: number;
        inputs: string[];
      };
      expect(manifest.inputs).toContain(relative(out, join(root, 'cli', 'commands', 'tree.ts')));
      // Built before the sources it holds were last written: stale.
      await writeFile(manifestFile, JSON.stringify({ ...manifest, builtAt: 0 }));
      expect(await ran()).toBe('sources');
      await writeFile(manifestFile, JSON.stringify(manifest));
      expect(await ran()).toBe('bundle');
      await rm(join(out, 'gantry.mjs'));
      expect(await ran()).toBe('sources');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 180_000);
});
