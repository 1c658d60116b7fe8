/**
 * Package sources against the real registry (CNCF distribution v3), MinIO and an HTTPS server: every example
 * built and pushed by `gantry build --push`, pulled back by tag and by digest, renders exactly as its folder
 * does; basic auth with a dockerconfigjson pull secret read from the real API server; multi-arch indexes;
 * S3 and HTTPS tarballs.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CliIO } from '../../cli/command.js';
import { main } from '../../cli/main.js';
import { pullSecretConfigs } from '../../functions/adapters/oci/credentials.js';
import { createPackageSource } from '../../functions/adapters/package-source.js';
import {
  buildPackageImage,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  sha256,
} from '../../shared/oci/image.js';
import { fileMapFromText, fileText } from '../../shared/packages/index.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';
import { startRegistry, type Registry } from '../../devenv/registry.js';
import { runGantry, type CliResult } from '../run-cli.js';
import { RegistryClient } from '../../functions/adapters/oci/registry.js';
import { HttpClient } from '../../functions/adapters/oci/http.js';
import { DEFAULT_SOURCE_LIMITS } from '../../shared/oci/limits.js';
import { qualifyReference, type QualifiedReference } from '../../shared/oci/reference.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');

async function gantry(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runGantry(args, { cwd: examples, env });
}

const cases: { example: string; render: string[]; tree: string[] }[] = [
  {
    example: 'simple',
    render: ['-n', 'shop', '--name', 'web', '--image', 'registry.example.com/simple:v1'],
    tree: [],
  },
  {
    example: 'templated',
    render: ['--config-testcase', 'prod', '--image', 'registry.example.com/templated:v1'],
    tree: ['--config-testcase', 'prod'],
  },
  {
    example: 'multi',
    render: ['--component', 'backend', '-n', 'multi', '--name', 'backend', '--image', 'r.example.com/m:v1'],
    tree: ['--cluster'],
  },
];

function ref(text: string): QualifiedReference {
  const parsed = qualifyReference(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const extra: Registry[] = [];
afterAll(async () => {
  await Promise.all(extra.map((r) => r.stop()));
});

describe('round trip through the registry', () => {
  for (const c of cases) {
    it(`${c.example}: build --push, then render/tree/validate --pull by tag and by digest equal the folder's`, async () => {
      const { host } = inject('registry');
      const tag = `${host}/examples/${c.example}:v1`;
      // examples/templated's lock pins registry.k8s.io/pause, which this machine cannot reach.
      const built = await gantry([
        'build',
        c.example,
        '--skip-lock-check',
        '-t',
        tag,
        '-t',
        `${host}/examples/${c.example}:latest`,
        '--push',
        '--insecure',
        '--output-format',
        'digest',
      ]);
      expect(built.stderr).toBe('');
      expect(built.code).toBe(0);
      const digest = built.stdout.trim();
      expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);

      const folder = await gantry(['render', c.example, ...c.render]);
      expect(folder.code).toBe(0);
      for (const location of [tag, `${host}/examples/${c.example}@${digest}`]) {
        const pulled = await gantry(['render', '--pull', location, '--insecure', ...c.render]);
        expect(pulled.stderr).toBe('');
        expect(pulled.stdout).toBe(folder.stdout);
      }
      const tree = await gantry(['tree', '--pull', tag, '--insecure', ...c.tree]);
      expect(tree.stdout).toBe((await gantry(['tree', c.example, ...c.tree])).stdout);
      expect(await gantry(['validate', '--pull', tag, '--insecure'])).toEqual({
        code: 0,
        stdout: 'Package validated successfully!',
        stderr: '',
      });
    });
  }

  it('a plain-http registry not marked insecure gets a hint instead of a TLS error', async () => {
    const { host } = inject('registry');
    const r = await gantry(['validate', '--pull', `${host}/examples/simple:v1`]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: HEAD https://${host}/v2/examples/simple/manifests/v1: the server does not speak TLS; if it is a plain-http registry, mark it insecure (--insecure)\n`,
    });
  });

  it('shows transfer progress on a terminal, and nothing when stderr is not one', async () => {
    const { host } = inject('registry');
    let stderr = '';
    const io: CliIO = {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      cwd: examples,
      isTTY: false,
      stderrIsTTY: true,
      env: { HOME: '/nonexistent' },
    };
    const ref = `${host}/progress/templated:v1`;
    expect(
      (await gantry(['build', 'templated', '--skip-lock-check', '-t', ref, '--push', '--insecure'])).code,
    ).toBe(0);
    expect(await gantry(['validate', '--pull', ref, '--insecure'])).toEqual({
      code: 0,
      stdout: 'Package validated successfully!',
      stderr: '',
    });
    expect(await main(['validate', '--pull', ref, '--insecure'], io)).toBe(0);
    expect(stderr).toMatch(
      new RegExp(`^\\r${host}/progress/templated:v1: \\d+ kB / \\d+ kB \\([\\d.]+ (kB|MB)/s\\)\\n$`),
    );
  });

  it('a pulled image keeps its labels, and the cache serves a second pull of the same digest', async () => {
    const { host } = inject('registry');
    const image = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'kind: PackageManifest\n' }), {
      'org.example/team': 'platform',
    });
    const source = createPackageSource({ insecureHosts: [host] });
    const digest = await source.push(image, [`${host}/labels/pkg:v1`]);
    expect(digest).toBe(image.manifest.digest);
    const [a, b] = await Promise.all([
      source.pull(`${host}/labels/pkg:v1`),
      source.pull(`${host}/labels/pkg:v1`),
    ]);
    expect(a.labels).toEqual({ 'org.example/team': 'platform' });
    expect(a.resolved).toBe(`${host}/labels/pkg@${digest}`);
    expect(b).toBe(a);
    await source.pull(`${host}/labels/pkg@${digest}`);
    expect(source.cacheStats()).toMatchObject({ entries: 1, misses: 1, shared: 1, hits: 1 });
    expect(await source.resolveDigest(`${host}/labels/pkg:v1`)).toBe(digest);
  });
});

describe('registry with basic auth and a dockerconfigjson pull secret', () => {
  let registry: Registry;
  const user = 'puller';
  const password = 'correct-horse-battery';
  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { user, password } });
    extra.push(registry);
  });

  it('fails clearly without credentials and works with the service account pull secret', async () => {
    const host = registry.host;
    const auths = { auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } };
    const pusher = createPackageSource({ insecureHosts: [host], dockerConfigs: [auths] });
    const image = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'kind: PackageManifest\n' }));
    await pusher.push(image, [`${host}/private/pkg:v1`]);

    const anonymous = createPackageSource({ insecureHosts: [host] });
    await expect(anonymous.pull(`${host}/private/pkg:v1`)).rejects.toThrow(
      `unauthorized for ${host}/private/pkg: HEAD http://${host}/v2/private/pkg/manifests/v1: 401 (authentication required and no credentials are configured for this registry (docker config.json or an imagePullSecret))`,
    );

    const kube = testClient();
    const ns = await createNamespace(kube, 'pullsecret');
    try {
      const secret = await kube.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'registry-creds' },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from(JSON.stringify(auths)).toString('base64') },
      });
      expect(secret.status).toBe(201);
      const sa = await kube.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'gantry' },
        imagePullSecrets: [{ name: 'registry-creds' }, { name: 'missing' }],
      });
      expect(sa.status).toBe(201);
      const get = async (path: string): Promise<unknown> => {
        const r = await kube.request('GET', path);
        return r.status === 200 ? r.body : undefined;
      };
      const { configs, problems } = await pullSecretConfigs(get, ns, 'gantry');
      expect(problems).toEqual([`pull secret ${ns}/missing not found`]);
      const withSecret = createPackageSource({ insecureHosts: [host], dockerConfigs: configs });
      const pulled = await withSecret.pull(`${host}/private/pkg:v1`);
      expect(fileText(pulled.files.get('manifest.yaml') ?? new Uint8Array())).toBe('kind: PackageManifest\n');
    } finally {
      await deleteNamespace(kube, ns);
    }
  });

  it('gantry build --push and validate --pull read the credentials from $DOCKER_CONFIG/config.json', async () => {
    const host = registry.host;
    const dir = await mkdtemp(join(tmpdir(), 'gantry-dockercfg-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }),
    );
    const ref = `${host}/private/simple:v1`;
    const env = { DOCKER_CONFIG: dir };
    expect(await gantry(['build', 'simple', '-t', ref, '--push', '--insecure'], env)).toEqual({
      code: 0,
      stdout: 'Package built successfully!',
      stderr: '',
    });
    expect(await gantry(['validate', '--pull', ref, '--insecure'], env)).toEqual({
      code: 0,
      stdout: 'Package validated successfully!',
      stderr: '',
    });
    const anonymous = await gantry(['validate', '--pull', ref, '--insecure']);
    expect(anonymous.stderr).toBe(
      `Error: unauthorized for ${host}/private/simple: HEAD http://${host}/v2/private/simple/manifests/v1: 401 (authentication required and no credentials are configured for this registry (docker config.json or an imagePullSecret))\n`,
    );
  });

  it('a wrong password is reported as unauthorized by the registry', async () => {
    const host = registry.host;
    const auths = { auths: { [host]: { username: user, password: 'wrong' } } };
    const source = createPackageSource({ insecureHosts: [host], dockerConfigs: [auths] });
    await expect(source.pull(`${host}/private/pkg:v1`)).rejects.toThrow(
      `unauthorized for ${host}/private/pkg: HEAD http://${host}/v2/private/pkg/manifests/v1: 401`,
    );
  });
});

describe('image indexes', () => {
  it('a multi-arch index resolves to the linux/amd64 manifest; one without it is refused', async () => {
    const { host } = inject('registry');
    const http = new HttpClient({ limits: DEFAULT_SOURCE_LIMITS, insecureHosts: new Set([host]) });
    const client = new RegistryClient({ http, credentials: () => undefined });
    const repo = ref(`${host}/multiarch/pkg`);
    const images = {
      arm64: await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'arch: arm64\n' })),
      amd64: await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'arch: amd64\n' })),
      s390x: await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'arch: s390x\n' })),
    };
    for (const image of Object.values(images)) {
      await client.pushBlob(repo, image.layer);
      await client.pushBlob(repo, image.config);
      await client.pushManifest(repo, image.manifest.digest, {
        bytes: image.manifest.bytes,
        mediaType: MEDIA_TYPE_OCI_MANIFEST,
      });
    }
    const index = (archs: (keyof typeof images)[]): Uint8Array =>
      new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPE_OCI_INDEX,
          manifests: archs.map((a) => ({
            mediaType: MEDIA_TYPE_OCI_MANIFEST,
            digest: images[a].manifest.digest,
            size: images[a].manifest.bytes.length,
            platform: { os: 'linux', architecture: a },
          })),
        }),
      );
    const both = index(['arm64', 'amd64']);
    await client.pushManifest(repo, 'v1', { bytes: both, mediaType: MEDIA_TYPE_OCI_INDEX });
    await client.pushManifest(repo, 'no-amd64', {
      bytes: index(['arm64', 's390x']),
      mediaType: MEDIA_TYPE_OCI_INDEX,
    });

    const source = createPackageSource({ insecureHosts: [host] });
    const pulled = await source.pull(`${host}/multiarch/pkg:v1`);
    expect(fileText(pulled.files.get('manifest.yaml') ?? new Uint8Array())).toBe('arch: amd64\n');
    expect(pulled.digest).toBe(sha256(both));
    await expect(source.pull(`${host}/multiarch/pkg:no-amd64`)).rejects.toThrow(
      `image index ${host}/multiarch/pkg@sha256:`,
    );
    await expect(source.pull(`${host}/multiarch/pkg:no-amd64`)).rejects.toThrow(
      'has no linux/amd64 manifest (it has linux/arm64, linux/s390x)',
    );
  });
});

describe('S3', () => {
  function s3Env(): Record<string, string> {
    const s3 = inject('s3');
    return {
      AWS_ACCESS_KEY_ID: s3.accessKey,
      AWS_SECRET_ACCESS_KEY: s3.secretKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: s3.region,
    };
  }

  it('build --push s3://… and render --pull s3://… round-trip the example', async () => {
    const { bucket } = inject('s3');
    const location = `s3://${bucket}/packages/templated.tar.gz`;
    const built = await gantry(['build', 'templated', '--skip-lock-check', '--push', location], s3Env());
    expect(built).toEqual({ code: 0, stdout: 'Package built successfully!', stderr: '' });
    const args = ['--config-testcase', 'prod', '--image', 'registry.example.com/templated:v1'];
    const pulled = await gantry(['render', '--pull', location, ...args], s3Env());
    expect(pulled.stderr).toBe('');
    expect(pulled.stdout).toBe((await gantry(['render', 'templated', ...args])).stdout);
  });

  it('records the version id of a versioned bucket, and pulls an older version when asked', async () => {
    const s3 = inject('s3');
    const options = {
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
    };
    const client = new S3Client({ ...options, forcePathStyle: true });
    const bucket = 'versioned';
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const source = createPackageSource({ s3: options });
    const one = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'version: 1\n' }));
    const two = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'version: 2\n' }));
    await source.push(one, [`s3://${bucket}/pkg.tar.gz`]);
    const first = await source.pull(`s3://${bucket}/pkg.tar.gz`);
    await source.push(two, [`s3://${bucket}/pkg.tar.gz`]);
    const second = await source.pull(`s3://${bucket}/pkg.tar.gz`);
    expect(first.digest).toMatch(/^versionId=.+/);
    expect(second.digest).not.toBe(first.digest);
    expect(fileText(second.files.get('manifest.yaml') ?? new Uint8Array())).toBe('version: 2\n');
    const old = await source.pull(`s3://${bucket}/pkg.tar.gz?${first.digest}`);
    expect(old.resolved).toBe(`s3://${bucket}/pkg.tar.gz?${first.digest}`);
    expect(fileText(old.files.get('manifest.yaml') ?? new Uint8Array())).toBe('version: 1\n');
  });

  it('records the ETag as the identity and reports a missing object clearly', async () => {
    const s3 = inject('s3');
    const source = createPackageSource({
      s3: {
        endpoint: s3.endpoint,
        region: s3.region,
        credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
      },
    });
    const image = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'kind: PackageManifest\n' }));
    await source.push(image, [`s3://${s3.bucket}/identity.tar.gz`]);
    const pulled = await source.pull(`s3://${s3.bucket}/identity.tar.gz`);
    expect(pulled.digest).toMatch(/^etag=[a-f0-9]{32}$/);
    expect(pulled.resolved).toBe(`s3://${s3.bucket}/identity.tar.gz#${pulled.digest}`);
    await expect(source.pull(`s3://${s3.bucket}/missing.tar.gz`)).rejects.toThrow(
      `HEAD s3://${s3.bucket}/missing.tar.gz: NotFound`,
    );
  });
});

describe('HTTPS tarballs', () => {
  let server: Server;
  let base = '';
  const layers = new Map<string, Uint8Array>();
  beforeAll(async () => {
    const kube = inject('kube');
    server = createServer(
      { cert: readFileSync(kube.serverCertFile), key: readFileSync(kube.serverKeyFile) },
      (req, res) => {
        const body = layers.get(req.url ?? '');
        if (body === undefined) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length }).end(body);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `https://localhost:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('pulls a tarball pinned by digest, and refuses one whose digest does not match', async () => {
    const image = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'kind: PackageManifest\n' }));
    layers.set('/pkg.tar.gz', image.layer.bytes);
    const source = createPackageSource();
    const pulled = await source.pull(`${base}/pkg.tar.gz@${image.layer.digest}`);
    expect(fileText(pulled.files.get('manifest.yaml') ?? new Uint8Array())).toBe('kind: PackageManifest\n');
    expect(pulled.resolved).toBe(`${base}/pkg.tar.gz@${image.layer.digest}`);

    const wrong = `sha256:${'0'.repeat(64)}`;
    await expect(source.pull(`${base}/pkg.tar.gz@${wrong}`)).rejects.toThrow(
      `blob ${wrong}: content does not match its digest (got ${image.layer.digest}); refusing the corrupted layer`,
    );
    expect(source.cacheStats().entries).toBe(1);
    await expect(source.pull(`${base}/pkg.tar.gz`)).rejects.toThrow(
      `tarball URL "${base}/pkg.tar.gz" has no digest: append @sha256:<digest of the file> so its content can be verified`,
    );
  });
});

describe('gantry update', () => {
  it('locks image tags to digests, is idempotent, follows a moved tag, and leaves the lock alone on errors', async () => {
    const { host } = inject('registry');
    const dir = await mkdtemp(join(tmpdir(), 'gantry-update-'));
    const manifest = (images: Record<string, string>): string =>
      [
        'apiVersion: manifests.package-operator.run/v1alpha1',
        'kind: PackageManifest',
        'metadata:',
        '  name: locked',
        'spec:',
        '  scopes: [Namespaced]',
        '  phases: [{name: deploy}]',
        '  availabilityProbes: []',
        '  images:',
        ...Object.entries(images).map(([name, image]) => `    - {name: ${name}, image: "${image}"}`),
        '',
      ].join('\n');
    await writeFile(
      join(dir, 'manifest.yaml'),
      manifest({ app: `${host}/images/app:v1`, sidecar: `${host}/images/sidecar:v2` }),
    );
    await writeFile(
      join(dir, 'cm.yaml.gotmpl'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: images\n  annotations:\n    package-operator.run/phase: deploy\ndata:\n  app: "{{ .images.app }}"\n',
    );
    const source = createPackageSource({ insecureHosts: [host] });
    const v1 = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'app: 1\n' }));
    const sidecar = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'sidecar: 1\n' }));
    await source.push(v1, [`${host}/images/app:v1`]);
    await source.push(sidecar, [`${host}/images/sidecar:v2`]);

    expect(await gantry(['update', dir, '--insecure'])).toEqual({
      code: 0,
      stdout: 'Package updated successfully!\n',
      stderr: '',
    });
    const lock = await readFile(join(dir, 'manifest.lock.yaml'), 'utf8');
    expect(lock.replace(/creationTimestamp: .*/, 'creationTimestamp: T')).toBe(
      [
        'apiVersion: manifests.package-operator.run/v1alpha1',
        'kind: PackageManifestLock',
        'metadata:',
        '  creationTimestamp: T',
        'spec:',
        '  images:',
        `  - digest: ${v1.manifest.digest}`,
        `    image: ${host}/images/app:v1`,
        '    name: app',
        `  - digest: ${sidecar.manifest.digest}`,
        `    image: ${host}/images/sidecar:v2`,
        '    name: sidecar',
        '',
      ].join('\n'),
    );
    expect(lock).toMatch(/creationTimestamp: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
    const rendered = await gantry(['render', dir, '-o', 'json']);
    expect(rendered.stdout).toContain(`"app": "${host}/images/app@${v1.manifest.digest}"`);

    expect((await gantry(['update', dir, '--insecure'])).stdout).toBe('Package is already up-to-date\n');

    const v2 = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'app: 2\n' }));
    await source.push(v2, [`${host}/images/app:v1`]);
    expect((await gantry(['update', dir, '--insecure'])).stdout).toBe('Package updated successfully!\n');
    expect(await readFile(join(dir, 'manifest.lock.yaml'), 'utf8')).toContain(
      `digest: ${v2.manifest.digest}`,
    );

    const before = await readFile(join(dir, 'manifest.lock.yaml'), 'utf8');
    await writeFile(
      join(dir, 'manifest.yaml'),
      manifest({ app: `${host}/images/app:v1`, missing: `${host}/images/missing:v1` }),
    );
    expect(await gantry(['update', dir, '--insecure'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: generating lock data: resolving lock image for "${host}/images/missing:v1": resolving image digest: not found: GET http://${host}/v2/images/missing/manifests/v1: MANIFEST_UNKNOWN: manifest unknown\n`,
    });
    expect(await readFile(join(dir, 'manifest.lock.yaml'), 'utf8')).toBe(before);
  });
});

