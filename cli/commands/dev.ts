/**
 * @module cli/commands/dev
 * `gantry dev up [--full] | down | status`: a real local Kubernetes control plane (etcd + kube-apiserver built
 * from their Go modules; `--full` adds kube-controller-manager, kube-scheduler and kwok with one fake node) that
 * keeps running after the command returns. State lives in `~/.cache/gantry/dev/state.json`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { binaryPath, cacheRoot, ensureBinaries, type BinaryName } from '../../devenv/binaries.js';
import { buildProgress } from '../../devenv/build-progress.js';
import { startControlPlane } from '../../devenv/control-plane.js';
import { startRegistry } from '../../devenv/registry.js';
import {
  isSameProcess,
  pidAlive,
  portIsFree,
  processIdentity,
  stopAll,
  stopPid,
  type ProcessIdentity,
} from '../../devenv/process.js';
import type { CliIO, Command } from '../command.js';
import { UsageError } from '../package-input.js';

const usage = `Run a real local Kubernetes control plane for development and manual tests.

Usage:
  gantry dev up [--full] [--with-registry] [--with-s3]
                           start etcd and kube-apiserver (with --full also kube-controller-manager,
                           kube-scheduler and kwok with one fake node, so workloads become Available;
                           --with-registry a CNCF distribution registry, --with-s3 a MinIO server with a
                           bucket, credentials written to a 0600 file); missing binaries are built from
                           their Go modules first (cached in ~/.cache/gantry)
  gantry dev status        print the kubeconfig path and whether every component runs (exit 1 when not running)
  gantry dev down          stop every component by pid and remove its data

Examples:
  gantry dev up --full        (prints the kubeconfig and the kubectl it built)
  export KUBECONFIG=$(gantry dev status --kubeconfig)
  ~/.cache/gantry/bin/kubectl-v1.37.2/kubectl get crd
  gantry dev down

The first \`up\` builds the binaries from their Go modules (about 17 minutes on 2 cores with --full): it says how
long it expects at the start and shows each step's progress on stderr.
`;

const stateSchema = z.object({
  server: z.string(),
  kubeconfigPath: z.string(),
  dir: z.string(),
  full: z.boolean(),
  ports: z.array(z.number()),
  processes: z.array(
    z.object({
      name: z.string(),
      pid: z.number(),
      logFile: z.string(),
      /** Recorded at start; `down` signals the pid only while it is still this process. */
      identity: z.object({ cmdline: z.string(), startTime: z.string() }).optional(),
    }),
  ),
  registry: z.string().optional(),
  s3: z.object({ endpoint: z.string(), bucket: z.string(), credentialsFile: z.string() }).optional(),
});
type DevState = z.infer<typeof stateSchema>;

/** The dev state folder; `GANTRY_DEV_DIR` moves it (tests use their own). */
const devDir = (): string => process.env['GANTRY_DEV_DIR'] ?? join(cacheRoot(), 'dev');
const statePath = (): string => join(devDir(), 'state.json');
/** Written by `up` into the folder it creates: `down` removes only a folder that holds it. */
const MARKER = '.gantry-dev';
const MARKER_TEXT = 'created by gantry dev up; removed by gantry dev down\n';

/** A started process as the state file records it, with its identity. */
function recorded(p: { name: string; pid: number; logFile: string }): DevState['processes'][number] {
  const identity: ProcessIdentity | undefined = processIdentity(p.pid);
  return { name: p.name, pid: p.pid, logFile: p.logFile, ...(identity !== undefined ? { identity } : {}) };
}

/** Whether Gantry created `dir`: it is the dev folder and holds the marker `up` wrote. */
async function createdByGantry(dir: string): Promise<boolean> {
  if (dir !== devDir()) return false;
  try {
    return (await readFile(join(dir, MARKER), 'utf8')) === MARKER_TEXT;
  } catch {
    return false;
  }
}

export async function readState(): Promise<DevState | undefined> {
  if (!existsSync(statePath())) return undefined;
  const parsed = stateSchema.safeParse(JSON.parse(await readFile(statePath(), 'utf8')));
  if (!parsed.success)
    throw new Error(`${statePath()} is not a Gantry dev state file; remove it and run \`gantry dev down\``);
  return parsed.data;
}

