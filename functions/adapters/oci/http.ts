/**
 * @module adapters/oci/http
 * The one place package sources touch the network: fetch with a deadline for the response headers, an idle
 * timeout while the body streams and an overall deadline for the whole body (a server dripping a byte a
 * second is cut off too), redirects followed by hand (at most `maxRedirects`, never to plain http unless
 * that host is marked insecure), the Authorization header sent only to the host it was issued for on every
 * hop, bodies read with a byte cap, and no hop (a redirect, a token realm) to a loopback, link-local or private
 * address unless the registry itself is in that class or the operator allows it (names are resolved and every
 * address they resolve to is checked; the connection itself resolves again, so a name that changes its
 * answer between the two lookups is not caught). Failures are RetryableErrors whose message names the method, the URL and
 * the limit that was hit.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { RetryableError, errorMessage } from '../../../shared/errors.js';
import { limitText, type SourceLimits } from '../../../shared/oci/limits.js';
import {
  addressClass,
  plainHttpRegistry,
  reachable,
  type AddressClass,
  type PlainHttpRule,
} from '../../../shared/oci/network.js';

/** The back-off an unreachable or failing source asks for (PKO's initial pull back-off). */
export const PULL_RETRY_MS = 10_000;

export interface HttpClientOptions {
  readonly limits: SourceLimits;
  /** Hosts (`host:port`) where plain http is allowed. */
  readonly insecureHosts: ReadonlySet<string>;
  /** Registries reached over plain http by PKO's rules (see oci/network `plainHttpRulesOf`); default: none. */
  readonly plainHttp?: ReadonlySet<PlainHttpRule>;
  readonly userAgent?: string;
  /** Address classes reachable on behalf of any registry (`GANTRY_REGISTRY_NETWORKS`); public always is. */
  readonly allowedNetworks?: ReadonlySet<AddressClass>;
  /** Resolve a host name to its addresses (default: the system resolver, every address). */
  readonly lookup?: (hostname: string) => Promise<readonly string[]>;
}

export interface HttpRequest {
  readonly url: string;
  readonly method?: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH';
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent only to `authorizationHost`, on every hop: never to a host a redirect or a Location names. */
  readonly authorization?: string;
  /** The host (`host[:port]`, as URL.host spells it) the authorization was issued for; default: `url`'s host. */
  readonly authorizationHost?: string;
  /**
   * The host (`host[:port]`) this request is made on behalf of (a registry, for its token realm): its address
   * classes decide which non-public addresses may be reached; default: `url`'s host.
   */
  readonly originHost?: string;
  readonly body?: Uint8Array;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The URL that answered, after redirects. */
  readonly url: string;
  /** The body as a stream of chunks, with the idle timeout; at most `maxBytes` or it throws. */
  chunks(maxBytes: number, limitName: keyof SourceLimits): AsyncIterable<Uint8Array>;
  /** The whole body, at most `maxBytes`. */
  bytes(maxBytes: number, limitName: keyof SourceLimits): Promise<Uint8Array>;
  /** Drop the body unread. */
  discard(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A URL as error messages show it: without its query, which may carry signatures (pre-signed blob storage
 * redirects, upload session state) that must not reach logs or status.
 */
export function shownUrl(url: URL | string): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return `${u.origin}${u.pathname}${u.search !== '' ? '?…' : ''}`;
}

function timeoutError(method: string, url: string, what: string): RetryableError {
  return new RetryableError(`${method} ${url}: ${what}`, PULL_RETRY_MS);
}

async function systemLookup(hostname: string): Promise<readonly string[]> {
  return (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
}

export class HttpClient {
  public constructor(private readonly options: HttpClientOptions) {}

  /** The address classes of a host (`host[:port]`): its literal, or every address its name resolves to. */
  private async classesOf(host: string, method: string): Promise<Map<AddressClass, string>> {
    const hostname = new URL(`http://${host}`).hostname;
    const literal = addressClass(hostname);
    if (literal !== undefined) return new Map([[literal, hostname.replace(/^\[(.*)\]$/, '$1')]]);
    let addresses: readonly string[];
    try {
      addresses = await (this.options.lookup ?? systemLookup)(hostname);
    } catch (error) {
      throw new RetryableError(
        `${method} ${host}: cannot resolve ${hostname}: ${errorMessage(error)}`,
        PULL_RETRY_MS,
        {
          cause: error,
        },
      );
    }
    const out = new Map<AddressClass, string>();
    for (const address of addresses) out.set(addressClass(address) ?? 'public', address);
    return out;
  }

  /**
   * Refuse a hop to a non-public address the origin is not in and the operator did not allow. The origin itself
   * needs no check, and its classes are looked up only when the hop is to some non-public address.
   */
  private async checkAddress(url: URL, method: string, originHost: string): Promise<void> {
    if (url.host === originHost) return;
    const target = await this.classesOf(url.host, method);
    if ([...target.keys()].every((cls) => cls === 'public')) return;
    const origin = new Set((await this.classesOf(originHost, method)).keys());
    const allowed = this.options.allowedNetworks ?? new Set<AddressClass>();
    for (const [cls, address] of target)
      if (!reachable(cls, origin, allowed))
        throw new RetryableError(
          `${method} to ${url.host} refused: it is a ${cls} address (${address}), named on behalf of ${originHost}, which is not; an operator can allow the class with GANTRY_REGISTRY_NETWORKS=${cls}`,
          PULL_RETRY_MS,
        );
  }

  public get limits(): SourceLimits {
    return this.options.limits;
  }

  /** Whether plain http may be used for `host`. */
  public isInsecure(host: string): boolean {
    if (this.options.insecureHosts.has(host)) return true;
    return this.options.plainHttp !== undefined && plainHttpRegistry(host, this.options.plainHttp);
  }

  private checkScheme(url: URL, method: string): void {
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && this.isInsecure(url.host)) return;
    throw new RetryableError(
      `${method} ${shownUrl(url)}: refusing plain ${url.protocol.replace(':', '')} to ${url.host}; mark the registry insecure (--insecure) to allow it`,
      PULL_RETRY_MS,
    );
  }

  public async request(request: HttpRequest): Promise<HttpResponse> {
    const method = request.method ?? 'GET';
    const { limits } = this.options;
    let url = new URL(request.url);
    const authorizationHost = request.authorizationHost ?? url.host;
    const originHost = request.originHost ?? url.host;
    for (let hop = 0; ; hop++) {
      await this.checkAddress(url, method, originHost);
      this.checkScheme(url, method);
      const response = await this.once(method, url, request, url.host === authorizationHost);
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || location === null) return this.wrap(method, url, response);
      await response.body?.cancel().catch(() => undefined);
      if (hop >= limits.maxRedirects)
        throw new RetryableError(
          `${method} ${shownUrl(request.url)}: more than ${limits.maxRedirects} redirects (${limitText('maxRedirects', limits)})`,
          PULL_RETRY_MS,
        );
      const next = new URL(location, url);
      // A body (a refresh token, an upload) goes only where it was addressed.
      if (request.body !== undefined && next.host !== url.host)
        throw new RetryableError(
          `${method} ${shownUrl(url)}: refusing to send the request body on to another host (${next.host}) named by a redirect`,
          PULL_RETRY_MS,
        );
      url = next;
    }
  }

