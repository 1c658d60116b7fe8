/**
 * A hostile registry, for real: small HTTP servers on 127.0.0.1 play the registry, its token realm and the hosts
 * a redirect names. Nothing here leaves loopback: the refused addresses are refused before any connection, and
 * the DNS-rebinding cases connect to a documentation address (203.0.113.9) that nothing answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Credentials } from '../../../shared/oci/auth.js';
import { RetryableError } from '../../../shared/errors.js';
import { DEFAULT_SOURCE_LIMITS } from '../../../shared/oci/limits.js';
import type { AddressClass, PlainHttpRule } from '../../../shared/oci/network.js';
import { HttpClient } from './http.js';
import { RegistryClient } from './registry.js';

interface Seen {
  readonly url: string;
  readonly authorization: string | undefined;
  readonly host: string | undefined;
}

const servers: Server[] = [];

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ host: string; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization, host: req.headers.host });
    req.resume();
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { host: `127.0.0.1:${port}`, port, seen };
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

function client(
  options: {
    credentials?: Credentials;
    lookup?: (hostname: string) => Promise<readonly string[]>;
    allowed?: AddressClass[];
    plainHttp?: PlainHttpRule[];
    tokenCacheMax?: number;
    tokenCacheChars?: number;
  } = {},
): RegistryClient {
  const http = new HttpClient({
    limits: DEFAULT_SOURCE_LIMITS,
    insecureHosts: new Set(),
    plainHttp: new Set(options.plainHttp ?? ['loopback']),
    ...(options.lookup !== undefined ? { lookup: options.lookup } : {}),
    ...(options.allowed !== undefined ? { allowedNetworks: new Set(options.allowed) } : {}),
  });
  return new RegistryClient({
    http,
    credentials: () => options.credentials,
    ...(options.tokenCacheMax !== undefined ? { tokenCacheMax: options.tokenCacheMax } : {}),
    ...(options.tokenCacheChars !== undefined ? { tokenCacheChars: options.tokenCacheChars } : {}),
  });
}

const bearer = (realm: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="svc"` }).end();
};

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected a failure');
}

const ref = (registry: string, repository = 'repo') => ({ registry, repository, tag: 'v1' });

describe('plain http by PKO v1.19.0 rules', () => {
  it('reaches a loopback registry over plain http under the loopback rule, and says TLS is missing without it', async () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const registry = await serve((_req, res) => {
      res.writeHead(200, { 'docker-content-digest': digest }).end();
    });
    expect(await client().resolve(ref(registry.host))).toBe(digest);
    const message = await failure(client({ plainHttp: ['local', 'private'] }).resolve(ref(registry.host)));
    expect(message).toBe(
      `HEAD https://${registry.host}/v2/repo/manifests/v1: the server does not speak TLS; if it is a plain-http registry, mark it insecure (--insecure)`,
    );
    expect(registry.seen).toHaveLength(1);
  });

  it('marks *.local, *.localhost and RFC 1918 registries plain http under the default rules only', () => {
    const all = new HttpClient({
      limits: DEFAULT_SOURCE_LIMITS,
      insecureHosts: new Set(),
      plainHttp: new Set(['loopback', 'local', 'private']),
    });
    const narrowed = new HttpClient({
      limits: DEFAULT_SOURCE_LIMITS,
      insecureHosts: new Set(),
      plainHttp: new Set(['loopback']),
    });
    for (const host of ['registry.kube-system.svc.cluster.local:5000', 'app.localhost', '192.168.0.9:5000']) {
      expect([host, all.isInsecure(host)]).toEqual([host, true]);
      expect([host, narrowed.isInsecure(host)]).toEqual([host, false]);
    }
    expect(all.isInsecure('quay.io')).toBe(false);
  });
});

describe('token realms and redirects (no server-side request forgery)', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data', 'link-local', '169.254.169.254', '169.254.169.254'],
    ['http://[fe80::1]:8080/token', 'link-local', 'fe80::1', '[fe80::1]:8080'],
    ['http://10.0.0.1/token', 'private', '10.0.0.1', '10.0.0.1'],
    ['https://[fd00::5]/token', 'private', 'fd00::5', '[fd00::5]'],
  ])('refuses the realm %s of a loopback registry (%s)', async (realm, cls, address, host) => {
    const registry = await serve(bearer(realm));
    const message = await failure(client().resolve(ref(registry.host)));
    expect(message).toBe(
      `GET to ${host} refused: it is a ${cls} address (${address}), named on behalf of ${registry.host}, which is not; an operator can allow the class with GANTRY_REGISTRY_NETWORKS=${cls}`,
    );
  });

  it('checks the addresses a realm name resolves to, not only literals', async () => {
    const registry = await serve(bearer('http://metadata.internal/token'));
    const lookup = (name: string): Promise<readonly string[]> =>
      Promise.resolve(name === 'metadata.internal' ? ['203.0.113.9', '169.254.169.254'] : []);
    const message = await failure(client({ lookup }).resolve(ref(registry.host)));
    expect(message).toBe(
      `GET to metadata.internal refused: it is a link-local address (169.254.169.254), named on behalf of ${registry.host}, which is not; an operator can allow the class with GANTRY_REGISTRY_NETWORKS=link-local`,
    );
  });

  it('reaches a realm in the registry’s own class (a loopback registry, a loopback realm)', async () => {
    const realm = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}');
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== 'Bearer t') bearer(`http://${realm.host}/token`)(req, res);
      else res.writeHead(200, { 'docker-content-digest': digest }).end();
    });
    expect(await client().resolve(ref(registry.host))).toBe(digest);
    expect(realm.seen.map((s) => s.url)).toEqual(['/token?service=svc&scope=repository%3Arepo%3Apull']);
  });

  it('never authenticates at a realm named by a host a redirect led to', async () => {
    const realm = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}');
    });
    const other = await serve(bearer(`http://${realm.host}/token`));
    const registry = await serve((req, res) => {
      res.writeHead(307, { location: `http://${other.host}${req.url ?? ''}` }).end();
    });
    const message = await failure(
      client({ credentials: { username: 'u', password: 'secret' } }).resolve(ref(registry.host)),
    );
    expect(message).toBe(
      `unauthorized for ${registry.host}/repo: HEAD http://${registry.host}/v2/repo/manifests/v1: 401 (the challenge came from ${other.host} after a redirect; not authenticating there)`,
    );
    expect(realm.seen).toEqual([]);
    expect(other.seen.map((s) => s.authorization)).toEqual([undefined]);
  });

  it('does not send a refresh token on to another host a realm redirects to', async () => {
    const elsewhere = await serve((_req, res) => {
      res.writeHead(200).end('{"token":"t"}');
    });
    const realm = await serve((_req, res) => {
      res.writeHead(307, { location: `http://${elsewhere.host}/steal` }).end();
    });
    const registry = await serve(bearer(`http://${realm.host}/token`));
    const message = await failure(
      client({ credentials: { identityToken: 'refresh-secret' } }).resolve(ref(registry.host)),
    );
    expect(message).toBe(
      `POST http://${realm.host}/token: refusing to send the request body on to another host (${elsewhere.host}) named by a redirect`,
    );
    expect(elsewhere.seen).toEqual([]);
  });
});

describe('nothing fetched is echoed', () => {
  it('shows the status and a fixed reason for a registry error, never its body', async () => {
    const registry = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html>internal admin page: secret=42</html>');
    });
    const message = await failure(client().manifest(ref(registry.host), 'v1'));
    expect(message).toBe(
      `not found: GET http://${registry.host}/v2/repo/manifests/v1: 404 (the repository has no such tag or digest)`,
    );
  });

  it("keeps a structured error code, with the distribution spec's words for it, not the registry's", async () => {
    const registry = await serve((_req, res) => {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"secret=42","detail":"secret=43"}]}');
    });
    const message = await failure(client().manifest(ref(registry.host), 'v1'));
    expect(message).toBe(
      `not found: GET http://${registry.host}/v2/repo/manifests/v1: MANIFEST_UNKNOWN: manifest unknown`,
    );
  });

  it('a code the spec does not name is shown with the status, still without the text', async () => {
    const registry = await serve((_req, res) => {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"QUOTA_GONE","message":"secret=42"}]}');
    });
    const message = await failure(client().manifest(ref(registry.host), 'v1'));
    expect(message).toBe(
      `not found: GET http://${registry.host}/v2/repo/manifests/v1: 404 QUOTA_GONE (the repository has no such tag or digest)`,
    );
  });

  it('a tag HEAD answers 404 to: the GET after it names the error code (a HEAD has no body)', async () => {
    const seen: string[] = [];
    const registry = await serve((req, res) => {
      seen.push(req.method ?? '');
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    });
    const message = await failure(client().resolve(ref(registry.host)));
    expect(message).toBe(
      `not found: GET http://${registry.host}/v2/repo/manifests/v1: MANIFEST_UNKNOWN: manifest unknown`,
    );
    expect(seen).toEqual(['HEAD', 'GET']);
  });

  it('shows only the host and status of a token endpoint that refuses or answers garbage', async () => {
    const refusing = await serve((_req, res) => {
      res.writeHead(403).end('root:x:0:0:root:/root:/bin/bash');
    });
    const garbage = await serve((_req, res) => {
      res.writeHead(200).end('ami-id\nhostname\niam/security-credentials/');
    });
    const first = await serve(bearer(`http://${refusing.host}/secret/path`));
    const second = await serve(bearer(`http://${garbage.host}/latest`));
    expect(await failure(client().resolve(ref(first.host)))).toBe(
      `unauthorized for ${first.host}/repo: token endpoint on ${refusing.host} answered 403`,
    );
    expect(await failure(client().resolve(ref(second.host)))).toBe(
      `token endpoint on ${garbage.host} returned no token`,
    );
  });
});

describe('the token cache', () => {
  it('keeps at most tokenCacheMax authorizations however many repositories are named', async () => {
    const realm = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}');
    });
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== 'Bearer t') bearer(`http://${realm.host}/token`)(req, res);
      else res.writeHead(200, { 'docker-content-digest': `sha256:${'b'.repeat(64)}` }).end();
    });
    const c = client({ tokenCacheMax: 8 });
    for (let i = 0; i < 30; i++) await c.resolve(ref(registry.host, `attacker/repo-${i}`));
    expect(c.cachedAuthorizations).toBe(8);
    expect(realm.seen).toHaveLength(30);
  });

  it('keeps at most tokenCacheChars characters of tokens (a hostile realm answers large tokens)', async () => {
    const big = 'x'.repeat(12_000); // what a Node server takes in a header
    const realm = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: big }));
    });
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== `Bearer ${big}`) bearer(`http://${realm.host}/token`)(req, res);
      else res.writeHead(200, { 'docker-content-digest': `sha256:${'c'.repeat(64)}` }).end();
    });
    const c = client({ tokenCacheChars: 3 * 12_007 + 100 });
    for (let i = 0; i < 12; i++) await c.resolve(ref(registry.host, `attacker/big-${i}`));
    expect(c.cachedAuthorizations).toBe(3);
  });
  it('by default holds 1 Mi characters of tokens: 17 of a hostile realm’s 60,000-character tokens', async () => {
    const big = 'x'.repeat(60_000);
    const realm = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: big }));
    });
    // The registry refuses every token (a Node server refuses a 60 KB header anyway): each is cached first.
    const registry = await serve(bearer(`http://${realm.host}/token`));
    const c = client();
    for (let i = 0; i < 30; i++)
      await c.resolve(ref(registry.host, `attacker/huge-${i}`)).catch(() => undefined);
    expect(realm.seen).toHaveLength(30);
    expect(c.cachedAuthorizations).toBe(17);
  });
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

function httpClient(
  lookup: (hostname: string) => Promise<readonly string[]>,
  requestTimeoutMs = 1_000,
): HttpClient {
  return new HttpClient({
    limits: { ...DEFAULT_SOURCE_LIMITS, requestTimeoutMs },
    insecureHosts: new Set(),
    plainHttp: new Set(['loopback']),
    lookup,
  });
}

describe('connections go to the checked addresses (DNS rebinding)', () => {
  // `localhost` is the name: the system resolves it to loopback too, so a connection that resolved the name
  // again (as fetch did) would reach the servers on 127.0.0.1.
  it('a realm that resolves public for the check and 127.0.0.1 next never reaches loopback', async () => {
    const loopback = await serve((_req, res) => {
      res.writeHead(200).end('{"token":"stolen"}');
    });
    const resolver = rebinding('localhost', ['203.0.113.9'], ['127.0.0.1']);
    const error: unknown = await httpClient(resolver.lookup, 500)
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
    const error: unknown = await httpClient(resolver.lookup)
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

  it('connects by a resolved address with the name as Host, trying the next address when one refuses', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200).end('ok');
    });
    // A name in the answer is dropped (connecting would resolve it, unchecked); nothing listens on ::1 (the
    // server is on 127.0.0.1 only), so the last address is used.
    const resolver = rebinding('localhost', ['unchecked.invalid', '::1', '127.0.0.1'], ['203.0.113.9']);
    const response = await httpClient(resolver.lookup).request({
      url: `http://localhost:${server.port}/v2/`,
    });
    expect(response.status).toBe(200);
    expect(new TextDecoder().decode(await response.bytes(100, 'maxManifestBytes'))).toBe('ok');
    expect(resolver.calls).toEqual(['localhost']);
    expect(server.seen.map((h) => h.host)).toEqual([`localhost:${server.port}`]);
  });

  it('sends again when a kept-alive connection was closed by the server as it was reused', async () => {
    const server = createServer((req, res) => {
      req.resume();
      // The second request on a connection: the server drops the connection without an answer.
      const socket = req.socket as typeof req.socket & { served?: number };
      socket.served = (socket.served ?? 0) + 1;
      if (socket.served > 1) socket.destroy();
      else res.writeHead(200, { 'content-length': '2' }).end('ok');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/v2/`;
    const c = httpClient(() => Promise.resolve([]));
    for (let i = 0; i < 3; i++) {
      const response = await c.request({ url });
      expect(new TextDecoder().decode(await response.bytes(100, 'maxManifestBytes'))).toBe('ok');
    }
  });
});

describe('tags/list', () => {
  it('follows Link pages on the same host up to the bound, and says when it stopped early', async () => {
    const registry = await serve((req, res) => {
      const last = new URL(req.url ?? '/', 'http://x').searchParams.get('last');
      const page = last === null ? ['1.0.0', '1.0.1'] : last === '1.0.1' ? ['1.0.2', '1.0.3'] : ['1.0.4'];
      const next = last === null ? '1.0.1' : last === '1.0.1' ? '1.0.3' : undefined;
      res
        .writeHead(200, {
          'content-type': 'application/json',
          ...(next !== undefined ? { link: `</v2/repo/tags/list?n=2&last=${next}>; rel="next"` } : {}),
        })
        .end(JSON.stringify({ name: 'repo', tags: page }));
    });
    expect(await client().tags(ref(registry.host), 10)).toEqual({
      tags: ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4'],
      truncated: false,
    });
    expect(await client().tags(ref(registry.host), 3)).toEqual({
      tags: ['1.0.0', '1.0.1', '1.0.2'],
      truncated: true,
    });
    expect(registry.seen.map((s) => s.url).slice(0, 3)).toEqual([
      '/v2/repo/tags/list?n=10',
      '/v2/repo/tags/list?n=2&last=1.0.1',
      '/v2/repo/tags/list?n=2&last=1.0.3',
    ]);
  });

  it('never follows a Link to another host, and refuses an answer that is not a tag list without echoing it', async () => {
    const other = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["evil"]}');
    });
    const registry = await serve((req, res) => {
      if (req.url?.includes('bad') === true) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":"<script>secret</script>"}');
        return;
      }
      res
        .writeHead(200, { link: `<http://${other.host}/v2/repo/tags/list?last=x>; rel="next"` })
        .end('{"tags":["1.0.0"]}');
    });
    expect(await client().tags(ref(registry.host), 10)).toEqual({ tags: ['1.0.0'], truncated: false });
    expect(other.seen).toEqual([]);
    const message = await failure(client().tags(ref(registry.host, 'bad'), 10));
    expect(message).toBe(`tags of ${registry.host}/bad: the registry's answer is not a tag list`);
  });
});
