/**
 * The bundled Lambda handler (dist of `npm run build:lambda`), invoked in this process with the events AWS sends:
 * a Function URL request (payload v2) carrying an AdmissionReview, EventBridge schedule ticks and an ECR "Image
 * Action" event. It drives the same install and upgrade to Available against the real control plane and registry;
 * the ECR registry host is mapped to the test registry with PKO's registry host override.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBinaries } from '../../devenv/binaries.js';
import { freePort } from '../../devenv/process.js';
import { bundleLambda } from '../../scripts/bundle-lambda.js';
import type { KubeObject } from '../../shared/ports.js';
import { conditions, eventually, manifest, pushPackage } from './setup/engine.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const admin = testClient();
let ns = '';
type Handler = (event: unknown, context?: { getRemainingTimeInMillis(): number }) => Promise<unknown>;
let handler: Handler;
let bundleEntry = '';
const context = { getRemainingTimeInMillis: (): number => 20_000 };

async function inlineKubeconfig(): Promise<string> {
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

function files(value: string): Record<string, string> {
  return {
    'manifest.yaml': manifest('lambda-pkg', ['config']),
    'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: lambda-cm
  annotations:
    package-operator.run/phase: config
data:
  value: ${JSON.stringify(value)}
`,
  };
}

/** The token the API server presents to the admission webhook (its kubeConfigFile): the Function URL is public. */
const ADMISSION_TOKEN = 'admission-token-0123456789abcdef';

function functionUrl(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${ADMISSION_TOKEN}` },
): unknown {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abc.lambda-url.eu-west-1.on.aws', ...headers },
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'kube-apiserver' },
    },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)).toString('base64'),
    isBase64Encoded: true,
  };
}

const schedule = {
  version: '0',
  id: 'tick',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-29T00:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/gantry-tick'],
  detail: {},
};

async function untilTicked(what: string, check: () => Promise<KubeObject | undefined>): Promise<KubeObject> {
  return eventually(what, async () => {
    const value = await check();
    if (value === undefined)
      expect(await handler(schedule, context)).toMatchObject({ ticked: expect.any(Number) as unknown });
    return value;
  });
}

async function revisionWith(revision: number, value: string): Promise<KubeObject | undefined> {
  const pkg = await admin.get(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/app`);
  if (pkg.status !== 200) return undefined;
  const object = JSON.parse(pkg.text) as KubeObject & { status?: { revision?: number } };
  if (conditions(object)['Available']?.status !== 'True' || object.status?.revision !== revision)
    return undefined;
  const cm = await admin.get(`/api/v1/namespaces/${ns}/configmaps/lambda-cm`);
  return cm.status === 200 && (JSON.parse(cm.text) as { data: { value: string } }).data.value === value
    ? object
    : undefined;
}

beforeAll(async () => {
  ns = await createNamespace(admin, 'lambda');
  const out = await mkdtemp(join(tmpdir(), 'gantry-lambda-'));
  const bundle = await bundleLambda(out);
  bundleEntry = bundle.entry;
  process.env['GANTRY_KUBECONFIG'] = await inlineKubeconfig();
  process.env['GANTRY_NAMESPACE'] = ns;
  process.env['GANTRY_ADMISSION_TOKEN'] = ADMISSION_TOKEN;
  process.env['GANTRY_REGISTRY_HOST_OVERRIDES'] = `${ECR}=${inject('registry').host}`;
  const mod = (await import(pathToFileURL(bundle.entry).href)) as { handler: Handler };
  handler = mod.handler;
});

afterAll(async () => {
  for (const k of [
    'GANTRY_KUBECONFIG',
    'GANTRY_NAMESPACE',
    'GANTRY_REGISTRY_HOST_OVERRIDES',
    'GANTRY_ADMISSION_TOKEN',
  ])
    Reflect.deleteProperty(process.env, k);
  await deleteNamespace(admin, ns);
});

