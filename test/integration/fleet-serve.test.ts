/**
 * One watch-less host serving the remote phases of many hosted clusters (`gantry serve --phase-class
 * hosted-cluster --hosted-clusters`): the management cluster is the test run's control plane, two more control
 * planes are the hosted clusters (test/integration/setup/hosted-clusters.ts), a third HostedCluster's Secret holds
 * no usable kubeconfig. The engine runs in-process (class `default`, it makes the ObjectSetPhases); ONE `gantry
 * serve` process, triggered only by its schedule tick, applies the phases of all three control-plane namespaces,
 * tears them down, and on stop hands the key still waiting (the bad cluster's phase, retried every 15 s) to its
 * `--handback-url` as a `run.gantry.reconcile` CloudEvent. Then the bundled Lambda handler, configured alike
 * (`GANTRY_HOSTED_CLUSTERS=true`), applies and tears down a phase in a hosted cluster from its schedule ticks.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleLambda } from '../../scripts/bundle-lambda.js';
import type { ControlPlane } from '../../devenv/control-plane.js';
import type { RawKubeClient } from '../../functions/adapters/kube/client.js';
import type { KubeApi } from '../../shared/ports.js';
import { conditions, conditionsReach, eventually, getOrUndefined, useEngine } from './setup/engine.js';
import { spawnGantry, type GantryRunProcess } from './setup/gantry-run.js';
import {
  AVAILABLE,
  BAD_KUBECONFIG,
  badKubeconfigMessage,
  cmRef,
  dataOf,
  inlineKubeconfig,
  objectSet,
  osRef,
  ospRef,
  owners,
  SECRET_MARKER,
  startHostedFleet,
  type HostedFleet,
} from './setup/hosted-clusters.js';

const suite = useEngine();

let kube: KubeApi;
let fleet: HostedFleet;
let serve: GantryRunProcess;
let handback: Server;
let handbackUrl: string;
/** The CloudEvents the stopping host POSTed to `--handback-url`. */
const handedBack: unknown[] = [];
let stopped = false;

beforeAll(async () => {
  kube = suite.kube();
  fleet = await startHostedFleet(suite, 2, ['one', 'two-x', 'bad']);
  const [p1, p2] = fleet.planes as [ControlPlane, ControlPlane];
  await fleet.hostedCluster('one', await inlineKubeconfig(p1));
  await fleet.hostedCluster('two.x', await inlineKubeconfig(p2));
  await fleet.hostedCluster('bad', BAD_KUBECONFIG);
  handback = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      handedBack.push(JSON.parse(body));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => handback.listen(0, '127.0.0.1', resolve));
  const address = handback.address();
  handbackUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  serve = spawnGantry('serve', [
    '--plain-http',
    '--addr',
    '127.0.0.1:0',
    '--resync-interval',
    '1s',
    '--drain-period',
    '100ms',
    '--phase-class',
    'hosted-cluster',
    '--hosted-clusters',
    '--hosted-cluster-clients',
    '2',
    '--hosted-cluster-connections',
    '2',
    '--handback-url',
    handbackUrl,
  ]);
}, 180_000);

afterAll(async () => {
  if (!stopped) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  handback.close();
  await fleet.stop();
  expect(serve.output()).not.toContain(SECRET_MARKER);
});

