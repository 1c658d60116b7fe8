/**
 * @module adapters/console-assets
 * The web console's page (console/: Preact + htm, typed) bundled by esbuild into one script beside its HTML and CSS
 * (dist/console/): no CDN, works offline. `npm ci` and `npm run build:cli` build it (scripts/bundle-console.ts);
 * `gantry console` reads it, and builds it on first use when it is missing or older than its sources (a checkout
 * without a build).
 */
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';

/** The repository (the sources sit two folders up from this one, in the bundle as in the sources). */
const ROOT = join(import.meta.dirname, '..', '..');
/** Where the built page lives. */
export const CONSOLE_DIST = join(ROOT, 'dist', 'console');
const SOURCES = [join(ROOT, 'console'), join(ROOT, 'shared', 'console')];

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

export interface ConsoleAssetFiles {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

/** Build the page into `outDir`; resolves with the size of the script in bytes. */
export async function buildConsoleAssets(outDir: string = CONSOLE_DIST): Promise<number> {
  // esbuild is a build tool (a devDependency), loaded only when the page must be built.
  const { build } = await import('esbuild');
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(ROOT, 'console', 'main.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    outfile: join(outDir, 'app.js'),
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [zodEnglishOnly()],
  });
  await copyFile(join(ROOT, 'console', 'index.html'), join(outDir, 'index.html'));
  await copyFile(join(ROOT, 'console', 'app.css'), join(outDir, 'app.css'));
  return Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const dir of SOURCES) {
    const names = await readdir(dir).catch(() => []);
    for (const name of names) newest = Math.max(newest, (await stat(join(dir, name))).mtimeMs);
  }
  return newest;
}

async function builtAt(dir: string): Promise<number | undefined> {
  try {
    const times = await Promise.all(['app.js', 'index.html', 'app.css'].map((f) => stat(join(dir, f))));
    return Math.min(...times.map((t) => t.mtimeMs));
  } catch {
    return undefined;
  }
}

/** The built page, built first when it is missing or older than its sources (and the sources are there). */
export async function loadConsoleAssets(dir: string = CONSOLE_DIST): Promise<ConsoleAssetFiles> {
  const built = await builtAt(dir);
  const sources = await newestSource();
  if (built === undefined || (sources > 0 && sources > built)) {
    try {
      await buildConsoleAssets(dir);
    } catch (error) {
      if (built === undefined)
        throw new Error(
          `the console's page is not built and cannot be built here (${error instanceof Error ? error.message : String(error)}): run npm run build:cli`,
          { cause: error },
        );
    }
  }
  const [html, js, css] = await Promise.all(
    ['index.html', 'app.js', 'app.css'].map((f) => readFile(join(dir, f), 'utf8')),
  );
  return { html: html ?? '', js: js ?? '', css: css ?? '' };
}
