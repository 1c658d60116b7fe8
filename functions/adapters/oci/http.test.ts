/**
 * The connection goes to the addresses that were checked (DNS rebinding): a resolver that answers a public
 * address for the check and 127.0.0.1 afterwards never gets a request onto loopback. The test servers listen on
 * 127.0.0.1; `localhost` is used as the name because the system resolves it to loopback too, so a connection that
 * resolved the name again (as fetch did) would reach them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../shared/errors.js';
import { DEFAULT_SOURCE_LIMITS } from '../../../shared/oci/limits.js';
import { HttpClient } from './http.js';

const servers: Server[] = [];

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ port: number; seen: IncomingMessage['headers'][] }> {
  const seen: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, seen };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      async (s) =>
        new Promise<void>((resolve) => {
          s.close(() => {
            resolve();
          });
          s.closeAllConnections();
        }),
    ),
  );
});

/** A resolver that answers `first` on its first call for `name` and `then` on every later one. */
function rebinding(
  name: string,
  first: readonly string[],
  then: readonly string[],
): { lookup: (hostname: string) => Promise<readonly string[]>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    lookup: (hostname) => {
      calls.push(hostname);
      if (hostname === 'registry.test') return Promise.resolve(['198.51.100.7']);
      if (hostname !== name) return Promise.reject(new Error(`unknown host ${hostname}`));
      return Promise.resolve(calls.filter((c) => c === name).length === 1 ? first : then);
    },
  };
}

function client(
  lookup: (hostname: string) => Promise<readonly string[]>,
  requestTimeoutMs = 1_000,
): HttpClient {
  return new HttpClient({
    limits: { ...DEFAULT_SOURCE_LIMITS, requestTimeoutMs },
    insecureHosts: new Set(),
    plainHttpLoopback: true,
    lookup,
  });
}

describe('connections go to the checked addresses (DNS rebinding)', () => {
  it('a realm that resolves public for the check and 127.0.0.1 next never reaches loopback', async () => {
    const loopback = await serve((_req, res) => {
      res.writeHead(200).end('{"token":"stolen"}');
    });
    const resolver = rebinding('localhost', ['203.0.113.9'], ['127.0.0.1']);
    const error: unknown = await client(resolver.lookup, 500)
      .request({ url: `http://localhost:${loopback.port}/token`, originHost: 'registry.test' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    // The one resolution was checked (public) and connected to; the server on loopback saw nothing.
    expect(resolver.calls).toEqual(['localhost']);
    expect(loopback.seen).toEqual([]);
    expect(error instanceof Error ? error.message : '').toMatch(
      new RegExp(
        `^GET http://localhost:${loopback.port}/token: (no response within 500 ms|connect \\w+ 203\\.0\\.113\\.9:)`,
      ),
    );
  });

  it('a realm that resolves to loopback for the check is refused before any connection', async () => {
    const loopback = await serve((_req, res) => {
      res.writeHead(200).end();
    });
    const resolver = rebinding('localhost', ['127.0.0.1'], ['203.0.113.9']);
    const error: unknown = await client(resolver.lookup)
      .request({ url: `http://localhost:${loopback.port}/token`, originHost: 'registry.test' })
      .catch((e: unknown) => e);
    expect(error).toEqual(
      new RetryableError(
        `GET to localhost:${loopback.port} refused: it is a loopback address (127.0.0.1), named on behalf of registry.test, which is not; an operator can allow the class with GANTRY_REGISTRY_NETWORKS=loopback`,
        10_000,
      ),
    );
    expect(loopback.seen).toEqual([]);
  });

  it('connects by the resolved address with the name as Host, trying the next address when one refuses', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200).end('ok');
    });
    // ::1 first: nothing listens there (the server is on 127.0.0.1 only), so the second address is used.
    const resolver = rebinding('localhost', ['::1', '127.0.0.1'], ['203.0.113.9']);
    const response = await client(resolver.lookup).request({ url: `http://localhost:${server.port}/v2/` });
    expect(response.status).toBe(200);
    expect(new TextDecoder().decode(await response.bytes(100, 'maxManifestBytes'))).toBe('ok');
    expect(resolver.calls).toEqual(['localhost']);
    expect(server.seen.map((h) => h.host)).toEqual([`localhost:${server.port}`]);
  });
});
