/**
 * Interoperability with PKO's image format. PKO's own CLI cannot be built here (the Go module proxy answers
 * 403 for package-operator.run), so the checks use go-containerregistry, the library PKO builds and reads
 * images with: `pkoimage` (test/interop/pkoimage) makes and reads images with PKO's exact calls, and `crane
 * validate` checks every digest and diff id of what Gantry pushes.
 */
import { execFile as execFileCb } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readPackageFolder } from '../../functions/adapters/package-folder.js';
import { createPackageSource } from '../../functions/adapters/package-source.js';
import { ensureBinaries } from '../../devenv/binaries.js';
import { runGantry, type CliResult } from '../run-cli.js';

const execFile = promisify(execFileCb);
const examples = join(import.meta.dirname, '..', '..', 'examples');

async function gantry(args: string[]): Promise<CliResult> {
  return runGantry(args, { cwd: examples });
}

let bin: { crane: string; pkoimage: string };
beforeAll(async () => {
  const built = await ensureBinaries(['crane', 'pkoimage']);
  bin = { crane: built.crane, pkoimage: built.pkoimage };
}, 600_000);

async function folderDigests(example: string): Promise<Record<string, string>> {
  const raw = await readPackageFolder(join(examples, example));
  return Object.fromEntries(
    [...raw.files].map(([path, bytes]) => [path, createHash('sha256').update(bytes).digest('hex')]),
  );
}

const renders: Record<string, string[]> = {
  simple: ['-n', 'shop', '--name', 'web', '--image', 'registry.example.com/simple:v1'],
  templated: ['--config-testcase', 'prod', '--image', 'registry.example.com/templated:v1'],
  multi: ['--component', 'backend', '-n', 'multi', '--name', 'backend', '--image', 'r.example.com/m:v1'],
};

describe('Gantry images read by go-containerregistry as PKO reads them', () => {
  for (const example of Object.keys(renders)) {
    it(`${example}: crane validates every digest, and PKO's loader gets the folder's files and labels`, async () => {
      const { host } = inject('registry');
      const ref = `${host}/interop/gantry-${example}:v1`;
      // examples/templated's lock pins registry.k8s.io/pause, which this machine cannot reach.
      const built = await gantry([
        'build',
        example,
        '--skip-lock-check',
        '-t',
        ref,
        '--push',
        '--insecure',
        '-l',
        'team=platform',
      ]);
      expect(built).toEqual({ code: 0, stdout: 'Package built successfully!', stderr: '' });
      const validated = await execFile(bin.crane, ['validate', '--remote', ref, '--insecure']);
      expect(validated.stdout).toContain(`PASS: ${ref}`);
      const loaded: unknown = JSON.parse((await execFile(bin.pkoimage, ['load', ref])).stdout);
      expect(loaded).toEqual({
        files: await folderDigests(example),
        labels: { team: 'platform' },
        os: 'linux',
        architecture: 'amd64',
        layers: 1,
      });
    });
  }
});

describe('images built as PKO builds them, read by Gantry', () => {
  for (const [example, args] of Object.entries(renders)) {
    it(`${example}: renders to exactly what the folder renders to`, async () => {
      const { host } = inject('registry');
      const ref = `${host}/interop/pko-${example}:v1`;
      const digest = (
        await execFile(bin.pkoimage, ['build', join(examples, example), ref, 'team=pko'])
      ).stdout.trim();
      expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      const pulled = await gantry(['render', '--pull', ref, '--insecure', ...args]);
      expect(pulled.stderr).toBe('');
      expect(pulled.stdout).toBe((await gantry(['render', example, ...args])).stdout);
      expect(
        await gantry(['validate', '--pull', `${host}/interop/pko-${example}@${digest}`, '--insecure']),
      ).toEqual({
        code: 0,
        stdout: 'Package validated successfully!',
        stderr: '',
      });
      const source = createPackageSource({ insecureHosts: [host] });
      const image = await source.pull(ref);
      expect(image.digest).toBe(digest);
      expect(image.labels).toEqual({ team: 'pko' });
    });
  }
});
