import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  blobFolder,
  SNAPSHOT_MANIFEST,
  snapshotIsCurrent,
  type SnapshotManifest,
} from './snapshot-manifest.js';

describe('blobFolder', () => {
  it('is the folder of --snapshot-blob PATH, relative paths resolved against the working directory', () => {
    expect(blobFolder(['--snapshot-blob', '/opt/gantry/dist/gantry.blob'], '/tmp')).toBe('/opt/gantry/dist');
    expect(blobFolder(['--snapshot-blob', 'dist/gantry.blob'], '/repo')).toBe('/repo/dist');
    expect(blobFolder(['--max-old-space-size=100', '--snapshot-blob=/x/dist/gantry.blob'], '/')).toBe(
      '/x/dist',
    );
  });

  it('is undefined when the process did not start from a snapshot', () => {
    expect(blobFolder([], '/repo')).toBeUndefined();
    expect(blobFolder(['--snapshot-blob'], '/repo')).toBeUndefined();
  });
});

describe('snapshotIsCurrent', () => {
  let root = '';
  let dist = '';
  const builtAt = Date.parse('2026-01-01T00:00:00Z');
  const proc = (): Parameters<typeof snapshotIsCurrent>[0] => ({
    builtIn: realpathSync(dist),
    execArgv: ['--snapshot-blob', join(dist, 'gantry.blob')],
    cwd: '/',
    node: 'v20.20.2',
  });
  const writeManifest = (manifest: unknown): Promise<void> =>
    writeFile(join(dist, SNAPSHOT_MANIFEST), JSON.stringify(manifest));
  const manifest: SnapshotManifest = { builtAt, node: 'v20.20.2', inputs: ['../cli/a.ts', '../shared/b.ts'] };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gantry-snapshot-manifest-'));
    dist = join(root, 'dist');
    await mkdir(dist);
    await mkdir(join(root, 'cli'));
    await mkdir(join(root, 'shared'));
    for (const file of ['cli/a.ts', 'shared/b.ts']) {
      await writeFile(join(root, file), '');
      await utimes(join(root, file), new Date(builtAt - 1000), new Date(builtAt - 1000));
    }
    await writeManifest(manifest);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is current when no input changed since the build, on the same Node.js, from the folder it was built in', () => {
    expect(snapshotIsCurrent(proc())).toBe(true);
  });

  it('is current when started through a linked folder', async () => {
    await symlink(dist, join(root, 'linked'));
    expect(
      snapshotIsCurrent({ ...proc(), execArgv: ['--snapshot-blob', join(root, 'linked', 'gantry.blob')] }),
    ).toBe(true);
  });

  it('is stale once an input is newer than the build', async () => {
    await utimes(join(root, 'shared/b.ts'), new Date(builtAt + 1000), new Date(builtAt + 1000));
    expect(snapshotIsCurrent(proc())).toBe(false);
  });

  it('is stale when an input is gone', async () => {
    await rm(join(root, 'cli/a.ts'));
    expect(snapshotIsCurrent(proc())).toBe(false);
  });

  it('is stale on another Node.js', () => {
    expect(snapshotIsCurrent({ ...proc(), node: 'v22.12.0' })).toBe(false);
  });

  it('is stale when started from another folder than the one it was built in (the repository moved)', () => {
    expect(snapshotIsCurrent({ ...proc(), execArgv: ['--snapshot-blob', join(root, 'gantry.blob')] })).toBe(
      false,
    );
    expect(snapshotIsCurrent({ ...proc(), execArgv: [] })).toBe(false);
  });

  it('is stale without a manifest, or with one that is not a snapshot manifest', async () => {
    await writeFile(join(dist, SNAPSHOT_MANIFEST), '{"builtAt": ');
    expect(snapshotIsCurrent(proc())).toBe(false);
    await writeManifest({ ...manifest, builtAt: String(builtAt) });
    expect(snapshotIsCurrent(proc())).toBe(false);
    await rm(join(dist, SNAPSHOT_MANIFEST));
    expect(snapshotIsCurrent(proc())).toBe(false);
  });
});
