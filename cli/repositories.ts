/**
 * @module cli/repositories
 * Reading and writing PKO repository indexes for the CLI: files (named relative to the working folder, as PKO
 * opens them) and repository images (`repository/repository.yaml` in the image's layers), with PKO's messages.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PackageSource } from '../functions/adapters/package-source.js';
import { buildRepositoryImage, REPOSITORY_IMAGE_PATH } from '../shared/oci/image.js';
import {
  parseRepositoryIndex,
  REPOSITORY_LIMITS,
  RepositoryError,
  serializeRepositoryIndex,
  stampedIndex,
  type RepositoryIndex,
} from '../shared/packages/repository.js';

const GO_ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
};

/** A file system error as Go's `os` package words it (`open r.yaml: no such file or directory`). */
export function goFileError(op: 'open' | 'read', path: string, error: unknown): Error {
  const code =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? error.code
      : '';
  const text = GO_ERRNO[code];
  return text === undefined
    ? error instanceof Error
      ? error
      : new Error(String(error))
    : new RepositoryError(`${op} ${path}: ${text}`, { cause: error });
}

/** Read and parse a repository file; `path` as the user wrote it, relative to `cwd`. */
export async function readRepositoryFile(cwd: string, path: string): Promise<RepositoryIndex> {
  const full = resolve(cwd, path);
  let text: string;
  try {
    const info = await stat(full);
    if (info.size > REPOSITORY_LIMITS.maxBytes)
      throw new RepositoryError(`${path} is ${info.size} bytes (at most ${REPOSITORY_LIMITS.maxBytes})`);
    text = await readFile(full, 'utf8');
  } catch (error) {
    if (error instanceof RepositoryError) throw error;
    throw goFileError('open', path, error);
  }
  return parseRepositoryIndex(text);
}

/** Write the index as PKO does (mode 0600 when created; a creationTimestamp of now when it has none). */
export async function writeRepositoryFile(cwd: string, path: string, index: RepositoryIndex): Promise<void> {
  try {
    await writeFile(resolve(cwd, path), serializeRepositoryIndex(stampedIndex(index, new Date())), {
      mode: 0o600,
    });
  } catch (error) {
    throw goFileError('open', path, error);
  }
}

/** Pull a repository image and read its index (`read from image tar: EOF` when it holds none, as PKO). */
export async function pullRepositoryImage(
  source: PackageSource,
  reference: string,
  describe: string,
): Promise<RepositoryIndex> {
  let files: ReadonlyMap<string, Uint8Array>;
  try {
    files = (await source.pullImageFiles(reference)).files;
  } catch (error) {
    throw new Error(`${describe}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const bytes = files.get(REPOSITORY_IMAGE_PATH);
  if (bytes === undefined) throw new RepositoryError('read from image tar: EOF');
  return parseRepositoryIndex(new TextDecoder().decode(bytes));
}

/** Push the index as a repository image under `tag`. */
export async function pushRepositoryImage(
  source: PackageSource,
  index: RepositoryIndex,
  tag: string,
): Promise<void> {
  const image = buildRepositoryImage(serializeRepositoryIndex(stampedIndex(index, new Date())));
  await source.push(image, [tag]);
}
