/**
 * Gantry as a kubectl plugin: with bin/ on PATH, a real kubectl (built from its Go module, devenv/binaries.ts) finds
 * bin/kubectl-gantry, and `kubectl gantry …` prints what `gantry …` prints (stdout, stderr, exit code), its help
 * texts saying `kubectl gantry`.
 */
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBinaries } from '../../devenv/binaries.js';
import { execToEnd } from '../exec-file.js';
import type { CliResult } from '../run-cli.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin');

function run(file: string, args: readonly string[]): Promise<CliResult> {
  const { GANTRY_FROM_SOURCE: _unset, GANTRY_PROGRAM: _unset2, KUBECONFIG: _unset3, ...base } = process.env;
  return execToEnd(file, args, {
    cwd: root,
    env: { ...base, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
  });
}

describe('kubectl gantry', () => {
  let kubectl = '';
  beforeAll(async () => {
    kubectl = (await ensureBinaries(['kubectl'])).kubectl;
  });

  it('is a plugin kubectl finds on PATH', async () => {
    const list = await run(kubectl, ['plugin', 'list']);
    expect(list.stdout.split('\n')).toContain(join(bin, 'kubectl-gantry'));
  });

  it('tree of a plain package prints what gantry tree prints', async () => {
    const [plugin, gantry] = await Promise.all([
      run(kubectl, ['gantry', 'tree', 'examples/simple']),
      run(join(bin, 'gantry'), ['tree', 'examples/simple']),
    ]);
    expect(gantry).toEqual({
      code: 0,
      stdout: await readFile(join(root, 'examples', 'simple', '.golden', 'tree.txt'), 'utf8'),
      stderr: '',
    });
    expect(plugin).toEqual(gantry);
  });

  it('render, an error and a command outside the snapshot print what gantry prints', async () => {
    for (const args of [
      ['render', 'examples/templated', '--config-testcase', 'prod'],
      ['tree', 'examples/multi'],
      ['build', 'examples/does-not-exist', '-o', '/dev/null'],
    ]) {
      const [plugin, gantry] = await Promise.all([
        run(kubectl, ['gantry', ...args]),
        run(join(bin, 'gantry'), args),
      ]);
      expect(plugin.code).toBe(args[0] === 'render' ? 0 : 1);
      expect(plugin).toEqual(gantry);
    }
  });

  it('says kubectl gantry in its help texts', async () => {
    const [plugin, gantry] = await Promise.all([
      run(kubectl, ['gantry', 'tree', '--help']),
      run(join(bin, 'gantry'), ['tree', '--help']),
    ]);
    expect(plugin.code).toBe(0);
    expect(plugin.stdout).toBe(gantry.stdout.replaceAll('  gantry tree ', '  kubectl gantry tree '));
    expect(plugin.stdout).toContain('\nUsage:\n  kubectl gantry tree <folder> [flags]\n');
    const overview = await run(kubectl, ['gantry', '--help']);
    expect(overview.stdout).toContain('\nUsage:\n  kubectl gantry <command> [flags]\n');
  });
});
