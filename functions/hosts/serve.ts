/**
 * @module hosts/serve
 * `gantry serve`: the watch-less host. Admission webhooks, `/events` and the schedule tick are its only
 * triggers; every key they name runs in-process through the engine's steps; requeues persisted in status are
 * found by the tick. `gantry run --serve` mounts the same endpoints on a runner (its queue, no tick).
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { errorMessage } from '../../shared/errors.js';
import type { EventsAuth } from '../../shared/triggers/events-auth.js';
import type { AdmissionAuth } from '../../webhooks/admission-auth.js';
import type { Shard } from '../../shared/triggers/index.js';
import { RECONCILE_EVENT } from '../../webhooks/events.js';
import { createEngine, type Engine, type EngineOptions } from './engine.js';
import { HOSTED_CLUSTER_LOOKUP_TTL_MS } from '../../shared/hypershift/target-clusters.js';
import { KubePages } from '../adapters/kube/pages.js';
import { startConsoleMount, type ConsoleMount, type ConsoleMountOptions } from './console/mount.js';
import { createApp, listen, type TlsFiles } from './http-app.js';
import { hostedClusterServing, refOfKey, routerDeps, TriggerCore, whoAmI } from './triggers.js';

export interface HttpHostOptions {
  readonly host: string;
  readonly port: number;
  /** undefined: plain HTTP, only behind a proxy that terminates TLS (Knative's ingress). */
  readonly tls: TlsFiles | undefined;
  readonly eventsAuth: EventsAuth;
  /** 0: admission does not fetch packages. */
  readonly admissionBudgetMs: number;
  readonly log: (message: string) => void;
  /** Who may call the admission endpoints (default: anyone; the TLS files then carry the client CA). */
  readonly admissionAuth?: AdmissionAuth;
  /** Serve `/metrics` on the webhook listener too (default: not; `--metrics-addr` is a listener of its own). */
  readonly metricsOnListener?: boolean;
  /** Mount the web console at `/console/` (`--console`), behind its sign-in. */
  readonly console?: ConsoleMountOptions;
  /** Only namespaced objects of this namespace ('' all): what the console watches. */
  readonly namespace?: string;
}

export interface HttpHost {
  readonly server: Server;
  readonly port: number;
  readonly selfUsername: string | undefined;
  /** The mounted console, when `console` was given. */
  readonly console: ConsoleMount | undefined;
  /** Mark ready (after the first tick or list). */
  ready(value: boolean): void;
  /**
   * Graceful stop: readiness fails at once (`/readyz` 503, so the Service takes this pod out), requests are
   * served for `drainMs` more (answered with `Connection: close`, so clients reconnect elsewhere), then the
   * listener closes and requests in flight get up to 5 s to finish.
   */
  stop(drainMs?: number): Promise<void>;
}

/** Requests still in flight when the listener closes get this long to finish. */
const IN_FLIGHT_GRACE_MS = 5_000;

