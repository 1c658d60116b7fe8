import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../shared/ports.js';
import { handleEvents, type EventsDeps } from './events.js';
import type { HttpRequest } from './http.js';
import { ReplayGuard } from './replay.js';
import {
  fromDistribution,
  fromEcr,
  fromGantryPush,
  fromGitHub,
  fromHarbor,
  type ImagePush,
} from './registry-events.js';

function fakeDeps(auth: EventsDeps['auth']): EventsDeps & {
  dispatched: ObjectRef[];
  pushes: ImagePush[];
  ticks: number;
  refusals: string[];
} {
  const state = {
    dispatched: [] as ObjectRef[],
    pushes: [] as ImagePush[],
    ticks: 0,
    refusals: [] as string[],
  };
  return Object.assign(state, {
    auth,
    dispatch: (ref: ObjectRef) => {
      state.dispatched.push(ref);
    },
    tick: () => {
      state.ticks += 1;
      return Promise.resolve(2);
    },
    registryPush: (pushes: readonly ImagePush[]) => {
      state.pushes.push(...pushes);
      return Promise.resolve(pushes.length);
    },
    refused: (source: string, code: number) => {
      state.refusals.push(`${source} ${code}`);
    },
    replays: new ReplayGuard(),
  });
}

function req(body: string, headers: Record<string, string>): HttpRequest {
  return { method: 'POST', path: '/events', headers, body: new TextEncoder().encode(body) };
}

const pkgObject = {
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'ObjectSet',
  metadata: {
    name: 'web-abc',
    namespace: 'ns',
    ownerReferences: [
      {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'ObjectDeployment',
        name: 'web',
        uid: 'u',
        controller: true,
      },
    ],
  },
};

describe('registry push formats', () => {
  it('reads CNCF distribution notifications: tagged manifest pushes only', () => {
    expect(
      fromDistribution({
        events: [
          { action: 'push', target: { repository: 'team/app', digest: 'sha256:b1' } },
          { action: 'pull', target: { repository: 'team/app', tag: 'v1' } },
          {
            action: 'push',
            target: { repository: 'team/app', tag: 'v1', digest: 'sha256:m1' },
            request: { host: 'reg:5000' },
          },
        ],
      }),
    ).toEqual({ pushes: [{ registry: 'reg:5000', repository: 'team/app', tag: 'v1', digest: 'sha256:m1' }] });
    expect(fromDistribution({ events: 'no' })).toEqual({ error: 'not a distribution notification envelope' });
  });

  it('reads Harbor, GitHub, ECR and Gantry pushes', () => {
    expect(
      fromHarbor({
        type: 'PUSH_ARTIFACT',
        event_data: {
          resources: [{ digest: 'sha256:h', tag: 'v2', resource_url: 'harbor.example.com/lib/app:v2' }],
          repository: { repo_full_name: 'lib/app' },
        },
      }),
    ).toEqual({
      pushes: [{ registry: 'harbor.example.com', repository: 'lib/app', tag: 'v2', digest: 'sha256:h' }],
    });
    expect(fromHarbor({ type: 'DELETE_ARTIFACT', event_data: {} })).toEqual({ pushes: [] });
    expect(
      fromGitHub({
        action: 'published',
        package: {
          name: 'App',
          namespace: 'Org',
          package_version: { container_metadata: { tag: { name: 'v3', digest: 'sha256:g' } } },
        },
      }),
    ).toEqual({ pushes: [{ registry: 'ghcr.io', repository: 'org/app', tag: 'v3', digest: 'sha256:g' }] });
    expect(
      fromEcr({
        source: 'aws.ecr',
        'detail-type': 'ECR Image Action',
        account: '123456789012',
        region: 'eu-west-1',
        detail: {
          'action-type': 'PUSH',
          result: 'SUCCESS',
          'repository-name': 'pkgs/app',
          'image-tag': 'v4',
          'image-digest': 'sha256:e',
        },
      }),
    ).toEqual({
      pushes: [
        {
          registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          repository: 'pkgs/app',
          tag: 'v4',
          digest: 'sha256:e',
        },
      ],
    });
    expect(fromGantryPush({ repository: 'localhost:5000/a/b', tag: 't' })).toEqual({
      pushes: [{ registry: 'localhost:5000', repository: 'a/b', tag: 't' }],
    });
    expect(fromGantryPush({ repository: 'a/b' })).toEqual({
      error: 'run.gantry.image.pushed needs data {repository, tag}',
    });
  });
});

