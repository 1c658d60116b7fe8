/**
 * @module adapters/gotmpl
 * The Go template engine adapter: Go's own `text/template` + PKO's sprig allow-list and extras, compiled to
 * WebAssembly (see ./build.ts and ./wasm). Lazy: nothing is built, read or compiled until the first render.
 * Per process the WebAssembly.Module is compiled once and one Go instance is kept alive and reused; parsed
 * template sets are cached inside Go, keyed by a hash of the function set and every template path and source, and so
 * are decoded contexts (keyed by a hash of their JSON, deep-copied for every render because templates may mutate them).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { errorMessage, GantryError } from '../../../shared/errors.js';
import type { GoTemplateEngine, GoTemplateRequest } from '../../../shared/ports.js';
import { TemplateEngineError, TemplateError, type TemplatePhase } from '../../../shared/render/errors.js';
import { ensureGotmplWasm, WASM_EXEC_FILE, WASM_FILE, type BuildOptions } from './build.js';

export { GoToolchainMissingError, WasmBuildError, ensureGotmplWasm } from './build.js';

/** How V8 compiles the Go engine's WebAssembly (see GoTemplateEngineOptions.compiler). */
export type GoTemplateCompiler = 'baseline' | 'hot-only';

/** V8's default tiering budget times ten: only functions that run for long are optimized. */
const HOT_ONLY_TIERING_BUDGET = 18_000_000;

export interface GoTemplateEngineOptions extends BuildOptions {
  /** A directory with a prebuilt gotmpl.wasm + wasm_exec.cjs (`npm run build:wasm -- --out DIR`): no Go needed. */
  readonly wasmDir?: string;
  /**
   * How V8 compiles the module (its flags are process-wide, so a process picks one):
   * - `baseline`: V8's baseline compiler only (Liftoff, `--liftoff-only`), for short-lived processes such as the
   *   CLI. V8 otherwise spends most of a cold start recompiling Go's hot runtime functions with its optimizing
   *   compiler, which a process that renders once never earns back (bench/startup.bench.ts: `gantry tree` of a
   *   templated package takes about half the CPU time and 40 MiB less).
   * - `hot-only`: baseline code first, and only functions that run ten times longer than V8's default tiering
   *   budget are optimized (`--wasm-tiering-budget`), for long-running hosts. Small renders (the common case) then
   *   never pay for optimizing Go's runtime, whose compiler zones left some 40 MiB of the process's RSS behind and
   *   took more CPU than the renders: 1,000 renders of a five-file package took 0.7 s instead of 1.8 s, with about
   *   16 MiB less RSS. A template that computes for seconds still gets optimized code (a 300,000-iteration loop ran
   *   in 2.1–2.6 s, as with the default, against 4–5.7 s with `baseline`).
   * - undefined: V8's defaults.
   * Compiling itself is not what costs (V8 compiles lazily: ~30 ms for the 8 MiB module); running Go's start-up
   * and first render is. Compiled code cannot be cached on disk from Node 20 anyway: `v8.serialize` of a
   * WebAssembly.Module yields an in-process transfer id (2 bytes), not the code.
   */
  readonly compiler?: GoTemplateCompiler;
}

/** The Go engine plus an explicit warm-up (benchmarks, hosts that want the cost before the first request). */
export interface GoTemplateEngineHandle extends GoTemplateEngine {
  /** Build (if needed), compile and start the engine now. */
  warmUp(): Promise<void>;
}

/** What the Go side exposes (wasm/main.go). */
interface GoApi {
  render(request: object): unknown;
}

interface GoRuntime {
  readonly api: GoApi;
  readonly instanceExited: () => boolean;
}

/** An opaque compiled module / instance (the project's TS lib has no WebAssembly DOM types). */
type WasmModule = object;
type WasmInstance = object;

/** The part of the global WebAssembly object we use. */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
}

interface GoInstance {
  readonly importObject: object;
  readonly exited: boolean;
  run(instance: WasmInstance): Promise<void>;
}

type GoConstructor = new () => GoInstance;

const REGISTER = '__gantryGotmplRegister';

/** Compiled modules per .wasm path (compile once per process). */
const modules = new Map<string, Promise<{ module: WasmModule; Go: GoConstructor }>>();
/** Live Go instances per .wasm path (shared by every engine of the process). */
const runtimes = new Map<string, Promise<GoRuntime>>();