async function down(io: CliIO): Promise<number> {
  const state = await readState();
  if (state === undefined) {
    io.stdout('No local control plane is running.\n');
    return 0;
  }
  // A pid is signalled only while it is still the process Gantry started (pids are reused after a reboot).
  const ours = state.processes.filter((p) => !pidAlive(p.pid) || isSameProcess(p.pid, p.identity));
  for (const p of state.processes)
    if (!ours.includes(p))
      io.stderr(
        `warning: not stopping ${p.name} (pid ${p.pid}): it is no longer the process Gantry started\n`,
      );
  await stopAll(ours.map((p) => ({ name: p.name, stop: (grace: number) => stopPid(p.pid, grace) })));
  const busy: number[] = [];
  for (const port of state.ports) if (!(await portIsFree(port))) busy.push(port);
  if (await createdByGantry(state.dir)) await rm(state.dir, { recursive: true, force: true });
  else io.stderr(`warning: not removing ${state.dir}: Gantry did not create it\n`);
  await rm(statePath(), { force: true });
  if (ours.length > 0) io.stdout(`Stopped ${ours.map((p) => p.name).join(', ')}.\n`);
  if (busy.length > 0) io.stderr(`warning: ports still in use: ${busy.join(', ')}\n`);
  return 0;
}

async function status(io: CliIO, kubeconfigOnly: boolean): Promise<number> {
  const state = await readState();
  if (state === undefined) {
    io.stderr('No local control plane is running: start one with `gantry dev up`.\n');
    return 1;
  }
  const dead = state.processes.filter((p) => !isSameProcess(p.pid, p.identity));
  if (kubeconfigOnly) {
    io.stdout(`${state.kubeconfigPath}\n`);
    return dead.length === 0 ? 0 : 1;
  }
  io.stdout(
    `kubeconfig: ${state.kubeconfigPath}\nserver:     ${state.server}\nmode:       ${state.full ? 'full' : 'plain'}\n`,
  );
  for (const p of state.processes)
    io.stdout(
      `${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${isSameProcess(p.pid, p.identity) ? 'running' : `NOT RUNNING (log: ${p.logFile})`}\n`,
    );
  return dead.length === 0 ? 0 : 1;
}

interface UpOptions {
  readonly full: boolean;
  readonly registry: boolean;
  readonly s3: boolean;
}

/** The binaries an environment of these options runs, kubectl included (the commands printed use it). */
export function environmentBinaries(options: UpOptions): BinaryName[] {
  return [
    'etcd',
    'kube-apiserver',
    'kubectl',
    ...(options.full ? (['kube-controller-manager', 'kube-scheduler', 'kwok'] as const) : []),
    ...(options.registry ? (['registry'] as const) : []),
    ...(options.s3 ? (['minio'] as const) : []),
  ];
}

/**
 * Build what the environment needs before anything starts, as one plan: the whole set-up's expected time is said
 * once, then each step shows its progress on stderr (a status line on a terminal, a line per step otherwise).
 */
export async function prepareBinaries(options: UpOptions, io: CliIO): Promise<void> {
  const progress = buildProgress({
    write: io.stderr,
    isTTY: io.stderrIsTTY === true,
    ...(process.stderr.columns > 0 ? { columns: process.stderr.columns } : {}),
  });
  await ensureBinaries(
    environmentBinaries(options),
    (l) => {
      io.stderr(`${l}\n`);
    },
    { progress },
  );
}

