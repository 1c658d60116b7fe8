/**
 * `gantry run` (or `gantry serve`) as its own process against the suite's control plane (the bundled CLI, as users start it), its
 * output collected for assertions and failure messages.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { inject } from 'vitest';

export interface GantryRunProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Standard output and error so far. */
  output(): string;
  /** Its exit code once it exits. */
  readonly exited: Promise<number | null>;
}

/** Start `gantry run --kubeconfig <the suite's> ...args`. */
export function spawnGantryRun(args: readonly string[]): GantryRunProcess {
  return spawnGantry('run', args);
}

/** Start `gantry <command> --kubeconfig <the suite's> ...args` (`run`, `serve`). */
export function spawnGantry(command: 'run' | 'serve', args: readonly string[]): GantryRunProcess {
  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, '..', '..', '..', 'bin', 'gantry.mjs'),
      command,
      '--kubeconfig',
      inject('kube').kubeconfigPath,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}
