/**
 * @module cli/commands/catalog
 * The catalog's day-2 commands for a Package that follows a PackageRepository:
 * - `gantry versions <package>`: every version of the followed package, its lifecycle and validation, and what it
 *   is to this Package (running, proposed, approved, rejected, available, out of range);
 * - `gantry approve <package> [--version V]`: move the Package to the proposed (or named) version, digest-pinned,
 *   in one update that the validating webhook checks (only who may update the Package may approve);
 * - `gantry reject <package> [--version V]`: drop the proposal; the version is never proposed to it again.
 */
import { parseArgs } from 'node:util';
import semver from 'semver';
import { GANTRY_API_VERSION } from '../../shared/api/constants.js';
import { isRecord } from '../../shared/api/objects.js';
import { parseResource } from '../../shared/api/resources.js';
import { approvalProblem, newestEligible, type Candidate } from '../../shared/catalog/follow.js';
import {
  ANNOTATION_APPROVED,
  ANNOTATION_PROPOSED,
  ANNOTATION_REJECTED,
  ANNOTATION_VERSION,
  LABEL_PACKAGE_NAME,
  LABEL_REPOSITORY,
  MAX_REJECTED,
  parseFollow,
  type Follow,
} from '../../shared/catalog/model.js';
import { candidateOf, revisionSchema, type Revision } from '../../shared/catalog/revision.js';
import { versionsView } from '../../shared/catalog/versions.js';
import { errorMessage } from '../../shared/errors.js';
import { isConflict } from '../../shared/kube-errors.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import { CommandError } from '../../shared/rollout/history.js';
import { withClient } from '../cluster.js';
import type { CliIO, Command } from '../command.js';

const FLAGS = `Flags:
  -n, --namespace NS     the Package's namespace (default "default")
  --kubeconfig FILE      kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  -h, --help             help`;

interface Followed {
  readonly raw: KubeObject;
  readonly follow: Follow;
  readonly revisions: readonly Revision[];
  readonly candidates: readonly Candidate[];
  readonly image: string;
}

function packageRefOf(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace, name };
}

