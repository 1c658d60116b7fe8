/**
 * `gantry serve` against the real components: the real kube-apiserver calls Gantry's webhooks over TLS, the real
 * registry's notifications reach `/events`, and Knative-shaped CloudEvents drive a whole lifecycle. No watch runs
 * anywhere in this file: admission, events and the schedule tick are the only triggers.
 */
import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBinaries } from '../../devenv/binaries.js';
import { startRegistry, type Registry } from '../../devenv/registry.js';
import { startServe, type ServeHost } from '../../functions/hosts/serve.js';
import type { KubeObject } from '../../shared/ports.js';
import { webhookConfigurations } from '../../shared/triggers/webhook-config.js';
import { admissionAuth } from '../../webhooks/admission-auth.js';
import { ADMISSION_CLIENT_NAME, makeServingCertificates } from '../../devenv/certs.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';
import { conditions, eventually, manifest, pkgRef, pushPackage } from './setup/engine.js';

const run = promisify(execFile);
const TOKEN = 'registry-token-0123456789';
const HMAC_SECRET = 'cloudevents-secret-0123456789';

const schemaManifest = (name: string): string =>
  manifest(
    name,
    ['config'],
    `  config:
    openAPIV3Schema:
      type: object
      properties:
        replicas:
          type: integer
          minimum: 1
          default: 1
`,
  );

