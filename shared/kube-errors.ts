/**
 * @module kube-errors
 * Errors of the Kubernetes API, typed by what a step does with them. The adapter maps every non-2xx
 * response to one of these, carrying the server's own `Status.message` (what the user sees in a condition).
 */
import { GantryError, RetryableError } from './errors.js';
import type { GetOptions, KubeApi, KubeObject, ObjectCache, ObjectRef } from './ports.js';

/** `Status.reason` values the steps tell apart. */
export type KubeReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Gone'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'Other';

/** A refusal by the API server (4xx other than 429). The message is the server's own. */
export class KubeApiError extends GantryError {
  public override readonly name: string = 'KubeApiError';

  public constructor(
    message: string,
    public readonly code: number,
    public readonly reason: KubeReason,
  ) {
    super(message);
  }
}

/** The server is overloaded or unreachable (429, 5xx, network): retry after `retryAfterMs`. */
export class KubeUnavailableError extends RetryableError {
  public override readonly name: string = 'KubeUnavailableError';
  /** The server named the delay (`Retry-After`); otherwise `retryAfterMs` is a default and a back-off may differ. */
  public readonly serverAsked: boolean;

  public constructor(
    message: string,
    retryAfterMs: number,
    options?: ErrorOptions & { readonly serverAsked?: boolean },
  ) {
    super(message, retryAfterMs, options);
    this.serverAsked = options?.serverAsked === true;
  }
}

export function isKubeReason(error: unknown, reason: KubeReason): error is KubeApiError {
  return error instanceof KubeApiError && error.reason === reason;
}

export function isNotFound(error: unknown): error is KubeApiError {
  return isKubeReason(error, 'NotFound');
}

export function isConflict(error: unknown): error is KubeApiError {
  return isKubeReason(error, 'Conflict');
}

const REASONS: ReadonlySet<string> = new Set([
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Invalid',
  'Forbidden',
  'Unauthorized',
  'Gone',
  'BadRequest',
  'MethodNotAllowed',
  'RequestEntityTooLarge',
  'UnsupportedMediaType',
  'NotAcceptable',
]);

const BY_CODE: Readonly<Record<number, KubeReason>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
};

function isReason(value: string): value is KubeReason {
  return REASONS.has(value);
}

/** The reason of a failed response: the Status object's when it names one we know, else by code. */
export function reasonOf(code: number, statusReason: string | undefined): KubeReason {
  if (statusReason !== undefined && isReason(statusReason)) return statusReason;
  return BY_CODE[code] ?? 'Other';
}

/**
 * A GET whose NotFound answer is `undefined`; every other error is thrown. With `cache`, a watching host's cache
 * that covers the kind and has not seen the object answers `undefined` without a request (for decisions that are
 * right also when the object appeared a moment ago); `fresh` asks the API server past any cache.
 */
export async function getOrUndefined(
  kube: KubeApi,
  ref: ObjectRef,
  options?: GetOptions & { readonly cache?: ObjectCache | undefined },
): Promise<KubeObject | undefined> {
  // A synced watch of the kind that has not seen the object: absent, without a request.
  if (options?.fresh !== true && options?.cache?.lookup(ref) === null) return undefined;
  try {
    return await kube.get(ref, options?.fresh === true ? { fresh: true } : undefined);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