  private async once(method: string, url: URL, request: HttpRequest, sendAuth: boolean): Promise<Response> {
    const { limits } = this.options;
    const controller = new AbortController();
    const onAbort = (): void => {
      controller.abort(request.signal?.reason);
    };
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      controller.abort(
        timeoutError(
          method,
          shownUrl(url),
          `no response within ${limits.requestTimeoutMs} ms (${limitText('requestTimeoutMs', limits)})`,
        ),
      );
    }, limits.requestTimeoutMs);
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent ?? 'gantry',
      ...request.headers,
    };
    if (sendAuth && request.authorization !== undefined) headers['authorization'] = request.authorization;
    try {
      const init: RequestInit = { method, headers, redirect: 'manual', signal: controller.signal };
      if (request.body !== undefined) init.body = request.body;
      return await fetch(url, init);
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      if (reason instanceof RetryableError) throw reason;
      if (request.signal?.aborted === true) throw error;
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      if (url.protocol === 'https:' && cause.includes('wrong version number'))
        throw new RetryableError(
          `${method} ${shownUrl(url)}: the server does not speak TLS; if it is a plain-http registry, mark it insecure (--insecure)`,
          PULL_RETRY_MS,
          { cause: error },
        );
      throw new RetryableError(`${method} ${shownUrl(url)}: ${errorMessage(error)}${cause}`, PULL_RETRY_MS, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  private wrap(method: string, url: URL, response: Response): HttpResponse {
    const { limits } = this.options;
    const href = url.href;
    const shown = shownUrl(url);
    async function* chunks(maxBytes: number, limitName: keyof SourceLimits): AsyncIterable<Uint8Array> {
      const body = response.body;
      if (body === null) return;
      const reader = body.getReader();
      let total = 0;
      const deadline = Date.now() + limits.downloadTimeoutMs;
      try {
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const left = deadline - Date.now();
          const idle = new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => {
                reject(
                  left < limits.idleTimeoutMs
                    ? timeoutError(
                        method,
                        shown,
                        `the body took longer than ${limits.downloadTimeoutMs} ms (${limitText('downloadTimeoutMs', limits)})`,
                      )
                    : timeoutError(
                        method,
                        shown,
                        `no data for ${limits.idleTimeoutMs} ms while reading the body (${limitText('idleTimeoutMs', limits)})`,
                      ),
                );
              },
              Math.max(0, Math.min(left, limits.idleTimeoutMs)),
            );
          });
          let next: Awaited<ReturnType<typeof reader.read>>;
          try {
            next = await Promise.race([reader.read(), idle]);
          } catch (error) {
            if (error instanceof RetryableError) throw error;
            throw new RetryableError(
              `${method} ${shown}: reading the body: ${errorMessage(error)}`,
              PULL_RETRY_MS,
              {
                cause: error,
              },
            );
          } finally {
            clearTimeout(timer);
          }
          if (next.done) return;
          const value: unknown = next.value;
          if (!(value instanceof Uint8Array)) continue;
          total += value.length;
          if (total > maxBytes)
            throw new RetryableError(
              `${method} ${shown}: response larger than ${maxBytes} bytes (limit ${limitName} = ${maxBytes})`,
              PULL_RETRY_MS,
            );
          yield value;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    }
    return {
      status: response.status,
      headers: response.headers,
      url: href,
      chunks,
      async bytes(maxBytes, limitName) {
        const parts: Uint8Array[] = [];
        for await (const c of chunks(maxBytes, limitName)) parts.push(c);
        return new Uint8Array(Buffer.concat(parts));
      },
      async discard() {
        await response.body?.cancel().catch(() => undefined);
      },
    };
  }
}
