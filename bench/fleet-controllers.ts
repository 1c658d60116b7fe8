// The controller sets of the fleet bench (bench/fleet.bench.ts), each started as OS processes against a fleet of
// control planes: Gantry (`gantry run` on the management cluster, ONE `gantry run --phase-class hosted-cluster
// --hosted-clusters` for every hosted cluster) and PKO v1.19.0 (package-operator-manager on the management
// cluster, one remote-phase-manager per hosted cluster, as HyperShift deploys it into each control-plane
// namespace). Each process says who it is in the audit logs (User-Agent, and the client certificate's user).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { clientCertificate } from '../devenv/certs.js';
import type { ControlPlane } from '../devenv/control-plane.js';
import type { KubeClient } from '../devenv/kube.js';
import { locatePkoManager, pkoBinary, startPkoManager } from '../test/pko-manager.js';

/** The clusters a controller set runs against. */
export interface FleetPlanes {
  readonly management: ControlPlane;
  readonly managementAdmin: KubeClient;
  /** Hosted clusters, in the order of `controlPlaneNamespaces`. */
  readonly hosted: readonly ControlPlane[];
  /** The control-plane namespace (`<ns>-<name>`) of each hosted cluster's HostedCluster. */
  readonly controlPlaneNamespaces: readonly string[];
  /** An image nobody pushed (PKO's manager wants one for its remote-phase Packages). */
  readonly absentImage: string;
}

/** Who sent a request: its User-Agent prefix, and the authenticated user when that must tell processes apart. */
export interface Identity {
  readonly userAgent: string;
  readonly user?: string;
}

/** One running controller process. */
export interface ControllerProcess {
  /** What it is, e.g. `gantry run` or `remote-phase-manager hc-0`. */
  readonly label: string;
  readonly pid: number | undefined;
  /** Its requests to the management cluster's API server. */
  readonly management: Identity;
  /** Its requests to the hosted clusters' API servers, when it sends any. */
  readonly hosted?: Identity;
  /** The hosted clusters (indexes) it sends requests to: all of them unless it serves one. */
  readonly hostedCluster?: number;
  /** The end of its output (for failures). */
  output(): string;
  stop(): Promise<void>;
}

export interface ControllerSet {
  readonly name: string;
  start(planes: FleetPlanes): Promise<ControllerProcess[]>;
}