describe('POST /events', () => {
  it('dispatches an ApiServerSource object and its Gantry controller (resource mode, binary)', async () => {
    const deps = fakeDeps({ knative: { none: true } });
    const r = await handleEvents(
      req(JSON.stringify(pkgObject), {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': 'https://10.96.0.1',
        'ce-type': 'dev.knative.apiserver.resource.update',
      }),
      deps,
    );
    expect([r.status, JSON.parse(r.body)]).toEqual([202, { dispatched: 2, pushes: 0, packagesMatched: 0 }]);
    expect(deps.dispatched).toEqual([
      { apiVersion: 'package-operator.run/v1alpha1', kind: 'ObjectSet', namespace: 'ns', name: 'web-abc' },
      { apiVersion: 'package-operator.run/v1alpha1', kind: 'ObjectDeployment', namespace: 'ns', name: 'web' },
    ]);
  });

  it('runs the tick for a PingSource event and counts what it dispatched', async () => {
    const deps = fakeDeps({ knative: { none: true } });
    const r = await handleEvents(
      req('', {
        'ce-specversion': '1.0',
        'ce-id': 'p',
        'ce-source': '/ping',
        'ce-type': 'dev.knative.sources.ping',
      }),
      deps,
    );
    expect([r.status, JSON.parse(r.body), deps.ticks]).toEqual([
      202,
      { dispatched: 2, pushes: 0, packagesMatched: 0 },
      1,
    ]);
  });

  it('refuses sources that are not configured, wrong tokens and forged signatures', async () => {
    const deps = fakeDeps({
      distribution: { token: 'a-token-of-16-chars' },
      github: { hmacSecret: 'github-secret-0123' },
    });
    const body = JSON.stringify({ events: [] });
    const noToken = await handleEvents(req(body, { 'content-type': 'application/json' }), deps);
    const wrong = await handleEvents(
      req(body, { 'content-type': 'application/json', authorization: 'Bearer nope' }),
      deps,
    );
    const right = await handleEvents(
      req(body, { 'content-type': 'application/json', authorization: 'Bearer a-token-of-16-chars' }),
      deps,
    );
    const gh = JSON.stringify({ action: 'published', package: { name: 'a', namespace: 'o' } });
    const forged = await handleEvents(
      req(gh, {
        'content-type': 'application/json',
        'x-github-event': 'package',
        'x-hub-signature-256': 'sha256=ab',
      }),
      deps,
    );
    const signature = `sha256=${createHmac('sha256', 'github-secret-0123').update(gh).digest('hex')}`;
    const signed = await handleEvents(
      req(gh, {
        'content-type': 'application/json',
        'x-github-event': 'package',
        'x-hub-signature-256': signature,
      }),
      deps,
    );
    const ce = await handleEvents(
      req('{}', {
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': '/x',
        'ce-type': 'dev.knative.sources.ping',
      }),
      deps,
    );
    expect([noToken.status, wrong.status, right.status, forged.status, signed.status, ce.status]).toEqual([
      401, 401, 202, 401, 202, 401,
    ]);
    expect(deps.refusals).toEqual(['unknown 401', 'unknown 401', 'github 401', 'knative 401']);
  });

  it('answers malformed input with a reason', async () => {
    const deps = fakeDeps({ cloudevents: { none: true } });
    const bad = await handleEvents(
      req('{"specversion":"1.0"}', { 'content-type': 'application/cloudevents+json' }),
      deps,
    );
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({
      error: expect.stringMatching(/^not a valid CloudEvent: /) as unknown,
    });
    const get = await handleEvents({ ...req('', {}), method: 'GET' }, deps);
    expect([get.status, get.body]).toEqual([405, '{"error":"events are POSTed"}']);
    const notJson = await handleEvents(req('{', { 'content-type': 'application/json' }), deps);
    expect([notJson.status, notJson.body]).toEqual([400, '{"error":"the body is not JSON"}']);
    expect(deps.dispatched).toEqual([]);
  });
});

