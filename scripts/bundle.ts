// `npm run build:cli [-- --out DIR] [--external-deps] [--metafile]`: the `gantry` CLI as an esbuild bundle
// (dist/gantry.mjs plus the lazily loaded chunks beside it), which bin/gantry.mjs runs instead of the
// TypeScript sources while it is up to date (issue 13: start in a fraction of a second). `npm ci` builds it through
// the `prepare` script; it takes about a second.
//
// Every dynamic import() of the sources becomes its own chunk, so a command still loads only what it uses.
// `import.meta.url` and `import.meta.dirname` of a source file are rewritten to that file's own location relative to
// the bundle, so paths like the Go template sources and examples/ resolve as they do from the sources.
//
// Beside the bundle, gantry.inputs.json lists the source files it was built from and when the build started:
// bin/gantry.mjs falls back to the sources (tsx) as soon as one of them is newer.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { build, type Metafile, type Plugin } from 'esbuild';
import { zodEnglishOnly } from '../functions/adapters/console-assets.js';
import {
  SNAPSHOT_BLOB,
  SNAPSHOT_COMMANDS,
  SNAPSHOT_MANIFEST,
  type SnapshotManifest,
} from '../cli/snapshot-manifest.js';

const root = resolve(import.meta.dirname, '..');
const ENTRY = join(root, 'cli', 'entry.ts');
const WORKER_ENTRY = join(root, 'functions', 'adapters', 'templates', 'worker.ts');
const SNAPSHOT_ENTRY = join(root, 'cli', 'snapshot.ts');
const COMMANDS_INDEX = join(root, 'cli', 'commands', 'index.ts');

export interface BundleOptions {
  /** Output folder; default `<repo>/dist`. It must live inside the repository so node_modules resolve. */
  readonly outDir: string;
  /** Leave every package in node_modules external (resolved at run time) instead of bundling it. */
  readonly externalDeps: boolean;
  /** Also write esbuild's metafile as gantry.meta.json (what went into which chunk). */
  readonly metafile: boolean;
  /** Also build the startup snapshot (dist/gantry.blob, cli/snapshot.ts) that bin/gantry starts from. */
  readonly snapshot: boolean;
}

/** Rewrites `import.meta.url` / `import.meta.dirname` of the sources to the source file's own location. */
function sourceLocation(outDir: string): Plugin {
  return {
    name: 'source-location',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (args.path.includes('/node_modules/') || !text.includes('import.meta.')) return undefined;
        if (text.includes('gantry:keep-import-meta')) return undefined;
        const fromOut = relative(outDir, args.path);
        const prelude =
          `import { fileURLToPath as __srcPath } from 'node:url';\n` +
          `const __srcUrl = new URL(${JSON.stringify(fromOut)}, import.meta.url).href;\n` +
          `const __srcDir = __srcPath(new URL('.', __srcUrl)).replace(/\\/$/, '');\n`;
        const contents = text
          .replaceAll('import.meta.url', '__srcUrl')
          .replaceAll('import.meta.dirname', '__srcDir');
        return { contents: prelude + contents, loader: 'ts' };
      });
    },
  };
}

// zodEnglishOnly lives beside the console's bundle (functions/adapters/console-assets.ts), which uses it too.
export { zodEnglishOnly };

// Bundled CommonJS packages call require() for Node's built-ins and read __dirname: give them the real ones.
export const BANNER = [
  "import { createRequire as __gantryCreateRequire } from 'node:module';",
  "import { fileURLToPath as __gantryFileURLToPath } from 'node:url';",
  'const require = __gantryCreateRequire(import.meta.url);',
  'const __filename = __gantryFileURLToPath(import.meta.url);',
  "const __dirname = __gantryFileURLToPath(new URL('.', import.meta.url));",
].join('\n');

export interface BundleResult {
  readonly entry: string;
  readonly files: number;
  readonly bytes: number;
  readonly inputs: readonly string[];
}

