/**
 * @module devenv/control-plane
 * A real Kubernetes control plane on loopback: etcd and kube-apiserver (RBAC on, generated certificates), the
 * CRDs of deploy/crds installed and Established, an admin kubeconfig written. `full` adds
 * kube-controller-manager and kube-scheduler (kwok fake nodes: not yet, see issue 4's note).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureBinaries, kwokStageDir, type BinaryName } from './binaries.js';
import { makeCertificates, type CertFiles } from './certs.js';
import { KubeClient } from './kube.js';
import {
  freePort,
  portIsFree,
  startDetached,
  stopAll,
  startProcess as startAttached,
  waitFor,
  type ManagedProcess,
  hasTrueCondition,
} from './process.js';

export interface ControlPlaneOptions {
  readonly full?: boolean;
  /** Folder of CRD YAML to install (default deploy/crds and deploy/crds-gantry of this repository). */
  readonly crdDir?: string;
  readonly log?: (line: string) => void;
  /** Start the processes in their own session so they outlive this process (`gantry dev up`). */
  readonly detached?: boolean;
  /** Folder for certificates, data and logs (default: a new temporary folder, removed on stop). */
  readonly dir?: string;
  /** Write the API server's audit log (every request, level Metadata, JSON lines) to this file. */
  readonly auditLogPath?: string;
}

export interface ControlPlane {
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly certs: CertFiles;
  readonly dir: string;
  readonly processes: readonly ManagedProcess[];
  readonly client: KubeClient;
  /** Milliseconds from start to ready (binaries already built). */
  readonly startMs: number;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

let startProcess = startAttached;

const repoRoot = join(import.meta.dirname, '..');

function kubeconfig(server: string, certs: CertFiles): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: gantry-local
    cluster:
      server: ${server}
      certificate-authority: ${certs.caCert}
users:
  - name: gantry-admin
    user:
      client-certificate: ${certs.adminCert}
      client-key: ${certs.adminKey}
contexts:
  - name: gantry-local
    context: {cluster: gantry-local, user: gantry-admin}
current-context: gantry-local
`;
}

async function startEtcd(
  etcd: string,
  dir: string,
): Promise<{ process: ManagedProcess; url: string; ports: number[] }> {
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const process = startProcess(
    'etcd',
    etcd,
    [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  await waitFor('etcd health', async () => (await fetch(`${url}/health`)).ok, 30_000, [process]);
  return { process, url, ports: [client, peer] };
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
`;

function auditArgs(policyFile: string | undefined, logPath: string | undefined): string[] {
  if (policyFile === undefined || logPath === undefined) return [];
  return [
    `--audit-policy-file=${policyFile}`,
    `--audit-log-path=${logPath}`,
    '--audit-log-format=json',
    '--audit-log-maxsize=0',
  ];
}

/**
 * How the API server authenticates itself to admission webhooks: its AdmissionConfiguration names a kubeconfig
 * whose user `*` (every webhook) presents the admission client certificate. Gantry's hosts verify it
 * (`--admission-client-ca`), so tests run webhooks exactly as a self-managed control plane would.
 */
async function admissionConfig(dir: string, certs: CertFiles): Promise<string> {
  const kubeconfigFile = join(dir, 'admission-kubeconfig.yaml');
  await writeFile(
    kubeconfigFile,
    `apiVersion: v1
kind: Config
users:
  - name: '*'
    user:
      client-certificate: ${certs.admissionCert}
      client-key: ${certs.admissionKey}
`,
  );
  const webhook = `      apiVersion: apiserver.config.k8s.io/v1
      kind: WebhookAdmissionConfiguration
      kubeConfigFile: ${kubeconfigFile}`;
  const file = join(dir, 'admission-config.yaml');
  await writeFile(
    file,
    `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: ValidatingAdmissionWebhook
    configuration:
${webhook}
  - name: MutatingAdmissionWebhook
    configuration:
${webhook}
`,
  );
  return file;
}

function apiserverArgs(etcdUrl: string, port: number, certs: CertFiles, admissionFile: string): string[] {
  return [
    `--admission-control-config-file=${admissionFile}`,
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--secure-port=${port}`,
    `--tls-cert-file=${certs.serverCert}`,
    `--tls-private-key-file=${certs.serverKey}`,
    `--client-ca-file=${certs.caCert}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${certs.saPub}`,
    `--service-account-signing-key-file=${certs.saKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=1',
  ];
}

async function installCrds(client: KubeClient, dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
    const crd: unknown = parse(await readFile(join(dir, file), 'utf8'));
    const metadata = typeof crd === 'object' && crd !== null && 'metadata' in crd ? crd.metadata : undefined;
    const name =
      typeof metadata === 'object' &&
      metadata !== null &&
      'name' in metadata &&
      typeof metadata.name === 'string'
        ? metadata.name
        : file;
    const r = await client.apply(
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      JSON.stringify(crd),
      'gantry-env',
      true,
    );
    if (r.status >= 300) throw new Error(`installing CRD ${file} failed (${r.status}): ${r.text}`);
    names.push(name);
  }
  return names;
}

async function established(client: KubeClient, name: string): Promise<boolean> {
  const r = await client.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
  return hasTrueCondition(r.body, 'Established');
}

async function startFullMode(
  bins: Record<BinaryName, string>,
  dir: string,
  certs: CertFiles,
  kubeconfigPath: string,
): Promise<ManagedProcess[]> {
  const cm = startProcess(
    'kube-controller-manager',
    bins['kube-controller-manager'],
    [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      `--service-account-private-key-file=${certs.saKey}`,
      `--root-ca-file=${certs.caCert}`,
      `--cluster-signing-cert-file=${certs.caCert}`,
      `--cluster-signing-key-file=${certs.caKey}`,
      '--leader-elect=false',
      '--use-service-account-credentials=false',
      '--controllers=*,-nodeipam',
      `--secure-port=${await freePort()}`,
      '--bind-address=127.0.0.1',
    ],
    join(dir, 'kube-controller-manager.log'),
  );
  const scheduler = startProcess(
    'kube-scheduler',
    bins['kube-scheduler'],
    [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      `--secure-port=${await freePort()}`,
      '--bind-address=127.0.0.1',
    ],
    join(dir, 'kube-scheduler.log'),
  );
  return [cm, scheduler, await startKwok(bins.kwok, dir, kubeconfigPath)];
}

/** The fake node kwok manages: schedulable, with room for many pods. */
export const KWOK_NODE = 'kwok-node-0';

function fakeNode(): unknown {
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: KWOK_NODE,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': KWOK_NODE,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    status: { allocatable: resources, capacity: resources },
  };
}

