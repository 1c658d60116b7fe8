/**
 * `gantry repository` (alias `repo`) and `gantry update` with dependencies against the real registry (CNCF
 * distribution v3): package images pushed, added to and removed from an index file, the index pushed as PKO's
 * repository image and pulled back, and a package's dependencies resolved from that image (and from a file)
 * into its lock, which templates then see as `.dependencies`.
 */
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createPackageSource } from '../../functions/adapters/package-source.js';
import { buildPackageImage } from '../../shared/oci/image.js';
import { fileMapFromText } from '../../shared/packages/index.js';
import { dependentPackage as dependencyCasePackage } from '../parity/repository-cases.js';
import { runGantry, type CliResult } from '../run-cli.js';

const API = 'apiVersion: manifests.package-operator.run/v1alpha1';

function packageFiles(name: string, marker: string): Record<string, string> {
  return {
    'manifest.yaml': [
      API,
      'kind: PackageManifest',
      `metadata: {name: ${name}}`,
      'spec:',
      '  scopes: [Namespaced]',
      '  phases: [{name: deploy}]',
      '  constraints:',
      '    - platformVersion: {name: Kubernetes, range: ">=1.29"}',
      `# ${marker}`,
      '',
    ].join('\n'),
  };
}

let host = '';
let work = '';
const digests: Record<string, string> = {};

async function gantry(args: string[]): Promise<CliResult> {
  return runGantry(args, { cwd: work });
}

const stamp = (text: string): string => text.replace(/creationTimestamp: "[^"]+"/g, 'creationTimestamp: "T"');

beforeAll(async () => {
  host = inject('registry').host;
  work = await mkdtemp(join(tmpdir(), 'gantry-repo-cli-'));
  const source = createPackageSource({ insecureHosts: [host] });
  for (const [tag, marker] of [
    ['v1', 'one'],
    ['v2', 'two'],
    ['v3', 'three'],
  ] as const) {
    const image = await buildPackageImage(fileMapFromText(packageFiles('simple', marker)));
    await source.push(image, [`${host}/repo-cli/simple:${tag}`]);
    digests[tag] = image.manifest.digest.slice('sha256:'.length);
  }
});

function entry(digest: string, versions: string[]): string {
  return [
    '---',
    API,
    'data:',
    '  constraints:',
    '  - platformVersion:',
    '      name: Kubernetes',
    "      range: '>=1.29'",
    `  digest: ${digest}`,
    `  image: ${host}/repo-cli/simple`,
    '  name: simple',
    '  versions:',
    ...versions.map((v) => `  - ${v}`),
    'kind: RepositoryEntry',
    'metadata:',
    `  name: simple.${digest}`,
    '',
  ].join('\n');
}

const header = `---\n${API}\nkind: Repository\nmetadata:\n  creationTimestamp: "T"\n  name: myrepo\n`;

