/**
 * @module cli/commands/repository
 * `gantry repository` (alias `repo`): PKO's `kubectl package repo` — create a repository index file, add and
 * remove package images (each pulled to read its manifest), push the index as a repository image and pull it
 * back. Same arguments, files, image layout and messages as PKO v1.19.0; registries are reached as PKO's
 * go-containerregistry reaches them (plain http for loopback, `.local` and private-network registries).
 */
import { errorMessage } from '../../shared/errors.js';
import { PLAIN_HTTP_RULES } from '../../shared/oci/network.js';
import { qualifyReference, type QualifiedReference } from '../../shared/oci/reference.js';
import { loadPackage } from '../../shared/packages/index.js';
import { parseVersion } from '../../shared/packages/pko-semver.js';
import {
  addRepositoryEntry,
  removeRepositoryEntry,
  type RepositoryEntry,
  type RepositoryIndex,
} from '../../shared/packages/repository.js';
import type { CliIO, Command } from '../command.js';
import { UsageError } from '../package-input.js';
import {
  pullRepositoryImage,
  pushRepositoryImage,
  readRepositoryFile,
  writeRepositoryFile,
} from '../repositories.js';
import { cliPackageSource } from '../sources.js';
import type { PackageSource } from '../../functions/adapters/package-source.js';

const usage = `Interact with package repositories (PKO's kubectl package repo).

Usage:
  gantry repository <command> [args]   (alias: gantry repo)

Commands:
  initialize file name            init a new repository in file with name (alias: init)
  add file package version...     adds package with versions to the repository at file
  remove file package             remove package from the repository at file
  push file tag                   push a repository from file to tag
  pull file tag                   pull a repository from tag and write it to file

A repository file is PKO's index: a "kind: Repository" document and one "kind: RepositoryEntry" per package
image (its name, image, digest, versions newest first and constraints). "add" and "remove" pull the package
image to read its manifest and digest; versions are strict semantic versions (1.2.3, no "v"). "push" stores the
file as repository/repository.yaml in a one-layer image; "pull" writes that file back. Files are written with
mode 0600; nothing is printed on success.

Registry credentials come from $DOCKER_CONFIG/config.json (default ~/.docker/config.json). Loopback, .local and
private-network registries are reached over plain http, as PKO does.

Examples:
  gantry repo init repo.yaml my-repo
  gantry repo add repo.yaml quay.io/acme/app-package:v1.2.0 1.2.0
  gantry repo push repo.yaml quay.io/acme/repository:latest
`;

/** PKO's `name.ParseReference(s, name.StrictValidation)`: a registry and a tag or digest must be written. */
function strictReference(text: string): QualifiedReference | undefined {
  const first = text.split('/')[0] ?? '';
  const hasRegistry =
    text.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const last = text.slice(text.lastIndexOf('/') + 1);
  const hasTagOrDigest = last.includes(':') || text.includes('@');
  const parsed = qualifyReference(text);
  return hasRegistry && hasTagOrDigest && parsed.ok ? parsed.value : undefined;
}

/** cobra's argument count checks, with its messages. */
function exactly(n: number, args: readonly string[]): void {
  if (args.length !== n) throw new UsageError(`accepts ${n} arg(s), received ${args.length}`);
}

function notEmpty(values: Record<string, string | undefined>): void {
  for (const [what, value] of Object.entries(values))
    if (value === '') throw new UsageError(`arguments invalid: ${what} must be not empty`);
}

function wrap(prefix: string, error: unknown): Error {
  return new Error(`${prefix}: ${errorMessage(error)}`, { cause: error });
}

async function sourceFor(io: CliIO, reference: string): Promise<PackageSource> {
  return cliPackageSource(io, [reference], false, new Set(PLAIN_HTTP_RULES));
}

