/**
 * @module hosts/console/mount
 * The console on a serving host (`gantry serve --console`, `gantry run --serve --console`): the host's own watches
 * of what the console shows, and the console's requests under `/console/`, each viewer signed in with a Kubernetes
 * bearer token and shown only what SubjectAccessReviews allow (hosts/console/access.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionLimits } from '../../../shared/console/sessions.js';
import type { KubeApi } from '../../../shared/ports.js';
import { loadConsoleAssets } from '../../adapters/console-assets.js';
import type { RawKubeClient } from '../../adapters/kube/client.js';
import { SessionAccess } from './access.js';
import { WatchCache } from './cache.js';
import { ConsoleHandler, type ConsoleActions } from './server.js';

/** How a host mounts the console. */
export interface ConsoleMountOptions {
  /** What the actions do, with the host's client (the command wires `gantry pause|rollout undo|approve`). */
  readonly actions: (kube: KubeApi) => ConsoleActions;
  /** Offer actions to users whose rights allow them (`--console-actions`); default: read-only. */
  readonly allowActions: boolean;
  readonly limits?: Partial<SessionLimits>;
}

/** The mounted console. */
export interface ConsoleMount {
  readonly access: SessionAccess;
  /** Answer a request whose URL is relative to `/console`. */
  serve(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

/** List and watch what the console shows with the host's client, then answer requests. */
export async function startConsoleMount(
  kube: RawKubeClient,
  namespace: string,
  options: ConsoleMountOptions,
  log: (message: string) => void,
): Promise<ConsoleMount> {
  const assets = await loadConsoleAssets();
  const cache = new WatchCache(kube, { namespace, log });
  await cache.start();
  const access = new SessionAccess({
    kube,
    actions: options.allowActions,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    log,
  });
  const handler = new ConsoleHandler({ cache, kube, actions: options.actions(kube), assets, access });
  return {
    access,
    serve: (req, res) => {
      handler.serve(req, res);
    },
    close: async () => {
      handler.close();
      await cache.stop();
    },
  };
}
