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
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Metafile, type Plugin } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const ENTRY = join(root, 'cli', 'entry.ts');
const WORKER_ENTRY = join(root, 'functions', 'adapters', 'templates', 'worker.ts');

export interface BundleOptions {
  /** Output folder; default `<repo>/dist`. It must live inside the repository so node_modules resolve. */
  readonly outDir: string;
  /** Leave every package in node_modules external (resolved at run time) instead of bundling it. */
  readonly externalDeps: boolean;
  /** Also write esbuild's metafile as gantry.meta.json (what went into which chunk). */
  readonly metafile: boolean;
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

/**
 * zod re-exports its error messages in 40-odd languages (`z.locales`, 340 KiB, a sixth of what `gantry tree` loads);
 * Gantry uses only the English default, so the bundle keeps that one.
 */
export function zodEnglishOnly(): Plugin {
  return {
    name: 'zod-english-only',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
        contents: "export { default as en } from './en.js';\n",
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
    },
  };
}

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
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: BANNER },
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
  return { entry, files: result.outputFiles.length, bytes, inputs };
}

async function writeAtomically(path: string, contents: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp-${process.pid}`, contents);
  await rename(`${path}.tmp-${process.pid}`, path);
}

/** Source files of the repository (not node_modules) that went into the bundle, plus the lock file. */
function sourceInputs(metafile: Metafile): string[] {
  const own = Object.keys(metafile.inputs).filter((p) => !p.includes('node_modules/'));
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
  });
  const kib = (out.bytes / 1024).toFixed(0);
  console.log(
    `bundled the CLI: ${relative(process.cwd(), out.entry)} (${out.files} files, ${kib} KiB, ` +
      `${out.inputs.length} source files) in ${Math.round(performance.now() - t)} ms`,
  );
}
