/**
 * @module cli/commands/clustertree
 * `gantry clustertree <package|clusterpackage> <name> [-n NS]`: the phases and objects of the live ObjectSet of
 * a (Cluster)Package, in PKO's format and with its errors (docs/pko-compatibility.md §7). Beyond PKO: phases kept in
 * ObjectSlices (big packages) list their objects too, where PKO's prints them empty.
 */
import { parseArgs } from 'node:util';
import { scopedKind } from '../../shared/api/constants.js';
import { objectSetSchema, parseResource, type ApiObjectSet } from '../../shared/api/resources.js';
import { errorMessage } from '../../shared/errors.js';
import type { KubeApi } from '../../shared/ports.js';
import { CommandError, liveObjectSet, parseResourceArgument } from '../../shared/rollout/history.js';
import { getPackage, objectSetPhases, packageObjectSets, packageRef, withClient } from '../cluster.js';
import { isRecord } from '../../shared/api/objects.js';
import type { Command } from '../command.js';
import { formatPhaseTree, type TreePhase } from './tree.js';

const usage = `Print the phases and objects of the live ObjectSet of a (Cluster)Package.

Usage:
  gantry clustertree <package|clusterpackage> <name> [flags]
  gantry clustertree <package|clusterpackage>/<name> [flags]

Flags:
  -n, --namespace NS     the Package's namespace (required for package)
  --kubeconfig FILE      kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  -h, --help             help

Examples:
  gantry clustertree package/shop -n shop
  gantry clustertree clusterpackage cert-manager
`;

async function phasesOf(kube: KubeApi, set: ApiObjectSet): Promise<TreePhase[]> {
  return (await objectSetPhases(kube, set)).map((phase) => ({
    name: phase.name,
    objects: phase.objects.map(({ object: o }) => ({
      apiVersion: typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '',
      kind: typeof o['kind'] === 'string' ? o['kind'] : '',
      metadata: isRecord(o['metadata']) ? o['metadata'] : undefined,
    })),
  }));
}

export const clustertreeCommand: Command = {
  usage,
  async run(argv, io) {
    const { positionals, values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { namespace: { type: 'string', short: 'n' }, kubeconfig: { type: 'string' } },
    });
    const arg = parseResourceArgument(positionals);
    const namespace = values.namespace ?? '';
    if (arg.kind !== 'package' && arg.kind !== 'clusterpackage')
      throw new CommandError('invalid resource type');
    if (arg.kind === 'package' && namespace === '')
      throw new CommandError('--namespace is required as its a namespaced Resource type');
    const kind = scopedKind('Package', arg.kind === 'clusterpackage');
    const text = await withClient(io, values.kubeconfig, async (kube) => {
      const { pkg } = await getPackage(kube, packageRef(kind, namespace, arg.name));
      const set = liveObjectSet(
        (await packageObjectSets(kube, pkg)).map((o) => parseResource(objectSetSchema, o)),
      );
      if (set === undefined) throw new CommandError('ObjectSet could not be found');
      let phases: TreePhase[];
      try {
        phases = await phasesOf(kube, set);
      } catch (error) {
        throw new CommandError(`getting package objectset: ${errorMessage(error)}`, { cause: error });
      }
      const header =
        kind === 'Package'
          ? [`Package /${arg.name}`, `namespace/${namespace}`]
          : [`ClusterPackage /${arg.name}`];
      return formatPhaseTree(header, phases);
    });
    io.stdout(text);
    return 0;
  },
};
