/**
 * Parity with PKO v1.19.0's own CLI, end to end (issue 14): the example packages and the bad-input table run
 * through `kubectl package validate|tree` and through `gantry validate|tree`, each on a fresh copy, and must give
 * the same exit code, stdout, stderr and written files. Needs PKO's CLI (test/pko-cli.ts); without it the suite
 * is skipped and says why. Not part of CI's required set: CI has no PKO CLI. PKO's own 32 test packages are
 * compared by `npm run compare:pko`. `kickstart` has its own suite: test/parity/pko-kickstart.test.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type Registry } from '../../devenv/registry.js';
import { createPackageSource } from '../../functions/adapters/package-source.js';
import { buildPackageImage } from '../../shared/oci/image.js';
import { fileMapFromText } from '../../shared/packages/index.js';
import {
  DEPENDENCY_CASES,
  dependentPackage,
  REPOSITORY_FILE,
  sameDocuments,
  withoutTimestamps,
} from './repository-cases.js';
import { cases } from '../unit/bad-input-cases.js';
import { collapseRepeatedPrefixes, locatePkoCli, runBinary, sameLinesInAnyOrder } from '../pko-cli.js';
import { runGantry, type CliResult } from '../run-cli.js';

const cli = locatePkoCli();
if ('missing' in cli) console.warn(`\n!!! ${cli.missing} !!!\n`);
const pkoPath = 'path' in cli ? cli.path : '';

const work = mkdtempSync(join(tmpdir(), 'gantry-pko-parity-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Outcome extends CliResult {
  readonly files: Record<string, string>;
}

function snapshot(dir: string, base = dir, out: Record<string, string> = {}): Record<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) snapshot(full, base, out);
    else out[relative(base, full)] = readFileSync(full, 'utf8');
  }
  return out;
}

let counter = 0;
/** A fresh copy of the package under `<work>/<n>/<who>/pkg`; returns its parent folder. */
function freshCopy(who: string, write: (dir: string) => void): string {
  const parent = join(work, String(counter), who);
  const dir = join(parent, 'pkg');
  mkdirSync(dir, { recursive: true });
  write(dir);
  return parent;
}

async function both(args: readonly string[], write: (dir: string) => void): Promise<[Outcome, Outcome]> {
  counter += 1;
  const pkoParent = freshCopy('pko', write);
  const gantryParent = freshCopy('gantry', write);
  const pko = await runBinary(pkoPath, [args[0] ?? '', 'pkg', ...args.slice(1)], {
    cwd: pkoParent,
    env: { HOME: join(work, 'home') },
  });
  const gantry = await runGantry([args[0] ?? '', 'pkg', ...args.slice(1)], { cwd: gantryParent });
  const stderr = collapseRepeatedPrefixes(pko.stderr);
  return [
    {
      ...pko,
      stderr: sameLinesInAnyOrder(stderr, gantry.stderr) ? gantry.stderr : stderr,
      files: snapshot(join(pkoParent, 'pkg')),
    },
    { ...gantry, files: snapshot(join(gantryParent, 'pkg')) },
  ];
}

const examples = join(import.meta.dirname, '..', '..', 'examples');

/**
 * The templated example without its handlebars file: `.hbs` is Gantry's second engine, which PKO ignores (its
 * tree lacks the alert ConfigMap, its validate reports the fixture as one that should not exist).
 */
function templatedWithoutHandlebars(dir: string): void {
  cpSync(join(examples, 'templated'), dir, { recursive: true });
  rmSync(join(dir, 'monitoring'), { recursive: true, force: true });
  rmSync(join(dir, '.test-fixtures', 'prod', 'monitoring'), { recursive: true, force: true });
  rmSync(join(dir, '.golden'), { recursive: true, force: true });
}

function example(name: string): (dir: string) => void {
  return (dir) => {
    cpSync(join(examples, name), dir, { recursive: true });
    rmSync(join(dir, '.golden'), { recursive: true, force: true });
  };
}

const exampleRuns: [string, string[], (dir: string) => void][] = [
  ['simple', ['validate'], example('simple')],
  ['simple', ['tree'], example('simple')],
  ['multi', ['validate'], example('multi')],
  ['multi', ['tree', '--cluster'], example('multi')],
  ['templated without .hbs', ['validate'], templatedWithoutHandlebars],
  ['templated without .hbs', ['tree', '--config-testcase', 'prod'], templatedWithoutHandlebars],
];

/**
 * Bad-input cases where Gantry knowingly says something else, each with the reason. A test below checks that
 * each still differs, so a fix shows up as a failure here (then delete the entry).
 */