export function createGoTemplateEngine(opts: GoTemplateEngineOptions = {}): GoTemplateEngineHandle {
  let wasmDir: Promise<string> | undefined;
  const artifactsDir = (): Promise<string> => {
    if (!wasmDir) {
      const pending =
        opts.wasmDir !== undefined
          ? Promise.resolve(opts.wasmDir)
          : ensureGotmplWasm(opts).then((a) => a.dir);
      pending.catch(() => {
        wasmDir = undefined; // let a later call retry (e.g. Go installed meanwhile)
      });
      wasmDir = pending;
    }
    return wasmDir;
  };
  const ready = async (): Promise<string> => {
    const dir = await artifactsDir();
    if (opts.compiler === 'baseline') setFlagsFromString('--liftoff-only');
    if (opts.compiler === 'hot-only') setFlagsFromString(`--wasm-tiering-budget=${HOT_ONLY_TIERING_BUDGET}`);
    return dir;
  };
  const runtime = async (): Promise<GoRuntime> => runtimeFor(await ready());
  return {
    async warmUp(): Promise<void> {
      await runtime();
    },
    async render(request: GoTemplateRequest): Promise<ReadonlyMap<string, string>> {
      let dir: string;
      let rt: GoRuntime;
      try {
        dir = await ready();
        rt = await runtimeFor(dir);
      } catch (error) {
        // No toolchain, a missing or broken module: the engine, not the package. Retryable.
        if (error instanceof GantryError) throw error;
        throw new TemplateEngineError(`template engine failed to start: ${errorMessage(error)}`, {
          cause: error,
        });
      }
      return renderWith(rt, dir, request);
    },
  };
}

function runtimeFor(dir: string): Promise<GoRuntime> {
  let rt = runtimes.get(dir);
  if (!rt) {
    rt = startRuntime(dir);
    runtimes.set(dir, rt);
    rt.catch(() => runtimes.delete(dir));
  }
  return rt;
}

async function compiled(dir: string): Promise<{ module: WasmModule; Go: GoConstructor }> {
  let entry = modules.get(dir);
  if (!entry) {
    entry = (async () => {
      const bytes = readFile(join(dir, WASM_FILE));
      const Go = loadGoClass(join(dir, WASM_EXEC_FILE));
      return { module: await wasmApi().compile(await bytes), Go };
    })();
    modules.set(dir, entry);
    entry.catch(() => modules.delete(dir));
  }
  return entry;
}

function loadGoClass(wasmExecPath: string): GoConstructor {
  const existing: unknown = Reflect.get(globalThis, 'Go');
  if (isGoConstructor(existing)) return existing;
  const hadFs = Reflect.has(globalThis, 'fs');
  createRequire(import.meta.url)(wasmExecPath); // defines globalThis.Go (and a console-printing fs stub)
  if (!hadFs) captureGoOutput();
  const loaded: unknown = Reflect.get(globalThis, 'Go');
  if (!isGoConstructor(loaded)) throw new TemplateEngineError(`${wasmExecPath} did not define Go`);
  return loaded;
}

/** The tail of what the Go runtime wrote (fatal errors and their stack dumps), instead of printing it. */
let goOutput = '';
const GO_OUTPUT_LIMIT = 8192;

function captureGoOutput(): void {
  const stub: unknown = Reflect.get(globalThis, 'fs');
  if (!isObject(stub)) return;
  const decoder = new TextDecoder();
  stub['writeSync'] = (_fd: number, buf: Uint8Array): number => {
    goOutput = (goOutput + decoder.decode(buf)).slice(-GO_OUTPUT_LIMIT);
    return buf.length;
  };
}

/** `fatal error: out of memory` and the like, from the captured output. */
function goFatalMessage(): string {
  const line = goOutput.split('\n').find((l) => l.startsWith('fatal error:') || l.startsWith('panic:'));
  return line ?? 'the Go runtime exited';
}

async function startRuntime(dir: string): Promise<GoRuntime> {
  const { module, Go } = await compiled(dir);
  const go = new Go();
  const instance = await wasmApi().instantiate(module, go.importObject);
  let api: GoApi | undefined;
  Reflect.set(globalThis, REGISTER, (value: unknown) => {
    if (isGoApi(value)) api = value;
  });
  try {
    // Runs main() synchronously until it blocks; main registers its API first.
    go.run(instance).catch(() => undefined);
  } finally {
    Reflect.deleteProperty(globalThis, REGISTER);
  }
  if (!api) throw new TemplateEngineError('the Go template engine did not start');
  return { api, instanceExited: () => go.exited };
}

