/**
 * @module cli/commands/rollout
 * `gantry rollout history` (PKO's, docs/pko-compatibility.md §7: the `REVISION  SUCCESSFUL  CHANGE-CAUSE` table, `-o
 * json|yaml`, `--revision N` and their errors) and `gantry rollout undo` (Gantry's own: PKO has no rollback
 * command, §9 item 4): set a (Cluster)Package's image and config back to those of a revision, read from its
 * ObjectSet's annotations, record `kubernetes.io/change-cause: Rolled back to revision N.` and wait until the
 * new revision is Available.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { goTags } from '../../shared/packages/yaml.js';
import { API_VERSION, ANNOTATION_CHANGE_CAUSE, scopedKind } from '../../shared/api/constants.js';
import { isRecord } from '../../shared/api/objects.js';
import { errorMessage } from '../../shared/errors.js';
import type { KubeApi, KubeObject } from '../../shared/ports.js';
import {
  ANNOTATION_CHANGE_CAUSE_FOR,
  changeCauseKey,
  CommandError,
  historyTable,
  packageKindOf,
  parseResourceArgument,
  revisions,
  revisionSource,
  undoTarget,
  type ResourceArgument,
  type Revision,
} from '../../shared/rollout/history.js';
import {
  currentCondition,
  getObjectDeployment,
  getPackage,
  listObjectSets,
  packageObjectSets,
  packageRef,
  timeoutFlag,
  waitFor,
  withClient,
} from '../cluster.js';
import type { CliIO, Command } from '../command.js';
import { UsageError } from '../package-input.js';

const usage = `Manage the rollout of a (Cluster)Package or (Cluster)ObjectDeployment.

Usage:
  gantry rollout history <package|clusterpackage|objectdeployment|clusterobjectdeployment>/<name> [flags]
  gantry rollout undo <package|clusterpackage>/<name> [flags]
  (every resource argument may also be given as two words: <kind> <name>)

history: the revisions (ObjectSets) of the resource, oldest first, as PKO's kubectl-package prints them.
  -n, --namespace NS       the namespace (package: default "default"; objectdeployment: required, else the
                           clusterobjectdeployment of that name is read, as PKO does)
  -o, --output json|yaml   print the ObjectSets instead of the table (with --revision: default yaml)
  --revision N             print the ObjectSet of revision N

undo (beyond PKO): set the Package's image, config and component back to those of a revision and wait until
the new revision is Available. Records "kubernetes.io/change-cause: Rolled back to revision N." on it.
  -n, --namespace NS       the Package's namespace (default "default")
  --to-revision N          the revision to go back to (default: the one before the current revision)
  --timeout SECONDS        how long to wait for Available (default 60)
  --force                  go back to a revision that never succeeded (refused without it)

Flags of both:
  --kubeconfig FILE        kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  -h, --help               help

Examples:
  gantry rollout history package/shop -n shop
  gantry rollout history package shop -n shop --revision 2 -o json
  gantry rollout undo package/shop -n shop --to-revision 1
`;

/** Reorders the top level and metadata as PKO's typed objects marshal them (kind, apiVersion, metadata …). */
function typedOrder(object: KubeObject): Record<string, unknown> {
  const metaOrder = [
    'name',
    'generateName',
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'labels',
    'annotations',
    'ownerReferences',
    'finalizers',
    'managedFields',
  ];
  const meta: Record<string, unknown> = { ...object.metadata };
  const entries: [string, unknown][] = [
    ...metaOrder.filter((k) => meta[k] !== undefined).map((k): [string, unknown] => [k, meta[k]]),
    ...Object.entries(meta).filter(([k]) => !metaOrder.includes(k)),
  ];
  const orderedMeta = Object.fromEntries(entries);
  const { kind, apiVersion, metadata: _m, ...rest } = object;
  return { kind, apiVersion, metadata: orderedMeta, ...rest };
}

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

function toYaml(value: unknown): string {
  return stringify(value, {
    sortMapEntries: true,
    aliasDuplicateObjects: false,
    version: '1.1',
    customTags: goTags,
    indentSeq: false,
  });
}

function outputFormat(value: string | undefined): 'table' | 'json' | 'yaml' {
  const format = (value ?? '').toLowerCase();
  if (format === '') return 'table';
  if (format === 'json' || format === 'yaml') return format;
  throw new CommandError(`invalid output format: "${value ?? ''}"`);
}

