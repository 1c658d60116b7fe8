/**
 * @module devenv/binaries
 * The real components, built from their Go modules with the machine's Go toolchain, once, into a cache outside
 * the repository keyed by version (`$XDG_CACHE_HOME/gantry/bin/<name>-<version>/<name>`). What is missing is
 * planned in units (devenv/build-plan: the Kubernetes commands in one `go build`, the small modules beside it in a
 * second lane), announced with the expected time, and reported as it goes (devenv/build-progress); each unit's
 * duration is recorded so the next estimate is this machine's own. Concurrent callers build once (a lock directory
 * per binary, taken over when its holder died); a build writes to a temporary name and renames, so a half-built
 * binary is never used. `KUBEBUILDER_ASSETS` (envtest's layout) is honoured for etcd and kube-apiserver.
 */
import { execFile as execFileCb } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import {
  KUBE_COMMANDS,
  planBuild,
  type BinaryName,
  type BuildHistory,
  type BuildPlan,
  type PlanShape,
  type BuildUnit,
} from './build-plan.js';
import { buildProgress, type BuildProgress } from './build-progress.js';
import { execErrorText, pidAlive } from './process.js';

const execFile = promisify(execFileCb);

export const KUBERNETES_VERSION = 'v1.37.2';
export const ETCD_VERSION = 'v3.6.6';
export const KWOK_VERSION = 'v0.8.0';
export const REGISTRY_VERSION = 'v3.1.2';
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
/** go-containerregistry's `crane`: an independent OCI client for interoperability tests. */
export const CRANE_VERSION = 'v0.22.1';
/** The AWS Lambda Runtime Interface Emulator: the Lambda Runtime API, to run the bundled Lambda host under it. */
export const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d';

export { BINARY_NAMES, type BinaryName } from './build-plan.js';

/** The test helper that builds and reads package images with PKO's go-containerregistry calls. */
const PKOIMAGE_DIR = join(import.meta.dirname, '..', 'test', 'interop', 'pkoimage');

/** Version of the in-repo helper: a hash of its sources, so an edit rebuilds it. */
function pkoimageVersion(): string {
  const hash = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(PKOIMAGE_DIR, f)));
  return hash.digest('hex').slice(0, 12);
}

export function cacheRoot(): string {
  return join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'gantry');
}

function versionOf(name: BinaryName): string {
  if (name === 'kwok') return KWOK_VERSION;
  if (name === 'registry') return REGISTRY_VERSION;
  if (name === 'minio') return MINIO_VERSION;
  if (name === 'crane') return CRANE_VERSION;
  if (name === 'aws-lambda-rie') return RIE_VERSION;
  if (name === 'pkoimage') return pkoimageVersion();
  return name === 'etcd' ? ETCD_VERSION : KUBERNETES_VERSION;
}

/** Where a binary lives once built. */
export function binaryPath(name: BinaryName): string {
  const assets = process.env['KUBEBUILDER_ASSETS'];
  if (
    assets !== undefined &&
    assets !== '' &&
    (name === 'etcd' || name === 'kube-apiserver') &&
    existsSync(join(assets, name))
  ) {
    return join(assets, name);
  }
  return join(cacheRoot(), 'bin', `${name}-${versionOf(name)}`, name);
}

export class MissingToolchainError extends Error {
  public override readonly name = 'MissingToolchainError';
}

async function goBinary(): Promise<string> {
  try {
    await execFile('go', ['version']);
    return 'go';
  } catch {
    if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
    throw new MissingToolchainError(
      'The Go toolchain is needed to build the test binaries (etcd, kube-apiserver, …) and none was found on PATH.\n' +
        'Either install Go (https://go.dev/dl, or `apt-get install golang`), or point KUBEBUILDER_ASSETS at a folder\n' +
        'holding etcd and kube-apiserver (e.g. from `setup-envtest use 1.37`).',
    );
  }
}

/** What every Go command of one `ensureBinaries` call shares. */
interface BuildContext {
  readonly go: string;
  /** Aborted when another lane failed: its Go command is killed instead of finishing for nothing. */
  readonly signal: AbortSignal;
  /** Where `go build -debug-actiongraph` writes its action graphs (the first-run benchmark reads them). */
  readonly actionGraphDir?: string;
}

/** `-debug-actiongraph=<dir>/<label>.json` when the benchmark asks for action graphs. */
function actionGraphFlag(ctx: BuildContext, label: string): string[] {
  return ctx.actionGraphDir === undefined
    ? []
    : [`-debug-actiongraph=${join(ctx.actionGraphDir, `${label}.json`)}`];
}