describe('PKO_REPOSITORY_HOST and the lock digest lookup of build', () => {
  it('update resolves on the override host and keeps the image as named; build refuses a pinned digest that is gone', async () => {
    const { host } = inject('registry');
    const dir = await mkdtemp(join(tmpdir(), 'gantry-repohost-'));
    await writeFile(
      join(dir, 'manifest.yaml'),
      [
        'apiVersion: manifests.package-operator.run/v1alpha1',
        'kind: PackageManifest',
        'metadata: {name: mirrored}',
        'spec:',
        '  scopes: [Namespaced]',
        '  phases: [{name: deploy}]',
        '  availabilityProbes: []',
        '  images: [{name: app, image: "quay.example/team/mirrored-app:v1"}]',
        '',
      ].join('\n'),
    );
    const source = createPackageSource({ insecureHosts: [host] });
    const app = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'mirrored: 1\n' }));
    await source.push(app, [`${host}/team/mirrored-app:v1`]);
    const env = { PKO_REPOSITORY_HOST: host };

    expect(await gantry(['update', dir, '--insecure'], env)).toEqual({
      code: 0,
      stdout: 'Package updated successfully!\n',
      stderr: '',
    });
    const lock = await readFile(join(dir, 'manifest.lock.yaml'), 'utf8');
    expect(lock).toContain('    image: quay.example/team/mirrored-app:v1\n');
    expect(lock).toContain(`  - digest: ${app.manifest.digest}\n`);
    expect(await gantry(['build', dir, '--insecure'], env)).toEqual({
      code: 0,
      stdout: 'Package built successfully!',
      stderr: '',
    });

    // The pinned digest is gone from the registry (the tag moved and the old manifest was deleted).
    const gone = `sha256:${'0'.repeat(64)}`;
    await writeFile(join(dir, 'manifest.lock.yaml'), lock.replace(app.manifest.digest, gone));
    expect(await gantry(['build', dir, '--insecure'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: building from source: loading package from files: not found: GET http://${host}/v2/team/mirrored-app/manifests/${gone}: MANIFEST_UNKNOWN: manifest unknown: image "app" digest error ("${gone}")\n`,
    });
    expect(await gantry(['update', dir, '--insecure'], { PKO_REPOSITORY_HOST: 'https://mirror' })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: generating lock data: resolving lock image for "quay.example/team/mirrored-app:v1": resolving image URL: image registry override: registries must be valid RFC 3986 URI authorities: https://mirror\n',
    });
  });
});

describe('PKO image overrides', () => {
  it('applies image prefix and registry host overrides before pulling', async () => {
    const { host } = inject('registry');
    const image = await buildPackageImage(fileMapFromText({ 'manifest.yaml': 'kind: PackageManifest\n' }));
    await createPackageSource({ insecureHosts: [host] }).push(image, [`${host}/mirror/pkg:v1`]);
    const byPrefix = createPackageSource({
      insecureHosts: [host],
      prefixOverrides: [{ from: 'quay.io/upstream/', to: `${host}/mirror/` }],
    });
    expect((await byPrefix.pull('quay.io/upstream/pkg:v1')).resolved).toBe(
      `${host}/mirror/pkg@${image.manifest.digest}`,
    );
    const byHost = createPackageSource({
      insecureHosts: [host],
      registryHostOverrides: new Map([['registry.example.com', host]]),
    });
    expect((await byHost.pull('registry.example.com/mirror/pkg:v1')).digest).toBe(image.manifest.digest);
  });
});