function files(name: string, value: string): Record<string, string> {
  return {
    'manifest.yaml': schemaManifest(name),
    'cm.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-cm
  annotations:
    package-operator.run/phase: config
data:
  value: ${JSON.stringify(value)}
  replicas: "{{ .config.replicas }}"
`,
  };
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** The API server's admission client certificate, which `post` presents unless told not to. */
let admissionClient: { cert: string; key: string } | undefined;

async function post(
  path: string,
  body: string | Buffer,
  headers: Record<string, string>,
  method = 'POST',
  // null: no client certificate (an explicit undefined would take the default).
  client: { cert: string; key: string } | null = admissionClient ?? null,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: serve.port,
        path,
        method,
        ca,
        ...(client !== null ? { cert: client.cert, key: client.key } : {}),
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function kubectl(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { kubectl: binary } = await ensureBinaries(['kubectl']);
  const child = run(binary, ['--kubeconfig', inject('kube').kubeconfigPath, ...args]);
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const r = await child;
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function packageYaml(ns: string, name: string, image: string, replicas?: number): string {
  return `apiVersion: package-operator.run/v1alpha1
kind: Package
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  image: ${image}
${replicas !== undefined ? `  config:\n    replicas: ${replicas}\n` : ''}`;
}

const admin = testClient();
let ca = '';
let ns = '';
let serve: ServeHost;
const logs: string[] = [];
/** `Kind ns/name` of every step this file's hosts ran. */
const records: string[] = [];

async function startHost(tickMs: number, handbackUrl?: string): Promise<ServeHost> {
  const kube = inject('kube');
  return startServe({
    kubeconfig: kube.kubeconfigPath,
    host: '127.0.0.1',
    port: 0,
    tls: {
      cert: await readFile(kube.serverCertFile, 'utf8'),
      key: await readFile(kube.serverKeyFile, 'utf8'),
      // The local API server presents its admission client certificate (signed by the test CA) to every webhook.
      clientCA: await readFile(kube.caFile, 'utf8'),
    },
    admissionAuth: admissionAuth({ clientCertificate: true, clientNames: [ADMISSION_CLIENT_NAME] }),
    concurrency: 4,
    namespace: ns,
    tickMs,
    fullResyncMs: 3_600_000,
    admissionBudgetMs: 2_000,
    ...(handbackUrl !== undefined ? { handbackUrl } : {}),
    eventsAuth: {
      distribution: { token: TOKEN },
      knative: { none: true },
      cloudevents: { hmacSecret: HMAC_SECRET },
    },
    log: (m) => logs.push(m),
    record: (r) => {
      records.push(`${r.key.kind} ${r.key.namespace}/${r.key.name}`);
      if (process.env['GANTRY_TEST_LOG'] === '1')
        process.stderr.write(
          `${r.key.kind} ${r.key.namespace}/${r.key.name} ${r.step} ${r.outcome} ${r.requeueAfterMs ?? ''} ${r.error ?? ''}\n`,
        );
    },
  });
}

async function getPackage(name: string): Promise<KubeObject> {
  return serve.engine.client.get(pkgRef(ns, name));
}

/** The Package once revision N is Available and its ConfigMap holds `value` (the old revision stays Available meanwhile). */
async function availableRevision(
  name: string,
  revision: number,
  cm?: readonly [string, string],
): Promise<KubeObject | undefined> {
  const pkg = await getPackage(name);
  const status = pkg['status'] as { revision?: number } | undefined;
  if (conditions(pkg)['Available']?.status !== 'True' || status?.revision !== revision) return undefined;
  if (cm !== undefined && (await configMapValue(cm[0])) !== cm[1]) return undefined;
  return pkg;
}

async function configMapValue(name: string): Promise<string | undefined> {
  const r = await admin.get(`/api/v1/namespaces/${ns}/configmaps/${name}`);
  if (r.status !== 200) return undefined;
  const body = JSON.parse(r.text) as { data?: Record<string, string> };
  return body.data?.['value'];
}

beforeAll(async () => {
  ca = await readFile(inject('kube').caFile, 'utf8');
  admissionClient = {
    cert: await readFile(inject('kube').admissionCertFile, 'utf8'),
    key: await readFile(inject('kube').admissionKeyFile, 'utf8'),
  };
  ns = await createNamespace(admin, 'serve');
});

afterAll(async () => {
  for (const kind of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'])
    await admin.delete(`/apis/admissionregistration.k8s.io/v1/${kind}/gantry`);
  await serve.stop();
  await deleteNamespace(admin, ns);
});

describe('CloudEvents only: ApiServerSource and PingSource drive a whole lifecycle', () => {
  beforeAll(async () => {
    // No webhooks registered yet, and no tick of its own: only the events posted here trigger steps.
    serve = await startHost(3_600_000);
  });

  async function ping(): Promise<void> {
    const r = await post('/events', '{}', {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': `ping-${Date.now()}`,
      'ce-source': '/apis/v1/namespaces/knative/pingsources/gantry-tick',
      'ce-type': 'dev.knative.sources.ping',
    });
    expect(r.status).toBe(202);
  }

  async function untilPinged<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    return eventually(what, async () => {
      const value = await check();
      if (value === undefined) await ping();
      return value;
    });
  }

  it('installs on a resource.add event, upgrades on resource.update, tears down on ref.delete', async () => {
    const image = await pushPackage('serve-ce', files('serve-ce', 'one'));
    const created = await admin.create(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`, {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'ce', namespace: ns },
      spec: { image, config: { replicas: 2 } },
    });
    expect(created.status).toBe(201);
    // Binary mode, as ApiServerSource sends in Resource mode: the object is the data.
    const add = await post('/events', created.text, {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'add-1',
      'ce-source': 'https://10.96.0.1:443',
      'ce-type': 'dev.knative.apiserver.resource.add',
      'ce-subject': `/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/ce`,
    });
    expect([add.status, JSON.parse(add.body)]).toEqual([
      202,
      { dispatched: 1, pushes: 0, packagesMatched: 0 },
    ]);
    await untilPinged('revision 1 Available', async () => availableRevision('ce', 1));
    expect(await configMapValue('serve-ce-cm')).toBe('one');

    const image2 = await pushPackage('serve-ce', files('serve-ce', 'two'), 'v2');
    const patched = await admin.request(
      'PATCH',
      `/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/ce`,
      { spec: { image: image2 } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    // Structured mode this time.
    const update = await post(
      '/events',
      JSON.stringify({
        specversion: '1.0',
        id: 'update-1',
        source: 'https://10.96.0.1:443',
        type: 'dev.knative.apiserver.resource.update',
        datacontenttype: 'application/json',
        data: JSON.parse(patched.text) as unknown,
      }),
      { 'content-type': 'application/cloudevents+json' },
    );
    expect(update.status).toBe(202);
    await untilPinged('revision 2 Available', async () => availableRevision('ce', 2, ['serve-ce-cm', 'two']));
    expect(await configMapValue('serve-ce-cm')).toBe('two');

    expect(
      (await admin.delete(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/ce`)).status,
    ).toBe(200);
    // Reference mode: only the key.
    const del = await post(
      '/events',
      JSON.stringify([
        {
          specversion: '1.0',
          id: 'delete-1',
          source: 'https://10.96.0.1:443',
          type: 'dev.knative.apiserver.ref.delete',
          datacontenttype: 'application/json',
          data: { apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace: ns, name: 'ce' },
        },
      ]),
      { 'content-type': 'application/cloudevents-batch+json' },
    );
    expect(del.status).toBe(202);
    await untilPinged('the package and its objects gone', async () => {
      const pkg = await admin.get(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/ce`);
      const cm = await configMapValue('serve-ce-cm');
      const sets = await admin.get(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/objectsets`);
      const items = (JSON.parse(sets.text) as { items: unknown[] }).items;
      return pkg.status === 404 && cm === undefined && items.length === 0 ? true : undefined;
    });
  });

  it('a host that stops hands the keys still waiting back to another (structured run.gantry.reconcile events, HMAC-signed)', async () => {
    const image = await pushPackage('serve-hb', files('serve-hb', 'handed'));
    const receiver = serve;
    const sender = await startHost(3_600_000, `https://127.0.0.1:${receiver.port}/events`);
    const created = await admin.create(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`, {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'hb', namespace: ns },
      spec: { image },
    });
    expect(created.status).toBe(201);
    // A CREATE-triggered key waits 150 ms before it runs: stopping at once leaves it waiting.
    sender.core.dispatch(pkgRef(ns, 'hb'), 'create');
    await sender.stop();
    expect(logs).toEqual([`handed 1 keys back to https://127.0.0.1:${receiver.port}/events: 1 × HTTP 202`]);
    await untilPinged('the handed-back Package Available', async () =>
      availableRevision('hb', 1, ['serve-hb-cm', 'handed']),
    );
  });

  afterAll(async () => {
    await serve.stop();
  });
});

describe('admission webhooks called by the real kube-apiserver over TLS', () => {
  beforeAll(async () => {
    serve = await startHost(1_000);
    for (const object of webhookConfigurations({ url: `https://127.0.0.1:${serve.port}` }, ca))
      await serve.engine.client.apply(object, { force: true });
    // The API server reads webhook configurations from its informer: wait until it calls us.
    await eventually('the webhook to be in effect', async () => {
      const r = await kubectl(
        ['apply', '--dry-run=server', '-f', '-'],
        packageYaml(ns, 'probe', 'x/y:1', 0).replace('config:', 'component: Bad_Name\n  config:'),
      );
      return r.code !== 0 && r.stderr.includes('validate.gantry.run') ? true : undefined;
    });
  });

  it('denies a Package whose config violates its package schema at kubectl apply time, with the field path', async () => {
    const image = await pushPackage('serve-adm', files('serve-adm', 'a'));
    const r = await kubectl(['apply', '-f', '-'], packageYaml(ns, 'bad', image, 0));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'The request is invalid: error when creating "STDIN": admission webhook "validate.gantry.run" denied the request: spec.config.replicas: Invalid value: 0: replicas in body should be greater than or equal to 1',
    );
    expect(
      (await admin.get(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/bad`)).status,
    ).toBe(404);
  });

  it('admits a valid Package and installs, upgrades and deletes it with serve as the only host', async () => {
    const image = await pushPackage('serve-adm', files('serve-adm', 'a'));
    const applied = await kubectl(['apply', '-f', '-'], packageYaml(ns, 'good', image, 3));
    expect(applied).toMatchObject({ code: 0, stdout: 'package.package-operator.run/good created\n' });
    const pkg = await eventually('revision 1 Available', async () => availableRevision('good', 1));
    expect(pkg.metadata.finalizers).toEqual(['package-operator.run/metrics']);
    expect(await configMapValue('serve-adm-cm')).toBe('a');

    const image2 = await pushPackage('serve-adm', files('serve-adm', 'b'), 'v2');
    expect((await kubectl(['apply', '-f', '-'], packageYaml(ns, 'good', image2, 3))).code).toBe(0);
    await eventually('revision 2 Available', async () => availableRevision('good', 2, ['serve-adm-cm', 'b']));
    expect(await configMapValue('serve-adm-cm')).toBe('b');

    expect((await kubectl(['delete', 'package', '-n', ns, 'good', '--wait=false'])).code).toBe(0);
    await eventually('everything deleted', async () => {
      const gone = await admin.get(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/good`);
      return gone.status === 404 && (await configMapValue('serve-adm-cm')) === undefined ? true : undefined;
    });
  });

  it("drives an upgrade from the real registry's notifications when a tag moves", async () => {
    let registry: Registry | undefined;
    try {
      registry = await startRegistry({
        notifyUrl: `https://127.0.0.1:${serve.port}/events`,
        notifyHeaders: { Authorization: `Bearer ${TOKEN}` },
        env: { SSL_CERT_FILE: inject('kube').caFile },
        ...(process.env['GANTRY_TEST_LOG'] === '1' ? { dir: '/tmp/serve-reg-debug' } : {}),
      });
      const image = await pushPackage('serve-push', files('serve-push', 'first'), 'stable', registry.host);
      expect((await kubectl(['apply', '-f', '-'], packageYaml(ns, 'pushed', image, 1))).code).toBe(0);
      await eventually('revision 1 Available', async () => availableRevision('pushed', 1));
      await pushPackage('serve-push', files('serve-push', 'second'), 'stable', registry.host);
      const upgraded = await eventually(
        'revision 2 Available',
        async () => availableRevision('pushed', 2, ['serve-push-cm', 'second']),
        30_000,
      );
      expect(await configMapValue('serve-push-cm')).toBe('second');
      const status = upgraded['status'] as { resolvedImage?: string };
      expect(status.resolvedImage).toMatch(
        new RegExp(`^${registry.host}/engine-test/serve-push@sha256:[0-9a-f]{64}$`),
      );
    } finally {
      if (process.env['GANTRY_TEST_LOG'] === '1') {
        process.stderr.write(`serve log:\n${logs.join('\n')}\n`);
        process.stderr.write(
          `SETS: ${(await admin.get(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/objectsets`)).text}\n`,
        );
        process.stderr.write(
          `CM: ${(await admin.get(`/api/v1/namespaces/${ns}/configmaps/serve-push-cm`)).text}\n`,
        );
        process.stderr.write(
          await readFile('/tmp/serve-reg-debug/registry.log', 'utf8').catch(() => 'no log'),
        );
      }
      await registry?.stop();
    }
  });

  it('refuses admission callers without the API server client certificate (401) and does no work for them', async () => {
    const review = (name: string): string =>
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'forged',
          kind: { group: 'package-operator.run', version: 'v1alpha1', kind: 'Package' },
          resource: { group: 'package-operator.run', version: 'v1alpha1', resource: 'packages' },
          operation: 'CREATE',
          namespace: ns,
          name,
          userInfo: { username: 'mallory' },
          object: {
            apiVersion: 'package-operator.run/v1alpha1',
            kind: 'Package',
            metadata: { name, namespace: ns },
            spec: { image: '127.0.0.1:1/forged/image:v1' },
          },
        },
      });
    const json = { 'content-type': 'application/json' };
    const reason =
      '{"error":"admission requests must present the API server client certificate configured for this webhook"}';
    const selfSigned = await makeServingCertificates(await mkdtemp(join(tmpdir(), 'gantry-forged-')));
    const other = {
      cert: await readFile(selfSigned.serverCert, 'utf8'),
      key: await readFile(selfSigned.serverKey, 'utf8'),
    };
    const before = records.length;
    for (const [label, client] of [
      ['no certificate', null],
      ['a certificate of another CA', other],
    ] as const) {
      for (const path of ['/webhooks/validate', '/webhooks/mutate']) {
        const answer = await post(path, review(`forged-${path.slice(10)}`), json, 'POST', client);
        expect([label, path, answer.status, answer.body]).toEqual([label, path, 401, reason]);
      }
    }
    // The same review with the API server's certificate is answered (the handler ran).
    const real = await post('/webhooks/validate', review('forged-real'), json);
    expect(real.status).toBe(200);
    // No forged key ran: nothing was read or logged for it, and no such Package exists.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(records.slice(before).filter((r) => /forged-(validate|mutate)$/.test(r))).toEqual([]);
    expect(await getPackageOrUndefined('forged-validate')).toBeUndefined();
  });

  it('answers bad input correctly and changes nothing', async () => {
    const json = { 'content-type': 'application/json' };
    const before = await getPackageOrUndefined('pushed');
    const cases: [string, Answer, number, string][] = [
      [
        'malformed AdmissionReview',
        await post('/webhooks/validate', '{"kind":"AdmissionReview"}', json),
        400,
        'not an admission.k8s.io/v1 AdmissionReview: Invalid input: expected "admission.k8s.io/v1"',
      ],
      ['not JSON', await post('/webhooks/validate', '{', json), 400, 'the body is not JSON'],
      [
        'GET on a webhook',
        await post('/webhooks/validate', '', {}, 'GET'),
        405,
        'admission reviews are POSTed',
      ],
      [
        'wrong content type',
        await post('/events', 'hello', { 'content-type': 'text/plain' }),
        415,
        'unsupported content type "text/plain"',
      ],
      [
        'oversized body',
        await post('/events', Buffer.alloc(1024 * 1024 + 1, 32), json),
        413,
        'the body is over 1048576 bytes',
      ],
      [
        'no token',
        await post('/events', JSON.stringify({ events: [] }), json),
        401,
        'unauthenticated distribution event',
      ],
      [
        'forged HMAC',
        await post('/events', gantryPush('x'), {
          'content-type': 'application/cloudevents+json',
          'x-gantry-signature-256': 'sha256=00',
        }),
        401,
        'unauthenticated cloudevents event',
      ],
      [
        'unknown event type',
        await post('/events', '{}', {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': '1',
          'ce-source': '/x',
          'ce-type': 'com.example.nothing',
          'x-gantry-signature-256': `sha256=${createHmac('sha256', HMAC_SECRET).update('{}').digest('hex')}`,
        }),
        400,
        'unknown event type "com.example.nothing"',
      ],
      [
        'not an event',
        await post('/events', '{"hello":1}', { ...json, authorization: `Bearer ${TOKEN}` }),
        400,
        'not an event Gantry knows (CloudEvent or registry webhook)',
      ],
    ];
    for (const [what, answer, status, reason] of cases)
      expect({ what, status: answer.status, body: JSON.parse(answer.body) as unknown }).toEqual({
        what,
        status,
        body: { error: reason },
      });

    // A correctly signed push for a repository no Package uses, and a replay of a real push: nothing changes.
    const signed = gantryPush('127.0.0.1:1/nothing/here');
    const sig = `sha256=${createHmac('sha256', HMAC_SECRET).update(signed).digest('hex')}`;
    const nobody = await post('/events', signed, {
      'content-type': 'application/cloudevents+json',
      'x-gantry-signature-256': sig,
    });
    expect([nobody.status, JSON.parse(nobody.body)]).toEqual([
      202,
      { dispatched: 0, pushes: 1, packagesMatched: 0 },
    ]);
    if (before !== undefined) {
      const image = (before['spec'] as { image: string }).image;
      const [repo, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];
      const replay = JSON.stringify({
        events: [
          {
            action: 'push',
            target: {
              repository: repo.split('/').slice(1).join('/'),
              tag,
              digest: 'sha256:' + '0'.repeat(64),
            },
            request: { host: repo.split('/')[0] },
          },
        ],
      });
      for (let i = 0; i < 2; i++) {
        const r = await post('/events', replay, {
          ...json,
          authorization: `Bearer ${TOKEN}`,
        });
        expect([r.status, JSON.parse(r.body)]).toEqual([
          202,
          { dispatched: 0, pushes: 1, packagesMatched: 1 },
        ]);
      }
      await serve.core.settled();
      const after = await getPackage('pushed');
      expect((after['status'] as { revision?: number }).revision).toBe(
        (before['status'] as { revision?: number }).revision,
      );
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    }

    // A webhook call for a kind Gantry does not serve: allowed, with a warning, nothing dispatched.
    const foreign = await post(
      '/webhooks/validate',
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u1',
          kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
          operation: 'CREATE',
          userInfo: { username: 'x' },
          object: {},
        },
      }),
      json,
    );
    expect(JSON.parse(foreign.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u1', allowed: true, warnings: ['gantry does not validate apps/v1, Kind=Deployment'] },
    });
    // Metrics are not on the webhook listener (anyone who reaches a webhook could read them there).
    expect(await post('/metrics', '', {}, 'GET')).toEqual({
      status: 404,
      body: '{"error":"no route /metrics"}',
    });
    const metrics = { body: await serve.engine.metrics.registry.metrics() };
    expect(metrics.body).toContain('gantry_events_refused_total{source="cloudevents",code="401"} 1');
    expect(metrics.body).toContain('gantry_events_refused_total{source="distribution",code="401"} 1');
  });
});

function gantryPush(repository: string): string {
  return JSON.stringify({
    specversion: '1.0',
    id: `push-${randomUUID()}`,
    time: new Date().toISOString(),
    source: '/ci',
    type: 'run.gantry.image.pushed',
    datacontenttype: 'application/json',
    data: { repository, tag: 'stable' },
  });
}

async function getPackageOrUndefined(name: string): Promise<KubeObject | undefined> {
  try {
    return await getPackage(name);
  } catch {
    return undefined;
  }
}