const KNOWN: Record<string, { readonly commands: readonly string[]; readonly reason: string }> = {
  'manifest is broken YAML': {
    commands: ['validate', 'tree'],
    reason: 'YAML parser error texts (npm yaml vs go-yaml)',
  },
  'manifest of the wrong shape': {
    commands: ['validate', 'tree'],
    reason: "schema errors say 'spec.phases: must be array', PKO's decoder names Go struct fields",
  },
  'object is broken YAML': { commands: ['validate', 'tree'], reason: 'YAML parser error texts' },
  'YAML alias bomb': { commands: ['validate', 'tree'], reason: 'Gantry limits aliases; go-yaml does not' },
  'include recursion': {
    commands: ['tree'],
    reason: 'Gantry elides the middle of a message over 4096 characters',
  },
  'handlebars missing key': {
    commands: ['tree'],
    reason: '.hbs is Gantry’s own engine; PKO ignores the file',
  },
  'invalid CEL condition annotation': {
    commands: ['tree'],
    reason: 'CEL compiler error texts (cel-js vs cel-go)',
  },
  'CEL naming package': {
    commands: ['tree'],
    reason: 'CEL compiler error texts (cel-go adds a source excerpt)',
  },
  'bad condition-map': { commands: ['tree'], reason: 'PKO panics (exit 2); Gantry reports a violation' },
  'empty condition-map destination': {
    commands: ['tree'],
    reason: 'PKO panics (exit 2); Gantry reports a violation',
  },
};
/** PKO's answer depends on Go map iteration order, so no fixed text can equal it every run. */
const NONDETERMINISTIC: Record<string, string> = {
  'duplicate object across files':
    'PKO names whichever copy its map iteration meets second (a.yaml or b.yaml)',
};

function writeFiles(files: Record<string, string>): (dir: string) => void {
  return (dir) => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  };
}

describe.skipIf('missing' in cli)("PKO v1.19.0's CLI and gantry say the same", () => {
  describe('examples', () => {
    for (const [name, args, write] of exampleRuns) {
      it(`${args.join(' ')} ${name}`, async () => {
        const [pko, gantry] = await both(args, write);
        expect(gantry).toEqual(pko);
      });
    }
  });

  describe('bad-input table', () => {
    for (const [name, files, , input] of cases) {
      if (input !== undefined || name in NONDETERMINISTIC) continue; // needs a render input the CLI cannot give
      for (const command of ['validate', 'tree']) {
        const known = KNOWN[name]?.commands.includes(command) === true;
        it(`${command}: ${name}${known ? ` (known difference: ${KNOWN[name]?.reason ?? ''})` : ''}`, async () => {
          const [pko, gantry] = await both([command], writeFiles(files));
          if (known) expect(gantry).not.toEqual(pko);
          else expect(gantry).toEqual(pko);
        });
      }
    }

    it('names only cases that exist', () => {
      const names = new Set(cases.map(([name]) => name));
      expect([...Object.keys(KNOWN), ...Object.keys(NONDETERMINISTIC)].filter((n) => !names.has(n))).toEqual(
        [],
      );
    });
  });
});

/** Run the same arguments through both CLIs, each in its own folder; their results and a file of each folder. */
async function inBoth(
  dirs: { readonly pko: string; readonly gantry: string },
  args: readonly string[],
  file?: string,
): Promise<{ pko: CliResult; gantry: CliResult; pkoFile: string; gantryFile: string }> {
  const pko = await runBinary(pkoPath, args, { cwd: dirs.pko, env: { HOME: join(work, 'home') } });
  const gantry = await runGantry(args, { cwd: dirs.gantry });
  const read = (dir: string): string => {
    try {
      return file === undefined ? '' : readFileSync(join(dir, file), 'utf8');
    } catch {
      return '(no file)';
    }
  };
  return { pko, gantry, pkoFile: read(dirs.pko), gantryFile: read(dirs.gantry) };
}

function folders(name: string): { pko: string; gantry: string } {
  const out = { pko: join(work, name, 'pko'), gantry: join(work, name, 'gantry') };
  mkdirSync(out.pko, { recursive: true });
  mkdirSync(out.gantry, { recursive: true });
  return out;
}

describe.skipIf('missing' in cli)('PKO v1.19.0 and gantry: dependencies resolved by update', () => {
  for (const [name, deps, constraints] of DEPENDENCY_CASES) {
    it(`update: ${name}`, async () => {
      const dirs = folders(`deps-${name.replaceAll(' ', '-')}`);
      for (const dir of [dirs.pko, dirs.gantry]) {
        writeFileSync(join(dir, 'repo.yaml'), REPOSITORY_FILE);
        writeFiles(dependentPackage(deps, constraints))(join(dir, 'pkg'));
      }
      const run = await inBoth(dirs, ['update', 'pkg'], 'pkg/manifest.lock.yaml');
      expect(run.gantry).toEqual(run.pko);
      expect(withoutTimestamps(run.gantryFile)).toBe(withoutTimestamps(run.pkoFile));
    });
  }
});