function renderWith(rt: GoRuntime, dir: string, request: GoTemplateRequest): ReadonlyMap<string, string> {
  const names = sortedByBytes(request.templates.keys());
  let result: unknown;
  goOutput = '';
  try {
    result = rt.api.render(goRequest(request, names));
  } catch (error) {
    // The Go runtime threw (a dead instance, a runtime bug): the engine failed, not the template. Retryable.
    runtimes.delete(dir);
    throw new TemplateEngineError(`template engine failed: ${errorMessage(error)}`, { cause: error });
  }
  if (rt.instanceExited()) {
    // The Go instance died: the next render starts a fresh one. Out of memory is the template's doing (it
    // asked for more than the engine has): terminal; any other fatal error is the engine's: retryable.
    runtimes.delete(dir);
    const fatal = goFatalMessage();
    if (fatal.includes('out of memory'))
      throw new TemplateError(`template engine failed: ${fatal}`, { phase: 'engine' });
    throw new TemplateEngineError(`template engine failed: ${fatal}`);
  }
  return decodeResult(result, request.execute);
}

function goRequest(request: GoTemplateRequest, names: readonly string[]): object {
  const context = JSON.stringify(request.context ?? {});
  const contextKey = createHash('sha256').update(context).digest('base64');
  // One string for every scalar (one crossing into Go): key NUL functionSet NUL contextKey {NUL path}.
  const head = [templateSetKey(request, names), request.functionSet, contextKey, ...request.execute].join(
    '\0',
  );
  return {
    head,
    context: () => context,
    templates: () => [names, names.map((name) => request.templates.get(name) ?? '')],
    file: (path: string) => request.files.get(path) ?? null,
    paths: () => sortedByBytes(request.files.keys()),
    cel: (expression: string) => celResult(request, expression),
  };
}

function celResult(request: GoTemplateRequest, expression: string): { value?: boolean; error?: string } {
  if (!request.cel) return { error: 'cel is not available in this context' };
  try {
    return { value: request.cel(expression) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** sha256 over the function set and every (path, source), in parse order. */
function templateSetKey(request: GoTemplateRequest, names: readonly string[]): string {
  const hash = createHash('sha256').update(request.functionSet).update('\0');
  for (const name of names) {
    hash
      .update(name)
      .update('\0')
      .update(request.templates.get(name) ?? '')
      .update('\0');
  }
  return hash.digest('base64');
}

function decodeResult(result: unknown, execute: readonly string[]): ReadonlyMap<string, string> {
  if (Array.isArray(result)) return outputsOf(result, execute);
  if (!isObject(result))
    throw new TemplateError('the Go template engine returned nothing', { phase: 'engine' });
  const message = result['error'];
  if (typeof message === 'string') {
    const path = result['path'];
    const context = result['context'];
    throw new TemplateError(message, {
      phase: toPhase(result['phase']),
      ...(typeof path === 'string' && path !== '' ? { path } : {}),
      ...(typeof context === 'string' && context !== '' ? { context } : {}),
    });
  }
  throw new TemplateError('the Go template engine returned malformed outputs', { phase: 'engine' });
}

function outputsOf(outputs: readonly unknown[], execute: readonly string[]): ReadonlyMap<string, string> {
  if (outputs.length !== execute.length) {
    throw new TemplateError('the Go template engine returned malformed outputs', { phase: 'engine' });
  }
  const rendered = new Map<string, string>();
  execute.forEach((path, i) => {
    const text: unknown = outputs[i];
    rendered.set(path, typeof text === 'string' ? text : '');
  });
  return rendered;
}

function toPhase(value: unknown): TemplatePhase {
  return value === 'parse' || value === 'execute' || value === 'context' ? value : 'engine';
}

/** Byte-wise (UTF-8) order like Go's sort.Strings, so parse order matches a Go caller's. */
function sortedByBytes(keys: Iterable<string>): string[] {
  return [...keys]
    .map((key) => ({ key, bytes: Buffer.from(key) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((entry) => entry.key);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function wasmApi(): WasmApi {
  const api: unknown = Reflect.get(globalThis, 'WebAssembly');
  if (!isWasmApi(api)) throw new TemplateEngineError('this JavaScript runtime has no WebAssembly support');
  return api;
}

function isWasmApi(value: unknown): value is WasmApi {
  return (
    isObject(value) && typeof value['compile'] === 'function' && typeof value['instantiate'] === 'function'
  );
}

function isGoApi(value: unknown): value is GoApi {
  return isObject(value) && typeof value['render'] === 'function';
}

function isGoConstructor(value: unknown): value is GoConstructor {
  return typeof value === 'function';
}
