/**
 * `gantry kickstart` end to end on the file system: files, a folder, a glob and stdin in, a package out that
 * `gantry validate` and `gantry build` accept; PKO's messages for an existing folder, a missing input and bad YAML;
 * the input size limit.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { execToEnd } from '../exec-file.js';
import { runGantry, type CliResult } from '../run-cli.js';

const root = join(import.meta.dirname, '..', '..');

/** bin/gantry.mjs from the sources in a real process, `input` written to its stdin, which then closes. */
function gantryProcess(args: readonly string[], cwd: string, input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'gantry.mjs'), ...args], {
      cwd,
      env: { ...process.env, GANTRY_FROM_SOURCE: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const work = mkdtempSync(join(tmpdir(), 'gantry-kickstart-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: nginx
          image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000
          env:
            - name: MODE
              value: prod
`;
const CONFIGMAP =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: "1"\n';
const SERVICE_ACCOUNT = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\n';

let n = 0;
function scratch(): string {
  n += 1;
  const dir = join(work, String(n));
  mkdirSync(join(dir, 'in', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'in', 'deploy.yaml'), DEPLOYMENT);
  writeFileSync(join(dir, 'in', 'cm.yaml'), CONFIGMAP);
  writeFileSync(join(dir, 'in', 'notes.txt'), 'not yaml: [');
  writeFileSync(join(dir, 'in', 'nested', 'sa.yaml'), SERVICE_ACCOUNT);
  return dir;
}

function tree(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tree(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)],
  );
}

describe('gantry kickstart', () => {
  it('kickstarts from a folder (its *.yaml files, not subfolders), a file and stdin; validate and build accept it', async () => {
    const cwd = scratch();
    const result = await runGantry(
      [
        'kickstart',
        'web',
        '-f',
        'in',
        '-f',
        'in/nested/sa.yaml',
        '-f',
        '-',
        '-p',
        'replicas,namespaces',
        '-p',
        'env',
      ],
      {
        cwd,
        stdin: 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: shop\nspec: {}\n',
      },
    );
    expect(result).toEqual({ code: 0, stdout: 'Kickstarted the "web" package with 4 objects.', stderr: '' });
    expect(tree(join(cwd, 'web')).sort()).toEqual([
      'deploy/migrate.job.yaml.gotmpl',
      'deploy/settings.configmap.yaml.gotmpl',
      'deploy/web.deployment.yaml.gotmpl',
      'manifest.yaml',
      'namespaces/shop.namespace.yaml.gotmpl',
      'rbac/web.serviceaccount.yaml.gotmpl',
    ]);
    expect(await runGantry(['validate', 'web'], { cwd })).toEqual({
      code: 0,
      stdout: 'Package validated successfully!',
      stderr: '',
    });
    const fixture = readFileSync(
      join(cwd, 'web', '.test-fixtures', 'defaults', 'deploy', 'web.deployment.yaml'),
      'utf8',
    );
    expect(fixture).toContain('  replicas: 2\n');
    expect(fixture).toContain('      -\n        env:\n        - name: MODE\n          value: prod\n');
    const built = await runGantry(['build', 'web', '-t', 'example.com/web:v1', '-o', 'web.tar'], { cwd });
    expect(built).toEqual({ code: 0, stdout: 'Package built successfully!', stderr: '' });
    expect(readdirSync(cwd)).toContain('web.tar');
  });

  it('expands a glob as Go does', async () => {
    const cwd = scratch();
    const result = await runGantry(['kickstart', 'g', '-f', 'in/*.yaml'], { cwd });
    expect(result).toEqual({ code: 0, stdout: 'Kickstarted the "g" package with 2 objects.', stderr: '' });
  });

  it('says what PKO says for an existing folder, a missing input, a bad pattern and bad YAML', async () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'bad.yaml'), 'kind: ConfigMap\n---\napiVersion: v1\nmetadata: {name: x}\n');
    const cases: [string[], string][] = [
      [['kickstart', 'in'], 'Error: kickstarting package: package folder already exists: in\n'],
      [
        ['kickstart', 'x', '-f', 'nope.yaml'],
        'Error: kickstarting package: get input: expand pattern: nope.yaml: file does not exist\n',
      ],
      [
        ['kickstart', 'x', '-f', '['],
        'Error: kickstarting package: get input: expand pattern: pattern "[" is not valid: syntax error in pattern\n',
      ],
      [
        ['kickstart', 'x', '-f', 'bad.yaml'],
        `Error: kickstarting package: get input: loading kubernetes objects: unmarshalling yaml document at index 1: error unmarshaling JSON: while decoding JSON: Object 'Kind' is missing in '{"apiVersion":"v1","metadata":{"name":"x"}}'\n`,
      ],
      [['kickstart'], 'Error: accepts 1 arg(s), received 0\n'],
    ];
    for (const [args, stderr] of cases)
      expect(await runGantry(args, { cwd })).toEqual({ code: 1, stdout: '', stderr });
    expect(readdirSync(cwd).sort()).toEqual(['bad.yaml', 'in']);
  });

  it('reads the real stdin of a process for -f -, and other commands never wait on an open stdin', async () => {
    const cwd = scratch();
    expect(await gantryProcess(['kickstart', 'piped', '-f', '-'], cwd, CONFIGMAP)).toEqual({
      code: 0,
      stdout: 'Kickstarted the "piped" package with 1 objects.',
      stderr: '',
    });
    // execFile leaves the child's stdin open: a command that touched process.stdin would never exit.
    const version = await execToEnd(process.execPath, [join(root, 'bin', 'gantry.mjs'), 'version'], {
      cwd,
      env: { ...process.env, GANTRY_FROM_SOURCE: '1' },
    });
    expect(version.code).toBe(0);
  });

  it('refuses an input over the size limit before reading it', async () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'huge.yaml'), '');
    truncateSync(join(cwd, 'huge.yaml'), 16 * 1024 * 1024 + 1);
    expect(await runGantry(['kickstart', 'x', '-f', 'huge.yaml'], { cwd })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: kickstarting package: get input: reading huge.yaml: 16777217 bytes; the limit is 16777216\n',
    });
  });
});
