/**
 * @module adapters/templates/worker
 * The worker thread that renders templates for the host: the Go engine (its own WASM instance, started once
 * per worker) and handlebars. It renders one job at a time, says which file it is on, and reports errors by
 * kind. The host enforces the deadline and the memory cap by terminating this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileCel } from '../../../shared/cel/index.js';
import { errorMessage } from '../../../shared/errors.js';
import { renderHandlebars } from '../../../shared/render/handlebars.js';
import { TemplateError } from '../../../shared/render/errors.js';
import { createGoTemplateEngine } from '../gotmpl/index.js';
import {
  isJobMessage,
  type GoRenderJob,
  type HandlebarsRenderJob,
  type SerializedError,
  type WorkerMessage,
} from './protocol.js';

const port = parentPort;
const compiler: unknown =
  typeof workerData === 'object' && workerData !== null ? Reflect.get(workerData, 'compiler') : undefined;
const goEngine = createGoTemplateEngine(
  compiler === 'baseline' || compiler === 'hot-only' ? { compiler } : {},
);

function send(message: WorkerMessage): void {
  port?.postMessage(message);
}

async function renderGo(id: number, job: GoRenderJob): Promise<ReadonlyMap<string, string>> {
  await goEngine.warmUp();
  send({ id, type: 'started' });
  const variables = job.celVariables;
  return goEngine.render({
    templates: job.templates,
    execute: job.execute,
    context: job.context,
    files: job.files,
    functionSet: job.functionSet,
    ...(variables !== undefined
      ? { cel: (expression: string): boolean => compileCel(expression, 'package').evaluate(variables) }
      : {}),
  });
}

function renderHbs(id: number, job: HandlebarsRenderJob): ReadonlyMap<string, string> {
  send({ id, type: 'started' });
  const out = new Map<string, string>();
  let written = 0;
  for (const path of job.execute) {
    send({ id, type: 'file', path });
    const text = renderHandlebars({
      templates: job.templates,
      execute: [path],
      context: job.context,
      written,
    }).get(path);
    written += Buffer.byteLength(text ?? '');
    out.set(path, text ?? '');
  }
  return out;
}

function serialize(error: unknown): SerializedError {
  if (error instanceof TemplateError)
    return {
      kind: 'template',
      message: error.message,
      phase: error.phase,
      ...(error.path !== undefined ? { path: error.path } : {}),
      ...(error.context !== undefined ? { context: error.context } : {}),
    };
  return { kind: 'engine', message: errorMessage(error) };
}

port?.on('message', (message: unknown) => {
  if (!isJobMessage(message)) return;
  const { id, job } = message;
  const rendering =
    job.engine === 'gotmpl' ? renderGo(id, job) : Promise.resolve().then(() => renderHbs(id, job));
  rendering.then(
    (outputs) => {
      send({ id, type: 'done', outputs: [...outputs] });
    },
    (error: unknown) => {
      send({ id, type: 'failed', error: serialize(error) });
    },
  );
});
