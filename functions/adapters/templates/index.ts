/**
 * @module adapters/templates
 * Both template engines behind a worker thread, so one template cannot stall or exhaust the host that serves
 * every other package: each render has a deadline (default 10 s) and the worker a memory cap (V8
 * resourceLimits; the Go engine's WASM memory is capped by Go itself and its 64 MiB output limit). A render
 * past its deadline or its memory kills the worker — the next render gets a fresh one — and fails with a
 * terminal TemplateError naming the file and the limit (the same template would do the same again); a worker
 * that dies for any other reason is a retryable TemplateEngineError.
 */
import { bundledWorkerUrl } from './bundled-worker.js';
import { Worker } from 'node:worker_threads';
import type { GoTemplateEngine, GoTemplateRequest, HandlebarsEngine } from '../../../shared/ports.js';
import type { GoTemplateCompiler } from '../gotmpl/index.js';
import type { HandlebarsRequest } from '../../../shared/render/handlebars.js';
import { TemplateEngineError, TemplateError } from '../../../shared/render/errors.js';
import { errorMessage } from '../../../shared/errors.js';
import { isWorkerMessage, type RenderJob, type SerializedError, type WorkerMessage } from './protocol.js';

export interface TemplateWorkerLimits {
  /** Longest render, milliseconds (from the engine being ready to the last output). */
  readonly renderTimeoutMs: number;
  /** The worker's JavaScript heap, MiB. */
  readonly renderMemoryMb: number;
}

export const DEFAULT_TEMPLATE_WORKER_LIMITS: TemplateWorkerLimits = {
  renderTimeoutMs: 10_000,
  renderMemoryMb: 512,
};

interface Pending {
  /** The worker rendering it: when that worker dies, only its jobs fail. */
  readonly worker: Worker;
  readonly job: RenderJob;
  readonly resolve: (outputs: ReadonlyMap<string, string>) => void;
  readonly reject: (error: Error) => void;
  file: string;
  timer?: NodeJS.Timeout;
}

/** The worker's code: the bundled worker when running from the CLI bundle, else the sources through tsx. */
const ENTRY = bundledWorkerUrl() ?? new URL('./worker-entry.mjs', import.meta.url);

function describeFiles(execute: readonly string[]): string {
  return execute.length <= 3 ? execute.join(', ') : `${execute.slice(0, 3).join(', ')}, …`;
}

function deserialize(error: SerializedError): Error {
  if (error.kind === 'template')
    return new TemplateError(error.message, {
      phase: error.phase,
      ...(error.path !== undefined ? { path: error.path } : {}),
      ...(error.context !== undefined ? { context: error.context } : {}),
    });
  return new TemplateEngineError(error.message);
}

export interface TemplateWorkerOptions {
  /** How the worker's Go engine is compiled (GoTemplateEngineOptions.compiler); undefined: V8's defaults. */
  readonly compiler?: GoTemplateCompiler;
  /**
   * Stop the worker after this long without a render (long-running hosts: the worker with the Go engine holds
   * tens of MiB that a host with nothing to render should give back; the next render starts a new one);
   * undefined: keep it.
   */
  readonly idleMs?: number;
  /**
   * The worker's young generation, MiB (V8's default for a 64-bit process is up to 48): a render's garbage is
   * short-lived strings, and a small nursery keeps the worker's RSS down at the cost of more scavenges.
   */
  readonly youngGenerationMb?: number;
}

