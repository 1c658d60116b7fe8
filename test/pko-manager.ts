/**
 * PKO's own manager (`package-operator-manager` v1.19.0), for the migration tests that hand a cluster from PKO to
 * Gantry and back. It is never built or committed here: `scripts/build-pko.sh` builds it (and PKO's CLI) from
 * PKO's repository, or `PKO_MANAGER` points at one. Without it, the migration tests skip and say why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isExecutableFile } from './pko-cli.js';

export const PKO_MANAGER_VERSION = 'v1.19.0';

export type PkoManagerLocation = { readonly path: string } | { readonly missing: string };

/**
 * Where one of PKO's binaries built by `scripts/build-pko.sh` is: `$<envVar>` when set, else
 * `~/.cache/gantry/bin/<binary>-v1.19.0/<binary>`; `found` says whether an executable file is there.
 */
export function pkoBinary(
  binary: string,
  envVar: string,
  env: NodeJS.ProcessEnv = process.env,
): { readonly path: string; readonly found: boolean } {
  const fromEnv = env[envVar];
  const path =
    fromEnv !== undefined && fromEnv !== ''
      ? fromEnv
      : join(homedir(), '.cache', 'gantry', 'bin', `${binary}-${PKO_MANAGER_VERSION}`, binary);
  return { path, found: isExecutableFile(path) };
}

/** Where PKO's manager is, or why it is not there. */
export function locatePkoManager(env: NodeJS.ProcessEnv = process.env): PkoManagerLocation {
  const { path, found } = pkoBinary('package-operator-manager', 'PKO_MANAGER', env);
  if (found) return { path };
  return {
    missing:
      `PKO's manager (package-operator-manager ${PKO_MANAGER_VERSION}) is not at ${path}: build it with ` +
      '`PKO_REPOS=DIR bash scripts/build-pko.sh` (README.md, Migrating from PKO) or set PKO_MANAGER; the PKO migration tests are SKIPPED',
  };
}

/** A running PKO manager. */
export interface PkoManager {
  /** Its process id (for resource use read from /proc). */
  readonly pid: number | undefined;
  /** Its log so far (JSON lines). */
  log(): string;
  /** SIGTERM, and wait until it has exited. */
  stop(): Promise<void>;
}

/**
 * Start PKO's manager against a cluster (no leader election, no health listener, metrics on `metricsAddr` or
 * none), running as the
 * ServiceAccount `package-operator` of `namespace` for its image pull secrets (the account must exist);
 * `extraArgs` are more of its flags (say `--package-operator-package-image=…`).
 */
export function startPkoManager(
  binary: string,
  kubeconfig: string,
  namespace: string,
  metricsAddr = '0',
  extraArgs: readonly string[] = [],
): PkoManager {
  const child: ChildProcess = spawn(
    binary,
    [
      '--enable-leader-election=false',
      `--metrics-addr=${metricsAddr}`,
      '--health-probe-bind-address=0',
      '--log-level=0',
      ...extraArgs,
    ],
    {
      env: {
        PATH: process.env['PATH'],
        KUBECONFIG: kubeconfig,
        PKO_NAMESPACE: namespace,
        PKO_SERVICE_ACCOUNT_NAMESPACE: namespace,
        PKO_SERVICE_ACCOUNT_NAME: 'package-operator',
        HOME: homedir(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const chunks: string[] = [];
  let size = 0;
  const keep = (chunk: Buffer): void => {
    // The last 4 MiB: enough to read what it did, bounded however long it runs.
    chunks.push(chunk.toString('utf8'));
    size += chunk.length;
    while (size > 4 * 1024 * 1024 && chunks.length > 1) size -= chunks.shift()?.length ?? 0;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  return {
    pid: child.pid,
    log: () => chunks.join(''),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
