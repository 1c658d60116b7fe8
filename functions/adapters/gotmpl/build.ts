/**
 * @module adapters/gotmpl/build
 * Builds the Go template engine (`./wasm`, Go `text/template` + sprig) into a WebAssembly module with the
 * machine's Go toolchain, into a cache outside the repository keyed by a hash of the Go sources and the Go version:
 * `<cacheDir>/<hash>/{gotmpl.wasm, wasm_exec.cjs, meta.json}`. No binary is committed.
 *
 * The build stages a copy of the sources plus a trimmed copy of sprig (`wasm/tools/trimsprig`: its function map
 * reduced to PKO's allow-list and every declaration those functions cannot reach removed, kept bodies unchanged), so
 * crypto, random, network and date code is not in the module at all. The result directory appears atomically (build in a private temp dir, then rename), so two processes
 * building at once are safe: the loser of the rename discards its copy.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, cp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TemplateEngineError } from '../../../shared/render/errors.js';

/** Bump when the build recipe (flags, staging, trimming) changes: it is part of the cache key. */
const RECIPE = 'gotmpl-wasm-2';
const SPRIG_MODULE = 'github.com/Masterminds/sprig/v3';

export const WASM_FILE = 'gotmpl.wasm';
export const WASM_EXEC_FILE = 'wasm_exec.cjs';

export interface BuildOptions {
  /** Root of the artifact cache; default `~/.cache/gantry/wasm`. */
  readonly cacheDir?: string;
  /** The `go` command; default `go` from PATH. */
  readonly goBinary?: string;
  /** The Go sources; default `./wasm` beside this file. */
  readonly sourceDir?: string;
  /** Progress messages (a build takes seconds the first time). */
  readonly log?: (message: string) => void;
}

export interface WasmArtifacts {
  /** Directory holding gotmpl.wasm, wasm_exec.cjs and meta.json. */
  readonly dir: string;
  readonly wasmPath: string;
  readonly wasmExecPath: string;
  readonly hash: string;
  /** True when this call ran the Go build (false: cache hit). */
  readonly built: boolean;
}

/** The Go toolchain is not installed (or not runnable): the engine cannot be built here. Retryable: not the package's fault. */
export class GoToolchainMissingError extends TemplateEngineError {
  public override readonly name: string = 'GoToolchainMissingError';
}

/** The Go build itself failed (compiler error, module download failure). Retryable: not the package's fault. */
export class WasmBuildError extends TemplateEngineError {
  public override readonly name: string = 'WasmBuildError';
}

interface GoEnv {
  readonly version: string;
  readonly goroot: string;
}

export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'gantry', 'wasm');
}

export function defaultSourceDir(): string {
  return fileURLToPath(new URL('./wasm/', import.meta.url));
}

const inFlight = new Map<string, Promise<WasmArtifacts>>();

/** The built engine, from the cache or built now. Concurrent calls in one process share one build. */
export async function ensureGotmplWasm(opts: BuildOptions = {}): Promise<WasmArtifacts> {
  const goBinary = opts.goBinary ?? 'go';
  const sourceDir = opts.sourceDir ?? defaultSourceDir();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const env = await goEnv(goBinary);
  const hash = await sourceHash(sourceDir, env.version);
  const dir = join(cacheDir, hash);
  const existing = inFlight.get(dir);
  if (existing) return existing;
  const pending = buildIfMissing({ goBinary, sourceDir, dir, hash, env, log: opts.log });
  inFlight.set(dir, pending);
  try {
    return await pending;
  } finally {
    inFlight.delete(dir);
  }
}

interface BuildPlan {
  readonly goBinary: string;
  readonly sourceDir: string;
  readonly dir: string;
  readonly hash: string;
  readonly env: GoEnv;
  readonly log: ((message: string) => void) | undefined;
}