describe('one gantry serve for the phases of many hosted clusters', () => {
  it('applies each control-plane namespace’s phases into its cluster from its tick, reports a bad Secret without its content, tears down in both, hands the waiting key back on stop', async () => {
    const [one, two, bad] = fleet.controlPlaneNamespaces as [string, string, string];
    const [t1, t2] = fleet.targets as [RawKubeClient, RawKubeClient];
    for (const ns of [one, two, bad]) await objectSet(kube, ns);

    for (const ns of [one, two]) {
      await conditionsReach(kube, osRef(ns), { Available: AVAILABLE }, 90_000);
      expect(conditions(await kube.get(ospRef(ns)))['Available']).toEqual(AVAILABLE);
    }
    for (const [ns, mine, other] of [
      [one, t1, t2],
      [two, t2, t1],
    ] as const) {
      const cm = await mine.get(cmRef(ns));
      expect(dataOf(cm)).toEqual({ ns });
      expect(cm.metadata.ownerReferences).toBeUndefined();
      expect(cm.metadata.annotations).toEqual({
        'package-operator.run/revision': '1',
        'package-operator.run/owners': owners(await kube.get(ospRef(ns))),
      });
      expect(await getOrUndefined(other, cmRef(ns))).toBeUndefined();
      expect(await getOrUndefined(kube, cmRef(ns))).toBeUndefined();
    }

    const why = badKubeconfigMessage(fleet.hcNamespace, 'bad');
    await conditionsReach(
      kube,
      ospRef(bad),
      { Available: { status: 'False', reason: 'TargetClusterUnavailable', message: why } },
      60_000,
    );
    expect(conditions(await kube.get(osRef(bad)))['Available']).toEqual({
      status: 'False',
      reason: 'ProbeFailure',
      message: `Phase "config" failed: ${why}`,
    });
    expect(await getOrUndefined(t1, cmRef(bad))).toBeUndefined();
    expect(await getOrUndefined(t2, cmRef(bad))).toBeUndefined();

    // Teardown: the tick finds the phases being deleted; their objects go in each cluster before the finalizers.
    for (const ns of [one, two]) await kube.delete(osRef(ns));
    for (const ns of [one, two])
      await eventually(
        `the ObjectSet of ${ns} gone`,
        async () => ((await getOrUndefined(kube, osRef(ns))) === undefined ? true : undefined),
        90_000,
      );
    expect(await getOrUndefined(t1, cmRef(one))).toBeUndefined();
    expect(await getOrUndefined(t2, cmRef(two))).toBeUndefined();

    // Stopped: the bad cluster's phase waits in the queue for its 15 s retry, and is handed back like any key.
    serve.child.kill('SIGTERM');
    expect(await serve.exited, serve.output()).toBe(0);
    stopped = true;
    const keys = handedBack.map((event) =>
      typeof event === 'object' && event !== null && 'data' in event ? event.data : undefined,
    );
    expect(keys).toContainEqual({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectSetPhase',
      namespace: bad,
      name: 'set-config',
    });
    expect(handedBack[0]).toMatchObject({
      specversion: '1.0',
      source: 'gantry-serve',
      type: 'run.gantry.reconcile',
    });
    expect(serve.output()).toContain(`handed ${handedBack.length} keys back to ${handbackUrl}: `);
    expect(serve.output()).not.toContain(SECRET_MARKER);
  });

  it('the bundled Lambda handler with GANTRY_HOSTED_CLUSTERS=true applies and tears down a phase in a hosted cluster from its schedule ticks', async () => {
    const [one, , bad] = fleet.controlPlaneNamespaces as [string, string, string];
    const [t1] = fleet.targets as [RawKubeClient];
    const bundle = await bundleLambda(await mkdtemp(join(tmpdir(), 'gantry-lambda-fleet-')), false);
    const env = {
      GANTRY_KUBECONFIG: await managementKubeconfig(),
      GANTRY_HOSTED_CLUSTERS: 'true',
      GANTRY_HOSTED_CLUSTER_CLIENTS: '2',
    };
    Object.assign(process.env, env);
    try {
      const { handler } = (await import(pathToFileURL(bundle.entry).href)) as { handler: Handler };
      const tick = async (): Promise<void> => {
        await new Promise((r) => setTimeout(r, 1_100)); // ticks closer than 1 s coalesce
        expect(await handler(SCHEDULE, CONTEXT)).toMatchObject({ ticked: expect.any(Number) as unknown });
      };
      await objectSet(kube, one);
      await eventually(
        'the phase Available from the Lambda tick',
        async () => {
          const phase = await getOrUndefined(kube, ospRef(one));
          if (phase !== undefined && conditions(phase)['Available']?.status === 'True') return true;
          await tick();
          return undefined;
        },
        90_000,
      );
      expect(conditions(await kube.get(ospRef(one)))['Available']).toEqual(AVAILABLE);
      expect(dataOf(await t1.get(cmRef(one)))).toEqual({ ns: one });
      // The bad cluster's phase, run by the same ticks: the same condition, no content.
      expect(conditions(await kube.get(ospRef(bad)))['Available']).toEqual({
        status: 'False',
        reason: 'TargetClusterUnavailable',
        message: badKubeconfigMessage(fleet.hcNamespace, 'bad'),
      });
      await kube.delete(osRef(one));
      await eventually(
        'the ObjectSet torn down by the Lambda tick',
        async () => {
          if ((await getOrUndefined(kube, osRef(one))) === undefined) return true;
          await tick();
          return undefined;
        },
        90_000,
      );
      expect(await getOrUndefined(t1, cmRef(one))).toBeUndefined();
    } finally {
      for (const k of Object.keys(env)) Reflect.deleteProperty(process.env, k);
    }
  });
});

type Handler = (event: unknown, context?: { getRemainingTimeInMillis(): number }) => Promise<unknown>;
const CONTEXT = { getRemainingTimeInMillis: (): number => 20_000 };
const SCHEDULE = {
  version: '0',
  id: 'tick',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-12-03T00:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/gantry-tick'],
  detail: {},
};

/** The management cluster's (the test run's) kubeconfig with its certificates inline, as the Lambda reads it. */
async function managementKubeconfig(): Promise<string> {
  const kube = inject('kube');
  const b64 = async (path: string): Promise<string> => (await readFile(path)).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'c', cluster: { server: kube.server, 'certificate-authority-data': await b64(kube.caFile) } },
    ],
    users: [
      {
        name: 'u',
        user: {
          'client-certificate-data': await b64(kube.certFile),
          'client-key-data': await b64(kube.keyFile),
        },
      },
    ],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });
}
