/**
 * @module cli/commands/fleet
 * `gantry fleet status [NAME]`: the rollout of HostedClusterPackages (all, or the one named) per hosted cluster,
 * read-only: for each, a progress line (updated/total, available, paused, the stop on failure) and a kubectl-like
 * table (cluster, partition, the Package's revision, Available / Progressing, updated to the template or not), or
 * `-o json`. The formatting is shared/hypershift/fleet-view.ts.
 */
import { parseArgs } from 'node:util';
import { API_VERSION } from '../../shared/api/constants.js';
import {
  HOSTED_CLUSTER_PACKAGE_KIND,
  hostedClusterPackageRef,
  parseHostedClusterPackage,
} from '../../shared/hypershift/fleet-rollout.js';
import { fleetTable, fleetView, type FleetView } from '../../shared/hypershift/fleet-view.js';
import { HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND } from '../../shared/hypershift/hosted-cluster.js';
import { errorMessage } from '../../shared/errors.js';
import { isNotFound } from '../../shared/kube-errors.js';
import type { KubeApi, KubeObject } from '../../shared/ports.js';
import { CommandError } from '../../shared/rollout/history.js';
import { withClient } from '../cluster.js';
import type { Command } from '../command.js';
import { UsageError } from '../package-input.js';

const usage = `Show the rollout of HostedClusterPackages per hosted cluster.

Usage:
  gantry fleet status [NAME] [flags]

status: for every HostedClusterPackage (or the one named), its progress (updated/total, available, paused, and
why the rollout stopped, if it did) and one row per HostedCluster its selector matches: the cluster, its
partition, the revision of its Package, the Package's Available and Progressing for its generation, and whether
the Package has the template's spec.
  -o, --output json        print the views as JSON instead of the tables
  --kubeconfig FILE        kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  -h, --help               help

Examples:
  gantry fleet status
  gantry fleet status my-addon -o json
`;

/** HyperShift not installed: no HostedClusters to show (an empty list rather than an error). */
async function listOrEmpty(kube: KubeApi, apiVersion: string, kind: string): Promise<KubeObject[]> {
  try {
    return await kube.list(apiVersion, kind, '');
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/** The views of the HostedClusterPackages (all, or the one named), sorted by name. */
export async function fleetViews(kube: KubeApi, name: string | undefined): Promise<FleetView[]> {
  let hcpkgs: KubeObject[];
  try {
    hcpkgs =
      name === undefined
        ? await kube.list(API_VERSION, HOSTED_CLUSTER_PACKAGE_KIND, '')
        : [await kube.get(hostedClusterPackageRef(name))];
  } catch (error) {
    if (name !== undefined && isNotFound(error))
      throw new CommandError(`hostedclusterpackage "${name}" not found`, { cause: error });
    throw new CommandError(`getting HostedClusterPackages: ${errorMessage(error)}`, { cause: error });
  }
  const [hostedClusters, packages] = await Promise.all([
    listOrEmpty(kube, HOSTED_CLUSTER_API_VERSION, HOSTED_CLUSTER_KIND),
    kube.list(API_VERSION, 'Package', ''),
  ]);
  const views: FleetView[] = [];
  for (const raw of hcpkgs) {
    const parsed = parseHostedClusterPackage(raw);
    if (!parsed.ok)
      throw new CommandError(`HostedClusterPackage ${raw.metadata.name} is malformed: ${parsed.message}`);
    views.push(fleetView(raw, parsed.value, hostedClusters, packages));
  }
  return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function status(argv: readonly string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, kubeconfig: { type: 'string' } },
  });
  if (positionals.length > 1)
    throw new UsageError('fleet status takes at most one HostedClusterPackage name');
  const output = (values.output ?? '').toLowerCase();
  if (output !== '' && output !== 'json')
    throw new CommandError(`invalid output format: "${values.output ?? ''}"`);
  const views = await withClient(io, values.kubeconfig, (kube) => fleetViews(kube, positionals[0]));
  io.stdout(output === 'json' ? `${JSON.stringify(views, null, 2)}\n` : fleetTable(views));
  return 0;
}

export const fleetCommand: Command = {
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'status') return status(rest, io);
    throw new UsageError(
      sub === undefined ? 'a sub-command is required: status' : `unknown command "${sub}" for "gantry fleet"`,
    );
  },
};
