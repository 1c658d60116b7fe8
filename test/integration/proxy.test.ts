/**
 * Pulls through an HTTP proxy (HTTP_PROXY / HTTPS_PROXY / NO_PROXY, Go's rules as PKO's pulls follow them): a
 * small real proxy started here (absolute-URI forwarding and CONNECT tunnels, every upstream on 127.0.0.1) in
 * front of the real registry and of an HTTPS server. The registry is named `registry.gantry.test`, which only the
 * test's resolver knows (a loopback name is never proxied, by Go's rules).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPackageSource } from '../../functions/adapters/package-source.js';
import { buildPackageImage } from '../../shared/oci/image.js';
import { parseProxySettings, type ProxyConfig, type ProxySettings } from '../../shared/oci/proxy.js';
import { fileMapFromText, fileText } from '../../shared/packages/index.js';
import { configMap, manifest, pushPackage } from './setup/engine.js';

const NAME = 'registry.gantry.test';

interface TestProxy {
  readonly url: string;
  /** What it was asked: `GET <absolute URL>` or `CONNECT <host:port>`. */
  readonly seen: string[];
  /** Authorities it answers CONNECT with 403 for. */
  readonly refuse: Set<string>;
  close(): Promise<void>;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function startProxy(): Promise<TestProxy> {
  const seen: string[] = [];
  const refuse = new Set<string>();
  const tunnels = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const target = new URL(req.url ?? '');
    const upstream = request(
      {
        host: '127.0.0.1',
        port: Number(target.port),
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: req.headers,
      },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket) => {
    const authority = req.url ?? '';
    seen.push(`CONNECT ${authority}`);
    tunnels.add(client);
    if (refuse.has(authority)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(Number(authority.split(':').pop()), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${portOf(server)}`,
    seen,
    refuse,
    close: () =>
      new Promise((resolve) => {
        for (const socket of tunnels) socket.destroy();
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function config(settings: ProxySettings): ProxyConfig {
  const parsed = parseProxySettings(settings);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

/** The test's resolver: the registry's test name is 127.0.0.1; every other name is unknown here. */
function lookup(hostname: string): Promise<readonly string[]> {
  return hostname === NAME ? Promise.resolve(['127.0.0.1']) : Promise.reject(new Error('unknown host'));
}

let proxy: TestProxy;
beforeAll(async () => {
  proxy = await startProxy();
});
afterAll(async () => {
  await proxy.close();
});

describe('pulls through a proxy', () => {
  it('an http registry: every request to the proxy as an absolute URI; NO_PROXY names it: straight to it', async () => {
    const pushed = await pushPackage('proxied', {
      'manifest.yaml': manifest('proxied', ['deploy']),
      'cm.yaml': configMap('proxied', 'deploy', { a: '1' }),
    });
    const port = inject('registry').host.split(':').pop() ?? '';
    const image = pushed.replace(inject('registry').host, `${NAME}:${port}`);
    const insecureHosts = [`${NAME}:${port}`];
    const through = createPackageSource({ proxy: config({ httpProxy: proxy.url }), insecureHosts, lookup });
    const pulled = await through.pull(image);
    expect(fileText(pulled.files.get('manifest.yaml') ?? new Uint8Array())).toContain(
      'kind: PackageManifest',
    );
    const base = `http://${NAME}:${port}/v2/engine-test/proxied`;
    expect(proxy.seen.map((s) => s.replace(/sha256:[0-9a-f]{64}/, 'sha256:…'))).toEqual([
      `HEAD ${base}/manifests/v1`,
      `GET ${base}/manifests/sha256:…`,
      `GET ${base}/blobs/sha256:…`,
      `GET ${base}/blobs/sha256:…`,
    ]);

    const before = proxy.seen.length;
    const direct = createPackageSource({
      proxy: config({ httpProxy: proxy.url, noProxy: `other.example, .${NAME}, ${NAME}` }),
      insecureHosts,
      lookup,
    });
    const again = await direct.pull(image);
    expect(again.resolved).toBe(pulled.resolved);
    expect(proxy.seen).toHaveLength(before);
  });

  describe('an https server, through a CONNECT tunnel', () => {
    let server: HttpsServer;
    let authority = '';
    let body: Uint8Array = new Uint8Array();
    let digest = '';
    beforeAll(async () => {
      const image = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'kind: PackageManifest\n' }));
      body = image.layer.bytes;
      digest = image.layer.digest;
      const kube = inject('kube');
      server = createHttpsServer(
        { cert: readFileSync(kube.serverCertFile), key: readFileSync(kube.serverKeyFile) },
        (_req, res) => {
          res.writeHead(200, { 'content-length': body.length }).end(body);
        },
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      // A name on the test server's certificate that only the proxy resolves (to 127.0.0.1).
      authority = `kubernetes.default.svc:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('TLS end to end with the server named as the certificate says; a refused CONNECT names the proxy and its answer', async () => {
      const source = createPackageSource({ proxy: config({ httpsProxy: proxy.url }), lookup });
      const pulled = await source.pull(`https://${authority}/pkg.tar.gz@${digest}`);
      expect(fileText(pulled.files.get('manifest.yaml') ?? new Uint8Array())).toBe('kind: PackageManifest\n');
      expect(proxy.seen).toContain(`CONNECT ${authority}`);

      proxy.refuse.add(authority);
      const refused = createPackageSource({ proxy: config({ httpsProxy: proxy.url }), lookup });
      await expect(refused.pull(`https://${authority}/other.tar.gz@${digest}`)).rejects.toThrow(
        `GET https://${authority}/other.tar.gz: the proxy ${new URL(proxy.url).host} refused CONNECT ${authority}: HTTP 403`,
      );
    });
  });
});
