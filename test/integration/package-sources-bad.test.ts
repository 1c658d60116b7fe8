/**
 * Bad package sources, each with its exact message and nothing cached: blobs corrupted or truncated in the
 * real registry's storage, gzip bombs, unsafe tar entries, empty images, unknown and zstd media types, a
 * registry answering 500 or hanging, a redirect to another host (credentials not forwarded), and the anonymous
 * Bearer token flow, through small HTTP fronts of our own in front of the real registry.
 */
import { truncate, writeFile, readFile } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../functions/adapters/oci/http.js';
import { RegistryClient } from '../../functions/adapters/oci/registry.js';
import { createPackageSource, type PackageSource } from '../../functions/adapters/package-source.js';
import {
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  sha256,
} from '../../shared/oci/image.js';
import { DEFAULT_SOURCE_LIMITS } from '../../shared/oci/limits.js';
import { qualifyReference, type QualifiedReference } from '../../shared/oci/reference.js';
import { fileText } from '../../shared/packages/index.js';
import { startRegistry, type Registry } from '../../devenv/registry.js';

type Entry = Parameters<ReturnType<typeof pack>['entry']>[0] & { body?: Uint8Array | string };

async function tar(entries: readonly Entry[]): Promise<Uint8Array> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    if (c instanceof Uint8Array) chunks.push(Buffer.from(c));
  });
  const done = new Promise<void>((resolve) => {
    p.on('end', () => {
      resolve();
    });
  });
  for (const { body, ...header } of entries) {
    if (body === undefined) p.entry(header);
    else p.entry(header, typeof body === 'string' ? body : Buffer.from(body));
  }
  p.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

const MANIFEST = { name: 'package/manifest.yaml', body: 'kind: PackageManifest\n' };

let registry: Registry;
let dir = '';
let client: RegistryClient;

function ref(repo: string): QualifiedReference {
  const r = qualifyReference(`${registry.host}/${repo}`);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** Push an image with the given layers (bytes + media type) under `repo:v1`; returns the layer digests. */
async function pushImage(
  repo: string,
  layers: { bytes: Uint8Array; mediaType: string }[],
): Promise<string[]> {
  const r = ref(repo);
  const config = new TextEncoder().encode(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const blobs = [
    { digest: sha256(config), bytes: config },
    ...layers.map((l) => ({ digest: sha256(l.bytes), bytes: l.bytes })),
  ];
  for (const b of blobs) await client.pushBlob(r, b);
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: sha256(l.bytes), size: l.bytes.length })),
    }),
  );
  await client.pushManifest(r, 'v1', { bytes: manifest, mediaType: MEDIA_TYPE_OCI_MANIFEST });
  return layers.map((l) => sha256(l.bytes));
}

function blobFile(digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

function source(limits: Partial<typeof DEFAULT_SOURCE_LIMITS> = {}, hosts: string[] = []): PackageSource {
  return createPackageSource({ insecureHosts: [registry.host, ...hosts], limits });
}

async function expectRefused(s: PackageSource, location: string, message: string): Promise<void> {
  await expect(s.pull(location)).rejects.toThrow(message);
  expect(s.cacheStats().entries).toBe(0);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gantry-bad-registry-'));
  registry = await startRegistry({ dir });
  const http = new HttpClient({ limits: DEFAULT_SOURCE_LIMITS, insecureHosts: new Set([registry.host]) });
  client = new RegistryClient({ http, credentials: () => undefined });
});
afterAll(async () => {
  await registry.stop();
});

