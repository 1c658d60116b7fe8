/**
 * @module cli/snapshot-manifest
 * When Gantry's startup snapshot (dist/gantry.blob, cli/snapshot.ts) may run a command: only while it is current.
 * Beside the blob, dist/gantry.snapshot.json says when the build started, with which Node.js, and from which source
 * files (relative to dist/). A process started from the blob runs nothing when
 * - it was not started from the dist/ folder the blob was built in (the repository moved: paths in the heap are stale),
 * - it runs on another Node.js than the one that built the blob, or
 * - a source file it holds changed after the build started (an edit must take effect at once)
 * and bin/gantry then runs bin/gantry.mjs instead. Stat-ing the ~120 inputs takes well under 1 ms.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The commands the snapshot serves; bin/gantry sends every other command to bin/gantry.mjs, `gantry --help` too (it
 * loads no command: the ES module bundle starts it faster than the 10 MB snapshot).
 */
export const SNAPSHOT_COMMANDS: readonly string[] = ['validate', 'tree', 'render'];

/** Exit code of a snapshot process that ran nothing because the snapshot is stale (sysexits EX_TEMPFAIL). */
export const STALE_EXIT_CODE = 75;

export const SNAPSHOT_BLOB = 'gantry.blob';
export const SNAPSHOT_MANIFEST = 'gantry.snapshot.json';

export const snapshotManifestSchema = z.object({
  /** Epoch milliseconds when the build started: a source file changed after it is newer than the snapshot. */
  builtAt: z.number(),
  /** process.version of the Node.js that built the blob (a blob runs on that Node.js only). */
  node: z.string(),
  /** The source files the snapshot holds, relative to dist/. */
  inputs: z.array(z.string()),
});

export type SnapshotManifest = z.infer<typeof snapshotManifestSchema>;

export interface SnapshotProcess {
  /** The real path of the dist/ folder the blob was built in. */
  readonly builtIn: string;
  /** process.execArgv: holds `--snapshot-blob <path>`. */
  readonly execArgv: readonly string[];
  readonly cwd: string;
  /** process.version */
  readonly node: string;
}

/** The folder of the blob this process started from, from `--snapshot-blob <path>` or `--snapshot-blob=<path>`. */
export function blobFolder(execArgv: readonly string[], cwd: string): string | undefined {
  for (const [i, arg] of execArgv.entries()) {
    const path =
      arg === '--snapshot-blob' ? execArgv[i + 1] : arg.startsWith('--snapshot-blob=') ? arg.slice(16) : '';
    if (path !== undefined && path !== '') return dirname(resolve(cwd, path));
  }
  return undefined;
}

/** Whether no input of the manifest in `dist` changed since the build started (a missing input is a change). */
export function inputsUnchanged(dist: string, manifest: SnapshotManifest): boolean {
  try {
    return manifest.inputs.every((input) => statSync(join(dist, input)).mtimeMs <= manifest.builtAt);
  } catch {
    return false;
  }
}

/** Whether the snapshot this process started from may run the command (module comment). */
export function snapshotIsCurrent(proc: SnapshotProcess): boolean {
  const folder = blobFolder(proc.execArgv, proc.cwd);
  let raw: unknown;
  try {
    // The build records the real path of dist/; bin/gantry may name it through a linked folder.
    if (folder === undefined || realpathSync(folder) !== proc.builtIn) return false;
    raw = JSON.parse(readFileSync(join(folder, SNAPSHOT_MANIFEST), 'utf8'));
  } catch {
    return false;
  }
  const manifest = snapshotManifestSchema.safeParse(raw);
  return manifest.success && manifest.data.node === proc.node && inputsUnchanged(folder, manifest.data);
}
