/**
 * @module errors
 * Errors typed by their retry meaning (style.md rule 7). A step that throws a TerminalError records the
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

/** The message of any thrown value, for logs and conditions. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
