#!/usr/bin/env node
// The `gantry` command. Runs the bundle (dist/gantry.mjs, built by `npm ci` through `prepare`, or `npm run
// build:cli`) while it is up to date: no source file it was built from changed since. Otherwise, and with
// GANTRY_FROM_SOURCE=1, it runs the TypeScript sources through tsx (development: edits take effect at once).
import { readFileSync, statSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);

/** The bundle exists and was built after the last change of every source file it holds. */
function bundleIsCurrent() {
  if ((process.env.GANTRY_FROM_SOURCE ?? '') !== '') return false;
  try {
    const manifest = JSON.parse(readFileSync(new URL('gantry.inputs.json', dist), 'utf8'));
    if (typeof manifest.builtAt !== 'number' || !Array.isArray(manifest.inputs)) return false;
    statSync(new URL('gantry.mjs', dist));
    return manifest.inputs.every((input) => statSync(new URL(input, dist)).mtimeMs <= manifest.builtAt);
  } catch {
    return false;
  }
}

if (bundleIsCurrent()) {
  await import('../dist/gantry.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/entry.ts');
}
