/**
 * @module cli/commands/pause
 * `gantry pause|unpause <package|clusterpackage> <name> [-n NS] [-m MESSAGE]`, as PKO's (docs/pko-compatibility.md §2.8, §7):
 * sets `spec.paused` and writes (or removes) the `package-operator.run/pause-message` annotation in one update,
 * then waits up to 60 s for `Paused=True` (pause) or `Available=True` (unpause). Prints nothing on success.
 */
import { isConflict } from '../../shared/kube-errors.js';
import { parseArgs } from 'node:util';
import { ANNOTATION_PAUSE_MESSAGE } from '../../shared/api/constants.js';
import { errorMessage } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/ports.js';
import { CommandError, packageKindOf, parseResourceArgument } from '../../shared/rollout/history.js';
import { getPackage, packageRef, timeoutFlag, waitForPackageCondition, withClient } from '../cluster.js';
import type { Command } from '../command.js';

function usage(verb: 'pause' | 'unpause'): string {
  const what =
    verb === 'pause'
      ? 'Pause the reconciliation of a package and its objects: no unpack, no new revision, objects only read.'
      : 'Unpause the reconciliation of a package and its objects.';
  return `${what}

Usage:
  gantry ${verb} <package|clusterpackage> <name> [flags]
  gantry ${verb} <package|clusterpackage>/<name> [flags]

Flags:
  -n, --namespace NS     the Package's namespace (default "default")
${verb === 'pause' ? `  -m, --message TEXT     reason for pausing, stored in the ${ANNOTATION_PAUSE_MESSAGE} annotation\n` : ''}  --timeout SECONDS      how long to wait for ${verb === 'pause' ? 'Paused' : 'Available'}=True (default 60; Gantry's own flag)
  --kubeconfig FILE      kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  -h, --help             help

Waits until the package reports ${verb === 'pause' ? 'Paused' : 'Available'}=True; exit 1 when it does not in time.
`;
}

/** The Package with `spec.paused` and the pause message set (pause) or removed (unpause). */
export function withPaused(raw: KubeObject, pause: boolean, message: string): KubeObject {
  const { [ANNOTATION_PAUSE_MESSAGE]: _old, ...annotations } = raw.metadata.annotations ?? {};
  const spec = typeof raw['spec'] === 'object' && raw['spec'] !== null ? raw['spec'] : {};
  return {
    ...raw,
    metadata: {
      ...raw.metadata,
      annotations: pause ? { ...annotations, [ANNOTATION_PAUSE_MESSAGE]: message } : annotations,
    },
    spec: { ...spec, paused: pause },
  };
}

function pauseCommand(pause: boolean): Command {
  const verb = pause ? 'pause' : 'unpause';
  return {
    usage: usage(verb),
    async run(argv, io) {
      const { positionals, values } = parseArgs({
        args: [...argv],
        allowPositionals: true,
        options: {
          namespace: { type: 'string', short: 'n' },
          message: { type: 'string', short: 'm' },
          timeout: { type: 'string' },
          kubeconfig: { type: 'string' },
        },
      });
      const arg = parseResourceArgument(positionals);
      const kind = packageKindOf(arg);
      const timeoutMs = timeoutFlag(values.timeout);
      const ref = packageRef(kind, values.namespace ?? 'default', arg.name);
      await withClient(io, values.kubeconfig, async (kube) => {
        // The engine writes the Package too (status, finalizers): a lost resourceVersion race reads it again, as
        // kubectl's RetryOnConflict does.
        for (let attempt = 1; ; attempt++) {
          const { raw } = await getPackage(kube, ref);
          try {
            await kube.update(withPaused(raw, pause, values.message ?? ''));
            break;
          } catch (error) {
            if (isConflict(error) && attempt < 5) continue;
            throw new CommandError(`${pause ? 'pausing' : 'unpausing'} package: ${errorMessage(error)}`, {
              cause: error,
            });
          }
        }
        await waitForPackageCondition(kube, ref, pause ? 'Paused' : 'Available', { timeoutMs });
      });
      return 0;
    },
  };
}

export const pauseCmd: Command = pauseCommand(true);
export const unpauseCmd: Command = pauseCommand(false);
