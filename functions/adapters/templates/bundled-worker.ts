// gantry:keep-import-meta (scripts/bundle.ts leaves this file's import.meta.url alone: in the bundle it is the
// chunk's own location in dist/, where the bundled worker sits beside it).
/**
 * @module adapters/templates/bundled-worker
 * Where the template worker's code is: in the CLI bundle, `dist/template-worker.mjs` (compiled JavaScript, started
 * in a few milliseconds); from the sources, undefined (the worker then runs its TypeScript through tsx).
 */
declare const __GANTRY_BUNDLE__: boolean | undefined;

export function bundledWorkerUrl(): URL | undefined {
  return typeof __GANTRY_BUNDLE__ !== 'undefined' && __GANTRY_BUNDLE__
    ? new URL('./template-worker.mjs', import.meta.url)
    : undefined;
}
