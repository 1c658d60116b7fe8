/**
 * @module hosts/serve
 * `gantry serve`: the watch-less host. Admission webhooks, `/events` and the schedule tick are its only
 * triggers; every key they name runs in-process through the engine's steps; requeues persisted in status are
 * found by the tick. Optionally registers its own Validating/MutatingWebhookConfigurations (local use, tests).
 */
import type { Server } from 'node:https';
import { errorMessage } from '../../shared/errors.js';
import type { Shard } from '../../shared/triggers/index.js';
import type { EventsAuth } from '../../webhooks/events.js';
import type { RouterDeps } from '../../webhooks/router.js';
import { createEngine, type Engine, type EngineOptions } from './engine.js';
import { createApp, listenTls, type TlsFiles } from './http-app.js';
import { TriggerCore, whoAmI } from './triggers.js';

export interface ServeOptions extends EngineOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsFiles;
  readonly concurrency: number;
  readonly namespace: string;
  /** The schedule tick's period. */
  readonly tickMs: number;
  /** Every object is run again this often (drift nobody reported). */
  readonly fullResyncMs: number;
  /** 0: admission does not fetch packages. */
  readonly admissionBudgetMs: number;
  readonly eventsAuth: EventsAuth;
  readonly shard?: Shard;
  readonly log: (message: string) => void;
}

export interface ServeHost {
  readonly engine: Engine;
  readonly core: TriggerCore;
  readonly server: Server;
  readonly port: number;
  readonly selfUsername: string | undefined;
  stop(): Promise<void>;
}

/** Start the host; resolves once it listens and its first tick is queued. */
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
  const selfUsername = await whoAmI(engine.client);
  let ready = false;
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
    ready: () => ready,
  };
  const server = await listenTls(createApp(deps, engine.metrics), options.tls, options.host, options.port);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const tick = (): void => {
    core.tick().then(
      () => {
        ready = true;
      },
      (error: unknown) => {
        ready = false;
        options.log(`tick: ${errorMessage(error)}`);
      },
    );
  };
  tick();
  const timer = setInterval(tick, options.tickMs);
  return {
    engine,
    core,
    server,
    port,
    selfUsername,
    stop: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      await core.stop();
      engine.close();
    },
  };
}