describe('gantry repository', () => {
  it('init, add, remove, push and pull an index as PKO does', async () => {
    expect(await gantry(['repository', 'init', 'repo.yaml', 'myrepo'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(stamp(await readFile(join(work, 'repo.yaml'), 'utf8'))).toBe(header);
    expect((await stat(join(work, 'repo.yaml'))).mode & 0o777).toBe(0o600);

    const v1 = `${host}/repo-cli/simple:v1`;
    const v2 = `${host}/repo-cli/simple:v2`;
    expect(await gantry(['repo', 'add', 'repo.yaml', v1, '1.0.0', '1.1.0'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(await gantry(['repo', 'add', 'repo.yaml', v2, '2.0.0'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const full =
      header + entry(digests['v2'] ?? '', ['v2.0.0']) + entry(digests['v1'] ?? '', ['v1.1.0', 'v1.0.0']);
    expect(stamp(await readFile(join(work, 'repo.yaml'), 'utf8'))).toBe(full);

    expect(await gantry(['repo', 'add', 'repo.yaml', v1, '1.0.0'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: add new entry: package "simple" version "v1.0.0" already exists\n',
    });
    expect((await gantry(['repo', 'add', 'repo.yaml', v1, 'v1.2.0'])).stderr).toBe(
      "Error: version: col 2: starts with non-positive integer 'v'\n",
    );
    expect((await gantry(['repo', 'add', 'repo.yaml', 'simple', '1.2.0'])).stderr).toBe(
      'Error: package reference: could not parse reference: simple\n',
    );
    expect((await gantry(['repo', 'add', 'repo.yaml', v1])).stderr).toBe(
      'Error: requires at least 3 arg(s), only received 2\n',
    );
    expect((await gantry(['repo', 'add', 'missing.yaml', v1, '1.2.0'])).stderr).toBe(
      'Error: open missing.yaml: no such file or directory\n',
    );
    expect((await gantry(['repo', 'remove', 'repo.yaml', `${host}/repo-cli/simple:v3`])).stderr).toBe(
      `Error: add new entry: package "simple" digest "${digests['v3'] ?? ''}" not found\n`,
    );
    expect(
      (await gantry(['repo', 'add', 'repo.yaml', `${host}/repo-cli/absent:v1`, '1.2.0'])).stderr,
    ).toMatch(/^Error: pull package image: .*absent.*\n$/);

    expect(await gantry(['repo', 'push', 'repo.yaml', `${host}/repo-cli/index:v1`])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(await gantry(['repo', 'pull', 'pulled.yaml', `${host}/repo-cli/index:v1`])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(await readFile(join(work, 'pulled.yaml'), 'utf8')).toBe(
      await readFile(join(work, 'repo.yaml'), 'utf8'),
    );

    expect(await gantry(['repo', 'remove', 'repo.yaml', v2])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(stamp(await readFile(join(work, 'repo.yaml'), 'utf8'))).toBe(
      header + entry(digests['v1'] ?? '', ['v1.1.0', 'v1.0.0']),
    );

    expect((await gantry(['repo', 'pull', 'x.yaml', v1])).stderr).toBe('Error: read from image tar: EOF\n');
    expect((await gantry(['repo', 'pull', 'x.yaml', `${host}/repo-cli/index:nope`])).stderr).toMatch(
      /^Error: pull repository image: .*nope.*\n$/,
    );
    expect((await gantry(['repo', 'push', '', 'x'])).stderr).toBe(
      'Error: arguments invalid: file must be not empty\n',
    );
  });

  it('pushes the image layout PKO pushes: Docker v2 manifest, one layer with repository/repository.yaml', async () => {
    await gantry(['repo', 'init', 'layout.yaml', 'layout']);
    expect((await gantry(['repo', 'push', 'layout.yaml', `${host}/repo-cli/layout:v1`])).code).toBe(0);
    const url = `http://${host}/v2/repo-cli/layout`;
    const manifest: unknown = await (
      await fetch(`${url}/manifests/v1`, {
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      })
    ).json();
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json' },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }],
    });
    const m = manifest as { config: { digest: string }; layers: { digest: string }[] };
    const config: unknown = await (await fetch(`${url}/blobs/${m.config.digest}`)).json();
    expect(config).toMatchObject({ architecture: '', os: '', created: '0001-01-01T00:00:00Z', config: {} });
    const tar = gunzipSync(
      Buffer.from(await (await fetch(`${url}/blobs/${m.layers[0]?.digest ?? ''}`)).arrayBuffer()),
    );
    expect(tar.subarray(0, 26).toString()).toBe('repository/repository.yaml');
    expect(tar.subarray(100, 107).toString()).toBe('0000000');
    const text = tar.subarray(512, 512 + Number.parseInt(tar.subarray(124, 135).toString(), 8)).toString();
    expect(text).toBe(await readFile(join(work, 'layout.yaml'), 'utf8'));
  });
});

/** The parity cases' package with a template that prints `.dependencies.first`. */
function dependentPackage(repositories: string, deps: string[]): Record<string, string> {
  return {
    ...dependencyCasePackage(deps, [], repositories),
    'cm.yaml.gotmpl': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: deps',
      '  annotations: {package-operator.run/phase: deploy}',
      'data:',
      '  first: {{ .dependencies.first | quote }}',
      '',
    ].join('\n'),
  };
}

async function writePackage(dir: string, files: Record<string, string>): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) await writeFile(join(dir, path), text);
}

describe('gantry update with dependencies', () => {
  it('resolves the newest versions every range accepts from a repository image, keeps the lock when it cannot', async () => {
    await gantry(['repo', 'init', 'deps.yaml', 'myrepo']);
    await gantry(['repo', 'add', 'deps.yaml', `${host}/repo-cli/simple:v1`, '1.0.0', '1.1.0']);
    await gantry(['repo', 'add', 'deps.yaml', `${host}/repo-cli/simple:v2`, '2.0.0']);
    await gantry(['repo', 'push', 'deps.yaml', `${host}/repo-cli/deps:v1`]);
    const dir = join(work, 'app');
    const overlapping = [
      '{name: first, package: simple.myrepo, range: ">=1.0.0 <2.0.0"}',
      '{name: second, package: simple.myrepo, range: ">=1.1.0"}',
    ];
    await writePackage(dir, dependentPackage(`{image: "${host}/repo-cli/deps:v1"}`, overlapping));

    expect(await gantry(['update', 'app'])).toEqual({
      code: 0,
      stdout: 'Package updated successfully!\n',
      stderr: '',
    });
    const lock = await readFile(join(dir, 'manifest.lock.yaml'), 'utf8');
    const dep = (name: string): string[] => [
      `  - digest: ${digests['v1'] ?? ''}`,
      `    image: ${host}/repo-cli/simple`,
      `    name: ${name}`,
      '    version: 1.1.0',
    ];
    expect(stamp(lock)).toBe(
      [
        API,
        'kind: PackageManifestLock',
        'metadata:',
        '  creationTimestamp: "T"',
        'spec:',
        '  dependencies:',
        ...dep('first'),
        ...dep('second'),
        '  images: []',
        '',
      ].join('\n'),
    );
    expect(await gantry(['update', 'app'])).toEqual({
      code: 0,
      stdout: 'Package is already up-to-date\n',
      stderr: '',
    });
    const rendered = await gantry(['render', 'app', '-o', 'json']);
    expect(rendered.stdout).toContain(`"first": "${host}/repo-cli/simple@sha256:${digests['v1'] ?? ''}"`);

    await writePackage(
      dir,
      dependentPackage(`{image: "${host}/repo-cli/deps:v1"}`, [
        overlapping[0] ?? '',
        '{name: second, package: simple.myrepo, range: ">=2.0.0"}',
      ]),
    );
    expect(await gantry(['update', 'app'])).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'Error: generating lock data: solving package deps: constraints not satisfiable:',
        'dependency simple@1.0.0 for package app conflicts with dependency simple@2.0.0 for package app',
        'dependency simple@1.1.0 for package app conflicts with dependency simple@2.0.0 for package app',
        'package app requires at least one of dependency simple@2.0.0 for package app',
        'package app is mandatory',
        'package app requires at least one of dependency simple@1.1.0 for package app, dependency simple@1.0.0 for package app',
        '',
      ].join('\n'),
    });
    expect(await readFile(join(dir, 'manifest.lock.yaml'), 'utf8')).toBe(lock);
  });

  it('reads a repository file relative to the working folder, as PKO does', async () => {
    await gantry(['repo', 'init', 'filed.yaml', 'filed']);
    await gantry(['repo', 'add', 'filed.yaml', `${host}/repo-cli/simple:v2`, '2.0.0']);
    const dir = join(work, 'filed-app');
    await writePackage(dir, dependentPackage('{file: filed.yaml}', ['{name: first, package: simple.filed}']));
    expect(await gantry(['update', 'filed-app'])).toEqual({
      code: 0,
      stdout: 'Package updated successfully!\n',
      stderr: '',
    });
    expect(await readFile(join(dir, 'manifest.lock.yaml'), 'utf8')).toContain(
      `  - digest: ${digests['v2'] ?? ''}\n    image: ${host}/repo-cli/simple\n    name: first\n    version: 2.0.0\n`,
    );
    await writePackage(dir, dependentPackage('{file: gone.yaml}', ['{name: first, package: simple.filed}']));
    expect((await gantry(['update', 'filed-app'])).stderr).toBe(
      'Error: generating lock data: open gone.yaml: no such file or directory\n',
    );
  });
});
