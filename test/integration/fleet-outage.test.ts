/**
 * A hosted cluster's API server going away under `gantry run --phase-class hosted-cluster --hosted-clusters`: the
 * test run's control plane is the management cluster (HyperShift's HostedCluster CRD installed), one control plane
 * started here is the hosted cluster `one`, and a second HostedCluster `other` is reached through an inline admin
 * kubeconfig of the management cluster itself (other work the runner must keep serving). `one`'s phase is applied,
 * then its control plane is stopped: the phase turns `Available` False `TargetClusterUnavailable` with the client's
 * error, in bounded time, while `other`'s phases are still applied and nothing is deleted in the management
 * cluster. devenv cannot restart a control plane on its data and ports, so "back" is a new control plane and the
 * HostedCluster's Secret updated to it (as HyperShift does when it rotates the kubeconfig): the phase is Available
 * again, its object in the new cluster. The engine runs in-process (class `default`, it makes the ObjectSetPhases).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../devenv/control-plane.js';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import { conditions, conditionsReach, eventually, getOrUndefined, useEngine } from './setup/engine.js';
import { spawnGantryRun, type GantryRunProcess } from './setup/gantry-run.js';
import {
  createHostedCluster,
  HC_API,
  HC_CRD_PATH,
  inlineKubeconfig,
  installHostedClusterCrd,
} from './setup/hosted-cluster-objects.js';
import { deleteNamespace } from './setup/namespace.js';

const suite = useEngine();
const API = 'package-operator.run/v1alpha1';
/**
 * How long the runner may take to mark a phase whose cluster went away: its watch in that cluster fails, which runs
 * the cluster's phases again (no resync involved: the runner's is left at its default of 10 h).
 */
const NOTICE_SECONDS = 30;

let kube: KubeApi;
let hcNamespace: string;
let crdCreated = false;
/** `one`'s control planes: the first, stopped by the test, then its replacement. */
const planes: ControlPlane[] = [];
const targets: RawKubeClient[] = [];
const controlPlaneNamespaces: string[] = [];
let runner: GantryRunProcess;

const kubeconfigOf = (plane: ControlPlane): Promise<string> =>
  inlineKubeconfig(plane.server, {
    ca: plane.certs.caCert,
    cert: plane.certs.adminCert,
    key: plane.certs.adminKey,
  });

const secretRef = (name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'Secret',
  namespace: hcNamespace,
  name: `${name}-admin-kubeconfig`,
});