/** The ObjectSets of the resource an argument names (PKO's `objectSetGetter`). */
async function historyOf(kube: KubeApi, arg: ResourceArgument, namespace: string): Promise<Revision[]> {
  const context = (error: unknown): CommandError =>
    new CommandError(`getting resource ${arg.resource}/${arg.name}: ${errorMessage(error)}`, {
      cause: error,
    });
  if (arg.kind === 'package' || arg.kind === 'clusterpackage') {
    const { pkg } = await getPackage(kube, packageRef(packageKindOf(arg), namespace, arg.name)).catch(
      (e: unknown) => {
        throw context(e);
      },
    );
    return revisions(await packageObjectSets(kube, pkg));
  }
  if (arg.kind === 'objectdeployment' || arg.kind === 'clusterobjectdeployment') {
    const cluster = arg.kind === 'clusterobjectdeployment' || namespace === '';
    const od = await getObjectDeployment(kube, {
      apiVersion: API_VERSION,
      kind: scopedKind('ObjectDeployment', cluster),
      namespace: cluster ? '' : namespace,
      name: arg.name,
    }).catch((e: unknown) => {
      throw context(e);
    });
    return revisions(await listObjectSets(kube, cluster, namespace, od.metadata.labels ?? {}));
  }
  throw new CommandError('invalid resource type');
}

/** An integer flag, with pflag's words for a bad one. */
function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value))
    throw new UsageError(
      `invalid argument "${value}" for "--${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
    );
  return Number(value);
}

async function history(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
      revision: { type: 'string' },
      kubeconfig: { type: 'string' },
    },
  });
  const arg = parseResourceArgument(positionals);
  const wanted = positiveInt(values.revision, 'revision') ?? 0;
  const defaultNs = arg.kind === 'package' ? 'default' : '';
  const list = await withClient(io, values.kubeconfig, (kube) =>
    historyOf(kube, arg, values.namespace ?? defaultNs),
  );
  if (wanted > 0) {
    const found = list.find((r) => r.revision === wanted);
    if (found === undefined) throw new CommandError('revision not found');
    const format = outputFormat(values.output);
    io.stdout(format === 'json' ? toJson(typedOrder(found.object)) : toYaml(found.object));
    return 0;
  }
  const format = outputFormat(values.output);
  if (format === 'table') io.stdout(historyTable(list));
  else if (format === 'json') io.stdout(toJson(list.map((r) => typedOrder(r.object))));
  else io.stdout(toYaml(list.map((r) => r.object)));
  return 0;
}

/** The Package set back to a revision: image, config and component, and the change cause of the rollback. */
export function rolledBack(raw: KubeObject, target: Revision): KubeObject {
  const source = revisionSource(target);
  const spec = isRecord(raw['spec']) ? raw['spec'] : {};
  const { config: _c, component: _k, ...rest } = spec;
  return {
    ...raw,
    metadata: {
      ...raw.metadata,
      annotations: {
        ...raw.metadata.annotations,
        [ANNOTATION_CHANGE_CAUSE]: `Rolled back to revision ${target.revision}.`,
        [ANNOTATION_CHANGE_CAUSE_FOR]: changeCauseKey(source),
      },
    },
    spec: {
      ...rest,
      image: source.image,
      ...(source.config !== undefined ? { config: source.config } : {}),
      ...(source.component !== undefined ? { component: source.component } : {}),
    },
  };
}

function statusRevision(object: KubeObject): number {
  const status = object['status'];
  return isRecord(status) && typeof status['revision'] === 'number' ? status['revision'] : 0;
}

async function undo(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      'to-revision': { type: 'string' },
      timeout: { type: 'string' },
      force: { type: 'boolean' },
      kubeconfig: { type: 'string' },
    },
  });
  const arg = parseResourceArgument(positionals);
  const kind = packageKindOf(arg);
  const toRevision = positiveInt(values['to-revision'], 'to-revision');
  const timeoutMs = timeoutFlag(values.timeout);
  const ref = packageRef(kind, values.namespace ?? 'default', arg.name);
  const target = await withClient(io, values.kubeconfig, async (kube) => {
    const { raw, pkg } = await getPackage(kube, ref);
    const list = revisions(await packageObjectSets(kube, pkg));
    const current = pkg.status.revision ?? list[list.length - 1]?.revision ?? 0;
    const chosen = undoTarget(list, current, toRevision, values.force === true);
    try {
      // One resourceVersion-guarded PUT: the config is replaced as a whole (a merge patch would merge maps).
      await kube.update(rolledBack(raw, chosen));
    } catch (error) {
      throw new CommandError(`rolling back package: ${errorMessage(error)}`, { cause: error });
    }
    await waitFor(
      kube,
      ref,
      (o) =>
        currentCondition(o, 'Available') === 'True' &&
        currentCondition(o, 'Progressing') === 'False' &&
        statusRevision(o) > current,
      {
        timeoutMs,
        timeoutMessage: `timeout waiting ${timeoutMs / 1000}s for ${kind} ${ref.namespace}/${ref.name} to roll back to revision ${chosen.revision}: the new revision is not Available`,
      },
    );
    return chosen.revision;
  });
  io.stdout(`${arg.kind}/${arg.name} rolled back to revision ${target}\n`);
  return 0;
}

export const rolloutCommand: Command = {
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'history') return history(rest, io);
    if (sub === 'undo') return undo(rest, io);
    throw new UsageError(
      sub === undefined
        ? 'a sub-command is required: history or undo'
        : `unknown command "${sub}" for "gantry rollout"`,
    );
  },
};
