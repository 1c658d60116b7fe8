/**
 * Pure parts of the package sources: references (Docker Hub normalisation, overrides), locations, registry
 * auth (challenges, Docker configs, pull secrets), manifests and platform choice, and the bounded cache.
 */
import { describe, expect, it } from 'vitest';
import {
  credentialsFor,
  dockerConfigsFromSecrets,
  parseChallenge,
  parseDockerConfig,
} from '../../shared/oci/auth.js';
import { choosePlatform, parseManifest } from '../../shared/oci/manifest.js';
import {
  formatReference,
  overrideRegistryHost,
  parseOverrideList,
  qualifyReference,
} from '../../shared/oci/reference.js';
import { parseLocation } from '../../shared/oci/source.js';
import { BoundedCache } from '../../shared/packages/cache.js';

const D = `sha256:${'a'.repeat(64)}`;

function qualified(text: string): string {
  const r = qualifyReference(text);
  if (!r.ok) throw new Error(r.error);
  return formatReference(r.value);
}

describe('references', () => {
  it.each([
    ['nginx:1.2', 'index.docker.io/library/nginx:1.2'],
    ['nginx', 'index.docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'index.docker.io/library/nginx:latest'],
    ['grafana/loki:3', 'index.docker.io/grafana/loki:3'],
    ['quay.io/org/pkg:v1', 'quay.io/org/pkg:v1'],
    ['localhost:5000/pkg', 'localhost:5000/pkg:latest'],
    [`127.0.0.1:5000/a/b@${D}`, `127.0.0.1:5000/a/b@${D}`],
    [`quay.io/org/pkg:v1@${D}`, `quay.io/org/pkg:v1@${D}`],
  ])('%s qualifies to %s', (input, expected) => {
    expect(qualified(input)).toBe(expected);
  });

  it('refuses bad references with the reason', () => {
    expect(qualifyReference('Quay.io/Org/Pkg')).toEqual({
      ok: false,
      error: 'repository name must be lowercase',
    });
    expect(qualifyReference(`quay.io/p@sha512:${'a'.repeat(128)}`)).toEqual({
      ok: false,
      error: `unsupported digest "sha512:${'a'.repeat(128)}": only sha256:<64 lowercase hex> is accepted`,
    });
  });

  it('applies registry host overrides and parses override lists', () => {
    const r = qualifyReference('quay.io/org/pkg:v1');
    if (!r.ok) throw new Error(r.error);
    expect(formatReference(overrideRegistryHost(r.value, new Map([['quay.io', 'mirror.local:5000']])))).toBe(
      'mirror.local:5000/org/pkg:v1',
    );
    expect(parseOverrideList('quay.io/=mirror/, a=b')).toEqual({
      ok: true,
      value: [
        { from: 'quay.io/', to: 'mirror/' },
        { from: 'a', to: 'b' },
      ],
    });
    expect(parseOverrideList('broken')).toEqual({
      ok: false,
      error: 'invalid override "broken": expected FROM=TO',
    });
  });
});

describe('locations', () => {
  it('classifies images, S3 objects and pinned tarballs', () => {
    expect(parseLocation('s3://my-bucket/pkgs/a.tar.gz?versionId=3')).toEqual({
      ok: true,
      value: { kind: 's3', bucket: 'my-bucket', key: 'pkgs/a.tar.gz', versionId: '3' },
    });
    expect(parseLocation(`https://example.com/a.tar.gz@${D}`)).toEqual({
      ok: true,
      value: { kind: 'https', url: 'https://example.com/a.tar.gz', digest: D },
    });
    expect(parseLocation('nginx').ok).toBe(true);
  });

  it.each([
    ['s3://B/key', 'invalid S3 bucket name "B" in s3://B/key'],
    ['s3://bucket/', 'invalid S3 location "s3://bucket/": the key must name an object (a tar or tar.gz)'],
    ['s3://bucket/%zz', 'invalid S3 location "s3://bucket/%zz": the key is not valid percent-encoding'],
    [
      'https://example.com/a.tar.gz',
      'tarball URL "https://example.com/a.tar.gz" has no digest: append @sha256:<digest of the file> so its content can be verified',
    ],
    [
      `http://example.com/a.tar.gz@${D}`,
      'refusing plain http for http://example.com/a.tar.gz; use https (or --insecure)',
    ],
    [`https://u:p@example.com/a.tar.gz@${D}`, 'tarball URL must not carry credentials: example.com'],
    [
      'https://example.com/a@sha256:abc',
      'invalid digest "sha256:abc" in https://example.com/a@sha256:abc: expected sha256:<64 lowercase hex>',
    ],
    ['UPPER/Case', 'invalid image reference "UPPER/Case": repository name must be lowercase'],
  ])('%s is refused: %s', (input, error) => {
    expect(parseLocation(input)).toEqual({ ok: false, error });
  });
});

describe('registry auth', () => {
  it('parses Bearer and Basic challenges', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/nginx:pull',
      },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge(null)).toBeUndefined();
  });

  it('finds credentials by host, Docker Hub under its historical key', () => {
    const config = parseDockerConfig(
      {
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:secret').toString('base64') },
          'quay.io': { username: 'q', password: 'p' },
          'registry.local:5000': { identitytoken: 'refresh' },
        },
      },
      'config.json',
    );
    if (!config.ok) throw new Error(config.error);
    expect(credentialsFor([config.value], 'index.docker.io')).toEqual({
      username: 'hub',
      password: 'secret',
    });
    expect(credentialsFor([config.value], 'quay.io')).toEqual({ username: 'q', password: 'p' });
    expect(credentialsFor([config.value], 'registry.local:5000')).toEqual({ identityToken: 'refresh' });
    expect(credentialsFor([config.value], 'ghcr.io')).toBeUndefined();
    expect(parseDockerConfig({ auths: { x: { auth: 5 } } }, 'config.json')).toEqual({
      ok: false,
      error:
        'config.json: not a Docker config (auths.x.auth: Invalid input: expected string, received number)',
    });
  });

  it('reads dockerconfigjson and dockercfg pull secrets, naming the unusable ones without their content', () => {
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');
    const { configs, problems } = dockerConfigsFromSecrets([
      {
        metadata: { name: 'good' },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': b64({ auths: { 'quay.io': { username: 'a', password: 'b' } } }) },
      },
      {
        metadata: { name: 'legacy' },
        type: 'kubernetes.io/dockercfg',
        data: { '.dockercfg': b64({ 'ghcr.io': { auth: 'eDp5' } }) },
      },
      { metadata: { name: 'opaque' }, type: 'Opaque', data: { token: 'c2VjcmV0' } },
      {
        metadata: { name: 'garbage' },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': 'c2VjcmV0' },
      },
    ]);
    expect(credentialsFor(configs, 'quay.io')).toEqual({ username: 'a', password: 'b' });
    expect(credentialsFor(configs, 'ghcr.io')).toEqual({ username: 'x', password: 'y' });
    expect(problems).toEqual([
      'pull secret opaque has no .dockerconfigjson key (type Opaque)',
      'pull secret garbage: its Docker config is not JSON',
    ]);
    expect(problems.join()).not.toContain('c2VjcmV0');
  });
});

