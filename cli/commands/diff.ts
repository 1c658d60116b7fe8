/**
 * @module cli/commands/diff
 * `gantry diff <package|clusterpackage>/<name> [-n NS] [--image REF] [--config-path FILE]` (Gantry's own, beyond
 * PKO): what an upgrade would change, before it is made. Pulls the package through the package source, renders it
 * with the engine's own render step code, builds each object as the ObjectSet step applies it, server-side
 * dry-runs it, and prints one unified diff per object of the live state against the result; objects the live
 * revision has and the new one drops show as removed. Exit 0: nothing would change; 1: something would
 * (as `kubectl diff`); 2: an error.
 */
import { parseArgs } from 'node:util';
import { API_VERSION, scopedKind } from '../../shared/api/constants.js';
import {
  objectDeploymentSchema,
  objectSetSchema,
  parseResource,
  type ApiObjectDeployment,
  type ApiObjectSet,
  type ApiPackage,
} from '../../shared/api/resources.js';
import { objectDiff } from '../../shared/diff/objects.js';
import { errorMessage } from '../../shared/errors.js';
import { getOrUndefined, isNotFound } from '../../shared/kube-errors.js';
import {
  phaseOwnerOf,
  desiredObject,
  desiredRef,
  ownerReference,
  ownerReferencesFor,
  specObjectOf,
  type PhaseOwner,
  type SpecObject,
} from '../../shared/phases/index.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import {
  CommandError,
  liveObjectSet,
  packageKindOf,
  parseResourceArgument,
} from '../../shared/rollout/history.js';
import { EnvironmentProbe } from '../../functions/adapters/kube/environment.js';
import { renderForPackage } from '../../functions/steps/package.js';
import { getPackage, objectSetPhases, packageObjectSets, packageRef, withClient } from '../cluster.js';
import type { CliIO, Command } from '../command.js';
import { packageEngines, readConfigFile } from '../package-input.js';
import { cliPackageSource } from '../sources.js';

const usage = `Show what an upgrade of a (Cluster)Package would change, before it is made (beyond PKO).

Usage:
  gantry diff <package|clusterpackage>/<name> [flags]
  gantry diff <package|clusterpackage> <name> [flags]

Renders the package (the Package's image and config, or those the flags give) as the engine would, server-side
dry-runs every object and prints a unified diff per object of the live state against the result: changed,
added (against nothing) and removed objects (to nothing). Secret values are masked; managedFields,
resourceVersion, generation, uid and creationTimestamp are left out.

Flags:
  -n, --namespace NS     the Package's namespace (default "default")
  --image REF            the image to upgrade to (default: the Package's spec.image)
  --config-path FILE     the config to upgrade to, a YAML file (default: the Package's spec.config)
  --insecure             allow plain http to the registry of the image
  --kubeconfig FILE      kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  -h, --help             help

Exit status: 0 nothing would change, 1 something would change, 2 an error.

Examples:
  gantry diff package/shop -n shop --image quay.io/acme/shop:v2
  gantry diff clusterpackage cert-manager --config-path prod.yaml
`;

/** The spec objects of the live ObjectSet (slices read). */
async function liveSpecObjects(kube: KubeApi, set: ApiObjectSet): Promise<SpecObject[]> {
  return (await objectSetPhases(kube, set)).flatMap((phase) =>
    phase.objects.map((o) => specObjectOf(phase.name, o)).filter((o): o is SpecObject => o !== undefined),
  );
}

interface Placed {
  readonly ref: ObjectRef;
  readonly namespaced: boolean;
}

async function place(
  kube: KubeApi,
  spec: SpecObject,
  owner: PhaseOwner,
): Promise<Placed & { served: boolean }> {
  const info = await kube.resource(spec.object.apiVersion, spec.object.kind);
  const namespaced = info?.namespaced ?? (spec.object.metadata.namespace ?? '') !== '';
  return { ref: desiredRef(spec, owner, namespaced), namespaced, served: info !== undefined };
}

