/**
 * @module adapters/package-folder
 * Reads a package folder into a file map with PKO's rules (docs/pko-compatibility.md §1.1): hidden paths and symlinks
 * skipped, sizes and counts limited. Reads and writes template-test fixtures.
 */
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { TerminalError } from '../../shared/errors.js';
import type { FileMap } from '../../shared/packages/files.js';
import type { RawPackage } from '../../shared/packages/structure.js';
import { ViolationError } from '../../shared/packages/violation.js';

/** Limits on a package read from disk (the same as for images). */
export const FOLDER_LIMITS = {
  maxFiles: 10_000,
  maxFileBytes: 32 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
} as const;

interface Walk {
  readonly files: Map<string, Uint8Array>;
  total: number;
}

async function walk(root: string, dir: string, state: Walk, includeHidden: boolean): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (!includeHidden && entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await walk(root, full, state, includeHidden);
      continue;
    }
    if (!entry.isFile()) continue;
    await addFile(root, full, state);
  }
}

async function addFile(root: string, full: string, state: Walk): Promise<void> {
  const path = relative(root, full).split(sep).join('/');
  if (state.files.size >= FOLDER_LIMITS.maxFiles) {
    throw new ViolationError({
      reason: `Package has more than ${FOLDER_LIMITS.maxFiles} files (limit maxFiles)`,
    });
  }
  const info = await lstat(full);
  if (info.size > FOLDER_LIMITS.maxFileBytes) {
    throw new ViolationError({
      reason: 'File too large',
      path,
      details: `${info.size} bytes; the limit is ${FOLDER_LIMITS.maxFileBytes}`,
    });
  }
  state.total += info.size;
  if (state.total > FOLDER_LIMITS.maxTotalBytes) {
    throw new ViolationError({
      reason: `Package is larger than ${FOLDER_LIMITS.maxTotalBytes} bytes (limit maxTotalBytes)`,
    });
  }
  state.files.set(path, new Uint8Array(await readFile(full)));
}

/** Read a package folder (hidden paths and symlinks skipped). */
export async function readPackageFolder(dir: string): Promise<RawPackage> {
  let info;
  try {
    info = await lstat(dir);
  } catch {
    throw new ViolationError({ reason: `Package folder not found: ${dir}` });
  }
  if (!info.isDirectory()) throw new ViolationError({ reason: `Not a folder: ${dir}` });
  const state: Walk = { files: new Map(), total: 0 };
  await walk(dir, dir, state, false);
  return { files: state.files, labels: {} };
}

/** Every existing `.test-fixtures/<case>` folder of the root and of each component. */
export async function readFixtures(dir: string): Promise<Map<string, FileMap>> {
  const out = new Map<string, FileMap>();
  const roots = [''];
  try {
    const components = await readdir(join(dir, 'components'), { withFileTypes: true });
    for (const c of components)
      if (c.isDirectory() && !c.name.startsWith('.')) roots.push(`components/${c.name}/`);
  } catch {
    // no components folder
  }
  for (const prefix of roots) {
    const fixtures = join(dir, prefix, '.test-fixtures');
    let cases;
    try {
      cases = await readdir(fixtures, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const c of cases) {
      if (!c.isDirectory()) continue;
      const state: Walk = { files: new Map(), total: 0 };
      await walk(join(fixtures, c.name), join(fixtures, c.name), state, true);
      out.set(`${prefix}.test-fixtures/${c.name}`, state.files);
    }
  }
  return out;
}

/**
 * Write generated fixtures (paths relative to the package folder). A path that is not below a
 * `.test-fixtures/` folder of the package is refused, whatever produced it.
 */
export async function writeFixtures(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  for (const [path, text] of files) {
    const segments = path.split('/');
    const inFixtures = segments.indexOf('.test-fixtures');
    if (isAbsolute(path) || segments.some((s) => s === '..' || s === '.' || s === '') || inFixtures < 0)
      throw new TerminalError(
        `refusing to write fixture ${JSON.stringify(path)}: not inside .test-fixtures/`,
      );
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text);
  }
}