describe('manifests', () => {
  const desc = (arch?: string): unknown => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: D,
    size: 10,
    ...(arch !== undefined ? { platform: { os: 'linux', architecture: arch } } : {}),
  });

  it('parses manifests and indexes of both media type families', () => {
    const index = parseManifest(
      { schemaVersion: 2, manifests: [desc('arm64'), desc('amd64')] },
      'application/vnd.docker.distribution.manifest.list.v2+json',
    );
    expect(index.ok && index.value.kind).toBe('index');
    const manifest = parseManifest(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: desc(),
        layers: [desc()],
      },
      '',
    );
    expect(manifest.ok && manifest.value.kind).toBe('manifest');
    expect(
      parseManifest(
        { schemaVersion: 1, name: 'x' },
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
      ),
    ).toEqual({
      ok: false,
      error: 'unsupported manifest media type "application/vnd.docker.distribution.manifest.v1+prettyjws"',
    });
    // A registry's free text in place of a media type is not echoed.
    expect(parseManifest({ mediaType: 'see http://10.0.0.1/admin token=s3cret', layers: [] }, '')).toEqual({
      ok: false,
      error: 'unsupported manifest media type (not a media type)',
    });
  });

  it('chooses linux/amd64, or the only entry', () => {
    const parsed = parseManifest({ schemaVersion: 2, manifests: [desc('arm64'), desc('amd64')] }, '');
    if (!parsed.ok || parsed.value.kind !== 'index') throw new Error('not an index');
    expect(choosePlatform(parsed.value.manifests)?.platform?.architecture).toBe('amd64');
    const one = parseManifest({ schemaVersion: 2, manifests: [desc()] }, '');
    if (!one.ok || one.value.kind !== 'index') throw new Error('not an index');
    expect(choosePlatform(one.value.manifests)).toEqual(one.value.manifests[0]);
    const none = parseManifest({ schemaVersion: 2, manifests: [desc('arm64'), desc('s390x')] }, '');
    if (!none.ok || none.value.kind !== 'index') throw new Error('not an index');
    expect(choosePlatform(none.value.manifests)).toBeUndefined();
  });
});

describe('bounded cache', () => {
  it('de-duplicates concurrent loads, evicts the least recently used, never caches failures', async () => {
    const cache = new BoundedCache<string>(10);
    let loads = 0;
    const load = (value: string, bytes: number) => async (): Promise<{ value: string; bytes: number }> => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 5));
      return { value, bytes };
    };
    const [a, b] = await Promise.all([
      cache.getOrLoad('a', load('A', 4)),
      cache.getOrLoad('a', load('X', 4)),
    ]);
    expect([a, b, loads]).toEqual(['A', 'A', 1]);
    await cache.getOrLoad('b', load('B', 4));
    expect(cache.get('a')).toBe('A');
    await cache.getOrLoad('c', load('C', 4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    await expect(cache.getOrLoad('d', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(cache.get('d')).toBeUndefined();
    await cache.getOrLoad('huge', load('H', 11));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.stats()).toEqual({ entries: 2, bytes: 8, hits: 0, misses: 5, shared: 1 });
  });
});
