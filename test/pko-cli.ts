/**
 * PKO's own CLI (`kubectl-package` v1.19.0), for parity checks that run the same input through PKO and Gantry.
 * It is never built or committed here: a developer builds it from PKO's repository (README.md, Parity with PKO) and either
 * points `PKO_KUBECTL_PACKAGE` at it or puts it at `~/.cache/gantry/bin/kubectl-package-v1.19.0/kubectl-package`.
 * Without it, parity checks skip and say why.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CliResult } from './run-cli.js';

export const PKO_CLI_VERSION = 'v1.19.0';

export type PkoCliLocation = { readonly path: string } | { readonly missing: string };

/** Whether a path is an executable file. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false; // not there or not executable
  }
}

/** Where PKO's CLI is, or why it is not there. */
export function locatePkoCli(env: NodeJS.ProcessEnv = process.env): PkoCliLocation {
  const fromEnv = env.PKO_KUBECTL_PACKAGE;
  const path =
    fromEnv !== undefined && fromEnv !== ''
      ? fromEnv
      : join(homedir(), '.cache', 'gantry', 'bin', `kubectl-package-${PKO_CLI_VERSION}`, 'kubectl-package');
  if (isExecutableFile(path)) return { path };
  return {
    missing:
      `PKO's CLI (kubectl-package ${PKO_CLI_VERSION}) is not at ${path}: build it from PKO's repository ` +
      '(README.md, Parity with PKO) and set PKO_KUBECTL_PACKAGE or put it there; the PKO parity checks are SKIPPED',
  };
}

/** Run a binary with arguments in a folder; exit code, stdout and stderr. */
export function runBinary(
  binary: string,
  args: readonly string[],
  options: {
    readonly cwd: string;
    readonly env: NodeJS.ProcessEnv & { readonly HOME: string };
    readonly timeoutMs?: number;
  },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      // HOME must be given (a scratch folder for PKO, the real one for gantry's cache); never a shared path.
      env: { PATH: process.env.PATH, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/**
 * PKO chains some error prefixes twice (`loading package from files: loading package from files: …`,
 * docs/pko-compatibility.md §11); Gantry says them once. Collapse PKO's repetition before comparing.
 */
export function collapseRepeatedPrefixes(text: string): string {
  return text.replaceAll(
    'loading package from files: loading package from files: ',
    'loading package from files: ',
  );
}

/**
 * PKO lists several violations in Go map iteration order, which changes from run to run (the same package gives
 * `a\nb` once and `b\na` the next time); Gantry's order is fixed. Two texts with the same lines are the same.
 */
export function sameLinesInAnyOrder(a: string, b: string): boolean {
  const sorted = (text: string): string => text.split('\n').sort().join('\n');
  return sorted(a) === sorted(b);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A file `kickstart` wrote, without what PKO makes nondeterministic: merge-block `define` names (random UUIDs in
 * PKO, derived from the object in Gantry) become MARKER, and the entries of `availabilityProbes` (Go map order in
 * PKO) are sorted.
 */
export function normaliseKickstart(text: string): string {
  const marked = text.replace(UUID, 'MARKER');
  const head = '  availabilityProbes:\n';
  const start = marked.indexOf(head);
  if (start === -1) return marked;
  const body = marked.slice(start + head.length);
  const end = body.search(/^ {2}[a-zA-Z]/m);
  const entries = body.slice(0, end).split(/^(?= {2}- )/m);
  return `${marked.slice(0, start)}${head}${entries.sort().join('')}${body.slice(end)}`;
}