/** The object as the server would store it: a dry-run of the apply the ObjectSet step makes (as is when refused). */
async function dryRun(kube: KubeApi, desired: KubeObject, served: boolean): Promise<KubeObject> {
  if (!served) return desired;
  try {
    return await kube.apply(desired, { force: true, dryRun: true });
  } catch (error) {
    // A namespace or CRD an earlier phase creates is not there yet: the object as it would be applied.
    if (isNotFound(error)) return desired;
    throw error;
  }
}

async function diffs(
  kube: KubeApi,
  pkg: ApiPackage,
  newSpec: ApiPackage['spec'],
  io: CliIO,
  insecure: boolean,
): Promise<string[]> {
  const set = liveObjectSet(
    (await packageObjectSets(kube, pkg)).map((o) => parseResource(objectSetSchema, o)),
  );
  if (set === undefined) throw new CommandError('ObjectSet could not be found');
  const odRef = {
    apiVersion: API_VERSION,
    kind: scopedKind('ObjectDeployment', pkg.kind === 'ClusterPackage'),
    namespace: pkg.metadata.namespace ?? '',
    name: pkg.metadata.name,
  };
  const odRaw = await getOrUndefined(kube, odRef);
  const existing: ApiObjectDeployment | undefined =
    odRaw === undefined ? undefined : parseResource(objectDeploymentSchema, odRaw);
  const source = await cliPackageSource(io, [newSpec.image], insecure);
  const pulled = await source.pull(newSpec.image);
  const next: ApiPackage = { ...pkg, spec: newSpec };
  const { rendered } = await renderForPackage(next, pulled, existing, {
    kube,
    environment: new EnvironmentProbe(kube),
    engines: packageEngines(),
    prefixOverrides: [],
  });
  const owner = phaseOwnerOf(set, new Set());
  const out: string[] = [];
  const seen = new Set<string>();
  for (const phase of rendered.phases)
    for (const o of phase.objects) {
      const spec = specObjectOf(phase.name, o);
      if (spec === undefined) continue;
      const { ref, namespaced, served } = await place(kube, spec, owner);
      seen.add(JSON.stringify(ref));
      const live = served ? await getOrUndefined(kube, ref) : undefined;
      const owners =
        live === undefined
          ? [ownerReference(owner)]
          : ownerReferencesFor(live.metadata.ownerReferences ?? [], owner);
      const merged = await dryRun(kube, desiredObject(spec, owner, namespaced, owners), served);
      out.push(objectDiff(ref, live, merged));
    }
  for (const spec of await liveSpecObjects(kube, set)) {
    const { ref, served } = await place(kube, spec, owner);
    if (seen.has(JSON.stringify(ref)) || !served) continue;
    const live = await getOrUndefined(kube, ref);
    if (live !== undefined) out.push(objectDiff(ref, live, undefined));
  }
  return out.filter((d) => d !== '');
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      image: { type: 'string' },
      'config-path': { type: 'string' },
      insecure: { type: 'boolean' },
      kubeconfig: { type: 'string' },
    },
  });
  const arg = parseResourceArgument(positionals);
  const kind = packageKindOf(arg);
  const configPath = values['config-path'];
  const config = configPath !== undefined ? await readConfigFile(io.cwd, configPath) : undefined;
  const found = await withClient(io, values.kubeconfig, async (kube) => {
    const { pkg } = await getPackage(kube, packageRef(kind, values.namespace ?? 'default', arg.name));
    const newSpec = {
      ...pkg.spec,
      image: values.image ?? pkg.spec.image,
      ...(config !== undefined ? { config } : {}),
    };
    return diffs(kube, pkg, newSpec, io, values.insecure === true);
  });
  io.stdout(found.join(''));
  return found.length > 0 ? 1 : 0;
}

export const diffCommand: Command = {
  usage,
  async run(argv, io) {
    try {
      return await run(argv, io);
    } catch (error) {
      // `kubectl diff`: 1 means "differences found", so errors exit with 2.
      io.stderr(`Error: ${errorMessage(error)}\n`);
      return 2;
    }
  },
};
