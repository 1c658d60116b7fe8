/**
 * @module hosts/console/http
 * What every console answer shares: the refusal type, JSON and asset answers with a strict Content-Security-Policy,
 * and a JSON body read with a size cap before anything is parsed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request refused with an HTTP status and a message for the page. */
export class HttpError extends Error {
  public override readonly name = 'HttpError';
  public constructor(
    public readonly status: number,
    message: string,
    public readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The header every state-changing request must carry (`1`, or a mounted console's CSRF token). */
export const ACTION_HEADER = 'x-gantry-console';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/** Whether the request says its body is JSON (checked before anything else of it). */
export function isJson(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/json');
}

/**
 * The body as JSON, at most `max` bytes (the declared length first, then the bytes as they arrive), else an
 * {@link HttpError} saying `tooBig`.
 */
export async function readJsonBody(req: IncomingMessage, max: number, tooBig: string): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > max) throw new HttpError(413, tooBig, { connection: 'close' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > max) throw new HttpError(413, tooBig, { connection: 'close' });
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}
