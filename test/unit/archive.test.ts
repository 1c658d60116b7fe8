/**
 * Tarballs and package images: PKO's layer rules, Gantry's refusals of unsafe archives (each with its exact
 * message), and a build → read-back round trip that renders exactly like the folder.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { readPackageFolder } from '../../functions/adapters/package-folder.js';
import { buildPackageImage, imageLayoutTarball, layerPathsOf, sha256 } from '../../shared/oci/image.js';
import { parseReference } from '../../shared/oci/reference.js';
import { newArchiveBudget, readPackageTarball, readTarball } from '../../shared/packages/archive.js';
import { fileText, loadPackage } from '../../shared/packages/index.js';

type Entry = {
  name: string;
  type?: 'file' | 'symlink' | 'link' | 'directory' | 'fifo';
  body?: string;
  linkname?: string;
};

async function tar(entries: Entry[]): Promise<Uint8Array> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve) =>
    p.on('end', () => {
      resolve();
    }),
  );
  p.on('data', (c: unknown) => {
    if (c instanceof Uint8Array) chunks.push(Buffer.from(c));
  });
  for (const e of entries) {
    if (e.type === undefined || e.type === 'file') p.entry({ name: e.name }, e.body ?? '');
    else p.entry({ name: e.name, type: e.type, linkname: e.linkname });
  }
  p.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

async function refusal(
  bytes: Uint8Array,
  limits = {},
  prefix: 'package/' | '' = 'package/',
): Promise<string> {
  try {
    await readTarball(bytes, { prefix, limits });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('archive was accepted');
}

describe('readTarball', () => {
  it('keeps only files under package/, later layers win, hidden paths and directories skipped', async () => {
    const into = await readTarball(
      await tar([
        { name: 'package/a.yaml', body: 'one' },
        { name: 'other/x', body: 'x' },
      ]),
      { prefix: 'package/' },
    );
    await readTarball(
      gzipSync(
        await tar([
          { name: './package/a.yaml', body: 'two' },
          { name: 'package/.hidden/b', body: 'b' },
          { name: 'package/d', type: 'directory' },
        ]),
      ),
      { prefix: 'package/', into },
    );
    expect([...into.keys()]).toEqual(['a.yaml']);
    expect(fileText(into.get('a.yaml')!)).toBe('two');
  });

  it('reads a plain package tarball without prefix', async () => {
    const files = await readTarball(
      await tar([
        { name: 'manifest.yaml', body: 'm' },
        { name: 'sub/x.yaml', body: 'x' },
      ]),
      { prefix: '' },
    );
    expect([...files.keys()]).toEqual(['manifest.yaml', 'sub/x.yaml']);
  });

  const refusals: [string, Entry[], string, object?][] = [
    [
      'a ../ path',
      [{ name: 'package/../../etc/passwd', body: 'x' }],
      'Path escapes the package in package archive: package/../../etc/passwd',
    ],
    [
      'an absolute path',
      [{ name: '/package/a.yaml', body: 'x' }],
      'Absolute path in package archive: /package/a.yaml',
    ],
    [
      'a symbolic link',
      [{ name: 'package/a.yaml', type: 'symlink', linkname: '/etc/passwd' }],
      'Symbolic link in package archive: package/a.yaml -> /etc/passwd',
    ],
    [
      'a hard link',
      [{ name: 'package/a.yaml', type: 'link', linkname: 'package/b.yaml' }],
      'Hard link in package archive: package/a.yaml -> package/b.yaml',
    ],
    [
      'a fifo',
      [{ name: 'package/p', type: 'fifo' }],
      'Unsupported entry type fifo in package archive: package/p',
    ],
    [
      'too many files',
      [
        { name: 'package/a', body: '1' },
        { name: 'package/b', body: '2' },
        { name: 'package/c', body: '3' },
      ],
      'Package archive has more than 2 files (limit maxFiles): c',
      { maxFiles: 2 },
    ],
    [
      'an oversized entry',
      [{ name: 'package/big', body: 'x'.repeat(2000) }],
      'File larger than 1024 bytes (limit maxFileBytes) in package archive: package/big: 2000 bytes',
      { maxFileBytes: 1024 },
    ],
  ];
  for (const [name, entries, message, limits] of refusals) {
    it(`refuses ${name}`, async () => {
      expect(await refusal(await tar(entries), limits)).toBe(message);
    });
  }

  it('stops a gzip bomb at the uncompressed size limit', async () => {
    const bomb = gzipSync(await tar([{ name: 'package/zeros', body: '\u0000'.repeat(8 * 1024 * 1024) }]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(
      await refusal(new Uint8Array(bomb), { maxTotalBytes: 1024 * 1024, maxFileBytes: 64 * 1024 * 1024 }),
    ).toBe('Package archive larger than 1048576 bytes uncompressed (limit maxTotalBytes): package/zeros');
  });

  it('reports a corrupt archive', async () => {
    const gz = gzipSync(await tar([{ name: 'package/a', body: 'x' }]));
    expect(await refusal(new Uint8Array(gz.subarray(0, gz.length - 10)))).toMatch(
      /^Invalid package archive: /,
    );
  });
});

describe('readPackageTarball (S3 objects, HTTPS tarballs)', () => {
  it('takes files at the root, or only those under package/ when it is an image layer', async () => {
    const root = await readPackageTarball(
      gzipSync(
        await tar([
          { name: 'manifest.yaml', body: 'm' },
          { name: 'a/b.yaml', body: 'b' },
        ]),
      ),
    );
    expect([...root.keys()].sort()).toEqual(['a/b.yaml', 'manifest.yaml']);
    const layer = await readPackageTarball(
      await tar([
        { name: 'package/manifest.yaml', body: 'm' },
        { name: 'README.md', body: 'r' },
        { name: 'package/.hidden', body: 'h' },
      ]),
    );
    expect([...layer.keys()]).toEqual(['manifest.yaml']);
  });
});

describe('package image', () => {
  it('round-trips: build, read the layer back, same files; the same input gives the same digest', async () => {
    const raw = await readPackageFolder(join(import.meta.dirname, '../../examples/templated'));
    const image = await buildPackageImage(raw.files, { 'org.example/team': 'shop' });
    expect(image.layer.digest).toBe(sha256(image.layer.bytes));
    expect((await buildPackageImage(raw.files, { 'org.example/team': 'shop' })).manifest.digest).toBe(
      image.manifest.digest,
    );
    const config = JSON.parse(fileText(image.config.bytes)) as Record<string, unknown>;
    expect(config).toEqual({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'org.example/team': 'shop' } },
      rootfs: { type: 'layers', diff_ids: [image.diffId] },
    });
    const layout = await readTarball(await imageLayoutTarball(image, ['registry.example.com/templated:v1']), {
      prefix: '',
    });
    const [layerPath] = layerPathsOf(JSON.parse(fileText(layout.get('manifest.json')!)));
    const files = await readTarball(layout.get(layerPath!)!, { prefix: 'package/' });
    expect([...files.keys()].sort()).toEqual([...raw.files.keys()].sort());
    for (const [p, bytes] of raw.files) expect(files.get(p)).toEqual(bytes);
    expect(loadPackage({ files, labels: {} }).root.manifest.metadata?.name).toBe('templated');
    const index = JSON.parse(fileText(layout.get('index.json')!)) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    expect(index.manifests[0]).toMatchObject({
      digest: image.manifest.digest,
      annotations: { 'org.opencontainers.image.ref.name': 'registry.example.com/templated:v1' },
    });
    expect(fileText(layout.get('oci-layout')!)).toBe('{"imageLayoutVersion":"1.0.0"}');
  });

  it('matches the tar a gantry build --output writes', async () => {
    const { main } = await import('../../cli/main.js');
    const out = join(import.meta.dirname, '../../.test-results/simple.tar');
    await mkdir(dirname(out), { recursive: true });
    let stdout = '';
    const code = await main(
      ['build', 'examples/simple', '-t', 'localhost:5001/simple:v1', '-o', out, '--output-format', 'digest'],
      {
        stdout: (t) => (stdout += t),
        stderr: () => undefined,
        cwd: join(import.meta.dirname, '../..'),
        isTTY: false,
      },
    );
    expect(code).toBe(0);
    const layout = await readTarball(await readFile(out), { prefix: '' });
    const index = JSON.parse(fileText(layout.get('index.json')!)) as { manifests: { digest: string }[] };
    expect(stdout).toBe(`${index.manifests[0]!.digest}\n`);
  });
});

describe('gantry build messages (docs/pko-compatibility.md §7)', () => {
  async function build(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const { main } = await import('../../cli/main.js');
    let stdout = '';
    let stderr = '';
    const code = await main(['build', ...args], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      cwd: join(import.meta.dirname, '../..'),
      isTTY: false,
    });
    return { code, stdout, stderr };
  }

  it("prints PKO's success line without a newline", async () => {
    expect(await build('examples/simple', '-t', 'a/b:v1')).toEqual({
      code: 0,
      stdout: 'Package built successfully!',
      stderr: '',
    });
  });

  it('refuses output without tags, and bad tags', async () => {
    expect(await build('examples/simple', '-o', 'x.tar')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: output or push is requested but no tags are set\n',
    });
    expect(await build('examples/simple', '-t', 'Bad:tag')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: invalid tag specified as parameter Bad:tag: repository name must be lowercase\n',
    });
    expect((await build('examples/simple', '-t', 'a/b:v1', '-l', 'novalue=')).stderr).toBe(
      'Error: invalid label "novalue=": expected KEY=VALUE with a non-empty key and value\n',
    );
  });
});

describe('image references', () => {
  it('parses and refuses like distribution/reference', () => {
    expect(parseReference('localhost:5001/acc/app:v1')).toEqual({
      ok: true,
      value: { registry: 'localhost:5001', repository: 'acc/app', tag: 'v1' },
    });
    expect(parseReference('nginx')).toEqual({ ok: true, value: { registry: '', repository: 'nginx' } });
    expect(parseReference('library/nginx:1.2')).toEqual({
      ok: true,
      value: { registry: '', repository: 'library/nginx', tag: '1.2' },
    });
    expect(parseReference('Bad:tag')).toEqual({ ok: false, error: 'repository name must be lowercase' });
    expect(parseReference('a:b:c')).toEqual({ ok: false, error: 'invalid reference format' });
    expect(parseReference('')).toEqual({
      ok: false,
      error: 'repository name must have at least one component',
    });
  });
});

describe('readTarball counts every decompressed byte', () => {
  const zeros = '\u0000'.repeat(8 * 1024 * 1024);
  const limits = { maxTotalBytes: 1024 * 1024, maxFileBytes: 64 * 1024 * 1024 };

  it('stops a gzip bomb in an entry outside package/, which is skipped', async () => {
    const bomb = gzipSync(await tar([{ name: 'other/zeros', body: zeros }]));
    expect(await refusal(new Uint8Array(bomb), limits)).toBe(
      'Package archive larger than 1048576 bytes uncompressed (limit maxTotalBytes): other/zeros',
    );
  });

  it('stops a gzip bomb in a hidden entry, which is skipped', async () => {
    const bomb = gzipSync(await tar([{ name: 'package/.zeros', body: zeros }]));
    expect(await refusal(new Uint8Array(bomb), limits)).toBe(
      'Package archive larger than 1048576 bytes uncompressed (limit maxTotalBytes): package/.zeros',
    );
  });

  it('holds maxTotalBytes across the layers of one image (one budget for all of them)', async () => {
    const layer = gzipSync(await tar([{ name: 'package/a', body: 'x'.repeat(600 * 1024) }]));
    const budget = newArchiveBudget();
    const into = new Map<string, Uint8Array>();
    await readTarball(layer, { prefix: 'package/', limits, into, budget });
    await expect(readTarball(layer, { prefix: 'package/', limits, into, budget })).rejects.toThrow(
      'Package archive larger than 1048576 bytes uncompressed (limit maxTotalBytes): package/a',
    );
  });
});
