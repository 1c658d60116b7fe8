/**
 * @module adapters/schema-loader
 * Where `test.kubeconform` reads JSON schemas (the CLI's `validate` and `build`): files (a path or `file://`) and
 * http(s) URLs, as kubeconform loads them. A missing file or a 404 is "no schema here" (the next location is
 * tried); any other failure is an error naming the location. Bounded: 10 s and 16 MiB per schema, each location
 * read once per run.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../../shared/errors.js';
import type { SchemaLoader } from '../../shared/packages/kubeconform.js';

const MAX_SCHEMA_BYTES = 16 * 1024 * 1024;
const TIMEOUT_MS = 10_000;

function parse(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return value;
  } catch {
    return undefined; // kubeconform treats an answer that is not JSON as no schema there
  }
}

async function fromFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR'))
      return undefined;
    throw new Error(`failed reading schema at ${path}: ${errorMessage(error)}`, { cause: error });
  }
  return text.length > MAX_SCHEMA_BYTES ? undefined : parse(text);
}

async function fromUrl(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new Error(`failed downloading schema at ${url}: ${errorMessage(error)}${cause}`, { cause: error });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`error while downloading schema at ${url} - received HTTP status ${response.status}`);
  }
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_SCHEMA_BYTES) {
    await response.body?.cancel();
    throw new Error(`schema at ${url} is larger than ${MAX_SCHEMA_BYTES} bytes`);
  }
  const text = await response.text();
  return text.length > MAX_SCHEMA_BYTES ? undefined : parse(text);
}

/** A loader for files and http(s) URLs, each location read at most once. */
export function createSchemaLoader(): SchemaLoader {
  const seen = new Map<string, Promise<unknown>>();
  return {
    load(location) {
      let found = seen.get(location);
      if (found === undefined) {
        found = /^https?:\/\//.test(location)
          ? fromUrl(location)
          : fromFile(location.startsWith('file://') ? fileURLToPath(location) : location);
        seen.set(location, found);
      }
      return found;
    },
  };
}