/** Start a process, keep the last 256 KiB of its output. */
function launch(
  label: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcessByStdio<null, Readable, Readable>; output: () => string; stop: () => Promise<void> } {
  const child = spawn(command, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-256 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  child.once('error', (e) => {
    keep(Buffer.from(`${label}: ${e.message}\n`));
  });
  return {
    child,
    output: () => text,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const GANTRY_BIN = new URL('../bin/gantry', import.meta.url).pathname;

/** A kubeconfig for the management cluster with its own user `user` (system:masters). */
async function identityKubeconfig(plane: ControlPlane, user: string): Promise<string> {
  const { cert, key } = await clientCertificate(plane.dir, user, `/O=system:masters/CN=${user}`);
  const path = join(plane.dir, `${user}.kubeconfig`);
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
  - name: management
    cluster: {server: ${plane.server}, certificate-authority: ${plane.certs.caCert}}
users:
  - name: ${user}
    user: {client-certificate: ${cert}, client-key: ${key}}
contexts:
  - name: management
    context: {cluster: management, user: ${user}}
current-context: management
`,
  );
  return path;
}

function gantryProcess(
  label: string,
  args: readonly string[],
  management: Identity,
  hosted?: Identity,
): ControllerProcess {
  // The launcher execs node on the bundle with the hosts' node flags, as a user's `gantry run` starts: this pid is
  // the engine's node process.
  const p = launch(label, GANTRY_BIN, ['run', ...args], {
    ...process.env,
    GANTRY_FROM_SOURCE: '',
  });
  return {
    label,
    pid: p.child.pid,
    management,
    ...(hosted !== undefined ? { hosted } : {}),
    output: p.output,
    stop: p.stop,
  };
}

export const GANTRY_SET: ControllerSet = {
  name: 'Gantry',
  start: async (planes) => {
    const runnerKubeconfig = await identityKubeconfig(planes.management, 'gantry-hosted-runner');
    return [
      gantryProcess('gantry run', ['--kubeconfig', planes.management.kubeconfigPath], {
        userAgent: 'gantry/',
        user: 'gantry-admin',
      }),
      gantryProcess(
        'gantry run --hosted-clusters',
        ['--kubeconfig', runnerKubeconfig, '--phase-class', 'hosted-cluster', '--hosted-clusters'],
        { userAgent: 'gantry/', user: 'gantry-hosted-runner' },
        { userAgent: 'gantry/' },
      ),
    ];
  },
};

const PKO_VERSION = 'v1.19.0';

/** Where PKO's remote-phase-manager is (scripts/build-pko.sh, or `PKO_REMOTE_PHASE_MANAGER`), or why not. */
function locateRemotePhaseManager(): { path: string } | { missing: string } {
  const { path, found } = pkoBinary('remote-phase-manager', 'PKO_REMOTE_PHASE_MANAGER');
  if (found) return { path };
  return {
    missing: `PKO's remote-phase-manager ${PKO_VERSION} is not at ${path}: build it with \`PKO_REPOS=DIR bash scripts/build-pko.sh\` or set PKO_REMOTE_PHASE_MANAGER`,
  };
}

/** PKO's remote-phase-manager for hosted cluster `index`, as its own user on the management cluster. */
async function remotePhaseManager(
  binary: string,
  planes: FleetPlanes,
  index: number,
): Promise<ControllerProcess> {
  const namespace = planes.controlPlaneNamespaces[index] ?? '';
  const target = planes.hosted[index];
  const user = `remote-phase-manager-${index}`;
  const kubeconfig = await identityKubeconfig(planes.management, user);
  const p = launch(
    `remote-phase-manager ${namespace}`,
    binary,
    [
      `--namespace=${namespace}`,
      `--target-cluster-kubeconfig-file=${target?.kubeconfigPath ?? ''}`,
      '--class=hosted-cluster',
      '--enable-leader-election=false',
      '--metrics-addr=0',
      '--health-probe-bind-address=0',
      // `BENCH_PKO_LOG_LEVEL=1`: its debug log (with BENCH_FLEET_LOGS), to see where its time goes.
      `--log-level=${process.env['BENCH_PKO_LOG_LEVEL'] ?? '-1'}`,
    ],
    { PATH: process.env['PATH'], HOME: homedir(), KUBECONFIG: kubeconfig },
  );
  const userAgent = 'remote-phase-manager/';
  return {
    label: `remote-phase-manager ${namespace}`,
    pid: p.child.pid,
    management: { userAgent, user },
    hosted: { userAgent },
    hostedCluster: index,
    output: p.output,
    stop: p.stop,
  };
}

async function pkoNamespace(admin: KubeClient, ns: string): Promise<void> {
  await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await admin.create(`/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'package-operator', namespace: ns },
  });
}

function pkoSet(manager: string, remote: string): ControllerSet {
  return {
    name: `PKO ${PKO_VERSION}`,
    start: async (planes) => {
      const ns = 'package-operator-system';
      await pkoNamespace(planes.managementAdmin, ns);
      // Its HostedCluster controller makes a Package `remote-phase` of this image in every control-plane
      // namespace (to deploy the remote-phase-manager there); nothing runs pods here, so the image is one nobody
      // pushed: those Packages fail to unpack and the remote-phase-managers below are started by hand instead.
      const m = startPkoManager(manager, planes.management.kubeconfigPath, ns, '0', [
        `--package-operator-package-image=${planes.absentImage}`,
      ]);
      const who = { userAgent: 'package-operator-manager/' };
      return [
        {
          label: 'package-operator-manager',
          pid: m.pid,
          management: who,
          output: (): string => m.log(),
          stop: async (): Promise<void> => m.stop(),
        },
        ...(await Promise.all(
          planes.controlPlaneNamespaces.map(async (_, i) => remotePhaseManager(remote, planes, i)),
        )),
      ];
    },
  };
}

/** The controller sets to compare: Gantry, and PKO when both of its binaries are built (else why not). */
export function controllerSets(): { sets: ControllerSet[]; skipped?: string } {
  if (process.env['BENCH_PKO'] === '0') return { sets: [GANTRY_SET], skipped: 'BENCH_PKO=0' };
  const manager = locatePkoManager();
  const remote = locateRemotePhaseManager();
  if ('missing' in manager) return { sets: [GANTRY_SET], skipped: manager.missing };
  if ('missing' in remote) return { sets: [GANTRY_SET], skipped: remote.missing };
  return { sets: [GANTRY_SET, pkoSet(manager.path, remote.path)] };
}
