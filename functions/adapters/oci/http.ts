/**
 * @module adapters/oci/http
 * The one place package sources touch the network: a request with a deadline for the response headers, an idle
 * timeout while the body streams and an overall deadline for the whole body (a server dripping a byte a
 * second is cut off too), redirects followed by hand (at most `maxRedirects`, never to plain http unless
 * that host is marked insecure), the Authorization header sent only to the host it was issued for on every
 * hop, bodies read with a byte cap, and no hop (a redirect, a token realm) to a loopback, link-local or private
 * address unless the registry itself is in that class or the operator allows it. A host name is resolved once
 * per hop: every address it resolves to is checked, and the connection goes to those addresses (by IP, with the
 * name as Host and as TLS server name), never resolved again, so a name that changes its answer between the check
 * and the connection (DNS rebinding) cannot lead it elsewhere. Failures are RetryableErrors whose message names
 * the method, the URL and the limit that was hit.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { RetryableError, errorMessage } from '../../../shared/errors.js';
import { limitText, type SourceLimits } from '../../../shared/oci/limits.js';
import {
  addressClass,
  plainHttpRegistry,
  reachable,
  type AddressClass,
  type PlainHttpRule,
} from '../../../shared/oci/network.js';
import { proxyFor, type ProxyConfig } from '../../../shared/oci/proxy.js';

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
  /**
   * Resolve a host name to its addresses (default: the system resolver, every address), once per hop: the
   * connection goes to the addresses this answered, in order, and nothing resolves the name again.
   */
  readonly lookup?: (hostname: string) => Promise<readonly string[]>;
  /**
   * HTTP_PROXY / HTTPS_PROXY / NO_PROXY (oci/proxy, Go's rules): a request the proxy takes goes to it, an http URL
   * as an absolute URI, an https one through a CONNECT tunnel (TLS end to end, the registry's name checked).
   */
  readonly proxy?: ProxyConfig;
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

/** Connection failures after which the next address of the name is tried (nothing was sent yet). */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
]);

/** How often a request is sent again after a kept-alive connection turned out closed (Node's reusedSocket). */
const MAX_STALE_RETRIES = 2;

interface Send {
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
  readonly signal: AbortSignal;
}

/** Send a request and wait for its response headers. */
function issue(
  send: typeof httpRequest,
  options: RequestOptions,
  body: Uint8Array | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = send(options, resolve);
    req.on('error', (error) => {
      // A kept-alive connection the server closed as it was reused: nothing was answered, send again.
      reject(req.reusedSocket && errorCode(error) === 'ECONNRESET' ? new StaleConnectionError(error) : error);
    });
    req.end(body);
  });
}

/** `Proxy-Authorization` from the proxy URL's user and password (Basic), as Go's transport sends it. */
function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === '' && proxy.password === '') return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** A CONNECT tunnel through the proxy to `authority` (`host:port`); a refusal names the proxy's status. */
function tunnel(
  at: { readonly host: string; readonly port: number },
  authority: string,
  auth: Record<string, string>,
  signal: AbortSignal,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      ...at,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...auth },
      signal,
    });
    req.on('connect', (response: IncomingMessage, socket: Socket) => {
      if (response.statusCode === 200) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(
        new Error(
          `the proxy ${at.host}:${at.port} refused CONNECT ${authority}: HTTP ${response.statusCode ?? 0}`,
        ),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

class StaleConnectionError extends Error {
  public override readonly name = 'StaleConnectionError';

  public constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

function errorCode(error: unknown): string {
  const code: unknown = typeof error === 'object' && error !== null && 'code' in error ? error.code : '';
  return typeof code === 'string' ? code : '';
}

/** A host's name without IPv6 brackets. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The response headers as fetch's Headers (a header fetch would refuse is left out). */
function headersOf(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] ?? '', raw[i + 1] ?? '');
    } catch {
      // an invalid name or value: not used
    }
  }
  return headers;
}

export class HttpClient {
  public constructor(private readonly options: HttpClientOptions) {}