describe('run.gantry.reconcile', () => {
  it('runs the key it names, and refuses one that names no Gantry object', async () => {
    const deps = fakeDeps({ cloudevents: { none: true } });
    const event = (data: unknown): HttpRequest =>
      req(JSON.stringify({ specversion: '1.0', id: '1', source: '/h', type: 'run.gantry.reconcile', data }), {
        'content-type': 'application/cloudevents+json',
      });
    const ok = await handleEvents(
      event({ apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace: 'ns', name: 'p' }),
      deps,
    );
    expect([ok.status, JSON.parse(ok.body)]).toEqual([202, { dispatched: 1, pushes: 0, packagesMatched: 0 }]);
    expect(deps.dispatched).toEqual([
      { apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace: 'ns', name: 'p' },
    ]);
    const bad = await handleEvents(
      event({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'c' }),
      deps,
    );
    expect([bad.status, JSON.parse(bad.body)]).toEqual([
      400,
      { error: 'run.gantry.reconcile needs data {apiVersion, kind, namespace, name} of a Gantry kind' },
    ]);
  });
});

describe('limits on what one request makes the host do', () => {
  const ping = (id: number): Record<string, unknown> => ({
    specversion: '1.0',
    id: String(id),
    source: '/ping',
    type: 'dev.knative.sources.ping',
  });

  it('runs the tick once for a batch of pings, refuses batches over 100 events', async () => {
    const deps = fakeDeps({ knative: { none: true } });
    const batch = (n: number): HttpRequest =>
      req(JSON.stringify(Array.from({ length: n }, (_, i) => ping(i))), {
        'content-type': 'application/cloudevents-batch+json',
      });
    const ten = await handleEvents(batch(10), deps);
    expect([ten.status, deps.ticks]).toEqual([202, 1]);
    const many = await handleEvents(batch(101), deps);
    expect([many.status, many.body, deps.ticks]).toEqual([
      400,
      '{"error":"a batch of 101 events; the limit is 100"}',
      1,
    ]);
  });

  it('hands each repository and tag to the registry trigger once', async () => {
    const deps = fakeDeps({ distribution: { none: true } });
    const event = {
      action: 'push',
      target: { repository: 'a/b', tag: 'v1', digest: 'sha256:1' },
      request: { host: 'r' },
    };
    const r = await handleEvents(
      req(JSON.stringify({ events: Array.from({ length: 500 }, () => event) }), {
        'content-type': 'application/json',
      }),
      deps,
    );
    expect([r.status, JSON.parse(r.body)]).toEqual([202, { dispatched: 0, pushes: 1, packagesMatched: 1 }]);
    expect(deps.pushes).toEqual([{ registry: 'r', repository: 'a/b', tag: 'v1', digest: 'sha256:1' }]);
  });
});

