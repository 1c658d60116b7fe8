/**
 * The Lambda host's invocation logic over a trigger core, simulated on a fake clock: an in-memory KubeApi holds
 * one Package whose step always fails with a 30 s back-off, EventBridge ticks every minute, and every hand-back
 * becomes another invocation. Also: admission is answered whatever happens to the hand-back.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunStepDeps } from '../steps/run-step.js';
import { FakeCluster, unusedPort } from './fake-cluster.js';
import { invocationHandler, type DueKey } from './lambda.js';
import { WorkQueue } from './queue.js';
import { routerDeps, TriggerCore } from './triggers.js';

const API = 'package-operator.run/v1alpha1';

const unused = unusedPort;

/** One Package; its `nextAttemptTime` is what the (fake) step wrote last. */
class OnePackage extends FakeCluster {
  public next = 0;

  public constructor() {
    super((kind) =>
      kind === 'Package'
        ? [
            {
              apiVersion: API,
              kind: 'Package',
              metadata: { name: 'stuck', namespace: 'ns' },
              status: { progress: { step: 'unpack', nextAttemptTime: new Date(this.next).toISOString() } },
            },
          ]
        : [],
    );
  }
}

interface Sim {
  readonly kube: OnePackage;
  readonly handle: ReturnType<typeof invocationHandler>;
  readonly handedBack: DueKey[][];
  readonly logs: string[];
  runs: number[];
  admissionKeys: string[];
}

function simulation(handBack?: (keys: readonly DueKey[]) => Promise<void>): Sim {
  const kube = new OnePackage();
  const sim: Sim = {
    kube,
    handedBack: [],
    logs: [],
    runs: [],
    admissionKeys: [],
    handle: async () => Promise.resolve(undefined),
  };
  // The step: fails, persists a 30 s back-off in status, asks to run again in 30 s.
  const queue = new WorkQueue({
    concurrency: 1,
    ratePerSecond: 100,
    run: () => {
      sim.runs.push(Date.now());
      kube.next = Date.now() + 30_000;
      return Promise.resolve(30_000);
    },
  });
  const deps: RunStepDeps = {
    kube,
    clock: { now: () => new Date() },
    images: { pull: unused, resolveDigest: unused, listTags: unused, pullImageFiles: unused },
    environment: { environment: unused },
    engines: { gotmpl: { render: unused } },
    prefixOverrides: [],
    forceAdoption: false,
  };
  const core = new TriggerCore({
    deps,
    concurrency: 1,
    namespace: '',
    fullResyncMs: 24 * 3_600_000,
    admissionBudgetMs: 0,
    log: () => undefined,
    queue,
  });
  const router = routerDeps({ metrics: { eventRefused: () => undefined } }, core, {
    eventsAuth: {},
    admissionBudgetMs: 0,
    selfUsername: undefined,
    admissionDispatch: (ref) => {
      sim.admissionKeys.push(JSON.stringify([ref.apiVersion, ref.kind, ref.namespace, ref.name]));
    },
    ready: () => true,
  });
  return Object.assign(sim, {
    handle: invocationHandler({
      core,
      router,
      admissionKeys: sim.admissionKeys,
      log: (m) => sim.logs.push(m),
      handBack:
        handBack ??
        ((keys) => {
          sim.handedBack.push([...keys]);
          return Promise.resolve();
        }),
    }),
  });
}

/** One invocation with `timeoutMs` to run, the fake clock advanced until it returns. */
async function invoke(sim: Sim, event: unknown, timeoutMs = 60_000): Promise<unknown> {
  const end = Date.now() + timeoutMs;
  const state = { done: false };
  const result = sim.handle(event, { getRemainingTimeInMillis: () => end - Date.now() }).finally(() => {
    state.done = true;
  });
  while (!state.done) await vi.advanceTimersByTimeAsync(20);
  return result;
}

const tick = { source: 'aws.events', 'detail-type': 'Scheduled Event' };

afterEach(() => {
  vi.useRealTimers();
});

describe('the Lambda host under a 30 s back-off', () => {
  it('an object stuck in a 30 s back-off costs at most 2 invocations a minute', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const sim = simulation();
    const start = Date.now();
    let invocations = 0;
    for (let minute = 0; minute < 10; minute++) {
      await vi.advanceTimersByTimeAsync(start + minute * 60_000 - Date.now());
      invocations += 1;
      await invoke(sim, tick);
      // Every hand-back is another invocation, at once.
      while (sim.handedBack.length > 0 && invocations < 1_000) {
        invocations += 1;
        await invoke(sim, { gantry: 'run', keys: sim.handedBack.shift() });
      }
    }
    expect(invocations).toBeLessThanOrEqual(20);
    expect(invocations).toBe(10);
    // The step ran at each tick, and no more than twice a minute.
    expect(sim.runs.length).toBeGreaterThanOrEqual(10);
    expect(sim.runs.length).toBeLessThanOrEqual(20);
  });

  it('runs a handed-back key no earlier than its due time', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const sim = simulation();
    const at = Date.now() + 800;
    const key = JSON.stringify([API, 'Package', 'ns', 'stuck']);
    await invoke(sim, { gantry: 'run', keys: [{ key, at }] });
    expect(sim.runs).toEqual([at]);
  });
});

describe('admission on the Lambda host', () => {
  const review = {
    version: '2.0',
    rawPath: '/webhooks/validate',
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
    body: JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-1',
        kind: { group: 'package-operator.run', version: 'v1alpha1', kind: 'Package' },
        operation: 'CREATE',
        namespace: 'ns',
        userInfo: { username: 'alice' },
        object: { metadata: { name: 'p', namespace: 'ns' }, spec: { image: 'registry.example/app:v1' } },
      },
    }),
  };

  it('is answered even when the hand-back is throttled, runs nothing else, and hands keys back with their due time', async () => {
    const throttled = simulation(() => Promise.reject(new Error('Lambda Invoke: HTTP 429: Rate Exceeded')));
    const answer = (await throttled.handle(review)) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: true },
    });
    expect(throttled.logs).toEqual([
      'handing 1 keys back failed, they are left for the schedule tick: Lambda Invoke: HTTP 429: Rate Exceeded',
    ]);
    expect(throttled.runs).toEqual([]);

    const sim = simulation();
    const before = Date.now();
    await sim.handle(review);
    expect(sim.handedBack).toHaveLength(1);
    const [handed] = sim.handedBack[0] ?? [];
    expect(handed?.key).toBe(JSON.stringify([API, 'Package', 'ns', 'p']));
    expect(handed?.at).toBeGreaterThanOrEqual(before + 500);
    expect(handed?.at).toBeLessThanOrEqual(Date.now() + 500);
  });
});
