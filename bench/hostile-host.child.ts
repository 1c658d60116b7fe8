// The host of `npm run bench -- hostile`, in its own process so that only its memory and its event loop are
// measured: the trigger core over an in-memory cluster without objects (every GET NotFound, every LIST empty),
// the router on plain HTTP on 127.0.0.1. Argument: the admission fetch budget (ms). Over IPC it sends
// `{port}` once it listens, and answers `memory` with `{rss, heapUsed, heapTotal, external, arrayBuffers, gets, depth}`
// after a full collection.
import { EngineMetrics } from '../functions/adapters/metrics.js';
import { createPackageSource } from '../functions/adapters/package-source.js';
import { FakeCluster, unusedPort } from '../functions/hosts/fake-cluster.js';
import { collectGarbage } from '../functions/hosts/heap.js';
import { createApp, listen } from '../functions/hosts/http-app.js';
import { routerDeps, TriggerCore } from '../functions/hosts/triggers.js';
import { admissionAuth } from '../webhooks/admission-auth.js';

const unused = unusedPort;

const budgetMs = Number(process.argv[2] ?? '0');
const kube = new FakeCluster();
const metrics = new EngineMetrics();
const core = new TriggerCore({
  deps: {
    kube,
    clock: { now: () => new Date() },
    images: createPackageSource({ plainHttp: new Set(['loopback']) }),
    environment: { environment: unused },
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
  // The API server's token (the bench presents it): admission fetches only for a caller proven to be the API server.
  admissionAuth: admissionAuth({ clientCertificate: false, tokens: ['bench-admission-token-0123456789'] }),
});
const server = await listen(createApp(deps, metrics), undefined, '127.0.0.1', 0);
const address = server.address();
process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 });
process.on('message', (message) => {
  if (message !== 'memory') return;
  collectGarbage();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  process.send?.({ rss, heapUsed, heapTotal, external, arrayBuffers, gets: kube.gets, depth: core.depth });
});
process.on('disconnect', () => {
  server.close();
  void core.stop().then(() => process.exit(0));
});