describe('the bundled Lambda handler', () => {
  it('refuses admission requests without the configured token (401) before reading them', async () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'forged',
        kind: { group: 'package-operator.run', version: 'v1alpha1', kind: 'Package' },
        operation: 'CREATE',
        namespace: ns,
        name: 'forged',
        userInfo: { username: 'mallory' },
        object: { spec: { image: '127.0.0.1:1/forged:v1' } },
      },
    };
    const reason = '{"error":"admission requests must present a bearer token configured for this webhook"}';
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-0123456789abcdef' },
      { authorization: ADMISSION_TOKEN },
    ];
    for (const headers of attempts) {
      const answer = (await handler(functionUrl('POST', '/webhooks/validate', review, headers), context)) as {
        statusCode: number;
        body: string;
      };
      expect([headers, answer.statusCode, answer.body]).toEqual([headers, 401, reason]);
    }
  });

  it('installs on a Function URL admission request and schedule ticks, and upgrades on an ECR push', async () => {
    await pushPackage('lambda', files('one'), 'stable');
    const image = `${ECR}/engine-test/lambda:stable`;
    const object = {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'app', namespace: ns },
      spec: { image },
    };
    expect(
      (await admin.create(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`, object)).status,
    ).toBe(201);
    const answer = (await handler(
      functionUrl('POST', '/webhooks/validate', {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'adm-1',
          kind: { group: 'package-operator.run', version: 'v1alpha1', kind: 'Package' },
          resource: { group: 'package-operator.run', version: 'v1alpha1', resource: 'packages' },
          operation: 'CREATE',
          namespace: ns,
          name: 'app',
          userInfo: { username: 'alice' },
          object,
        },
      }),
      context,
    )) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'adm-1', allowed: true },
    });
    await untilTicked('revision 1 Available', async () => revisionWith(1, 'one'));

    await pushPackage('lambda', files('two'), 'stable');
    const ecr = await handler(
      {
        version: '0',
        id: 'e1',
        'detail-type': 'ECR Image Action',
        source: 'aws.ecr',
        account: '123456789012',
        time: '2026-11-29T00:00:00Z',
        region: 'eu-west-1',
        resources: [],
        detail: {
          result: 'SUCCESS',
          'repository-name': 'engine-test/lambda',
          'action-type': 'PUSH',
          'image-tag': 'stable',
        },
      },
      context,
    );
    expect(ecr).toEqual({ pushes: 1, packagesMatched: 1 });
    const upgraded = await untilTicked('revision 2 Available', async () => revisionWith(2, 'two'));
    expect((upgraded['status'] as { resolvedImage: string }).resolvedImage).toMatch(
      new RegExp(`^${inject('registry').host}/engine-test/lambda@sha256:[0-9a-f]{64}$`),
    );
    expect(await handler(functionUrl('GET', '/healthz', undefined), context)).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"status":"ok"}',
    });
    expect(await handler({ hello: 'world' }, context)).toEqual({
      error: 'not an event this function handles (Function URL v2, EventBridge schedule or ECR Image Action)',
    });
  });
});

describe('the bundle under the AWS Lambda Runtime Interface Emulator', () => {
  it('runs bootstrap.mjs as a custom runtime: a Function URL request and a schedule tick through the Runtime API', async () => {
    const { 'aws-lambda-rie': rie } = await ensureBinaries(['aws-lambda-rie']);
    const port = await freePort();
    const bootstrap = join(dirname(bundleEntry), 'bootstrap.mjs');
    const child = spawn(
      rie,
      [
        '--runtime-interface-emulator-address',
        `127.0.0.1:${port}`,
        '--log-level',
        'error',
        process.execPath,
        bootstrap,
      ],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          GANTRY_KUBECONFIG: await inlineKubeconfig(),
          GANTRY_NAMESPACE: ns,
          AWS_LAMBDA_FUNCTION_TIMEOUT: '30',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const invoke = async (event: unknown): Promise<unknown> => {
      const r = await fetch(`http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`, {
        method: 'POST',
        body: JSON.stringify(event),
      });
      return await r.json();
    };
    try {
      const health = await eventually(
        'the emulator to answer',
        async () => invoke(functionUrl('GET', '/healthz', undefined)).catch(() => undefined),
        30_000,
      );
      expect(health).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"status":"ok"}',
      });
      expect(await invoke(schedule)).toEqual({ ticked: expect.any(Number) as unknown });
      expect(await invoke({ hello: 'world' })).toEqual({
        error:
          'not an event this function handles (Function URL v2, EventBridge schedule or ECR Image Action)',
      });
    } catch (error) {
      throw new Error(`${String(error)}\nemulator output:\n${output}`);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
