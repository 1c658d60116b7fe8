// `npm run compare:pko [-- --source DIR] [--only SUBSTRING] [--verbose]`: runs `validate` and `tree` on each of
// PKO's own test package folders (issue 15) through PKO's CLI and through `gantry`, each on a fresh copy, and
// compares exit code, stdout, stderr and the files the command leaves in the folder (fixtures it writes).
// It also runs `kickstart` on PKO's own kickstart test inputs (kickstartInputs) without and with each
// `--parametrize` value, comparing the written package after normaliseKickstart (test/pko-cli.ts).
// Then `update` on the dependency cases of test/parity/repository-cases.ts (a repository file, no registry),
// comparing output and the lock file (creation timestamps aside).
// Needs PKO's CLI (test/pko-cli.ts) and a work tree of PKO's repository at v1.19.0 (`--source` or PKO_SOURCE);
// without either it says so loudly and exits 0 (not part of CI's required set). Nothing of PKO is committed.
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  collapseRepeatedPrefixes,
  locatePkoCli,
  normaliseKickstart,
  runBinary,
  sameLinesInAnyOrder,
} from '../test/pko-cli.js';
import type { CliResult } from '../test/run-cli.js';
import { PARAMETRIZE_VALUES } from '../shared/kickstart/presets.js';
import {
  DEPENDENCY_CASES,
  dependentPackage,
  REPOSITORY_FILE,
  withoutTimestamps,
} from '../test/parity/repository-cases.js';

const { values } = parseArgs({
  options: {
    source: { type: 'string' },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const root = new URL('..', import.meta.url).pathname;
const gantryBin = join(root, 'bin', 'gantry.mjs');

/** The folders issue 15 names, as globs over PKO's tree: every folder that holds a root manifest. */
const searchRoots = [
  'cmd/kubectl-package',
  'config/packages',
  'integration/kubectl-package/testdata/packages',
  'internal/cmd/testdata',
  'internal/packages/internal/packagerender/testdata',
  'internal/packages/internal/packagestructure/testdata',
];

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function isPackageRoot(dir: string): Promise<boolean> {
  return (await exists(join(dir, 'manifest.yaml'))) || (await exists(join(dir, 'manifest.yml')));
}

/** Folders holding a manifest, not inside another package's `components/`. */
async function packageFolders(dir: string, out: string[]): Promise<void> {
  if (await isPackageRoot(dir)) {
    out.push(dir);
    return;
  }
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await packageFolders(join(dir, entry.name), out);
  }
}

/** Every file under dir (hidden ones too), relative path → content. */
async function snapshot(
  dir: string,
  base = dir,
  out = new Map<string, string>(),
): Promise<Map<string, string>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await snapshot(full, base, out);
    else if (entry.isFile()) out.set(relative(base, full), await readFile(full, 'utf8'));
  }
  return out;
}

interface Outcome {
  readonly result: CliResult;
  readonly files: Map<string, string>;
}

async function runOn(
  who: 'pko' | 'gantry',
  binary: string,
  command: string,
  source: string,
  work: string,
): Promise<Outcome> {
  const parent = join(work, who);
  await mkdir(parent, { recursive: true });
  const folder = join(parent, 'pkg');
  await rm(folder, { recursive: true, force: true });
  await cp(source, folder, { recursive: true });
  const args = who === 'pko' ? [command, 'pkg'] : [gantryBin, command, 'pkg'];
  // gantry keeps the real HOME (its template engine is cached under ~/.cache/gantry); PKO gets an empty one
  // inside the scratch folder, so no Docker config of the machine is read.
  const home = who === 'pko' ? join(work, 'home') : (process.env.HOME ?? join(work, 'home'));
  const result = await runBinary(who === 'pko' ? binary : process.execPath, args, {
    cwd: parent,
    env: { HOME: home },
  });
  const normalised = who === 'pko' ? { ...result, stderr: collapseRepeatedPrefixes(result.stderr) } : result;
  return { result: normalised, files: await snapshot(folder) };
}

/** PKO's kickstart test inputs: its CLI test's objects and its error-reporting cases. */
const kickstartInputs = [
  'internal/cmd/kickstart/testdata',
  'internal/packages/internal/packagekickstart/testdata/errorreporting',
];
const PARAMETRIZE = ['', ...PARAMETRIZE_VALUES];

/** `kickstart pkg -f <input> [-p value]` in a fresh folder; the package it wrote, normalised. */
async function kickstartOn(
  who: 'pko' | 'gantry',
  binary: string,
  input: string,
  param: string,
  work: string,
): Promise<Outcome> {
  const parent = join(work, who);
  await rm(parent, { recursive: true, force: true });
  await mkdir(parent, { recursive: true });
  const args = ['kickstart', 'pkg', '-f', input, ...(param === '' ? [] : ['-p', param])];
  const home = who === 'pko' ? join(work, 'home') : (process.env.HOME ?? join(work, 'home'));
  const result = await runBinary(
    who === 'pko' ? binary : process.execPath,
    who === 'pko' ? args : [gantryBin, ...args],
    {
      cwd: parent,
      env: { HOME: home },
    },
  );
  const written = (await exists(join(parent, 'pkg')))
    ? await snapshot(join(parent, 'pkg'))
    : new Map<string, string>();
  const files = new Map([...written].map(([path, text]) => [path, normaliseKickstart(text)]));
  return { result, files };
}

async function kickstartCases(source: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of kickstartInputs)
    for (const entry of (await readdir(join(source, dir))).sort()) out.push(join(source, dir, entry));
  return out;
}