async function startHostedPlane(): Promise<RawKubeClient> {
  const plane = await startControlPlane({ log: () => undefined });
  planes.push(plane);
  const client = new RawKubeClient(loadConnection(plane.kubeconfigPath));
  targets.push(client);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${hcNamespace}-one` } });
  return client;
}

beforeAll(async () => {
  kube = suite.kube();
  hcNamespace = await suite.namespace('outage');
  crdCreated = await installHostedClusterCrd(suite.admin, hcNamespace);
  for (const suffix of ['one', 'other']) {
    const name = `${hcNamespace}-${suffix}`;
    controlPlaneNamespaces.push(name);
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  await startHostedPlane();
  await createHostedCluster(kube, hcNamespace, 'one', await kubeconfigOf(planes[0] as ControlPlane));
  const management = inject('kube');
  await createHostedCluster(
    kube,
    hcNamespace,
    'other',
    await inlineKubeconfig(management.server, {
      ca: management.caFile,
      cert: management.certFile,
      key: management.keyFile,
    }),
  );
  runner = spawnGantryRun(['--phase-class', 'hosted-cluster', '--hosted-clusters']);
}, 180_000);

afterAll(async () => {
  runner.child.kill('SIGTERM');
  const code = await runner.exited;
  for (const ns of controlPlaneNamespaces) await deleteNamespace(suite.admin, ns);
  for (const t of targets) t.close();
  await Promise.all(planes.map((p) => p.stop()));
  if (crdCreated) await suite.admin.delete(HC_CRD_PATH);
  expect(code, runner.output()).toBe(0);
});

/** The ObjectSet `name`, its phase `config`'s ObjectSetPhase, and its ConfigMap `name` (in the target). */
const osRef = (ns: string, name: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ObjectSet',
  namespace: ns,
  name,
});
const ospRef = (ns: string, name: string): ObjectRef => ({
  ...osRef(ns, `${name}-config`),
  kind: 'ObjectSetPhase',
});
const cmRef = (ns: string, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name,
});

async function objectSet(ns: string, name: string): Promise<void> {
  await kube.create({
    apiVersion: API,
    kind: 'ObjectSet',
    metadata: { name, namespace: ns, labels: { 'package-operator.run/object-deployment': name } },
    spec: {
      revision: 1,
      phases: [
        {
          name: 'config',
          class: 'hosted-cluster',
          objects: [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { ns } } }],
        },
      ],
    },
  });
}

const AVAILABLE = {
  status: 'True',
  reason: 'Available',
  message: 'Object is available and passes all probes.',
};

function dataOf(object: KubeObject | undefined): unknown {
  return object?.['data'];
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe("a hosted cluster's API server going away", () => {
  it('reports the phase TargetClusterUnavailable, keeps serving the others, deletes nothing, recovers', async () => {
    const [one, other] = controlPlaneNamespaces as [string, string];
    const first = targets[0] as RawKubeClient;
    for (const ns of [one, other]) await objectSet(ns, 'app');
    for (const ns of [one, other])
      await conditionsReach(kube, osRef(ns, 'app'), { Available: AVAILABLE }, 90_000);
    expect(dataOf(await first.get(cmRef(one, 'app')))).toEqual({ ns: one });
    // `other`'s target is the management cluster itself.
    expect(dataOf(await kube.get(cmRef(other, 'app')))).toEqual({ ns: other });

    // The hosted control plane stops (etcd and kube-apiserver killed, its port closed).
    const port = new URL((planes[0] as ControlPlane).server).port;
    const stoppedAt = Date.now();
    await (planes[0] as ControlPlane).stop();
    const refused = new RegExp(
      `^hosted cluster ${escape(hcNamespace)}/one: its API server cannot be used: ` +
        `(GET|PUT|PATCH|POST|DELETE) /\\S+: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
    );
    const down = await eventually(
      'the phase of the stopped cluster TargetClusterUnavailable',
      async () => {
        const c = conditions(await kube.get(ospRef(one, 'app')))['Available'];
        return c?.status === 'False' && c.reason === 'TargetClusterUnavailable' ? c : undefined;
      },
      NOTICE_SECONDS * 1000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${runner.output().slice(-3000)}`);
    });
    const noticedMs = Date.now() - stoppedAt;
    expect(noticedMs).toBeLessThan(NOTICE_SECONDS * 1000);
    expect(down.message).toMatch(refused);
    // The ObjectSet learns it from its phase's status on its own next step: a moment later.
    await conditionsReach(
      kube,
      osRef(one, 'app'),
      {
        Available: {
          status: 'False',
          reason: 'ProbeFailure',
          message: `Phase "config" failed: ${down.message}`,
        },
      },
      30_000,
    );
    expect(conditions(await kube.get(osRef(one, 'app')))['Available']).toEqual({
      status: 'False',
      reason: 'ProbeFailure',
      message: `Phase "config" failed: ${down.message}`,
    });

    // The runner keeps serving the other cluster: a new ObjectSet there is applied.
    await objectSet(other, 'later');
    await conditionsReach(kube, osRef(other, 'later'), { Available: AVAILABLE }, 60_000);
    expect(dataOf(await kube.get(cmRef(other, 'later')))).toEqual({ ns: other });
    // Nothing deleted in the management cluster: the phase, its ObjectSet and the HostedCluster stay.
    for (const ref of [osRef(one, 'app'), ospRef(one, 'app'), osRef(other, 'app'), ospRef(other, 'app')]) {
      const o = await kube.get(ref);
      expect(o.metadata.deletionTimestamp, `${ref.kind} ${ref.namespace}/${ref.name}`).toBeUndefined();
    }
    expect(
      (await kube.get({ apiVersion: HC_API, kind: 'HostedCluster', namespace: hcNamespace, name: 'one' }))
        .metadata.deletionTimestamp,
    ).toBeUndefined();
    expect(conditions(await kube.get(ospRef(other, 'app')))['Available']).toEqual(AVAILABLE);

    // Back: a new control plane, the Secret names it now; the phase is applied there and Available again.
    const second = await startHostedPlane();
    await kube.mergePatch(secretRef('one'), {
      data: { kubeconfig: Buffer.from(await kubeconfigOf(planes[1] as ControlPlane)).toString('base64') },
    });
    await conditionsReach(kube, osRef(one, 'app'), { Available: AVAILABLE }, 90_000);
    expect(conditions(await kube.get(ospRef(one, 'app')))['Available']).toEqual(AVAILABLE);
    expect(dataOf(await second.get(cmRef(one, 'app')))).toEqual({ ns: one });
    expect(runner.output()).toContain(
      `hosted cluster ${hcNamespace}/one: its admin kubeconfig changed, new client`,
    );

    // Teardown still works in both.
    for (const [ns, name] of [
      [one, 'app'],
      [other, 'app'],
      [other, 'later'],
    ] as const)
      await kube.delete(osRef(ns, name));
    for (const [ns, name] of [
      [one, 'app'],
      [other, 'app'],
      [other, 'later'],
    ] as const)
      await eventually(
        `the ObjectSet ${ns}/${name} gone`,
        async () => ((await getOrUndefined(kube, osRef(ns, name))) === undefined ? true : undefined),
        90_000,
      );
    expect(await getOrUndefined(second, cmRef(one, 'app'))).toBeUndefined();
    expect(await getOrUndefined(kube, cmRef(other, 'app'))).toBeUndefined();
    // For the report: how long the outage took to show.
    process.stdout.write(`outage noticed after ${noticedMs} ms\n`);
  }, 420_000);
});