async function buildIfMissing(plan: BuildPlan): Promise<WasmArtifacts> {
  const artifacts = {
    dir: plan.dir,
    wasmPath: join(plan.dir, WASM_FILE),
    wasmExecPath: join(plan.dir, WASM_EXEC_FILE),
    hash: plan.hash,
  };
  if (await exists(artifacts.wasmPath)) return { ...artifacts, built: false };
  plan.log?.(`building the Go template engine (${plan.env.version}) into ${plan.dir}`);
  const parent = join(plan.dir, '..');
  await mkdir(parent, { recursive: true });
  const staging = join(
    parent,
    `.build-${plan.hash.slice(0, 12)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await stageAndBuild(plan, staging);
    await publish(join(staging, 'out'), plan.dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { ...artifacts, built: true };
}

async function stageAndBuild(plan: BuildPlan, staging: string): Promise<void> {
  const src = join(staging, 'src');
  const out = join(staging, 'out');
  await cp(plan.sourceDir, src, { recursive: true });
  await mkdir(out, { recursive: true });
  const run = (args: readonly string[], extraEnv: readonly string[] = []): Promise<string> =>
    runGo(plan.goBinary, args, src, extraEnv);
  await run(['mod', 'download', SPRIG_MODULE]);
  const sprigDir = (await run(['list', '-m', '-f', '{{.Dir}}', SPRIG_MODULE])).trim();
  const trimmed = join(src, 'third_party', 'sprig');
  await cp(sprigDir, trimmed, {
    recursive: true,
    filter: (source) => !source.endsWith('_test.go') && !relative(sprigDir, source).startsWith('docs'),
  });
  await run(['run', './tools/trimsprig', sprigDir, 'allowlist.go', trimmed]);
  await run(['mod', 'edit', `-replace=${SPRIG_MODULE}=./third_party/sprig`]);
  await run(
    ['build', '-trimpath', '-ldflags=-s -w', '-o', join(out, WASM_FILE), '.'],
    ['GOOS=js', 'GOARCH=wasm', 'CGO_ENABLED=0'],
  );
  await cp(await wasmExecSource(plan.env.goroot), join(out, WASM_EXEC_FILE));
  const meta = { recipe: RECIPE, goVersion: plan.env.version, hash: plan.hash, sprig: sprigDir };
  await writeFile(join(out, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

/** Atomically move the finished output into place; another process may have won the race. */
async function publish(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if (await exists(join(to, WASM_FILE))) return;
    throw error;
  }
}

async function wasmExecSource(goroot: string): Promise<string> {
  for (const candidate of [
    join(goroot, 'lib', 'wasm', 'wasm_exec.js'),
    join(goroot, 'misc', 'wasm', 'wasm_exec.js'),
  ]) {
    if (await exists(candidate)) return candidate;
  }
  throw new WasmBuildError(`wasm_exec.js not found in ${goroot}/lib/wasm or ${goroot}/misc/wasm`);
}

async function goEnv(goBinary: string): Promise<GoEnv> {
  const outText = await runGo(goBinary, ['env', 'GOVERSION', 'GOROOT'], undefined, []);
  const [version = '', goroot = ''] = outText.split('\n').map((line) => line.trim());
  if (version === '' || goroot === '') {
    throw new GoToolchainMissingError(`unexpected output of '${goBinary} env GOVERSION GOROOT': ${outText}`);
  }
  return { version, goroot };
}

/** sha256 over the recipe, the Go version and every source file (path and content), sorted by path. */
async function sourceHash(sourceDir: string, goVersion: string): Promise<string> {
  const hash = createHash('sha256').update(`${RECIPE}\0${goVersion}\0`);
  for (const file of await listFiles(sourceDir)) {
    hash.update(`${relative(sourceDir, file)}\0`);
    hash.update(await readFile(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Run the go command. Extra environment is passed through `env(1)` so the child inherits the caller's environment
 * without this module reading process.env.
 */
function runGo(
  goBinary: string,
  args: readonly string[],
  cwd: string | undefined,
  extraEnv: readonly string[],
): Promise<string> {
  const [file, argv] =
    extraEnv.length > 0 ? ['env', [...extraEnv, goBinary, ...args]] : [goBinary, [...args]];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      reject(goFailure(goBinary, args, error, stderr));
    });
  });
}

function goFailure(goBinary: string, args: readonly string[], error: Error, stderr: string): Error {
  const missing = 'code' in error && (error.code === 'ENOENT' || error.code === 127);
  if (missing) {
    return new GoToolchainMissingError(
      `Go toolchain not found: '${goBinary}' is not on PATH. The Go template engine for .gotmpl files is built ` +
        `from Go source on first use and needs Go >= 1.21 (https://go.dev/dl/), or pass a prebuilt module ` +
        `directory (wasmDir) made by 'npm run build:wasm'.`,
      { cause: error },
    );
  }
  return new WasmBuildError(`'${goBinary} ${args.join(' ')}' failed: ${stderr.trim() || error.message}`, {
    cause: error,
  });
}