describe('corrupted content in the registry', () => {
  it('a layer whose stored bytes no longer match its digest is refused', async () => {
    const layer = gzipSync(await tar([MANIFEST]));
    const [digest = ''] = await pushImage('bad/corrupt', [
      { bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    const stored = await readFile(blobFile(digest));
    const flipped = Buffer.from(stored);
    flipped[flipped.length - 9] = (flipped[flipped.length - 9] ?? 0) ^ 0xff;
    await writeFile(blobFile(digest), flipped);
    const s = source();
    await expect(s.pull(`${registry.host}/bad/corrupt:v1`)).rejects.toThrow(
      `blob ${digest}: content does not match its digest (got ${sha256(flipped)}); refusing the corrupted layer`,
    );
    expect(s.cacheStats().entries).toBe(0);
  });

  it('a truncated layer is refused with the byte counts', async () => {
    const layer = gzipSync(await tar([MANIFEST, { name: 'package/big.yaml', body: 'x: 1\n'.repeat(2000) }]));
    const [digest = ''] = await pushImage('bad/truncated', [
      { bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    await truncate(blobFile(digest), 100);
    await expectRefused(
      source(),
      `${registry.host}/bad/truncated:v1`,
      `blob ${digest}: truncated, got 100 of ${layer.length} bytes`,
    );
  });
});

describe('limits', () => {
  it('names the limit and its value: compressed layer bytes, manifest size, file count', async () => {
    const layer = gzipSync(await tar([MANIFEST, { name: 'package/a.yaml', body: 'a: 1\n' }]));
    await pushImage('limits/pkg', [{ bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP }]);
    const location = `${registry.host}/limits/pkg:v1`;
    await expectRefused(
      source({ maxCompressedBytes: 10 }),
      location,
      `image ${location.replace(':v1', '')}@sha256:`,
    );
    await expect(source({ maxCompressedBytes: 10 }).pull(location)).rejects.toThrow(
      `has ${layer.length} bytes of layers, more than allowed (limit maxCompressedBytes = 10)`,
    );
    await expectRefused(source({ maxManifestBytes: 100 }), location, `(limit maxManifestBytes = 100)`);
    await expectRefused(
      source({ maxFiles: 1 }),
      location,
      'Package archive has more than 1 files (limit maxFiles): a.yaml',
    );
  });
});

describe('unsafe or broken layers', () => {
  it('a gzip bomb stops at the uncompressed limit', async () => {
    const zeros = new Uint8Array(3 * 1024 * 1024);
    const layer = gzipSync(
      await tar([MANIFEST, { name: 'package/a.yaml', body: zeros }, { name: 'package/b.yaml', body: zeros }]),
    );
    expect(layer.length).toBeLessThan(64 * 1024);
    await pushImage('bad/bomb', [{ bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP }]);
    await expectRefused(
      source({ maxTotalBytes: 4 * 1024 * 1024 }),
      `${registry.host}/bad/bomb:v1`,
      'Package archive larger than 4194304 bytes uncompressed (limit maxTotalBytes): package/b.yaml',
    );
  });

  it('maxTotalBytes holds for the whole image: two layers under the limit each, over it together', async () => {
    const zeros = new Uint8Array(3 * 1024 * 1024);
    const first = gzipSync(await tar([MANIFEST, { name: 'package/a.yaml', body: zeros }]));
    const second = gzipSync(await tar([{ name: 'package/b.yaml', body: zeros }]));
    await pushImage('bad/layers', [
      { bytes: first, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
      { bytes: second, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    await expectRefused(
      source({ maxTotalBytes: 4 * 1024 * 1024 }),
      `${registry.host}/bad/layers:v1`,
      'Package archive larger than 4194304 bytes uncompressed (limit maxTotalBytes): package/b.yaml',
    );
  });

  it('a gzip bomb in entries the layer rules skip is counted too', async () => {
    const zeros = new Uint8Array(8 * 1024 * 1024);
    const layer = gzipSync(await tar([MANIFEST, { name: 'ignored/zeros', body: zeros }]));
    await pushImage('bad/skipped-bomb', [{ bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP }]);
    await expectRefused(
      source({ maxTotalBytes: 4 * 1024 * 1024 }),
      `${registry.host}/bad/skipped-bomb:v1`,
      'Package archive larger than 4194304 bytes uncompressed (limit maxTotalBytes): ignored/zeros',
    );
  });

  it.each<[string, Entry, string]>([
    [
      '../ paths',
      { name: 'package/../../etc/passwd', body: 'x' },
      'Path escapes the package in package archive: package/../../etc/passwd',
    ],
    [
      'absolute paths',
      { name: '/package/a.yaml', body: 'x' },
      'Absolute path in package archive: /package/a.yaml',
    ],
    [
      'symlinks',
      { name: 'package/a.yaml', type: 'symlink', linkname: '/etc/passwd' },
      'Symbolic link in package archive: package/a.yaml -> /etc/passwd',
    ],
    [
      'hard links',
      { name: 'package/b.yaml', type: 'link', linkname: 'package/manifest.yaml' },
      'Hard link in package archive: package/b.yaml -> package/manifest.yaml',
    ],
  ])('a layer with %s is refused', async (what, entry, message) => {
    const repo = `bad/${what.replace(/[^a-z]/g, '')}`;
    await pushImage(repo, [
      { bytes: gzipSync(await tar([MANIFEST, entry])), mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    await expectRefused(source(), `${registry.host}/${repo}:v1`, message);
  });

  it('an image without package/ files is refused with PKO message', async () => {
    const layer = gzipSync(await tar([{ name: 'other/manifest.yaml', body: 'kind: PackageManifest\n' }]));
    await pushImage('bad/empty', [{ bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP }]);
    await expectRefused(
      source(),
      `${registry.host}/bad/empty:v1`,
      'Package image contains no files. Might be corrupted.',
    );
  });

  it('an unknown layer media type is refused before any layer is read', async () => {
    const [digest = ''] = await pushImage('bad/mediatype', [
      {
        bytes: gzipSync(await tar([MANIFEST])),
        mediaType: 'application/vnd.example.helm.chart.content.v1.tar+gzip',
      },
    ]);
    await expectRefused(
      source(),
      `${registry.host}/bad/mediatype:v1`,
      `layer ${digest} has unsupported media type "application/vnd.example.helm.chart.content.v1.tar+gzip" (a package layer is a tar, tar+gzip or tar+zstd)`,
    );
  });

  it.skipIf(typeof Reflect.get(zlib, 'createZstdDecompress') === 'function')(
    'zstd layers on a Node without zstd are refused with the Node version needed',
    async () => {
      const [digest = ''] = await pushImage('bad/zstd', [
        { bytes: await tar([MANIFEST]), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
      ]);
      await expectRefused(
        source(),
        `${registry.host}/bad/zstd:v1`,
        `layer ${digest} is zstd-compressed: zstd-compressed layers need Node >= 22.15 (this is ${process.version})`,
      );
    },
  );

  it('later layers overwrite earlier ones and only package/ files count (PKO layer rules)', async () => {
    await pushImage('ok/layers', [
      {
        bytes: gzipSync(
          await tar([MANIFEST, { name: 'package/a.yaml', body: 'old\n' }, { name: 'etc/x', body: 'y' }]),
        ),
        mediaType: MEDIA_TYPE_OCI_LAYER_GZIP,
      },
      {
        bytes: await tar([
          { name: 'package/a.yaml', body: 'new\n' },
          { name: 'package/.hidden', body: 'h' },
        ]),
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
      },
    ]);
    const pulled = await source().pull(`${registry.host}/ok/layers:v1`);
    expect([...pulled.files.keys()].sort()).toEqual(['a.yaml', 'manifest.yaml']);
    expect(fileText(pulled.files.get('a.yaml') ?? new Uint8Array())).toBe('new\n');
  });
});

/** An HTTP front of our own on a loopback port. */
async function front(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; host: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, host: `127.0.0.1:${port}` };
}

/** Forward a request to the real registry. */
function forward(req: IncomingMessage, res: ServerResponse, path = req.url ?? '/'): void {
  const upstream = httpRequest(
    {
      host: '127.0.0.1',
      port: registry.port,
      path,
      method: req.method,
      headers: { accept: req.headers.accept ?? '*/*' },
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  req.pipe(upstream);
}

describe('misbehaving registries', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => {
        s.close(resolve);
      });
    }
  });

  it('a registry answering 500 is a retryable registry error with its message', async () => {
    const { server, host } = await front((_req, res) => {
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'storage backend down' }] }));
    });
    servers.push(server);
    const s = source({}, [host]);
    await expect(s.pull(`${host}/any/pkg:v1`)).rejects.toMatchObject({
      name: 'RetryableError',
      message: `registry error: HEAD http://${host}/v2/any/pkg/manifests/v1: 500`,
    });
  });

  it('a registry that never answers times out after requestTimeoutMs', async () => {
    const { server, host } = await front(() => {
      /* never answers */
    });
    servers.push(server);
    const s = source({ requestTimeoutMs: 300 }, [host]);
    await expectRefused(
      s,
      `${host}/any/pkg:v1`,
      `HEAD http://${host}/v2/any/pkg/manifests/v1: no response within 300 ms (limit requestTimeoutMs = 300)`,
    );
  });

  it('a body that stalls times out after idleTimeoutMs', async () => {
    const layer = gzipSync(await tar([MANIFEST]));
    const [digest = ''] = await pushImage('ok/stall', [
      { bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    const { server, host } = await front((req, res) => {
      if ((req.url ?? '').includes('/blobs/' + digest)) {
        res.writeHead(200, { 'content-length': String(layer.length) });
        res.write(layer.subarray(0, 10));
        return;
      }
      forward(req, res);
    });
    servers.push(server);
    await expectRefused(
      source({ idleTimeoutMs: 300 }, [host]),
      `${host}/ok/stall:v1`,
      `GET http://${host}/v2/ok/stall/blobs/${digest}: no data for 300 ms while reading the body (limit idleTimeoutMs = 300)`,
    );
  });

  it('a body that drips a byte at a time is cut off after downloadTimeoutMs', async () => {
    const layer = gzipSync(await tar([MANIFEST]));
    const [digest = ''] = await pushImage('ok/drip', [
      { bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    const timers: NodeJS.Timeout[] = [];
    const { server, host } = await front((req, res) => {
      if ((req.url ?? '').includes('/blobs/' + digest)) {
        res.writeHead(200, { 'content-length': String(layer.length) });
        let at = 0;
        const drip = setInterval(() => {
          if (at < layer.length) res.write(layer.subarray(at, (at += 1)));
        }, 50);
        timers.push(drip);
        res.on('close', () => {
          clearInterval(drip);
        });
        return;
      }
      forward(req, res);
    });
    servers.push(server);
    try {
      await expectRefused(
        source({ idleTimeoutMs: 300, downloadTimeoutMs: 800 }, [host]),
        `${host}/ok/drip:v1`,
        `GET http://${host}/v2/ok/drip/blobs/${digest}: the body took longer than 800 ms (limit downloadTimeoutMs = 800)`,
      );
    } finally {
      for (const t of timers) clearInterval(t);
    }
  });

  it('a push sends the credentials only to the registry, not to the upload Location on another host', async () => {
    const storageSaw: (string | undefined)[] = [];
    const storage = await front((req, res) => {
      storageSaw.push(`${req.method ?? ''} ${req.headers.authorization ?? '(none)'}`);
      forward(req, res);
    });
    servers.push(storage.server);
    const apiSaw: (string | undefined)[] = [];
    const api = await front((req, res) => {
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
        return;
      }
      apiSaw.push(req.method);
      if (req.method === 'POST' && (req.url ?? '').includes('/blobs/uploads/')) {
        const upstream = httpRequest(
          { host: '127.0.0.1', port: registry.port, path: req.url, method: 'POST' },
          (up) => {
            const location = new URL(up.headers.location ?? '/', `http://127.0.0.1:${registry.port}`);
            up.resume();
            res
              .writeHead(up.statusCode ?? 502, {
                location: `http://${storage.host}${location.pathname}${location.search}`,
              })
              .end();
          },
        );
        upstream.end();
        return;
      }
      forward(req, res);
    });
    servers.push(api.server);
    const http = new HttpClient({
      limits: DEFAULT_SOURCE_LIMITS,
      insecureHosts: new Set([api.host, storage.host]),
    });
    const pusher = new RegistryClient({ http, credentials: () => ({ username: 'u', password: 'p' }) });
    const blob = new TextEncoder().encode('a blob pushed through an upload session on another host');
    const target = qualifyReference(`${api.host}/ok/push-elsewhere`);
    if (!target.ok) throw new Error(target.error);
    await pusher.pushBlob(target.value, { digest: sha256(blob), bytes: blob });
    expect(apiSaw).toEqual(['HEAD', 'POST']);
    expect(storageSaw).toEqual(['PUT (none)']);
  });

  it('follows a blob redirect to another host without sending it the credentials', async () => {
    const layer = gzipSync(await tar([MANIFEST]));
    await pushImage('ok/redirect', [{ bytes: layer, mediaType: MEDIA_TYPE_OCI_LAYER_GZIP }]);
    const seen: (string | undefined)[] = [];
    const storage = await front((req, res) => {
      seen.push(req.headers.authorization);
      forward(req, res);
    });
    servers.push(storage.server);
    const storageHost = storage.host.replace('127.0.0.1', 'localhost');
    const authorized: (string | undefined)[] = [];
    const api = await front((req, res) => {
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
        return;
      }
      authorized.push(req.headers.authorization);
      if ((req.url ?? '').includes('/blobs/')) {
        res.writeHead(307, { location: `http://${storageHost}${req.url ?? ''}` }).end();
        return;
      }
      forward(req, res);
    });
    servers.push(api.server);
    const s = createPackageSource({
      insecureHosts: [api.host, storageHost],
      dockerConfigs: [{ auths: { [api.host]: { username: 'u', password: 'p' } } }],
    });
    const pulled = await s.pull(`${api.host}/ok/redirect:v1`);
    expect(fileText(pulled.files.get('manifest.yaml') ?? new Uint8Array())).toBe('kind: PackageManifest\n');
    expect(authorized.length).toBeGreaterThan(0);
    expect(authorized.every((a) => a === `Basic ${Buffer.from('u:p').toString('base64')}`)).toBe(true);
    expect(seen.length).toBe(2);
    expect(seen).toEqual([undefined, undefined]);
  });

  it('a redirect to plain http on a host not marked insecure is refused', async () => {
    const { server, host } = await front((req, res) => {
      res.writeHead(302, { location: `http://localhost:1${req.url ?? ''}` }).end();
    });
    servers.push(server);
    await expectRefused(
      source({}, [host]),
      `${host}/any/pkg:v1`,
      `HEAD http://localhost:1/v2/any/pkg/manifests/v1: refusing plain http to localhost:1; mark the registry insecure (--insecure) to allow it`,
    );
  });

  it('the anonymous Bearer token flow: challenge, token request with service and scope, retried request', async () => {
    await pushImage('ok/bearer', [
      { bytes: gzipSync(await tar([MANIFEST])), mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    const tokenRequests: string[] = [];
    let realm = '';
    const { server, host } = await front((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenRequests.push(url.search);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tkn-1' }));
        return;
      }
      if (req.headers.authorization !== 'Bearer tkn-1') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="gantry-test"` }).end();
        return;
      }
      forward(req, res);
    });
    servers.push(server);
    realm = `http://${host}/token`;
    const pulled = await source({}, [host]).pull(`${host}/ok/bearer:v1`);
    expect(fileText(pulled.files.get('manifest.yaml') ?? new Uint8Array())).toBe('kind: PackageManifest\n');
    expect(tokenRequests).toEqual(['?service=gantry-test&scope=repository%3Aok%2Fbearer%3Apull']);
  });

  it('an identitytoken from a Docker config is exchanged with a refresh-token grant', async () => {
    await pushImage('ok/refresh', [
      { bytes: gzipSync(await tar([MANIFEST])), mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    const grants: string[] = [];
    let realm = '';
    const { server, host } = await front((req, res) => {
      if (req.url === '/token' && req.method === 'POST') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          grants.push(body);
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ access_token: 'acc-1' }));
        });
        return;
      }
      if (req.headers.authorization !== 'Bearer acc-1') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="svc"` }).end();
        return;
      }
      forward(req, res);
    });
    servers.push(server);
    realm = `http://${host}/token`;
    const s = createPackageSource({
      insecureHosts: [host],
      dockerConfigs: [{ auths: { [host]: { identitytoken: 'refresh-me' } } }],
    });
    await s.pull(`${host}/ok/refresh:v1`);
    expect(grants).toEqual([
      'grant_type=refresh_token&refresh_token=refresh-me&service=svc&scope=repository%3Aok%2Frefresh%3Apull&client_id=gantry',
    ]);
  });

  it('Bearer with credentials: Basic at the token endpoint, the token cached for the repository', async () => {
    await pushImage('ok/private-bearer', [
      { bytes: gzipSync(await tar([MANIFEST])), mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    const basic = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;
    const tokenAuth: (string | undefined)[] = [];
    let realm = '';
    let requests = 0;
    const { server, host } = await front((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenAuth.push(req.headers.authorization);
        if (req.headers.authorization !== basic) {
          res
            .writeHead(401, { 'content-type': 'application/json' })
            .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
          return;
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token: 'private-1' }));
        return;
      }
      requests += 1;
      if (req.headers.authorization !== 'Bearer private-1') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="svc"` }).end();
        return;
      }
      forward(req, res);
    });
    servers.push(server);
    realm = `http://${host}/token`;
    const withCredentials = createPackageSource({
      insecureHosts: [host],
      dockerConfigs: [{ auths: { [host]: { username: 'robot', password: 's3cret' } } }],
    });
    await withCredentials.pull(`${host}/ok/private-bearer:v1`);
    expect(tokenAuth).toEqual([basic]);
    // HEAD (401), HEAD, GET manifest, config and layer blobs: one challenge, then the cached token throughout.
    expect(requests).toBe(5);

    const anonymous = createPackageSource({ insecureHosts: [host] });
    await expectRefused(
      anonymous,
      `${host}/ok/private-bearer:v1`,
      `unauthorized for ${host}/ok/private-bearer: token endpoint on ${host} answered 401 UNAUTHORIZED`,
    );
  });

  it('never shows the query of a signed redirect URL in errors', async () => {
    await pushImage('ok/signed', [
      { bytes: gzipSync(await tar([MANIFEST])), mediaType: MEDIA_TYPE_OCI_LAYER_GZIP },
    ]);
    const storage = await front(() => {
      /* blob storage that never answers */
    });
    servers.push(storage.server);
    const api = await front((req, res) => {
      if ((req.url ?? '').includes('/blobs/')) {
        res
          .writeHead(307, { location: `http://${storage.host}/bucket/blob?X-Amz-Signature=topsecret` })
          .end();
        return;
      }
      forward(req, res);
    });
    servers.push(api.server);
    await expectRefused(
      source({ requestTimeoutMs: 300 }, [api.host, storage.host]),
      `${api.host}/ok/signed:v1`,
      `GET http://${storage.host}/bucket/blob?…: no response within 300 ms (limit requestTimeoutMs = 300)`,
    );
  });
});
