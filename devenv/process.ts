/**
 * @module devenv/process
 * Child processes of the local environment: started with their output in a log file, watched for early exit
 * (reported with the log's tail), stopped by pid with SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Set once the process has exited. */
  exited(): { code: number | null; signal: string | null } | undefined;
  stop(graceMs?: number): Promise<void>;
}

/** The last lines of a log file, for error messages. */
export async function logTail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/** Who a process is, beyond its pid (pids are reused, e.g. after a reboot): its command line and start time. */
export interface ProcessIdentity {
  /** /proc/<pid>/cmdline, arguments separated by NUL. */
  readonly cmdline: string;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot when it started. */
  readonly startTime: string;
}

/** The identity of a live process, or undefined when it is gone (or /proc is not there). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = fields[19];
    return startTime === undefined ? undefined : { cmdline, startTime };
  } catch {
    return undefined;
  }
}

/** Whether `pid` is still the process that had `identity` (same command line, same start time). */
export function isSameProcess(pid: number, identity: ProcessIdentity | undefined): boolean {
  if (identity === undefined) return false;
  const now = processIdentity(pid);
  return now !== undefined && now.cmdline === identity.cmdline && now.startTime === identity.startTime;
}

/** Whether a pid is alive. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stop a process by pid: SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  if (!pidAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  while (pidAlive(pid)) await new Promise((r) => setTimeout(r, 50));
}

/** Start a process that outlives this one (`gantry dev up`): own session, output straight into `logFile`. */
export function startDetached(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: Readonly<Record<string, string>> = {},
): ManagedProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, [...args], {
    stdio: ['ignore', fd, fd],
    detached: true,
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  child.unref();
  let exit: { code: number | null; signal: string | null } | undefined;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  return {
    name,
    pid,
    logFile,
    exited: () => exit ?? (pidAlive(pid) ? undefined : { code: null, signal: null }),
    stop: (graceMs) => stopPid(pid, graceMs),
  };
}

/** Start a process, stdout and stderr appended to `logFile`. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: Readonly<Record<string, string>> = {},
): ManagedProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(command, [...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached: false,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exit: { code: number | null; signal: string | null } | undefined;
  const done = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
    child.on('error', (error) => {
      exit = { code: -1, signal: String(error) };
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  return {
    name,
    pid: child.pid,
    logFile,
    exited: () => exit,
    async stop(graceMs = 5000): Promise<void> {
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
      log.end();
    },
  };
}

/** Stop everything that depends on etcd at once (kube-apiserver gets a short grace), then etcd last. */
export async function stopAll(
  list: readonly { readonly name: string; stop(graceMs: number): Promise<void> }[],
): Promise<void> {
  await Promise.all(
    list.filter((p) => p.name !== 'etcd').map((p) => p.stop(p.name === 'kube-apiserver' ? 3000 : 5000)),
  );
  await Promise.all(list.filter((p) => p.name === 'etcd').map((p) => p.stop(5000)));
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** True when nothing listens on the port any more. */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () =>
      server.close(() => {
        resolve(true);
      }),
    );
  });
}

/** Poll `check` until it returns true; fail early when a watched process dies. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  watched: readonly ManagedProcess[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of watched) {
      const exit = p.exited();
      if (exit !== undefined) {
        throw new Error(
          `${p.name} exited (code ${String(exit.code)}, signal ${String(exit.signal)}) while waiting for ${what}; log tail:\n${await logTail(p.logFile)}`,
        );
      }
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const tails = await Promise.all(
        watched.map(async (p) => `--- ${p.name} (${p.logFile}):\n${await logTail(p.logFile, 15)}`),
      );
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${tails.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A child process failure's own words: its stderr when it has one, else the error message. */
export function execErrorText(error: unknown): { readonly text: string; readonly code: string | undefined } {
  if (typeof error !== 'object' || error === null) return { text: String(error), code: undefined };
  const stderr = 'stderr' in error && typeof error.stderr === 'string' ? error.stderr : '';
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const message = error instanceof Error ? error.message : JSON.stringify(error);
  return { text: stderr !== '' ? stderr : message, code };
}

/** Whether a Kubernetes object (as JSON) has condition `type` with status "True". */
export function hasTrueCondition(object: unknown, type: string): boolean {
  if (typeof object !== 'object' || object === null || !('status' in object)) return false;
  const status = object.status;
  if (typeof status !== 'object' || status === null || !('conditions' in status)) return false;
  const conditions = status.conditions;
  if (!Array.isArray(conditions)) return false;
  return conditions.some(
    (c: unknown) =>
      typeof c === 'object' &&
      c !== null &&
      'type' in c &&
      'status' in c &&
      c.type === type &&
      c.status === 'True',
  );
}