/** The Package, what it follows, and the versions of the followed package (newest first). */
async function followed(kube: KubeApi, ref: ObjectRef): Promise<Followed> {
  let raw: KubeObject;
  try {
    raw = await kube.get(ref);
  } catch (error) {
    throw new CommandError(`getting package ${ref.namespace}/${ref.name}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const follow = parseFollow(raw.metadata.annotations);
  if (follow === undefined)
    throw new CommandError(
      `package ${ref.namespace}/${ref.name} follows no repository (annotation gantry.run/repository)`,
    );
  if ('error' in follow) throw new CommandError(`package ${ref.namespace}/${ref.name}: ${follow.error}`);
  const selector = [
    `${LABEL_REPOSITORY}=${follow.repository}`,
    ...(follow.packageName !== undefined ? [`${LABEL_PACKAGE_NAME}=${follow.packageName}`] : []),
  ].join(',');
  const revisions = (
    await kube.list(GANTRY_API_VERSION, 'PackageRevision', ref.namespace, { labelSelector: selector })
  )
    .map((o) => parseResource(revisionSchema, o))
    .sort((a, b) => semver.rcompare(a.spec.version, b.spec.version));
  const spec = isRecord(raw['spec']) ? raw['spec'] : {};
  const image = typeof spec['image'] === 'string' ? spec['image'] : '';
  return { raw, follow, revisions, candidates: revisions.map(candidateOf), image };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/** The `gantry versions` table. */
export function versionsTable(f: Followed): string {
  const view = versionsView(f.follow, f.image, f.revisions);
  const rows: string[][] = [['VERSION', 'LIFECYCLE', 'VALIDATED', 'STATE', 'MESSAGE']];
  for (const r of view.rows) rows.push([r.version, r.lifecycle, r.validated, r.state, r.message]);
  return table(rows);
}

function parse(
  argv: readonly string[],
  withVersion: boolean,
): { name: string; namespace: string; version?: string; kubeconfig?: string } {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      kubeconfig: { type: 'string' },
      ...(withVersion ? { version: { type: 'string' as const } } : {}),
    },
  });
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new CommandError('name one Package');
  const version = values['version'];
  return {
    name: name.replace(/^packages?\//, ''),
    namespace: typeof values['namespace'] === 'string' ? values['namespace'] : 'default',
    ...(typeof version === 'string' ? { version } : {}),
    ...(typeof values['kubeconfig'] === 'string' ? { kubeconfig: values['kubeconfig'] } : {}),
  };
}

/** Update the Package with `change` applied to what was read, reading again on a lost resourceVersion race. */
async function updateFollowing(
  kube: KubeApi,
  ref: ObjectRef,
  change: (f: Followed) => KubeObject,
): Promise<Followed> {
  for (let attempt = 1; ; attempt++) {
    const f = await followed(kube, ref);
    try {
      await kube.update(change(f));
      return f;
    } catch (error) {
      if (isConflict(error) && attempt < 5) continue;
      throw new CommandError(`updating package ${ref.namespace}/${ref.name}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

function chosenVersion(f: Followed, version: string | undefined, verb: string): string {
  const chosen = version ?? f.follow.proposed;
  if (chosen === undefined)
    throw new CommandError(
      `nothing is proposed to package ${f.raw.metadata.namespace ?? ''}/${f.raw.metadata.name}; name a version to ${verb} with --version`,
    );
  return chosen;
}

function withAnnotations(
  raw: KubeObject,
  set: Readonly<Record<string, string | undefined>>,
  spec?: Record<string, unknown>,
): KubeObject {
  const kept = Object.entries(raw.metadata.annotations ?? {}).filter(([k]) => !(k in set));
  const added = Object.entries(set).filter((e): e is [string, string] => e[1] !== undefined);
  const oldSpec = isRecord(raw['spec']) ? raw['spec'] : {};
  return {
    ...raw,
    metadata: { ...raw.metadata, annotations: Object.fromEntries([...kept, ...added]) },
    spec: { ...oldSpec, ...spec },
  };
}

/** Approve `version` (default: the proposed one) for the Package; resolves with what was done, in words. */
export async function approvePackage(kube: KubeApi, ref: ObjectRef, version?: string): Promise<string> {
  let approved = '';
  let image = '';
  await updateFollowing(kube, ref, (f) => {
    approved = chosenVersion(f, version, 'approve');
    const problem = approvalProblem(f.follow, approved, f.candidates);
    if (problem !== undefined)
      throw new CommandError(`approving ${approved} for package ${ref.namespace}/${ref.name}: ${problem}`);
    image = f.candidates.find((c) => c.version === approved)?.image ?? '';
    return withAnnotations(
      f.raw,
      { [ANNOTATION_APPROVED]: approved, [ANNOTATION_VERSION]: approved, [ANNOTATION_PROPOSED]: undefined },
      { image },
    );
  });
  return `package ${ref.namespace}/${ref.name} approved ${approved}: ${image}`;
}

/** Reject `version` (default: the proposed one) for the Package; resolves with what was done, in words. */
export async function rejectPackage(kube: KubeApi, ref: ObjectRef, version?: string): Promise<string> {
  let rejected = '';
  await updateFollowing(kube, ref, (f) => {
    rejected = chosenVersion(f, version, 'reject');
    const list = [...f.follow.rejected.filter((v) => v !== rejected), rejected].slice(-MAX_REJECTED);
    return withAnnotations(f.raw, {
      [ANNOTATION_REJECTED]: list.join(','),
      ...(f.follow.proposed === rejected ? { [ANNOTATION_PROPOSED]: undefined } : {}),
    });
  });
  return `package ${ref.namespace}/${ref.name} rejected ${rejected}`;
}

async function approve(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parse(argv, true);
  const ref = packageRefOf(args.namespace, args.name);
  await withClient(io, args.kubeconfig, async (kube) => {
    io.stdout(`${await approvePackage(kube, ref, args.version)}\n`);
  });
  return 0;
}

async function reject(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parse(argv, true);
  const ref = packageRefOf(args.namespace, args.name);
  await withClient(io, args.kubeconfig, async (kube) => {
    io.stdout(`${await rejectPackage(kube, ref, args.version)}\n`);
  });
  return 0;
}

async function versions(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parse(argv, false);
  await withClient(io, args.kubeconfig, async (kube) => {
    const f = await followed(kube, packageRefOf(args.namespace, args.name));
    const newest = newestEligible(f.follow, f.candidates);
    io.stdout(
      `Package ${args.namespace}/${args.name} follows ${f.follow.repository} ${f.follow.range} (${f.follow.approval})${newest !== undefined ? `, newest available ${newest.version}` : ''}\n${versionsTable(f)}\n`,
    );
  });
  return 0;
}

export const versionsCommand: Command = {
  usage: `List the versions of the package a Package follows, with their validation and what each is to it.

Usage:
  gantry versions <package> [flags]

${FLAGS}
`,
  run: versions,
};

export const approveCommand: Command = {
  usage: `Roll a following Package out to its proposed version (or --version V), pinned by digest.

Usage:
  gantry approve <package> [--version V] [flags]

  --version V            the version to approve (default: the proposed one); it must be validated and in range
${FLAGS}

The approval is an update of the Package (annotation gantry.run/approved-version): only who may update the
Package may approve, and the validating webhook refuses a version that is not validated, with the reason.
`,
  run: approve,
};

export const rejectCommand: Command = {
  usage: `Drop the version proposed to a following Package (or --version V); it is never proposed to it again.

Usage:
  gantry reject <package> [--version V] [flags]

  --version V            the version to reject (default: the proposed one)
${FLAGS}
`,
  run: reject,
};
