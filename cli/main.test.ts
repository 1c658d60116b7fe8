import { describe, expect, it } from 'vitest';
import type { CliIO, Command, CommandEntry, Program } from './command.js';
import { asInvoked, main, programOf } from './main.js';

const tree: Command = {
  usage:
    'Print the tree.\n\nUsage:\n  gantry tree <folder> [flags]\n\nSee `gantry render` and ~/.cache/gantry/wasm.\n',
  run: () => Promise.resolve(0),
};
const list: readonly CommandEntry[] = [
  { name: 'tree', summary: 'Show the tree', load: () => Promise.resolve(tree) },
];

async function run(
  argv: readonly string[],
  program?: Program,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    cwd: '/',
    isTTY: false,
    ...(program !== undefined ? { program } : {}),
  };
  const code = await main(argv, io, list);
  return { code, out, err };
}

describe('the program name in help texts', () => {
  it('is `gantry` unless bin/gantry was started as kubectl-gantry', () => {
    expect(programOf({})).toBe('gantry');
    expect(programOf({ GANTRY_PROGRAM: 'gantry' })).toBe('gantry');
    expect(programOf({ GANTRY_PROGRAM: 'kubectl gantry' })).toBe('kubectl gantry');
    expect(programOf({ GANTRY_PROGRAM: 'rm -rf' })).toBe('gantry');
  });

  it('rewrites command lines, not paths, longer words or quoted names', () => {
    expect(
      asInvoked(
        'gantry tree x\nRun `gantry dev up`, see ~/.cache/gantry/x, gantry-system, the "gantry" webhooks\n',
        'kubectl gantry',
      ),
    ).toBe(
      'kubectl gantry tree x\nRun `kubectl gantry dev up`, see ~/.cache/gantry/x, gantry-system, the "gantry" webhooks\n',
    );
    expect(asInvoked('gantry tree x', 'gantry')).toBe('gantry tree x');
  });

  it('says `kubectl gantry` in the overview, a command --help and the unknown-command error of the plugin', async () => {
    const overview = await run(['--help'], 'kubectl gantry');
    expect(overview.out.split('\n').slice(2, 5)).toEqual([
      'Usage:',
      '  kubectl gantry <command> [flags]',
      '',
    ]);
    expect(overview.out).toContain('Run `kubectl gantry <command> --help` for the flags of a command.\n');
    expect(await run(['tree', '--help'], 'kubectl gantry')).toEqual({
      code: 0,
      out: 'Print the tree.\n\nUsage:\n  kubectl gantry tree <folder> [flags]\n\nSee `kubectl gantry render` and ~/.cache/gantry/wasm.\n',
      err: '',
    });
    expect(await run(['nope'], 'kubectl gantry')).toEqual({
      code: 1,
      out: '',
      err: 'Error: unknown command "nope" for "kubectl gantry"\nRun \'kubectl gantry --help\' for usage.\n',
    });
  });

  it('says `gantry` otherwise', async () => {
    expect((await run(['tree', '--help'])).out).toBe(tree.usage);
    expect((await run(['nope'])).err).toBe(
      'Error: unknown command "nope" for "gantry"\nRun \'gantry --help\' for usage.\n',
    );
  });
});