/** Run a Go command; a failure names the command, the folder and the last lines of its output. */
async function run(
  ctx: BuildContext,
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>> = { GOFLAGS: '-mod=mod' },
): Promise<void> {
  try {
    await execFile(ctx.go, [...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CGO_ENABLED: '0', ...env },
      signal: ctx.signal,
    });
  } catch (error) {
    throw new Error(`go ${args.join(' ')} failed in ${cwd}:\n${execErrorText(error).text.slice(-4000)}`, {
      cause: error,
    });
  }
}

/** Whether a lock directory is stale: its holder is gone (pid recorded inside), or it is older than 45 minutes. */
async function staleLock(lock: string): Promise<boolean> {
  const info = await stat(lock).catch(() => undefined);
  if (info === undefined) return false;
  const pid = Number.parseInt(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''), 10);
  if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) return true;
  // A lock without a pid is being created: give its holder a moment to write it.
  if (!Number.isInteger(pid) && Date.now() - info.mtimeMs < 10_000) return false;
  return Date.now() - info.mtimeMs > 45 * 60_000;
}

/** Take the lock of one binary: a directory holding the builder's pid; an abandoned one is taken over. */
async function acquire(name: string, log: (line: string) => void): Promise<string> {
  const lock = join(cacheRoot(), 'locks', `${name}.lock`);
  await mkdir(join(cacheRoot(), 'locks'), { recursive: true });
  const started = Date.now();
  let said = 0;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return lock;
    } catch {
      if (await staleLock(lock)) {
        log(`taking over the build lock of ${name}: the process that held it is gone`);
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > 60 * 60_000) throw new Error(`timed out waiting for the build lock ${lock}`);
      if (Date.now() - said > 30_000) {
        log(`waiting for another process building ${name} …`);
        said = Date.now();
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Run `fn` holding the locks of `names` (taken in one order, so two builders never wait on each other). */
async function withLocks<T>(
  names: readonly string[],
  fn: () => Promise<T>,
  log: (line: string) => void,
): Promise<T> {
  const held: string[] = [];
  try {
    for (const name of [...names].sort()) held.push(await acquire(name, log));
    return await fn();
  } finally {
    for (const lock of held) await rm(lock, { recursive: true, force: true });
  }
}

function kubeLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const vars: Record<string, string> = {
    gitVersion: KUBERNETES_VERSION,
    gitMajor: major ?? '1',
    gitMinor: minor ?? '37',
    gitTreeState: 'clean',
  };
  const pkgs = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
  return ['-s', '-w', ...pkgs.flatMap((p) => Object.entries(vars).map(([k, v]) => `-X ${p}.${k}=${v}`))].join(
    ' ',
  );
}

/** A throw-away module that requires k8s.io/kubernetes with one replace per staging module (its go.mod requires them at v0.0.0). */
async function kubernetesModule(ctx: BuildContext): Promise<string> {
  const dir = join(cacheRoot(), 'build', `kubernetes-${KUBERNETES_VERSION}`);
  if (existsSync(join(dir, 'go.sum')) && existsSync(join(dir, '.tidy'))) return dir;
  await mkdir(dir, { recursive: true });
  const { stdout } = await execFile(
    ctx.go,
    ['mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_VERSION}`],
    { maxBuffer: 16 * 1024 * 1024, signal: ctx.signal },
  );
  const info: unknown = JSON.parse(stdout);
  const goMod =
    typeof info === 'object' && info !== null && 'GoMod' in info && typeof info.GoMod === 'string'
      ? info.GoMod
      : '';
  const staging = [...(await readFile(goMod, 'utf8')).matchAll(/^\s+(k8s\.io\/[a-z0-9-]+) v0\.0\.0$/gm)].map(
    (m) => m[1] ?? '',
  );
  const stagingVersion = `v0.${KUBERNETES_VERSION.slice(3)}`;
  const mod = [
    'module gantry.local/kubebuild',
    '',
    'go 1.25',
    '',
    `require k8s.io/kubernetes ${KUBERNETES_VERSION}`,
    '',
    ...staging.map((m) => `replace ${m} => ${m} ${stagingVersion}`),
    '',
  ].join('\n');
  await writeFile(join(dir, 'go.mod'), mod);
  const imports = KUBE_COMMANDS.map((c) => `\t_ "k8s.io/kubernetes/cmd/${c}"`).join('\n');
  await writeFile(join(dir, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport (\n${imports}\n)\n`);
  await run(ctx, ['mod', 'tidy'], dir);
  await writeFile(join(dir, '.tidy'), '');
  return dir;
}

async function etcdModule(ctx: BuildContext): Promise<string> {
  const dir = join(cacheRoot(), 'build', `etcd-${ETCD_VERSION}`);
  if (existsSync(join(dir, '.ready'))) return dir;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'go.mod'), 'module gantry.local/etcdbuild\n\ngo 1.25\n');
  await run(ctx, ['get', `go.etcd.io/etcd/server/v3@${ETCD_VERSION}`], dir);
  await writeFile(join(dir, '.ready'), '');
  return dir;
}

/** Modules that install cleanly with `go install pkg@version` (kwok, the distribution registry, MinIO). */
const GO_INSTALL: Partial<Record<BinaryName, string>> = {
  kwok: `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`,
  registry: `github.com/distribution/distribution/v3/cmd/registry@${REGISTRY_VERSION}`,
  minio: `github.com/minio/minio@${MINIO_VERSION}`,
  crane: `github.com/google/go-containerregistry/cmd/crane@${CRANE_VERSION}`,
  'aws-lambda-rie': `github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@${RIE_VERSION}`,
};

async function goInstall(ctx: BuildContext, name: BinaryName, pkg: string): Promise<void> {
  const target = binaryPath(name);
  const gobin = `${target}.gobin-${process.pid}`;
  await mkdir(gobin, { recursive: true });
  try {
    const flags = ['-trimpath', '-ldflags', '-s -w', ...actionGraphFlag(ctx, name)];
    await run(ctx, ['install', ...flags, pkg], gobin, { GOBIN: gobin });
    await install(join(gobin, name), name);
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
}

/** Folder of kwok's own stage configurations, shipped in its Go module. */
export async function kwokStageDir(): Promise<string> {
  const go = await goBinary();
  const { stdout } = await execFile(go, ['env', 'GOMODCACHE']);
  return join(stdout.trim(), 'sigs.k8s.io', `kwok@${KWOK_VERSION}`, 'kustomize', 'stage');
}

/** Build the Kubernetes commands `names` with one `go build`: one package load, shared compilation, parallel links. */
async function buildKubernetes(ctx: BuildContext, names: readonly BinaryName[]): Promise<void> {
  const dir = await kubernetesModule(ctx);
  const out = join(cacheRoot(), 'build', `kube-out-${process.pid}`);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  try {
    const pkgs = names.map((n) => `k8s.io/kubernetes/cmd/${n}`);
    const flags = ['-trimpath', '-ldflags', kubeLdflags(), ...actionGraphFlag(ctx, names.join('+'))];
    await run(ctx, ['build', ...flags, '-o', `${out}/`, ...pkgs], dir);
    for (const name of names) await install(join(out, name), name);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Move a built file to its cache path (a rename: a half-built binary is never seen there). */
async function install(built: string, name: BinaryName): Promise<void> {
  const target = binaryPath(name);
  await mkdir(join(target, '..'), { recursive: true });
  await chmod(built, 0o755);
  await rename(built, target);
}

async function buildOne(ctx: BuildContext, name: BinaryName): Promise<void> {
  const installable = GO_INSTALL[name];
  if (installable !== undefined) return goInstall(ctx, name, installable);
  const tmp = `${binaryPath(name)}.tmp-${process.pid}`;
  await mkdir(join(tmp, '..'), { recursive: true });
  const flags = ['-trimpath', '-ldflags', '-s -w', ...actionGraphFlag(ctx, name)];
  if (name === 'pkoimage') await run(ctx, ['build', ...flags, '-o', tmp, '.'], PKOIMAGE_DIR);
  else await run(ctx, ['build', ...flags, '-o', tmp, 'go.etcd.io/etcd/server/v3'], await etcdModule(ctx));
  await install(tmp, name);
}

const historySchema = z.record(z.string(), z.number());
const historyPath = (): string => join(cacheRoot(), 'build-times.json');

/** Durations of earlier builds on this machine, by unit (an unreadable file counts as none). */
export async function readBuildHistory(): Promise<BuildHistory> {
  try {
    const parsed = historySchema.safeParse(JSON.parse(await readFile(historyPath(), 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

async function recordBuild(unit: BuildUnit, ms: number): Promise<void> {
  const history = { ...(await readBuildHistory()), [unit.id]: ms };
  await mkdir(cacheRoot(), { recursive: true });
  const tmp = `${historyPath()}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(history, null, 2)}\n`);
  await rename(tmp, historyPath());
}

/** Build one unit under the locks of its binaries; another process may have built some of them meanwhile. */
async function buildUnit(
  ctx: BuildContext,
  unit: BuildUnit,
  progress: BuildProgress,
  log: (line: string) => void,
): Promise<void> {
  await withLocks(
    unit.binaries,
    async () => {
      const still = unit.binaries.filter((b) => !existsSync(binaryPath(b)));
      if (still.length === 0) return;
      const started = Date.now();
      progress.started(unit);
      if (still.some((b) => KUBE_COMMANDS.includes(b))) await buildKubernetes(ctx, still);
      else for (const name of still) await buildOne(ctx, name);
      const ms = Date.now() - started;
      progress.finished(unit, ms);
      // Only a build of the whole unit is its measure; a partial one would lower the next estimate.
      if (still.length === unit.binaries.length) await recordBuild(unit, ms);
    },
    log,
  );
}

export interface EnsureOptions {
  /** Where the build's progress goes (default: one line per step through `log`). */
  readonly progress?: BuildProgress;
  /** Test seam: extra milliseconds before a build starts, to make a first set-up slower than any timeout. */
  readonly delayMs?: number;
  /** Write each Go command's action graph here (`npm run bench -- firstrun` splits compile from link with it). */
  readonly actionGraphDir?: string;
  /** How the build is cut into units and lanes (the benchmark measures the old shape too). */
  readonly shape?: PlanShape;
}

/** The delay the first-run test injects before a build (GANTRY_DEV_SETUP_DELAY_MS), 0 otherwise. */
function setupDelay(options: EnsureOptions): number {
  if (options.delayMs !== undefined) return options.delayMs;
  const ms = Number.parseInt(process.env['GANTRY_DEV_SETUP_DELAY_MS'] ?? '', 10);
  return Number.isInteger(ms) && ms > 0 ? ms : 0;
}

/** Every binary's cache path. */
function allPaths(): Record<BinaryName, string> {
  const p = binaryPath;
  return {
    etcd: p('etcd'),
    'kube-apiserver': p('kube-apiserver'),
    'kube-controller-manager': p('kube-controller-manager'),
    'kube-scheduler': p('kube-scheduler'),
    kubectl: p('kubectl'),
    kwok: p('kwok'),
    registry: p('registry'),
    minio: p('minio'),
    crane: p('crane'),
    pkoimage: p('pkoimage'),
    'aws-lambda-rie': p('aws-lambda-rie'),
  };
}

/** Run the plan's two lanes; the first failure stops the other lane's Go command and is thrown. */
async function runLanes(
  plan: BuildPlan,
  options: EnsureOptions,
  progress: BuildProgress,
  log: (line: string) => void,
): Promise<void> {
  const abort = new AbortController();
  const ctx: BuildContext = {
    go: await goBinary(),
    signal: abort.signal,
    ...(options.actionGraphDir !== undefined ? { actionGraphDir: options.actionGraphDir } : {}),
  };
  let firstError: Error | undefined;
  const lane = async (n: 0 | 1): Promise<void> => {
    try {
      for (const unit of plan.units.filter((u) => u.lane === n)) await buildUnit(ctx, unit, progress, log);
    } catch (error) {
      // The lane that failed first explains the failure; the other one was only stopped by it.
      if (!abort.signal.aborted) firstError = error instanceof Error ? error : new Error(String(error));
      abort.abort();
    }
  };
  await Promise.all([lane(0), lane(1)]);
  if (firstError !== undefined) throw firstError;
}

/**
 * Make sure the binaries exist: the missing ones are planned, announced with their expected time and built in
 * two lanes (the Kubernetes commands in one `go build`, the small modules beside it). Returns every cache path.
 */
export async function ensureBinaries(
  names: readonly BinaryName[],
  log: (line: string) => void = (l) => process.stderr.write(`[gantry env] ${l}\n`),
  options: EnsureOptions = {},
): Promise<Record<BinaryName, string>> {
  const missing = names.filter((n) => !existsSync(binaryPath(n)));
  if (missing.length === 0) return allPaths();
  const delay = setupDelay(options);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  const plan = planBuild(missing, await readBuildHistory(), options.shape);
  const progress = options.progress ?? lineProgress(log);
  progress.planned(plan);
  try {
    await runLanes(plan, options, progress, log);
  } finally {
    progress.done();
  }
  return allPaths();
}

/** Progress as plain log lines (one per step start and end). */
function lineProgress(log: (line: string) => void): BuildProgress {
  return buildProgress({
    write: (text) => {
      for (const line of text.split('\n')) if (line !== '') log(line);
    },
    isTTY: false,
  });
}
