/**
 * @module errors
 * Errors typed by their retry meaning (docs/architecture.md, "Errors"). A step that throws a TerminalError records the
 * problem in status and is not retried until the input changes; a RetryableError asks to run again after
 * `retryAfterMs`; anything else is retried with exponential backoff by the host.
 */

/** Base of every error Gantry raises on purpose. */
export class GantryError extends Error {
  public override readonly name: string = 'GantryError';
}

/** Do not retry: the input itself is wrong (bad package, bad config). Record it where the user looks. */
export class TerminalError extends GantryError {
  public override readonly name: string = 'TerminalError';
}

/** Retry after a known delay (an image pull back-off, a source that is not there yet). */
export class RetryableError extends GantryError {
  public override readonly name: string = 'RetryableError';

  public constructor(
    message: string,
    public readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Whether `code` looks like a service's structured error code (`NoSuchKey`, `ResourceNotFoundException`: words
 * in PascalCase, at most 64 characters) rather than free text, a key or a token. Only such a code of a remote
 * answer is ever shown; the rest of a body never reaches a message.
 */
export function isErrorCode(code: string): boolean {
  return code.length <= 64 && /^(?:[A-Z][a-z0-9]+)+$/.test(code);
}

/** The message of any thrown value, for logs and conditions. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The back-off for a failure of the world (a source down, a network error), PKO's initial pull back-off. */
export const DEFAULT_RETRY_MS = 10_000;

/**
 * The one place a remote service's answer is classified: 404 (not there yet), 408, 429 and 5xx are the world
 * and retried; any other 4xx (401/403 refusals such as S3 AccessDenied, 400 bad requests) is terminal: it will
 * not change until the package, its location or its credentials change.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 404 || status === 408 || status === 429 || status >= 500 || status < 400;
}

/** An error for a refusal by a remote service, typed by {@link isRetryableStatus}. */
export function refusal(
  status: number,
  message: string,
  options: ErrorOptions & { readonly retryAfterMs?: number } = {},
): TerminalError | RetryableError {
  return isRetryableStatus(status)
    ? new RetryableError(message, options.retryAfterMs ?? DEFAULT_RETRY_MS, options)
    : new TerminalError(message, options);
}
