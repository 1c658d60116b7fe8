/**
 * @module hosts/serve
 * `gantry serve`: the watch-less host. Admission webhooks, `/events` and the schedule tick are its only
 * triggers; every key they name runs in-process through the engine's steps; requeues persisted in status are
 * found by the tick. `gantry run --serve` mounts the same endpoints on a runner (its queue, no tick).
 */
import type { Server } from 'node:http';
import { errorMessage } from '../../shared/errors.js';
import type { EventsAuth } from '../../shared/triggers/events-auth.js';
import type { Shard } from '../../shared/triggers/index.js';
import type { RouterDeps } from '../../webhooks/router.js';
import { createEngine, type Engine, type EngineOptions } from './engine.js';
import { createApp, listen, type TlsFiles } from './http-app.js';
import { TriggerCore, whoAmI } from './triggers.js';

export interface HttpHostOptions {
  readonly host: string;
  readonly port: number;
  /** undefined: plain HTTP, only behind a proxy that terminates TLS (Knative's ingress). */
  readonly tls: TlsFiles | undefined;
  readonly eventsAuth: EventsAuth;
  /** 0: admission does not fetch packages. */
  readonly admissionBudgetMs: number;
  readonly log: (message: string) => void;
}

export interface HttpHost {
  readonly server: Server;
  readonly port: number;
  readonly selfUsername: string | undefined;
  /** Mark ready (after the first tick or list). */
  ready(value: boolean): void;
  stop(): Promise<void>;
}

/** Serve the core router for an engine and its trigger core. */
export async function startHttpHost(
  engine: Engine,
  core: TriggerCore,
  options: HttpHostOptions,
): Promise<HttpHost> {
  const selfUsername = await whoAmI(engine.client);
  let isReady = false;
  const deps: RouterDeps = {
    admission: {
      dispatch: (ref, reason) => {
        core.dispatch(ref, reason);
      },
      ...(options.admissionBudgetMs > 0
        ? { lookupManifest: async (image, component) => core.lookupManifest(image, component) }
        : {}),
      ...(selfUsername !== undefined ? { selfUsername } : {}),
    },
    events: {
      auth: options.eventsAuth,
      dispatch: (ref, reason) => {
        core.dispatch(ref, reason);
      },
      tick: async () => core.tick(),
      registryPush: async (pushes) => core.registryPush(pushes),
      refused: (source, code) => {
        engine.metrics.eventRefused(source, code);
      },
    },
    ready: () => isReady,
  };
  const server = await listen(createApp(deps, engine.metrics), options.tls, options.host, options.port);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    server,
    port,
    selfUsername,
    ready: (value) => {
      isReady = value;
    },
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
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
}

export interface ServeHost {
  readonly engine: Engine;
  readonly core: TriggerCore;
  readonly server: Server;
  readonly port: number;
  readonly selfUsername: string | undefined;
  stop(): Promise<void>;
}

/** Start `gantry serve`; resolves once it listens and its first tick is queued. */
export async function startServe(options: ServeOptions): Promise<ServeHost> {
  const engine = await createEngine(options);
  const core = new TriggerCore({
    deps: engine.deps,
    concurrency: options.concurrency,
    namespace: options.namespace,
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
    fullResyncMs: options.fullResyncMs,
    admissionBudgetMs: options.admissionBudgetMs,
    log: options.log,
    onQueueDepth: (d) => {
      engine.metrics.queueDepth(d);
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
    stop: async () => {
      clearInterval(timer);
      await http.stop();
      await core.stop();
      engine.close();
    },
  };
}