  /** The addresses of a URL's host: its literal, or every address its name resolves to (once). */
  private async addressesOf(url: URL, method: string): Promise<readonly string[]> {
    const hostname = bareHostname(url);
    if (isIP(hostname) !== 0) return [hostname];
    let addresses: readonly string[];
    try {
      addresses = await (this.options.lookup ?? systemLookup)(hostname);
    } catch (error) {
      throw new RetryableError(
        `${method} ${url.host}: cannot resolve ${hostname}: ${errorMessage(error)}`,
        PULL_RETRY_MS,
        { cause: error },
      );
    }
    // Only addresses: a name among them would be resolved again by the connection, unchecked.
    addresses = addresses.filter((a) => isIP(a) !== 0);
    if (addresses.length === 0)
      throw new RetryableError(
        `${method} ${url.host}: cannot resolve ${hostname}: no address`,
        PULL_RETRY_MS,
      );
    return addresses;
  }

  /** The class of each address (one address named per class, for the message). */
  private static classesOf(addresses: readonly string[]): Map<AddressClass, string> {
    const out = new Map<AddressClass, string>();
    for (const address of addresses) out.set(addressClass(address) ?? 'public', address);
    return out;
  }

  /**
   * Refuse a hop to a non-public address the origin is not in and the operator did not allow. The origin itself
   * needs no check, and its classes are looked up only when the hop is to some non-public address.
   */
  private async checkAddress(
    url: URL,
    addresses: readonly string[],
    method: string,
    originHost: string,
  ): Promise<void> {
    if (url.host === originHost) return;
    const target = HttpClient.classesOf(addresses);
    if ([...target.keys()].every((cls) => cls === 'public')) return;
    const originUrl = new URL(`http://${originHost}`);
    const origin = new Set(HttpClient.classesOf(await this.addressesOf(originUrl, method)).keys());
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
      const proxy = this.options.proxy === undefined ? undefined : proxyFor(this.options.proxy, url);
      const addresses = await this.hopAddresses(url, method, originHost, proxy);
      this.checkScheme(url, method);
      const response = await this.once(
        method,
        url,
        { addresses, proxy },
        request,
        url.host === authorizationHost,
      );
      const headers = headersOf(response);
      const location = headers.get('location');
      const status = response.statusCode ?? 0;
      if (!REDIRECTS.has(status) || location === null) return this.wrap(method, url, response, headers);
      response.destroy();
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

  /**
   * The checked addresses of a hop. Through a proxy the proxy resolves the name (as Go's client lets it): the
   * addresses are checked when the name resolves here too, and a name that does not is left to the proxy.
   */
  private async hopAddresses(
    url: URL,
    method: string,
    originHost: string,
    proxy: URL | undefined,
  ): Promise<readonly string[]> {
    let addresses: readonly string[];
    try {
      addresses = await this.addressesOf(url, method);
    } catch (error) {
      if (proxy === undefined) throw error;
      return [];
    }
    await this.checkAddress(url, addresses, method, originHost);
    return addresses;
  }

  /** One hop: connect to the checked addresses in order (the next one only when a connection is refused). */
  private async once(
    method: string,
    url: URL,
    route: { readonly addresses: readonly string[]; readonly proxy: URL | undefined },
    request: HttpRequest,
    sendAuth: boolean,
  ): Promise<IncomingMessage> {
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
      host: url.host,
    };
    if (sendAuth && request.authorization !== undefined) headers['authorization'] = request.authorization;
    if (request.body !== undefined) headers['content-length'] = String(request.body.length);
    try {
      const send = { headers, body: request.body, signal: controller.signal };
      return await (route.proxy !== undefined
        ? this.viaProxy(method, url, route.proxy, send)
        : this.connectAny(method, url, route.addresses, send));
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      if (reason instanceof RetryableError) throw reason;
      if (request.signal?.aborted === true) throw error;
      if (url.protocol === 'https:' && errorMessage(error).includes('wrong version number'))
        throw new RetryableError(
          `${method} ${shownUrl(url)}: the server does not speak TLS; if it is a plain-http registry, mark it insecure (--insecure)`,
          PULL_RETRY_MS,
          { cause: error },
        );
      throw new RetryableError(`${method} ${shownUrl(url)}: ${errorMessage(error)}`, PULL_RETRY_MS, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Send to the addresses in order: the next one when a connection is refused, the same one again (twice at most)
   * when a kept-alive connection turns out closed.
   */
  private async connectAny(
    method: string,
    url: URL,
    addresses: readonly string[],
    send: Send,
  ): Promise<IncomingMessage> {
    let stale = 0;
    for (let i = 0; ; i++) {
      try {
        return await this.connect(method, url, addresses[i] ?? '', send);
      } catch (error) {
        if (send.signal.aborted) throw error;
        if (error instanceof StaleConnectionError && stale++ < MAX_STALE_RETRIES) i -= 1;
        else if (i + 1 >= addresses.length || !CONNECT_ERRORS.has(errorCode(error))) throw error;
      }
    }
  }

  /** Send to `address` (an IP), with the URL's host as Host and, over TLS, as the server name checked. */
  private async connect(method: string, url: URL, address: string, send: Send): Promise<IncomingMessage> {
    const https = url.protocol === 'https:';
    const hostname = bareHostname(url);
    const options: RequestOptions & { servername?: string } = {
      method,
      host: address,
      port: url.port !== '' ? Number(url.port) : https ? 443 : 80,
      path: `${url.pathname}${url.search}`,
      headers: send.headers,
      signal: send.signal,
      // A name is the TLS server name (SNI, and what the certificate must be for); an IP literal is checked as is.
      ...(https && isIP(hostname) === 0 ? { servername: hostname } : {}),
    };
    return issue(https ? httpsRequest : httpRequest, options, send.body);
  }

  /**
   * Through the proxy: an http URL as an absolute URI; an https one over a CONNECT tunnel to `host:port`, TLS
   * with the registry inside it (its name as server name and checked on the certificate).
   */
  private async viaProxy(method: string, url: URL, proxy: URL, send: Send): Promise<IncomingMessage> {
    const at = { host: bareHostname(proxy), port: proxy.port !== '' ? Number(proxy.port) : 80 };
    const auth = proxyAuthorization(proxy);
    if (url.protocol === 'http:') {
      const target = new URL(url.href);
      target.hash = '';
      return issue(
        httpRequest,
        { method, ...at, path: target.href, headers: { ...send.headers, ...auth }, signal: send.signal },
        send.body,
      );
    }
    const authority = `${url.hostname}:${url.port !== '' ? url.port : '443'}`;
    const socket = await tunnel(at, authority, auth, send.signal);
    const hostname = bareHostname(url);
    const secure = tlsConnect({
      socket,
      host: hostname,
      ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
    });
    // The tunnel lives as long as the TLS connection in it.
    secure.once('close', () => {
      socket.destroy();
    });
    return issue(
      httpRequest,
      {
        method,
        path: `${url.pathname}${url.search}`,
        headers: send.headers,
        signal: send.signal,
        createConnection: () => secure,
      },
      send.body,
    );
  }

  private wrap(method: string, url: URL, response: IncomingMessage, headers: Headers): HttpResponse {
    const { limits } = this.options;
    const href = url.href;
    const shown = shownUrl(url);
    async function* chunks(maxBytes: number, limitName: keyof SourceLimits): AsyncIterable<Uint8Array> {
      const reader: AsyncIterator<unknown> = response[Symbol.asyncIterator]();
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
          let next: IteratorResult<unknown>;
          try {
            next = await Promise.race([reader.next(), idle]);
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
          if (next.done === true) return;
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
        // Read to the end: the connection is kept for the next request; cut short: it is closed.
        response.destroy();
      }
    }
    return {
      status: response.statusCode ?? 0,
      headers,
      url: href,
      chunks,
      async bytes(maxBytes, limitName) {
        const parts: Uint8Array[] = [];
        for await (const c of chunks(maxBytes, limitName)) parts.push(c);
        return new Uint8Array(Buffer.concat(parts));
      },
      discard() {
        response.destroy();
        return Promise.resolve();
      },
    };
  }
}