/** What differs; stderr lines (and for kickstart, whose [WARN] kinds are in Go map order, stdout lines) in any order. */
function differences(pko: Outcome, gantry: Outcome, stdoutInAnyOrder = false): string[] {
  const out: string[] = [];
  if (pko.result.code !== gantry.result.code)
    out.push(`exit code: pko ${pko.result.code}, gantry ${gantry.result.code}`);
  for (const stream of ['stdout', 'stderr'] as const) {
    const anyOrder = stream === 'stderr' || stdoutInAnyOrder;
    if (anyOrder && sameLinesInAnyOrder(pko.result[stream], gantry.result[stream])) continue;
    if (pko.result[stream] !== gantry.result[stream])
      out.push(
        `${stream}:\n  pko:    ${JSON.stringify(pko.result[stream])}\n  gantry: ${JSON.stringify(gantry.result[stream])}`,
      );
  }
  const paths = new Set([...pko.files.keys(), ...gantry.files.keys()]);
  for (const path of [...paths].sort()) {
    const a = pko.files.get(path);
    const b = gantry.files.get(path);
    if (a === b) continue;
    if (a === undefined) out.push(`file ${path}: written by gantry only`);
    else if (b === undefined) out.push(`file ${path}: written by pko only`);
    else
      out.push(
        `file ${path}: content differs\n  pko:    ${JSON.stringify(a)}\n  gantry: ${JSON.stringify(b)}`,
      );
  }
  return out;
}

/** `update` of one dependency case in a fresh folder: repo.yaml beside the package folder `pkg`. */
async function updateCase(
  who: 'pko' | 'gantry',
  binary: string,
  files: Record<string, string>,
  work: string,
): Promise<Outcome> {
  const parent = join(work, 'deps', who);
  await rm(parent, { recursive: true, force: true });
  await mkdir(join(parent, 'pkg'), { recursive: true });
  await writeFile(join(parent, 'repo.yaml'), REPOSITORY_FILE);
  for (const [path, text] of Object.entries(files)) await writeFile(join(parent, 'pkg', path), text);
  const args = who === 'pko' ? ['update', 'pkg'] : [gantryBin, 'update', 'pkg'];
  const home = who === 'pko' ? join(work, 'home') : (process.env.HOME ?? join(work, 'home'));
  const result = await runBinary(who === 'pko' ? binary : process.execPath, args, {
    cwd: parent,
    env: { HOME: home },
  });
  const files2 = await snapshot(join(parent, 'pkg'));
  for (const [k, v] of files2) files2.set(k, withoutTimestamps(v));
  return { result, files: files2 };
}

async function main(): Promise<number> {
  const cli = locatePkoCli();
  const source = values.source ?? process.env.PKO_SOURCE;
  if ('missing' in cli) {
    console.error(`compare:pko SKIPPED: ${cli.missing}`);
    return 0;
  }
  if (source === undefined || !(await exists(join(source, 'cmd', 'kubectl-package')))) {
    console.error(
      'compare:pko SKIPPED: no work tree of PKO v1.19.0: pass --source DIR or set PKO_SOURCE ' +
        '(e.g. `git --git-dir=<mirror> archive v1.19.0 | tar -x -C DIR`)',
    );
    return 0;
  }
  const folders: string[] = [];
  for (const dir of searchRoots) await packageFolders(join(source, dir), folders);
  folders.sort();
  const work = await mkdtemp(join(tmpdir(), 'gantry-compare-pko-'));
  let identical = 0;
  let total = 0;
  try {
    for (const folder of folders) {
      const name = relative(source, folder);
      if (values.only !== undefined && !name.includes(values.only)) continue;
      for (const command of ['validate', 'tree']) {
        total += 1;
        const pko = await runOn('pko', cli.path, command, folder, work);
        const gantry = await runOn('gantry', cli.path, command, folder, work);
        const diff = differences(pko, gantry);
        if (diff.length === 0) identical += 1;
        const verdict = diff.length === 0 ? 'same' : 'DIFF';
        console.log(`${verdict} ${command} ${name}`);
        if (diff.length > 0 && values.verbose) console.log(diff.map((d) => `    ${d}`).join('\n'));
      }
    }
    for (const input of await kickstartCases(source)) {
      const name = relative(source, input);
      if (values.only !== undefined && !name.includes(values.only)) continue;
      for (const param of PARAMETRIZE) {
        total += 1;
        const pko = await kickstartOn('pko', cli.path, input, param, work);
        const gantry = await kickstartOn('gantry', cli.path, input, param, work);
        const diff = differences(pko, gantry);
        if (diff.length === 0) identical += 1;
        console.log(
          `${diff.length === 0 ? 'same' : 'DIFF'} kickstart${param === '' ? '' : ` -p ${param}`} ${name}`,
        );
        if (diff.length > 0 && values.verbose) console.log(diff.map((d) => `    ${d}`).join('\n'));
      }
    }
    for (const [name, deps, constraints] of DEPENDENCY_CASES) {
      if (values.only !== undefined && !name.includes(values.only)) continue;
      total += 1;
      const files = dependentPackage(deps, constraints);
      const diff = differences(
        await updateCase('pko', cli.path, files, work),
        await updateCase('gantry', cli.path, files, work),
      );
      if (diff.length === 0) identical += 1;
      console.log(`${diff.length === 0 ? 'same' : 'DIFF'} update dependencies: ${name}`);
      if (diff.length > 0 && values.verbose) console.log(diff.map((d) => `    ${d}`).join('\n'));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  console.log(
    `${identical} of ${total} identical (${folders.length} folders, ${DEPENDENCY_CASES.length} dependency cases; PKO's CLI: ${cli.path})`,
  );
  return identical === total ? 0 : 1;
}

process.exitCode = await main();
