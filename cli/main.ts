/**
 * @module cli/main
 * `gantry <command> [flags]`: dispatch to the command registry (loading only the command that runs), `--help` everywhere, cobra-style errors
 * (`Error: <msg>` on stderr, exit code 1).
 */
import { errorMessage } from '../shared/errors.js';
import type { CliIO, CommandEntry, Program } from './command.js';
import { commands } from './commands/index.js';

function overview(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length), 4);
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Gantry: a serverless, webhook-driven Package Operator for Kubernetes (package-operator.run compatible).',
    '',
    'Usage:',
    '  gantry <command> [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `gantry <command> --help` for the flags of a command.',
    '',
  ].join('\n');
}

/**
 * bin/gantry says how it was started in GANTRY_PROGRAM: as `kubectl-gantry` (a kubectl plugin) it is `kubectl gantry`.
 * Any other value is `gantry`.
 */
export function programOf(env: Readonly<Record<string, string | undefined>>): Program {
  return env['GANTRY_PROGRAM'] === 'kubectl gantry' ? 'kubectl gantry' : 'gantry';
}

/**
 * A help text as the user started Gantry: each command line `gantry …` of it (the word gantry before a space, a
 * backtick or a single quote, not inside a path, a longer word or a "name") reads `kubectl gantry …` for the kubectl
 * plugin.
 */
export function asInvoked(text: string, program: Program): string {
  return program === 'gantry' ? text : text.replace(/(?<![\w./~-])gantry(?=[ `'])/g, program);
}

/** The process IO of a real run. */
export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY,
    env: process.env,
    stderrIsTTY: process.stderr.isTTY,
    program: programOf(process.env),
    stdin: () => process.stdin,
  };
}

/** Run the CLI; returns the exit code. */
export async function main(
  argv: readonly string[],
  io: CliIO = processIO(),
  list: readonly CommandEntry[] = commands,
): Promise<number> {
  const [name, ...rest] = argv;
  const program = io.program ?? 'gantry';
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(asInvoked(overview(list), program));
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') {
    io.stdout((await import('./version.js')).versionText());
    return 0;
  }
  const entry = list.find((c) => c.name === name || (c.aliases ?? []).includes(name));
  if (entry === undefined) {
    io.stderr(`Error: unknown command "${name}" for "${program}"\nRun '${program} --help' for usage.\n`);
    return 1;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      const usage = asInvoked(command.usage, program);
      io.stdout(usage.endsWith('\n') ? usage : `${usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    io.stderr(`Error: ${errorMessage(error)}\n`);
    return 1;
  }
}