/** Serve the core router for an engine and its trigger core. */
export async function startHttpHost(
  engine: Engine,
  core: TriggerCore,
  options: HttpHostOptions,
): Promise<HttpHost> {
  const selfUsername = await whoAmI(engine.client);
  let isReady = false;
  const deps = routerDeps(engine, core, {
    eventsAuth: options.eventsAuth,
    admissionBudgetMs: options.admissionBudgetMs,
    selfUsername,
    ready: () => isReady,
    ...(options.admissionAuth !== undefined ? { admissionAuth: options.admissionAuth } : {}),
  });
  const mounted =
    options.console === undefined
      ? undefined
      : await startConsoleMount(engine.client, options.namespace ?? '', options.console, options.log);
  const app = createApp(deps, engine.metrics, {
    metrics: options.metricsOnListener === true,
    ...(mounted !== undefined ? { console: mounted } : {}),
  });
  const server = await listen(app, options.tls, options.host, options.port);
  let draining = false;
  server.prependListener('request', (_req, res) => {
    if (draining) res.setHeader('connection', 'close');
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    server,
    port,
    selfUsername,
    console: mounted,
    ready: (value) => {
      isReady = value;
    },
    stop: async (drainMs = 0) => {
      isReady = false;
      draining = true;
      if (drainMs > 0) {
        options.log(`draining: not ready, serving for ${drainMs} ms more`);
        await new Promise((resolve) => setTimeout(resolve, drainMs));
      }
      // Console streams never end by themselves: closed before the listener waits for its connections.
      await mounted?.close();
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      const grace = setTimeout(() => {
        server.closeAllConnections();
      }, IN_FLIGHT_GRACE_MS);
      await closed;
      clearTimeout(grace);
    },
  };
}

export interface ServeOptions extends EngineOptions, HttpHostOptions {
  readonly concurrency: number;
  readonly namespace: string;
  /** The schedule tick's period. */
  readonly tickMs: number;
  /** Every object is run again this often (drift nobody reported). */
  readonly fullResyncMs: number;
  readonly shard?: Shard;
  /** On stop, keys still waiting are POSTed here as `run.gantry.reconcile` CloudEvents (a broker, another host). */
  readonly handbackUrl?: string;
  /** On stop, requests are served this long after readiness fails (see {@link HttpHost.stop}). */
  readonly drainMs?: number;
  /** The ObjectSetPhase classes served (`--phase-class`; default `default`). */
  readonly phaseClasses?: readonly string[];
}

export interface ServeHost {
  readonly engine: Engine;
  readonly core: TriggerCore;
  readonly server: Server;
  readonly port: number;
  readonly selfUsername: string | undefined;
  readonly console: ConsoleMount | undefined;
  stop(): Promise<void>;
}

/** The proof a receiving host configured alike expects: this host's own `cloudevents` source settings. */
function proofFor(auth: EventsAuth, body: string): Record<string, string> {
  const own = auth.cloudevents;
  if (own === undefined || 'none' in own) return {};
  if ('token' in own) return { authorization: `Bearer ${own.token}` };
  return {
    'x-gantry-signature-256': `sha256=${createHmac('sha256', own.hmacSecret).update(body).digest('hex')}`,
  };
}

/**
 * POST each key as a structured `run.gantry.reconcile` CloudEvent (the mode every broker accepts, Knative's
 * included), a few at a time; failures are logged (the keys are in status, the next tick finds them).
 */
async function handBack(
  url: string,
  keys: readonly string[],
  auth: EventsAuth,
  log: (message: string) => void,
): Promise<void> {
  const send = async (key: string): Promise<string> => {
    const body = JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      time: new Date().toISOString(), // signed run.gantry.* events must be fresh
      source: 'gantry-serve',
      type: RECONCILE_EVENT,
      datacontenttype: 'application/json',
      data: refOfKey(key),
    });
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', ...proofFor(auth, body) },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      return `HTTP ${response.status}`;
    } catch (error) {
      return errorMessage(error);
    }
  };
  const outcomes = new Map<string, number>();
  for (let i = 0; i < keys.length; i += HANDBACK_CONCURRENCY)
    for (const outcome of await Promise.all(keys.slice(i, i + HANDBACK_CONCURRENCY).map(send)))
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const summary = [...outcomes].map(([outcome, n]) => `${n} × ${outcome}`).join(', ');
  log(`handed ${keys.length} keys back to ${url}: ${summary}`);
}

const HANDBACK_CONCURRENCY = 8;

/** Start `gantry serve`; resolves once it listens and its first tick is queued. */
export async function startServe(options: ServeOptions): Promise<ServeHost> {
  const many = options.hostedClusterTargets;
  const engine = await createEngine({
    ...options,
    ...(many !== undefined
      ? { hostedClusterTargets: { ...many, lookup: { ttlMs: HOSTED_CLUSTER_LOOKUP_TTL_MS } } }
      : {}),
  });
  const classes = options.phaseClasses;
  const core = new TriggerCore({
    deps: { ...engine.deps, ...(classes !== undefined ? { phaseClasses: classes } : {}) },
    ...(many !== undefined ? hostedClusterServing(classes ?? ['default']) : {}),
    pages: new KubePages(engine.client),
    concurrency: options.concurrency,
    namespace: options.namespace,
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
    fullResyncMs: options.fullResyncMs,
    admissionBudgetMs: options.admissionBudgetMs,
    log: options.log,
    onQueueDepth: (d) => {
      engine.metrics.queueDepth(d);
    },
    onQueueFull: () => {
      engine.metrics.queueRefused();
    },
  });
  const http = await startHttpHost(engine, core, options);
  const tick = (): void => {
    core.tick().then(
      () => {
        http.ready(true);
      },
      (error: unknown) => {
        http.ready(false);
        options.log(`tick: ${errorMessage(error)}`);
      },
    );
  };
  tick();
  const timer = setInterval(tick, options.tickMs);
  return {
    engine,
    core,
    server: http.server,
    port: http.port,
    selfUsername: http.selfUsername,
    console: http.console,
    stop: async () => {
      // Admission keeps being answered (and its keys run) while the Service takes this pod out.
      await http.stop(options.drainMs ?? 0);
      clearInterval(timer);
      const pending = core.pendingKeys();
      await core.stop();
      if (options.handbackUrl !== undefined && pending.length > 0)
        await handBack(options.handbackUrl, pending, options.eventsAuth, options.log);
      engine.close();
    },
  };
}
