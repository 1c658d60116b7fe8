// The host of `npm run bench -- hostile`, in its own process so that only its memory and its event loop are
// measured: the trigger core over an in-memory cluster without objects (every GET NotFound, every LIST empty),
// the router on plain HTTP on 127.0.0.1. Argument: the admission fetch budget (ms). Over IPC it sends
// `{port}` once it listens, and answers `memory` with `{rss, heapUsed, gets, depth}` after a full collection.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EngineMetrics } from '../functions/adapters/metrics.js';
import { createPackageSource } from '../functions/adapters/package-source.js';
import { createApp, listen } from '../functions/hosts/http-app.js';
import { routerDeps, TriggerCore } from '../functions/hosts/triggers.js';
import { KubeApiError } from '../shared/kube-errors.js';
import type { KubeApi, KubeObject, ObjectRef } from '../shared/ports.js';

setFlagsFromString('--expose-gc');
const collect: unknown = runInNewContext('gc');

function unused(): Promise<never> {
  return Promise.reject(new Error('not used'));
}

/** A cluster without objects. */
class EmptyKube implements KubeApi {
  public gets = 0;
  public resource = (): Promise<{ plural: string; namespaced: boolean }> =>
    Promise.resolve({ plural: 'x', namespaced: true });
  public list = (): Promise<KubeObject[]> => Promise.resolve([]);
  public get = (ref: ObjectRef): Promise<KubeObject> => {
    this.gets += 1;
    return Promise.reject(new KubeApiError(`${ref.name} not found`, 404, 'NotFound'));
  };
  public apply = unused;
  public create = unused;
  public update = unused;
  public updateStatus = unused;
  public mergePatch = unused;
  public delete = unused;
  public serverVersion = unused;
}

const budgetMs = Number(process.argv[2] ?? '0');
const kube = new EmptyKube();
const metrics = new EngineMetrics();
const core = new TriggerCore({
  deps: {
    kube,
    clock: { now: () => new Date() },
    images: createPackageSource({ plainHttpLoopback: true }),
    engines: { gotmpl: { render: unused } },
    prefixOverrides: [],
    forceAdoption: false,
  },
  concurrency: 8,
  namespace: '',
  fullResyncMs: 3_600_000,
  admissionBudgetMs: budgetMs,
  log: () => undefined,
});
const deps = routerDeps({ metrics }, core, {
  eventsAuth: { knative: { token: 'knative-token-0123456789' }, cloudevents: { hmacSecret: 'x'.repeat(32) } },
  admissionBudgetMs: budgetMs,
  selfUsername: undefined,
  ready: () => true,
});
const server = await listen(createApp(deps, metrics), undefined, '127.0.0.1', 0);
const address = server.address();
process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 });
process.on('message', (message) => {
  if (message !== 'memory') return;
  if (typeof collect === 'function') Reflect.apply(collect, undefined, []);
  const { rss, heapUsed } = process.memoryUsage();
  process.send?.({ rss, heapUsed, gets: kube.gets, depth: core.depth });
});
process.on('disconnect', () => {
  server.close();
  void core.stop().then(() => process.exit(0));
});
