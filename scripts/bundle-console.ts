// `npm run build:cli` (and `npm ci`, through `prepare`) runs this after scripts/bundle.ts: the web console's page
// (console/, Preact + htm) as one esbuild bundle in dist/console/ beside its HTML and CSS, which `gantry console`
// serves (no CDN: works offline). Takes well under a second.
import { relative } from 'node:path';
import { buildConsoleAssets, CONSOLE_DIST } from '../functions/adapters/console-assets.js';

const t = performance.now();
const bytes = await buildConsoleAssets();
console.log(
  `bundled the console: ${relative(process.cwd(), CONSOLE_DIST)}/app.js (${(bytes / 1024).toFixed(0)} KiB) in ${Math.round(performance.now() - t)} ms`,
);
