/**
 * @module render/errors
 * The error every template engine throws for a bad template (syntax, missing key, forbidden function, `fail`,
 * include recursion, …). The message is the engine's own text — for `.gotmpl` files Go's `text/template` message
 * exactly as PKO shows it (docs/pko-compatibility.md §11), e.g.
 * `template: cm.yaml.gotmpl:8: function "env" not defined`. Callers that want PKO's wrapping add it themselves:
 * `parsing template from <path>: …` (phase `parse`) or `executing template from <path> …` (phase `execute`).
 */
import { RetryableError, TerminalError } from '../errors.js';

/** Where rendering failed: parsing the template set, executing one template, decoding the context, or the engine. */
export type TemplatePhase = 'parse' | 'execute' | 'context' | 'engine';

export interface TemplateErrorDetails {
  /** The template (path key) that failed, when known. */
  readonly path?: string;
  readonly phase: TemplatePhase;
  /** For `execute` errors of the Go engine: the template data as Go's `%+v` prints it. */
  readonly context?: string;
}

/** A template could not be rendered. Terminal: the same input fails the same way. */
export class TemplateError extends TerminalError {
  public override readonly name: string = 'TemplateError';
  public readonly path: string | undefined;
  public readonly phase: TemplatePhase;
  public readonly context: string | undefined;

  public constructor(message: string, details: TemplateErrorDetails, options?: ErrorOptions) {
    super(message, options);
    this.path = details.path;
    this.phase = details.phase;
    this.context = details.context;
  }
}

/** Type guard usable by pure code. */
export function isTemplateError(error: unknown): error is TemplateError {
  return error instanceof TemplateError;
}

/**
 * The template engine itself failed, not the template: its runtime crashed or died, its toolchain or module is
 * missing, its worker was lost. Retryable: the same package may render on the next attempt (a fresh engine).
 */
export class TemplateEngineError extends RetryableError {
  public override readonly name: string = 'TemplateEngineError';

  public constructor(message: string, options?: ErrorOptions) {
    super(message, ENGINE_RETRY_MS, options);
  }
}

/** The back-off after an engine failure. */
export const ENGINE_RETRY_MS = 30_000;
