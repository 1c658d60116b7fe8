/**
 * @module cli/snapshot
 * The entry of Gantry's V8 startup snapshot (dist/gantry.blob, built by scripts/bundle.ts with
 * `node --build-snapshot`). Building it evaluates the offline commands (validate, tree, render) and every module they
 * use, so a process started from it (`bin/gantry`: `node --snapshot-blob dist/gantry.blob -- <args>`) begins with
 * yaml, zod, ajv and CEL ready instead of compiling and evaluating 1.6 MB of JavaScript first.
 *
 * The snapshot holds the heap as it was when it was built. A process started from it first checks that the snapshot
 * is still current (snapshot-manifest.ts): built by this Node.js, from the dist/ folder it is started from, and no
 * source file it holds changed since. If not, it runs nothing and exits with STALE_EXIT_CODE, and bin/gantry runs
 * bin/gantry.mjs (the ES module bundle or the sources) instead.
 *
 * What the build runs stays in every process started from the snapshot. Math.random and crypto.randomBytes are
 * seeded anew, but crypto.randomUUID() hands out UUIDs Node made ahead in a batch: the warm-up below must not call
 * it, or every process would get the same UUIDs. node:worker_threads is loaded on first use (scripts/bundle.ts).
 */
import { startupSnapshot } from 'node:v8';
import { commands } from './commands/index.js';
import type { CliIO } from './command.js';
import { main, processIO } from './main.js';
import {
  SNAPSHOT_COMMANDS,
  snapshotIsCurrent,
  snapshotManifestSchema,
  STALE_EXIT_CODE,
} from './snapshot-manifest.js';

/** The dist/ folder the snapshot was built in, and the package the build renders once (scripts/bundle.ts). */
declare const __GANTRY_SNAPSHOT_DIST__: string;
declare const __GANTRY_SNAPSHOT_WARMUP__: string;

const silent: CliIO = { stdout: () => undefined, stderr: () => undefined, cwd: '/', isTTY: false, env: {} };

/**
 * Run while the snapshot is built: the commands the snapshot serves are loaded, with all they import, and `tree` and
 * `render` of a plain package run once and the snapshot manifest's schema parses once, so what they compile on first
 * use (ajv's validator of the package manifest, zod's fast paths: 30 ms for the first parse of a schema) is in the
 * snapshot too. Nothing of it is printed or written.
 */
async function warmUp(): Promise<void> {
  await Promise.all(commands.filter((c) => SNAPSHOT_COMMANDS.includes(c.name)).map(async (c) => c.load()));
  await main(['tree', __GANTRY_SNAPSHOT_WARMUP__], silent);
  await main(['render', __GANTRY_SNAPSHOT_WARMUP__], silent);
  snapshotManifestSchema.parse({ builtAt: 0, node: process.version, inputs: [] });
}

const preloaded = warmUp();

startupSnapshot.setDeserializeMainFunction(() => {
  void preloaded.then(async () => {
    if (
      !snapshotIsCurrent({
        builtIn: __GANTRY_SNAPSHOT_DIST__,
        execArgv: process.execArgv,
        cwd: process.cwd(),
        node: process.version,
      })
    ) {
      process.exitCode = STALE_EXIT_CODE;
      return;
    }
    process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
    // From a snapshot, process.argv is [node, ...the arguments after `--`].
    process.exitCode = await main(process.argv.slice(1), processIO());
  });
});
