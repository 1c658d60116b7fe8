#!/usr/bin/env node
// The README's test command. Runs vitest (unit and integration projects), then prints one line
// `N passed, N failed[, N skipped]` computed from vitest's JSON report, and exits non-zero when any
// test failed, any suite failed to load, or no test ran at all.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, '.test-results');
const outFile = join(outDir, 'vitest.json');
mkdirSync(outDir, { recursive: true });
rmSync(outFile, { force: true });

const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${outFile}`,
  ...process.argv.slice(2),
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