describe.skipIf('missing' in cli)(
  'PKO v1.19.0 and gantry: repository commands against a real registry',
  () => {
    let registry: Registry | undefined;
    let host = '';
    const dirs = { pko: '', gantry: '' };
    beforeAll(async () => {
      registry = await startRegistry();
      host = registry.host;
      const source = createPackageSource({ insecureHosts: [host] });
      for (const tag of ['v1', 'v2', 'v3']) {
        const manifest = [
          'apiVersion: manifests.package-operator.run/v1alpha1',
          'kind: PackageManifest',
          'metadata: {name: simple}',
          'spec:',
          '  scopes: [Namespaced]',
          '  phases: [{name: deploy}]',
          '  constraints:',
          '    - platformVersion: {name: Kubernetes, range: ">=1.29"}',
          '    - platform: [Kubernetes]',
          `# ${tag}`,
          '',
        ].join('\n');
        await source.push(await buildPackageImage(fileMapFromText({ 'manifest.yaml': manifest })), [
          `${host}/parity/simple:${tag}`,
        ]);
      }
      Object.assign(dirs, folders('repository'));
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
    });

    /** One step in both folders: the same exit code, output and (timestamps aside) file. */
    async function same(args: readonly string[], file = 'r.yaml', anyOrder = false): Promise<void> {
      const run = await inBoth(dirs, args, file);
      expect(run.gantry).toEqual(run.pko);
      if (anyOrder) expect(sameDocuments(run.gantryFile, run.pkoFile)).toBe(true);
      else expect(withoutTimestamps(run.gantryFile)).toBe(withoutTimestamps(run.pkoFile));
    }

    it('init, add, remove: the same files and messages', async () => {
      await same(['repo', 'init', 'r.yaml', 'myrepo']);
      await same(['repo', 'init', 'r2.yaml']);
      await same(['repo', 'init', '', 'name']);
      await same(['repository', 'add', 'r.yaml', `${host}/parity/simple:v1`, '1.0.0', '1.1.0']);
      // Two entries: PKO writes them in Go map order, so the documents are compared in any order.
      await same(['repo', 'add', 'r.yaml', `${host}/parity/simple:v2`, '2.0.0'], 'r.yaml', true);
      await same(['repo', 'add', 'r.yaml', `${host}/parity/simple:v1`, '1.0.0'], 'r.yaml', true);
      await same(['repo', 'add', 'r.yaml', `${host}/parity/simple:v1`, 'v1.2.0'], 'r.yaml', true);
      await same(['repo', 'add', 'r.yaml', `${host}/parity/simple:v1`, '1.2'], 'r.yaml', true);
      await same(['repo', 'add', 'r.yaml', 'simple', '1.2.0'], 'r.yaml', true);
      await same(['repo', 'add', 'missing.yaml', `${host}/parity/simple:v1`, '1.2.0'], 'r.yaml', true);
      await same(['repo', 'remove', 'r.yaml', `${host}/parity/simple:v3`], 'r.yaml', true);
      await same(['repo', 'remove', 'r.yaml', `${host}/parity/simple:v2`]);
      await same(['repo', 'pull', 'p.yaml', `${host}/parity/simple:v1`], 'p.yaml');
    });

    it('push and pull: each reads the repository image the other pushed', async () => {
      for (const dir of [dirs.pko, dirs.gantry]) writeFileSync(join(dir, 'full.yaml'), REPOSITORY_FILE);
      const pushed = await inBoth(dirs, ['repo', 'push', 'full.yaml', `${host}/parity/index:both`]);
      expect(pushed.gantry).toEqual(pushed.pko);
      await runBinary(pkoPath, ['repo', 'push', 'full.yaml', `${host}/parity/index:pko`], {
        cwd: dirs.pko,
        env: { HOME: join(work, 'home') },
      });
      await runGantry(['repo', 'push', 'full.yaml', `${host}/parity/index:gantry`], { cwd: dirs.gantry });
      const fromGantry = await runBinary(
        pkoPath,
        ['repo', 'pull', 'back.yaml', `${host}/parity/index:gantry`],
        {
          cwd: dirs.pko,
          env: { HOME: join(work, 'home') },
        },
      );
      const fromPko = await runGantry(['repo', 'pull', 'back.yaml', `${host}/parity/index:pko`], {
        cwd: dirs.gantry,
      });
      expect([fromGantry.code, fromPko.code]).toEqual([0, 0]);
      expect(sameDocuments(readFileSync(join(dirs.pko, 'back.yaml'), 'utf8'), REPOSITORY_FILE)).toBe(true);
      expect(sameDocuments(readFileSync(join(dirs.gantry, 'back.yaml'), 'utf8'), REPOSITORY_FILE)).toBe(true);
    });
  },
);