/** Build the bundle into `options.outDir`; the entry file is written last and atomically. */
export async function bundleCli(options: BundleOptions): Promise<BundleResult> {
  const started = Date.now();
  const outDir = resolve(options.outDir);
  const result = await build({
    // The template worker is an entry of its own: a worker thread then starts from compiled JavaScript too.
    entryPoints: { gantry: ENTRY, 'template-worker': WORKER_ENTRY },
    define: { __GANTRY_BUNDLE__: 'true' },
    absWorkingDir: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    // One flat folder: every output file sits beside the others, so the relative source paths hold in each.
    chunkNames: '[name]-[hash]',
    write: false,
    metafile: true,
    minifySyntax: true,
    // Without comments and indentation: node keeps every module's source text for as long as the process runs (2
    // bytes a character once a file holds one non-ASCII character, as comments do), some 6 MiB of a host's heap.
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: BANNER },
    // esbuild builds the console's page on first use (functions/adapters/console-assets.ts): never bundled.
    external: ['esbuild'],
    ...(options.externalDeps ? { packages: 'external' as const } : {}),
    plugins: [sourceLocation(outDir), zodEnglishOnly()],
  });
  const entry = join(outDir, 'gantry.mjs');
  await mkdir(outDir, { recursive: true });
  let bytes = 0;
  for (const file of result.outputFiles) {
    bytes += file.contents.length;
    if (file.path !== entry) await writeFile(file.path, file.contents);
  }
  const entryFile = result.outputFiles.find((f) => f.path === entry);
  if (entryFile === undefined) throw new Error(`esbuild wrote no ${entry}`);
  await writeAtomically(entry, entryFile.contents);
  const inputs = sourceInputs(result.metafile);
  const manifest = { builtAt: started, inputs: inputs.map((p) => relative(outDir, join(root, p))) };
  await writeAtomically(join(outDir, 'gantry.inputs.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  if (options.metafile) await writeFile(join(outDir, 'gantry.meta.json'), JSON.stringify(result.metafile));
  await removeStaleChunks(
    outDir,
    result.outputFiles.map((f) => f.path),
  );
  if (options.snapshot) await buildSnapshot(outDir, started);
  return { entry, files: result.outputFiles.length, bytes, inputs };
}

/**
 * In the snapshot bundle, what the snapshot does not serve is left out (bin/gantry sends it to bin/gantry.mjs): the
 * other commands, and pulling a package (`--pull`, cli/sources.ts). A module that refuses to load stands in for each,
 * instead of the Kubernetes client, the AWS SDK and express in the heap.
 */
function snapshotCommandsOnly(): Plugin {
  const sources = join(root, 'cli', 'sources.ts');
  return {
    name: 'snapshot-commands-only',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\/[a-z-]+\.js$/ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const name = basename(args.path, '.js');
        const command = args.importer === COMMANDS_INDEX && !SNAPSHOT_COMMANDS.includes(name);
        const pull = resolve(dirname(args.importer), args.path.replace(/\.js$/, '.ts')) === sources;
        return command || pull
          ? { path: command ? `gantry ${name}` : '--pull', namespace: 'not-in-snapshot' }
          : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'not-in-snapshot' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not in the startup snapshot: run bin/gantry`)});\n`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Built-in modules the snapshot must not load while it is built: node:worker_threads keeps state of the process that
 * loads it (a worker started from the snapshot then fails in process.cwd(): "undefined is not an integer typed
 * array"). In the snapshot bundle each is an object whose properties require the module on first use.
 */
const LAZY_BUILTINS = ['node:worker_threads'];

function lazyBuiltins(): Plugin {
  return {
    name: 'lazy-builtins',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) => {
        if (!LAZY_BUILTINS.includes(args.path)) return undefined;
        // The require() inside the stand-in is of the real module.
        if (args.namespace === 'lazy-builtin') return { path: args.path, external: true };
        return { path: args.path, namespace: 'lazy-builtin' };
      });
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
        const keys = Object.keys((await import(args.path)) as object).filter((k) => k !== 'default');
        const name = JSON.stringify(args.path);
        return {
          contents:
            `for (const key of ${JSON.stringify(keys)})\n` +
            `  Object.defineProperty(exports, key, { enumerable: true, get: () => require(${name})[key] });\n`,
          loader: 'js',
        };
      });
    },
  };
}

/**
 * The startup snapshot (cli/snapshot.ts): one CommonJS file, dist/gantry-snapshot.cjs (a snapshot is built from a
 * single script), run by `node --build-snapshot` into dist/gantry.blob; its manifest is written last.
 */
export async function buildSnapshot(outDir: string, started: number): Promise<{ inputs: readonly string[] }> {
  const dist = await realpath(outDir);
  const script = join(dist, 'gantry-snapshot.cjs');
  const result = await build({
    entryPoints: [SNAPSHOT_ENTRY],
    define: {
      __GANTRY_BUNDLE__: 'true',
      __GANTRY_SNAPSHOT_DIST__: JSON.stringify(dist),
      __GANTRY_SNAPSHOT_WARMUP__: JSON.stringify(join(root, 'examples', 'simple')),
      'import.meta.url': '__gantryImportMetaUrl',
      'import.meta.dirname': '__dirname',
      'import.meta.filename': '__filename',
    },
    absWorkingDir: root,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: script,
    metafile: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: "var __gantryImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [sourceLocation(dist), zodEnglishOnly(), snapshotCommandsOnly(), lazyBuiltins()],
  });
  const blob = join(dist, SNAPSHOT_BLOB);
  const built = await promisify(execFile)(
    process.execPath,
    ['--snapshot-blob', `${blob}.tmp`, '--build-snapshot', script],
    { cwd: dist },
  );
  process.stderr.write(built.stderr);
  await rename(`${blob}.tmp`, blob);
  const inputs = sourceInputs(result.metafile);
  const manifest: SnapshotManifest = {
    builtAt: started,
    node: process.version,
    inputs: inputs.map((p) => relative(dist, join(root, p))),
  };
  await writeAtomically(join(dist, SNAPSHOT_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  return { inputs };
}

async function writeAtomically(path: string, contents: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp-${process.pid}`, contents);
  await rename(`${path}.tmp-${process.pid}`, path);
}

/** Source files of the repository (not node_modules) that went into the bundle, plus the lock file. */
function sourceInputs(metafile: Metafile): string[] {
  // Modules of a plugin's own namespace (`not-in-snapshot:run`) are no files.
  const own = Object.keys(metafile.inputs).filter(
    (p) => !p.includes('node_modules/') && !/^[a-z-]+:/.test(p),
  );
  return [...own, 'package-lock.json'].sort();
}

async function removeStaleChunks(outDir: string, written: readonly string[]): Promise<void> {
  const keep = new Set(written);
  for (const name of await readdir(outDir)) {
    const path = join(outDir, name);
    if (name.endsWith('.mjs') && !keep.has(path)) await rm(path, { force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'external-deps': { type: 'boolean' },
      metafile: { type: 'boolean' },
    },
  });
  const t = performance.now();
  const out = await bundleCli({
    outDir: values.out ?? join(root, 'dist'),
    externalDeps: values['external-deps'] === true,
    metafile: values.metafile === true,
    snapshot: values['external-deps'] !== true,
  });
  const kib = (out.bytes / 1024).toFixed(0);
  console.log(
    `bundled the CLI: ${relative(process.cwd(), out.entry)} (${out.files} files, ${kib} KiB, ` +
      `${out.inputs.length} source files) in ${Math.round(performance.now() - t)} ms`,
  );
}
