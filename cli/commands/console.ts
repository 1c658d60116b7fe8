/**
 * @module cli/commands/console
 * `gantry console [--kubeconfig FILE] [--addr 127.0.0.1:PORT] [-n NS] [--read-only]` (Gantry's own): the web console
 * on loopback, with the user's own kubeconfig: every read and action is the user's, so it shows and does nothing
 * more than the user may. Watches (Cluster)Packages, ObjectDeployments, ObjectSets and Events and pushes them to the
 * page (server-sent events); pause/unpause and rollout undo are the `gantry pause|unpause` and `gantry rollout undo`
 * updates, offered only where a SelfSubjectAccessReview says the user may update the Package.
 */
import { parseArgs } from 'node:util';
import { loadConsoleAssets } from '../../functions/adapters/console-assets.js';
import { WatchCache } from '../../functions/hosts/console/cache.js';
import { ConsoleServer, type ConsoleActions } from '../../functions/hosts/console/server.js';
import { isConflict } from '../../shared/kube-errors.js';
import type { KubeApi } from '../../shared/ports.js';
import { CommandError, revisions, undoTarget } from '../../shared/rollout/history.js';
import { connect, getPackage, packageObjectSets } from '../cluster.js';
import type { CliIO, Command } from '../command.js';
import { approvePackage, rejectPackage } from './catalog.js';
import { untilSignal } from './host-flags.js';
import { withPaused } from './pause.js';
import { rolledBack } from './rollout.js';

const DEFAULT_ADDR = '127.0.0.1:7355';

const usage = `Serve the web console: every Package with its state, phases, revisions, diffs and Events, live (beyond PKO).

Usage:
  gantry console [flags]

Serves on loopback only, with your own kubeconfig: the console reads and acts as you, so it shows and does
nothing more than you may. Pause, unpause and rollout undo appear only where you may update the Package (checked
with a SelfSubjectAccessReview).

Flags:
  --addr HOST:PORT       where to listen, a loopback address (default ${DEFAULT_ADDR}; port 0: any free port)
  -n, --namespace NS     only this namespace (default: all namespaces, and the cluster-scoped kinds)
  --read-only            offer and accept no action
  --kubeconfig FILE      kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  -h, --help             help

Examples:
  gantry console
  gantry console -n shop --addr 127.0.0.1:9000 --read-only
`;

/** `HOST:PORT` of a loopback address; anything else is refused (the console is the user's, on their machine). */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(addr);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3] ?? Number.NaN);
  if (host === undefined || !Number.isInteger(port) || port > 65_535)
    throw new CommandError(`--addr must be HOST:PORT, got "${addr}"`);
  const loopback = host === 'localhost' ? '127.0.0.1' : host;
  if (loopback !== '::1' && !/^127(\.\d{1,3}){3}$/.test(loopback))
    throw new CommandError(`--addr must be a loopback address (127.0.0.1, ::1 or localhost), got "${host}"`);
  return { host: loopback, port };
}

/** The console's actions: the updates `gantry pause|unpause` and `gantry rollout undo` make (without their waits). */
export function consoleActions(kube: KubeApi): ConsoleActions {
  return {
    decide(ref, approve, version) {
      // What `gantry approve|reject` do (their checks: validated, in range; one guarded update), their words.
      return approve ? approvePackage(kube, ref, version) : rejectPackage(kube, ref, version);
    },
    async pause(ref, pause, message) {
      // The engine writes the Package too: a lost resourceVersion race reads it again, as `gantry pause` does.
      for (let attempt = 1; ; attempt++) {
        const { raw } = await getPackage(kube, ref);
        try {
          await kube.update(withPaused(raw, pause, message));
          return;
        } catch (error) {
          if (!isConflict(error) || attempt >= 5) throw error;
        }
      }
    },
    async undo(ref, revision) {
      const { raw, pkg } = await getPackage(kube, ref);
      const list = revisions(await packageObjectSets(kube, pkg));
      const current = pkg.status.revision ?? list[list.length - 1]?.revision ?? 0;
      const chosen = undoTarget(list, current, revision, false);
      await kube.update(rolledBack(raw, chosen));
      return chosen.revision;
    },
  };
}

export interface ConsoleOptions {
  readonly kubeconfig: string | undefined;
  readonly addr: string;
  readonly namespace: string;
  readonly readOnly: boolean;
}

/** A running console. */
export interface RunningConsole {
  readonly url: string;
  close(): Promise<void>;
}

/** Start the console: list and watch, then listen. */
export async function startConsole(io: CliIO, options: ConsoleOptions): Promise<RunningConsole> {
  const { host, port } = parseAddr(options.addr);
  const assets = await loadConsoleAssets();
  const kube = connect(io, options.kubeconfig);
  const cache = new WatchCache(kube, {
    namespace: options.namespace,
    log: (m) => {
      io.stderr(`${m}\n`);
    },
  });
  await cache.start();
  const server = new ConsoleServer({
    cache,
    kube,
    actions: consoleActions(kube),
    assets,
    readOnly: options.readOnly,
  });
  try {
    const url = await server.listen(host, port);
    return {
      url,
      close: async () => {
        await server.close();
        await cache.stop();
        kube.close();
      },
    };
  } catch (error) {
    await cache.stop();
    kube.close();
    throw new CommandError(
      `listening on ${options.addr}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

export const consoleCommand: Command = {
  usage,
  async run(argv, io) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        addr: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        'read-only': { type: 'boolean' },
        kubeconfig: { type: 'string' },
      },
    });
    const running = await startConsole(io, {
      kubeconfig: values.kubeconfig,
      addr: values.addr ?? DEFAULT_ADDR,
      namespace: values.namespace ?? '',
      readOnly: values['read-only'] === true,
    });
    io.stderr(`console on ${running.url} (Ctrl-C stops it)\n`);
    await untilSignal();
    await running.close();
    return 0;
  },
};
