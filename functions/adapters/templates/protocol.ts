/**
 * @module adapters/templates/protocol
 * Messages between the template worker and its host: a render request for one engine, progress (which file is
 * being rendered, so a timeout can name it), and the outcome with errors carried by kind.
 */
import type { FileMap } from '../../../shared/packages/files.js';
import type { TemplateFunctionSet } from '../../../shared/ports.js';
import type { TemplatePhase } from '../../../shared/render/errors.js';

export interface GoRenderJob {
  readonly engine: 'gotmpl';
  readonly templates: ReadonlyMap<string, string>;
  readonly execute: readonly string[];
  readonly context: unknown;
  readonly files: FileMap;
  readonly functionSet: TemplateFunctionSet;
  /** The variables the `cel` template function evaluates over; absent: `cel` is not available. */
  readonly celVariables?: Readonly<Record<string, unknown>>;
}

export interface HandlebarsRenderJob {
  readonly engine: 'hbs';
  readonly templates: ReadonlyMap<string, string>;
  readonly execute: readonly string[];
  readonly context: unknown;
}

export type RenderJob = GoRenderJob | HandlebarsRenderJob;

export interface JobMessage {
  readonly id: number;
  readonly job: RenderJob;
}

export type SerializedError =
  | {
      readonly kind: 'template';
      readonly message: string;
      readonly phase: TemplatePhase;
      readonly path?: string;
      /** Go's rendering of the template context, which PKO quotes in execute errors. */
      readonly context?: string;
    }
  | { readonly kind: 'engine'; readonly message: string };

export type WorkerMessage =
  /** The engine is ready and rendering started: the deadline runs from here. */
  | { readonly id: number; readonly type: 'started' }
  /** Rendering this file now. */
  | { readonly id: number; readonly type: 'file'; readonly path: string }
  | { readonly id: number; readonly type: 'done'; readonly outputs: readonly (readonly [string, string])[] }
  | { readonly id: number; readonly type: 'failed'; readonly error: SerializedError };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The host's check of what a worker sends. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return (
    isRecord(value) &&
    typeof value['id'] === 'number' &&
    (value['type'] === 'started' ||
      (value['type'] === 'file' && typeof value['path'] === 'string') ||
      (value['type'] === 'done' && Array.isArray(value['outputs'])) ||
      (value['type'] === 'failed' && isRecord(value['error'])))
  );
}

/** The worker's check of what the host sends. */
export function isJobMessage(value: unknown): value is JobMessage {
  return (
    isRecord(value) &&
    typeof value['id'] === 'number' &&
    isRecord(value['job']) &&
    (value['job']['engine'] === 'gotmpl' || value['job']['engine'] === 'hbs')
  );
}
