/**
 * @module packages/archive
 * Tarballs (plain or gzip) → a package file map, with PKO's image-layer rules (docs/pko-compatibility.md §1.1: only files
 * under `package/`, later entries win, directories and hidden paths skipped) and Gantry's stricter safety:
 * absolute paths, `..` segments, symbolic and hard links, device files and oversized archives are refused
 * with a message naming the entry and the limit.
 */
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import type { FileMap } from './files.js';
import { GantryError } from '../errors.js';
import { ViolationError } from './violation.js';

export interface ArchiveLimits {
  /** Most files in the package. */
  readonly maxFiles: number;
  /** Largest single file, bytes. */
  readonly maxFileBytes: number;
  /**
   * Most bytes after decompression, bytes (stops gzip bombs): every byte of the tar stream counts, entries
   * skipped by the layer rules included, across every archive that shares one ArchiveBudget (all layers of
   * an image).
   */
  readonly maxTotalBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxFiles: 10_000,
  maxFileBytes: 32 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
};

export interface ReadTarballOptions {
  readonly limits?: Partial<ArchiveLimits>;
  /** `package/` for image layers (only files below it, made relative); '' for a plain package tarball. */
  readonly prefix?: 'package/' | '';
  /** Files already read from earlier layers: later entries overwrite them. */
  readonly into?: Map<string, Uint8Array>;
  /** Decompressed bytes counted so far; share one across the layers of an image. */
  readonly budget?: ArchiveBudget;
}

/** Decompressed bytes read so far against maxTotalBytes. */
export interface ArchiveBudget {
  total: number;
}

export function newArchiveBudget(): ArchiveBudget {
  return { total: 0 };
}

function refuse(reason: string, name: string): never {
  throw new ViolationError({ reason, details: name });
}

/** The entry's path relative to the package root, or undefined when the entry is not part of the package. */
function packagePath(name: string, prefix: string): string | undefined {
  if (name.startsWith('/')) refuse('Absolute path in package archive', name);
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) refuse('Path escapes the package in package archive', name);
  const path = segments.join('/');
  if (prefix !== '' && !`${path}/`.startsWith(prefix)) return undefined;
  const relative = prefix === '' ? path : path.slice(prefix.length);
  if (relative === '' || relative.split('/').some((s) => s.startsWith('.'))) return undefined;
  return relative;
}

function checkType(header: Header): boolean {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return true;
    case 'directory':
      return false;
    case 'symlink':
      return refuse('Symbolic link in package archive', `${header.name} -> ${header.linkname}`);
    case 'link':
      return refuse('Hard link in package archive', `${header.name} -> ${header.linkname}`);
    default:
      return refuse(`Unsupported entry type ${header.type} in package archive`, header.name);
  }
}

function isGzip(first: Uint8Array): boolean {
  return first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
}

async function* chunksOf(input: Uint8Array | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (input instanceof Uint8Array) yield input;
  else yield* input;
}

/** Peek at the first chunk to detect gzip, then stream everything through (gunzip and) tar extraction. */
async function tarStream(input: Uint8Array | AsyncIterable<Uint8Array>): Promise<Readable> {
  const iterator = chunksOf(input)[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done === true ? new Uint8Array() : first.value;
  async function* all(): AsyncIterable<Uint8Array> {
    yield head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  }
  const raw = Readable.from(all());
  if (!isGzip(head)) return raw;
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

interface Budget {
  files: number;
  /** The entry being read, for messages. */
  entry: string;
}

/**
 * Count every byte that leaves decompression, before tar parsing sees it: file data, skipped entries, headers
 * and anything after the end of the archive. Fails the stream with a ViolationError naming the entry.
 */
function counted(source: Readable, limits: ArchiveLimits, total: ArchiveBudget, budget: Budget): Readable {
  const counter = new Transform({
    transform(chunk: unknown, _encoding, callback): void {
      if (chunk instanceof Uint8Array) total.total += chunk.length;
      if (total.total > limits.maxTotalBytes) {
        callback(
          new ViolationError({
            reason: `Package archive larger than ${limits.maxTotalBytes} bytes uncompressed (limit maxTotalBytes)`,
            details: budget.entry,
          }),
        );
        return;
      }
      callback(null, chunk);
    },
  });
  source.on('error', (e) => counter.destroy(e));
  return source.pipe(counter);
}

async function readEntry(
  stream: AsyncIterable<unknown>,
  header: Header,
  limits: ArchiveLimits,
): Promise<Uint8Array> {
  if (header.size > limits.maxFileBytes) {
    refuse(
      `File larger than ${limits.maxFileBytes} bytes (limit maxFileBytes) in package archive`,
      `${header.name}: ${header.size} bytes`,
    );
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) if (chunk instanceof Uint8Array) chunks.push(chunk);
  // One copy at most: a file that arrived in one chunk is that chunk, unless keeping it as a view would keep a
  // much larger buffer (gunzip's output chunk) alive; then it gets its own exact-size copy.
  const joined = chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks);
  if (joined.buffer.byteLength > 2 * joined.length + 8192) return new Uint8Array(joined);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.length);
}

/** Read a tar or tar.gz archive into a file map. Throws ViolationError for unsafe or oversized archives. */
export async function readTarball(
  input: Uint8Array | AsyncIterable<Uint8Array>,
  options: ReadTarballOptions = {},
): Promise<Map<string, Uint8Array>> {
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const files = options.into ?? new Map<string, Uint8Array>();
  const budget: Budget = { files: files.size, entry: '(archive)' };
  const extractor = extract();
  const source = counted(await tarStream(input), limits, options.budget ?? newArchiveBudget(), budget);
  source.on('error', (e) => {
    extractor.destroy(e);
  });
  source.pipe(extractor);
  try {
    for await (const entry of extractor) {
      const header = entry.header;
      budget.entry = header.name;
      const path = checkType(header) ? packagePath(header.name, options.prefix ?? '') : undefined;
      if (path === undefined) {
        entry.resume();
        continue;
      }
      const bytes = await readEntry(entry, header, limits);
      if (!files.has(path)) budget.files += 1;
      if (budget.files > limits.maxFiles)
        refuse(`Package archive has more than ${limits.maxFiles} files (limit maxFiles)`, path);
      files.set(path, bytes);
    }
  } catch (error) {
    source.destroy();
    // Violations, and failures of the source already typed by their retry meaning (a network error in the
    // middle of the body is retryable), pass as they are; anything else is a broken archive.
    if (error instanceof GantryError) throw error;
    throw new ViolationError(
      { reason: 'Invalid package archive', details: error instanceof Error ? error.message : String(error) },
      { cause: error },
    );
  }
  return files;
}

/**
 * A package tarball (S3 object, HTTPS download): the package files at the archive's root, or — when it is an
 * image layer — under `package/`, in which case only those count (PKO's layer rule).
 */
export async function readPackageTarball(
  input: Uint8Array | AsyncIterable<Uint8Array>,
  options: ReadTarballOptions = {},
): Promise<FileMap> {
  const all = await readTarball(input, { ...options, prefix: '' });
  if (![...all.keys()].some((k) => k.startsWith('package/'))) return all;
  const out = new Map<string, Uint8Array>();
  for (const [k, v] of all) if (k.startsWith('package/')) out.set(k.slice('package/'.length), v);
  return out;
}