/** kwok with its own stage configurations (node initialise, heartbeat with lease, pod ready/complete/delete). */
async function startKwok(kwok: string, dir: string, kubeconfigPath: string): Promise<ManagedProcess> {
  const stages = await kwokStageDir();
  const configs = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ].map((f) => `--config=${join(stages, f)}`);
  return startProcess(
    'kwok',
    kwok,
    [
      `--kubeconfig=${kubeconfigPath}`,
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.0/16',
      '--node-ip=10.240.0.1',
      ...configs,
    ],
    join(dir, 'kwok.log'),
  );
}

async function nodeReady(client: KubeClient): Promise<boolean> {
  const r = await client.get(`/api/v1/nodes/${KWOK_NODE}`);
  return hasTrueCondition(r.body, 'Ready');
}

/** Start etcd + kube-apiserver (+ controller-manager and scheduler in full mode) and install the CRDs. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? ((l: string): void => void process.stderr.write(`[gantry env] ${l}\n`));
  const wanted: BinaryName[] = [
    'etcd',
    'kube-apiserver',
    ...(options.full === true ? (['kube-controller-manager', 'kube-scheduler', 'kwok'] as const) : []),
  ];
  const bins = await ensureBinaries(wanted, log);
  const started = Date.now();
  startProcess = options.detached === true ? startDetached : startAttached;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'gantry-cp-')));
  await mkdir(dir, { recursive: true });
  const processes: ManagedProcess[] = [];
  const ports: number[] = [];
  const stop = async (): Promise<void> => {
    await stopAll(processes);
    for (const port of ports) {
      if (!(await portIsFree(port)))
        log(`warning: port ${port} still in use after stopping the control plane`);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const certs = await makeCertificates(dir);
    const etcd = await startEtcd(bins.etcd, dir);
    processes.push(etcd.process);
    ports.push(...etcd.ports);
    const port = await freePort();
    ports.push(port);
    const policyFile = options.auditLogPath !== undefined ? join(dir, 'audit-policy.yaml') : undefined;
    if (policyFile !== undefined) await writeFile(policyFile, AUDIT_POLICY);
    const apiserver = startProcess(
      'kube-apiserver',
      bins['kube-apiserver'],
      [
        ...apiserverArgs(etcd.url, port, certs, await admissionConfig(dir, certs)),
        ...auditArgs(policyFile, options.auditLogPath),
      ],
      join(dir, 'kube-apiserver.log'),
    );
    processes.push(apiserver);
    const server = `https://127.0.0.1:${port}`;
    const client = new KubeClient({
      server,
      caFile: certs.caCert,
      certFile: certs.adminCert,
      keyFile: certs.adminKey,
    });
    await waitFor(
      'kube-apiserver /readyz',
      async () => (await client.get('/readyz')).status === 200,
      90_000,
      processes,
    );
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(server, certs));
    const crds =
      options.crdDir !== undefined
        ? await installCrds(client, options.crdDir)
        : [
            ...(await installCrds(client, join(repoRoot, 'deploy', 'crds'))),
            ...(await installCrds(client, join(repoRoot, 'deploy', 'crds-gantry'))),
          ];
    await waitFor(
      'CRDs Established',
      async () => (await Promise.all(crds.map((n) => established(client, n)))).every(Boolean),
      60_000,
      processes,
    );
    if (options.full === true) {
      processes.push(...(await startFullMode(bins, dir, certs, kubeconfigPath)));
      const node = await client.create('/api/v1/nodes', fakeNode());
      if (node.status !== 201 && node.status !== 409)
        throw new Error(`creating the kwok node failed (${node.status}): ${node.text}`);
      await waitFor(`node ${KWOK_NODE} Ready`, () => nodeReady(client), 60_000, processes);
      await waitFor(
        'the default ServiceAccount',
        async () => (await client.get('/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
        60_000,
        processes,
      );
    }
    const startMs = Date.now() - started;
    log(`control plane ready at ${server} in ${startMs} ms (kubeconfig ${kubeconfigPath})`);
    return { server, kubeconfigPath, certs, dir, processes, client, startMs, ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