describe('before authentication nothing is parsed; batches are counted on the raw JSON', () => {
  it('answers 401 to an unauthenticated body without parsing it', async () => {
    const deps = fakeDeps({
      distribution: { token: 'a-token-of-16-chars' },
      cloudevents: { hmacSecret: 'x'.repeat(16) },
    });
    const plain = await handleEvents(req('{not json', { 'content-type': 'application/json' }), deps);
    const structured = await handleEvents(
      req('{not json', {
        'content-type': 'application/cloudevents+json',
        'x-gantry-signature-256': 'sha256=00',
      }),
      deps,
    );
    expect([plain.status, plain.body, structured.status, structured.body]).toEqual([
      401,
      '{"error":"unauthenticated event"}',
      401,
      '{"error":"unauthenticated cloudevents event"}',
    ]);
    expect(deps.refusals).toEqual(['unknown 401', 'cloudevents 401']);
  });

  it('refuses a batch over 100 events by its raw length, before building any CloudEvent', async () => {
    const deps = fakeDeps({ knative: { none: true } });
    // 13,795 entries, none of them a valid CloudEvent: building them would fail on the first.
    const body = JSON.stringify(Array.from({ length: 13_795 }, () => ({})));
    const r = await handleEvents(req(body, { 'content-type': 'application/cloudevents-batch+json' }), deps);
    expect([r.status, r.body]).toEqual([400, '{"error":"a batch of 13795 events; the limit is 100"}']);
  });
});

describe('signed run.gantry.* events are fresh and never replayed', () => {
  const secret = 'hmac-secret-of-16+';
  const signed = (event: Record<string, unknown>): HttpRequest => {
    const body = JSON.stringify({
      specversion: '1.0',
      source: '/h',
      type: 'run.gantry.reconcile',
      ...event,
      data: {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'Package',
        namespace: 'ns',
        name: 'p',
      },
    });
    return req(body, {
      'content-type': 'application/cloudevents+json',
      'x-gantry-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    });
  };

  it('refuses a replayed id, a stale or future time, and a missing time', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const deps = {
      ...fakeDeps({ cloudevents: { hmacSecret: secret } }),
      replays: new ReplayGuard({ now: () => now }),
    };
    const at = (ms: number): string => new Date(now + ms).toISOString();
    const answers = [];
    for (const event of [
      { id: 'a', time: at(-1_000) },
      { id: 'a', time: at(-1_000) },
      { id: 'b', time: at(-301_000) },
      { id: 'c', time: at(301_000) },
      { id: 'd' },
    ]) {
      const r = await handleEvents(signed(event), deps);
      answers.push([r.status, (JSON.parse(r.body) as { error?: string }).error]);
    }
    expect(answers).toEqual([
      [202, undefined],
      [409, 'event "a" was received already (a replay)'],
      [409, 'event "b" is stale: its time is more than 300 s from now'],
      [409, 'event "c" is from the future: its time is more than 300 s from now'],
      [409, 'event "d" has no time; signed events need one'],
    ]);
    expect(deps.dispatched).toHaveLength(1);
  });

  it('remembers a bounded number of ids', () => {
    const guard = new ReplayGuard({ maxIds: 3 });
    const time = new Date().toISOString();
    for (let i = 0; i < 10; i++) expect(guard.check('/s', String(i), time)).toBeUndefined();
    expect(guard.size).toBe(3);
    expect(guard.check('/s', '9', time)).toBe('event "9" was received already (a replay)');
  });
});

describe('back-pressure', () => {
  it('answers 429 with Retry-After while the queue is full, after authentication, dispatching nothing', async () => {
    let full = true;
    const deps = Object.assign(fakeDeps({ knative: { token: 'a-token-of-16-chars' } }), { busy: () => full });
    const ping = (auth: string): HttpRequest =>
      req('', {
        'ce-specversion': '1.0',
        'ce-id': 'p',
        'ce-source': '/ping',
        'ce-type': 'dev.knative.sources.ping',
        authorization: auth,
      });
    const busy = await handleEvents(ping('Bearer a-token-of-16-chars'), deps);
    expect([busy.status, busy.headers['retry-after'], busy.body]).toEqual([
      429,
      '5',
      '{"error":"the work queue is full; retry after 5 s"}',
    ]);
    const forged = await handleEvents(ping('Bearer wrong'), deps);
    expect(forged.status).toBe(401);
    full = false;
    const ok = await handleEvents(ping('Bearer a-token-of-16-chars'), deps);
    expect([ok.status, deps.ticks, deps.refusals]).toEqual([202, 1, ['knative 429', 'knative 401']]);
  });
});