/** Pull a package image and make its repository entry (name and constraints from its manifest). */
async function packageEntry(
  io: CliIO,
  reference: string,
  ref: QualifiedReference,
  versions: readonly string[],
): Promise<RepositoryEntry> {
  const source = await sourceFor(io, reference);
  let pulled;
  try {
    pulled = await source.pull(reference);
  } catch (error) {
    throw wrap('pull package image', error);
  }
  let manifest;
  try {
    manifest = loadPackage({ files: pulled.files, labels: pulled.labels }).root.manifest;
  } catch (error) {
    throw wrap('package from raw package', error);
  }
  const constraints = manifest.spec?.constraints ?? [];
  return {
    name: manifest.metadata?.name ?? '',
    image: `${ref.registry}/${ref.repository}`,
    digest: pulled.digest.replace(/^sha256:/, ''),
    versions,
    ...(constraints.length > 0 ? { constraints } : {}),
  };
}

async function init(args: readonly string[], io: CliIO): Promise<void> {
  exactly(2, args);
  const [file = '', name = ''] = args;
  notEmpty({ name, file });
  await writeRepositoryFile(io.cwd, file, { name, entries: [] }).catch((error: unknown) => {
    throw wrap('write to file', error);
  });
}

async function add(args: readonly string[], io: CliIO): Promise<void> {
  if (args.length < 3) throw new UsageError(`requires at least 3 arg(s), only received ${args.length}`);
  const [file = '', reference = '', ...versions] = args;
  const ref = strictReference(reference);
  if (ref === undefined) throw new Error(`package reference: could not parse reference: ${reference}`);
  for (const v of versions) {
    const parsed = parseVersion(v);
    if (!parsed.ok) throw new Error(`version: ${parsed.error}`);
  }
  const index = await readRepositoryFile(io.cwd, file);
  const entry = await packageEntry(io, reference, ref, versions);
  let next: RepositoryIndex;
  try {
    next = addRepositoryEntry(index, entry);
  } catch (error) {
    throw wrap('add new entry', error);
  }
  await writeRepositoryFile(io.cwd, file, next).catch((error: unknown) => {
    throw wrap('write to file', error);
  });
}

async function remove(args: readonly string[], io: CliIO): Promise<void> {
  exactly(2, args);
  const [file = '', reference = ''] = args;
  const ref = strictReference(reference);
  if (ref === undefined) throw new Error(`given package reference: could not parse reference: ${reference}`);
  const index = await readRepositoryFile(io.cwd, file).catch((error: unknown) => {
    throw wrap('read from file', error);
  });
  const entry = await packageEntry(io, reference, ref, []);
  let next: RepositoryIndex;
  try {
    // PKO's message for a failed removal says "add".
    next = removeRepositoryEntry(index, entry.name, entry.digest);
  } catch (error) {
    throw wrap('add new entry', error);
  }
  await writeRepositoryFile(io.cwd, file, next).catch((error: unknown) => {
    throw wrap('write to file', error);
  });
}

async function push(args: readonly string[], io: CliIO): Promise<void> {
  exactly(2, args);
  const [file = '', tag = ''] = args;
  notEmpty({ tag, file });
  const index = await readRepositoryFile(io.cwd, file).catch((error: unknown) => {
    throw wrap('read from file', error);
  });
  const source = await sourceFor(io, tag);
  // PKO's message for a failed push says "pull".
  await pushRepositoryImage(source, index, tag).catch((error: unknown) => {
    throw wrap('pull repository image', error);
  });
}

async function pull(args: readonly string[], io: CliIO): Promise<void> {
  exactly(2, args);
  const [file = '', tag = ''] = args;
  notEmpty({ tag, file });
  const index = await pullRepositoryImage(await sourceFor(io, tag), tag, 'pull repository image');
  await writeRepositoryFile(io.cwd, file, index).catch((error: unknown) => {
    throw wrap('write to file', error);
  });
}

const subcommands: Readonly<Record<string, (args: readonly string[], io: CliIO) => Promise<void>>> = {
  initialize: init,
  init,
  add,
  remove,
  push,
  pull,
};

export const repositoryCommand: Command = {
  usage,
  async run(argv, io) {
    const [name, ...args] = argv;
    if (name === undefined) {
      io.stdout(usage);
      return 0;
    }
    const sub = subcommands[name];
    if (sub === undefined) throw new UsageError(`unknown command "${name}" for "gantry repository"`);
    await sub(args, io);
    return 0;
  },
};