async function extras(options: UpOptions, state: DevState, io: CliIO): Promise<DevState> {
  let next = state;
  if (options.registry) {
    const registry = await startRegistry({
      detached: true,
      dir: join(devDir(), 'registry'),
      log: (l) => {
        io.stderr(`${l}\n`);
      },
    });
    next = {
      ...next,
      registry: registry.host,
      ports: [...next.ports, registry.port],
      processes: [
        ...next.processes,
        recorded({ name: 'registry', pid: registry.process.pid, logFile: registry.process.logFile }),
      ],
    };
  }
  if (options.s3) {
    // MinIO's bucket is created through the AWS SDK: loaded only when S3 is asked for.
    const { startMinio } = await import('../../devenv/minio.js');
    const minio = await startMinio({
      detached: true,
      dir: join(devDir(), 's3'),
      log: (l) => {
        io.stderr(`${l}\n`);
      },
    });
    const credentialsFile = join(devDir(), 's3.env');
    const env = `AWS_ACCESS_KEY_ID=${minio.accessKey}\nAWS_SECRET_ACCESS_KEY=${minio.secretKey}\nAWS_REGION=${minio.region}\nAWS_ENDPOINT_URL_S3=${minio.endpoint}\n`;
    await writeFile(credentialsFile, env, { mode: 0o600 });
    next = {
      ...next,
      s3: { endpoint: minio.endpoint, bucket: minio.bucket, credentialsFile },
      ports: [...next.ports, ...minio.ports],
      processes: [
        ...next.processes,
        recorded({ name: 'minio', pid: minio.process.pid, logFile: minio.process.logFile }),
      ],
    };
  }
  return next;
}

async function up(io: CliIO, options: UpOptions): Promise<number> {
  const existing = await readState();
  if (existing !== undefined) {
    const alive = existing.processes.every((p) => isSameProcess(p.pid, p.identity));
    if (alive && options.full && !existing.full) {
      // Full mode adds the controller-manager, scheduler and kwok to a fresh control plane: start over.
      io.stdout(
        'A local control plane is running in plain mode; restarting it in full mode (its objects are lost).\n',
      );
      await down({ ...io, stdout: () => undefined });
    } else if (alive) {
      io.stdout(
        `A local control plane is already running (${existing.full ? 'full' : 'plain'} mode).\nkubeconfig: ${existing.kubeconfigPath}\n`,
      );
      const missing = {
        full: false,
        registry: options.registry && existing.registry === undefined,
        s3: options.s3 && existing.s3 === undefined,
      };
      if (missing.registry || missing.s3)
        await writeFile(statePath(), `${JSON.stringify(await extras(missing, existing, io), null, 2)}\n`);
      return 0;
    } else {
      io.stderr('A previous local control plane died; cleaning it up first.\n');
      await down({ ...io, stdout: () => undefined });
    }
  }
  await prepareBinaries(options, io);
  const dir = join(devDir(), 'run');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(devDir(), MARKER), MARKER_TEXT);
  const cp = await startControlPlane({
    full: options.full,
    detached: true,
    dir,
    log: (l) => {
      io.stderr(`${l}\n`);
    },
  });
  const base: DevState = {
    server: cp.server,
    kubeconfigPath: cp.kubeconfigPath,
    dir: devDir(),
    full: options.full,
    ports: [...cp.ports],
    processes: cp.processes.map(recorded),
  };
  await writeFile(statePath(), `${JSON.stringify(base, null, 2)}\n`);
  const state = await extras(options, base, io);
  await writeFile(statePath(), `${JSON.stringify(state, null, 2)}\n`);
  io.stdout(
    `Local control plane ready in ${(cp.startMs / 1000).toFixed(1)} s (${options.full ? 'full' : 'plain'} mode).\nkubeconfig: ${cp.kubeconfigPath}\nkubectl:    ${binaryPath('kubectl')}\n`,
  );
  if (state.registry !== undefined)
    io.stdout(
      `registry:   ${state.registry} (plain http, loopback only; push with: gantry build <folder> -t ${state.registry}/<name>:<tag> --push --insecure)\n`,
    );
  if (state.s3 !== undefined)
    io.stdout(
      `s3:         ${state.s3.endpoint} bucket ${state.s3.bucket} (credentials in ${state.s3.credentialsFile})\n`,
    );
  return 0;
}

export type { DevState };

export const devCommand: Command = {
  usage,
  async run(argv, io) {
    const { positionals, values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        full: { type: 'boolean' },
        kubeconfig: { type: 'boolean' },
        'with-registry': { type: 'boolean' },
        'with-s3': { type: 'boolean' },
      },
    });
    const action = positionals[0];
    if (action === 'up')
      return up(io, {
        full: values.full === true,
        registry: values['with-registry'] === true,
        s3: values['with-s3'] === true,
      });
    if (action === 'down') return down(io);
    if (action === 'status') return status(io, values.kubeconfig === true);
    throw new UsageError(
      `expected one of up, down, status; got ${action === undefined ? 'nothing' : `"${action}"`}`,
    );
  },
};
