#!/usr/bin/env node
// The README's test command. First builds what the integration suite starts (the Go-built binaries and the
// template engine's WebAssembly; a no-op once cached, ~15 minutes the first time, with the expected time said at
// the start and each step's progress shown), so no test timeout ever covers a build. Then runs vitest (unit,
// parity and integration projects), prints one line `N passed, N failed[, N skipped]` computed from vitest's JSON
// report, and exits non-zero when any test failed, any suite failed to load, or no test ran at all.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, '.test-results');
const outFile = join(outDir, 'vitest.json');
mkdirSync(outDir, { recursive: true });
rmSync(outFile, { force: true });

const passedArgs = process.argv.slice(2);
/** Whether the integration project runs: not when `--project` names only other projects. */
function integrationRuns(argv) {
  const projects = argv.flatMap((a, i) =>
    a === '--project' ? [argv[i + 1] ?? ''] : a.startsWith('--project=') ? [a.slice(10)] : [],
  );
  return projects.length === 0 || projects.includes('integration');
}

if (integrationRuns(passedArgs)) {
  for (const script of [['scripts/build-binaries.ts', '--all', '--quiet'], ['scripts/build-wasm.ts']]) {
    const build = spawnSync(process.execPath, ['--import', 'tsx', ...script], {
      cwd: root,
      stdio: 'inherit',
    });
    if (build.status !== 0) {
      console.error(`test: ${script[0]} failed (see above); no test ran`);
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
  }
}

const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${outFile}`,
  ...passedArgs,
];
const run = spawnSync('npx', args, { cwd: root, stdio: 'inherit', env: process.env });

let report;
try {
  report = JSON.parse(readFileSync(outFile, 'utf8'));
} catch (error) {
  console.error(`test: vitest wrote no JSON report (${String(error)})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
const failedTests = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A suite that fails to load (syntax error, failing beforeAll) has no failed tests of its own: count it.
const brokenSuites = (report.testResults ?? []).filter(
  (r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed'),
).length;
const failed = failedTests + brokenSuites;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
const ok = run.status === 0 && failed === 0 && passed > 0;
process.exit(ok ? 0 : 1);