/** One worker thread rendering one job at a time; replaced after a timeout, an out-of-memory or a crash. */
export class TemplateWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;

  public constructor(
    public readonly limits: TemplateWorkerLimits = DEFAULT_TEMPLATE_WORKER_LIMITS,
    private readonly options: TemplateWorkerOptions = {},
  ) {}

  /** Whether a worker thread is running now. */
  public get running(): boolean {
    return this.worker !== undefined;
  }

  /**
   * Start the worker and its Go engine now with a render of nothing, for a host that is about to render: its first
   * package then does not wait for the WebAssembly to compile and Go to start. A failure is left to the first real
   * render to report. With `idleMs`, a worker that then renders nothing stops as usual.
   */
  public warmUp(): Promise<void> {
    return this.run({
      engine: 'gotmpl',
      templates: new Map([['warm-up.gotmpl', '{{ .n }}']]),
      execute: ['warm-up.gotmpl'],
      context: { n: 1 },
      files: new Map(),
      functionSet: 'package',
    }).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Render one job; jobs run one after another. */
  public run(job: RenderJob): Promise<ReadonlyMap<string, string>> {
    const result = this.queue.then(() => this.runNow(job));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Stop the worker (a later run starts a new one). */
  public async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private runNow(job: RenderJob): Promise<ReadonlyMap<string, string>> {
    clearTimeout(this.idleTimer);
    const worker = this.current();
    const id = this.nextId++;
    // Referenced while it has work (the process waits for the render), unreferenced when idle (it exits).
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, job, resolve, reject, file: describeFiles(job.execute) });
      worker.postMessage({ id, job });
    });
  }

  private current(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(ENTRY, {
      resourceLimits: {
        maxOldGenerationSizeMb: this.limits.renderMemoryMb,
        ...(this.options.youngGenerationMb !== undefined
          ? { maxYoungGenerationSizeMb: this.options.youngGenerationMb }
          : {}),
      },
      workerData: { compiler: this.options.compiler },
    });
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.onMessage(message);
    });
    worker.on('error', (error: Error) => {
      this.lost(worker, error);
    });
    worker.on('exit', (code) => {
      this.lost(worker, new Error(`the template worker exited with code ${code}`));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onMessage(message: WorkerMessage): void {
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    switch (message.type) {
      case 'started':
        pending.timer = setTimeout(() => {
          this.timedOut(message.id);
        }, this.limits.renderTimeoutMs);
        return;
      case 'file':
        pending.file = message.path;
        return;
      case 'done':
        this.settle(message.id);
        pending.resolve(new Map(message.outputs));
        return;
      case 'failed':
        this.settle(message.id);
        pending.reject(deserialize(message.error));
        return;
    }
  }

  private settle(id: number): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    if (![...this.pending.values()].some((p) => p.worker === pending.worker)) pending.worker.unref();
    if (this.pending.size === 0) this.idleSoon();
  }

  /** With `idleMs`: stop the worker when no render arrives within it. */
  private idleSoon(): void {
    const idleMs = this.options.idleMs;
    if (idleMs === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0) this.discard();
    }, idleMs);
    this.idleTimer.unref();
  }

  /** Past the deadline: the template loops or is too slow. Kill the worker; terminal for this template. */
  private timedOut(id: number): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    const { renderTimeoutMs } = this.limits;
    this.settle(id);
    pending.reject(
      new TemplateError(
        `template ${pending.file}: rendering took longer than ${renderTimeoutMs} ms (limit renderTimeoutMs = ${renderTimeoutMs})`,
        { phase: 'execute', path: pending.file },
      ),
    );
    this.discard();
  }

  private discard(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  /** The worker died: out of memory is the template's doing (terminal), anything else the engine's. */
  private lost(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = undefined;
    const outOfMemory = 'code' in error && error.code === 'ERR_WORKER_OUT_OF_MEMORY';
    for (const [id, pending] of this.pending) {
      if (pending.worker !== worker) continue;
      this.settle(id);
      const { renderMemoryMb } = this.limits;
      pending.reject(
        outOfMemory
          ? new TemplateError(
              `template ${pending.file}: rendering exceeded the memory limit of ${renderMemoryMb} MiB (limit renderMemoryMb = ${renderMemoryMb})`,
              { phase: 'execute', path: pending.file },
            )
          : new TemplateEngineError(
              `template worker failed while rendering ${pending.file}: ${errorMessage(error)}`,
            ),
      );
    }
  }
}

/** The Go engine in the worker. `cel` runs there too, over `celVariables` (a function cannot cross threads). */
export function createWorkerGoTemplateEngine(worker: TemplateWorker): GoTemplateEngine {
  return {
    render(request: GoTemplateRequest): Promise<ReadonlyMap<string, string>> {
      if (request.cel !== undefined && request.celVariables === undefined)
        return Promise.reject(
          new TemplateEngineError(
            'the worker Go engine evaluates cel from celVariables, and none were given',
          ),
        );
      return worker.run({
        engine: 'gotmpl',
        templates: request.templates,
        execute: request.execute,
        context: request.context,
        files: request.files,
        functionSet: request.functionSet,
        ...(request.celVariables !== undefined ? { celVariables: request.celVariables } : {}),
      });
    },
  };
}

/** The handlebars engine in the worker. */
export function createWorkerHandlebarsEngine(worker: TemplateWorker): HandlebarsEngine {
  return {
    render(request: HandlebarsRequest): Promise<ReadonlyMap<string, string>> {
      return worker.run({
        engine: 'hbs',
        templates: request.templates,
        execute: request.execute,
        context: request.context,
      });
    },
  };
}
