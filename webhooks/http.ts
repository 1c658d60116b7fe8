/**
 * @module webhooks/http
 * The request and response every host hands to the core handlers: express (`gantry serve`) and the Lambda
 * Function URL adapter build one of these, so the handlers never see a framework. Headers are lower-case.
 */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-case header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /**
   * The TLS client certificate the caller presented, as the host's TLS server saw it: `verified` when its chain
   * ends at the host's admission client CA; `names` its common name and DNS/IP SANs.
   */
  readonly clientCertificate?: { readonly verified: boolean; readonly names: readonly string[] };
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Bodies over this size are refused (413) before any parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function json(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** An error answer with a reason a client can act on. */
export function problem(status: number, reason: string): HttpResponse {
  return json(status, { error: reason });
}

/** Lower-case the keys of a header map, joining arrays (Node's and Lambda's shapes). */
export function normaliseHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}

/** The media type of a Content-Type header, lower-case and without parameters. */
export function mediaType(headers: Readonly<Record<string, string>>): string {
  return (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Parse a JSON body; undefined when it is not JSON. */
export function parseJson(body: Uint8Array): unknown {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    return value;
  } catch {
    return undefined;
  }
}
