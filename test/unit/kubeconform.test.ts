/**
 * `test.kubeconform` for real: `gantry validate` (a child process, as a user runs it) validates a package's static
 * files and its template tests' output against schemas from the locations the manifest names: a local folder in
 * kubeconform's layout, a templated file path, an http server on 127.0.0.1; a location that cannot be reached is a
 * clear error naming it.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kubeconform, schemaLocation } from '../../shared/packages/kubeconform.js';
import { runGantry } from '../run-cli.js';

const CONFIGMAP_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata'],
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    data: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

function manifest(locations: readonly string[]): string {
  return [
    'apiVersion: manifests.package-operator.run/v1alpha1',
    'kind: PackageManifest',
    'metadata: {name: checked}',
    'spec:',
    '  scopes: [Namespaced]',
    '  phases: [{name: deploy}]',
    'test:',
    '  template: [{name: t1}]',
    '  kubeconform:',
    '    kubernetesVersion: v1.30.0',
    `    schemaLocations: [${locations.map((l) => JSON.stringify(l)).join(', ')}]`,
    '',
  ].join('\n');
}

const GOOD =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {package-operator.run/phase: deploy}\ndata:\n  k: v\n';
const BAD_TEMPLATE =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations: {package-operator.run/phase: deploy}\ndata:\n  n: {{ 3 }}\nspecial: {{ "x" | quote }}\n';

let schemas: string;
let server: Server;
let url: string;

beforeAll(async () => {
  schemas = await mkdtemp(join(tmpdir(), 'gantry-schemas-'));
  await mkdir(join(schemas, 'v1.30.0-standalone-strict'), { recursive: true });
  await writeFile(
    join(schemas, 'v1.30.0-standalone-strict', 'configmap-v1.json'),
    JSON.stringify(CONFIGMAP_SCHEMA),
  );
  server = createServer((req, res) => {
    if (req.url === '/schemas/configmap.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(CONFIGMAP_SCHEMA));
      return;
    }
    res.writeHead(req.url === '/broken/configmap.json' ? 500 : 404).end('nope');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

async function pkg(locations: readonly string[], files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-kc-'));
  await writeFile(join(dir, 'manifest.yaml'), manifest(locations));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('schema locations as kubeconform expands them', () => {
  it.each([
    [
      'default',
      'Deployment',
      'apps/v1',
      'https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/v1.30.0-standalone-strict/deployment-apps-v1.json',
    ],
    ['/s', 'ConfigMap', 'v1', '/s/v1.30.0-standalone-strict/configmap-v1.json'],
    [
      '/c/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json',
      'Certificate',
      'cert-manager.io/v1',
      '/c/cert-manager.io/certificate_v1.json',
    ],
    [
      '/k/{{ .ResourceKind }}{{ .KindSuffix }}.json',
      'Role',
      'rbac.authorization.k8s.io/v1',
      '/k/role-rbac-v1.json',
    ],
  ])('%s for %s %s', (template, kind, apiVersion, expected) => {
    expect(schemaLocation(template, kind, apiVersion, '1.30.0')).toBe(expected);
  });

  it('a kind no location has a schema for is skipped; a loader failure is the violation', async () => {
    const none = new Kubeconform({ load: () => Promise.resolve(undefined) }, ['/x'], '1.30.0');
    expect(await none.validateFile('cm.yaml', GOOD)).toEqual([]);
    const failing = new Kubeconform(
      { load: () => Promise.reject(new Error('failed downloading schema at /x')) },
      ['/x'],
      '1.30.0',
    );
    expect(await failing.validateFile('cm.yaml', `${GOOD}---\n${GOOD}`)).toEqual([
      'Kubeconform rejected schema in cm.yaml idx 0: failed downloading schema at /x',
      'Kubeconform rejected schema in cm.yaml idx 1: failed downloading schema at /x',
    ]);
  });
});

describe('gantry validate with test.kubeconform', () => {
  it('passes valid files against a local folder of schemas', async () => {
    const dir = await pkg([schemas], { 'cm.yaml': GOOD });
    expect(await runGantry(['validate', dir], { cwd: dir })).toEqual({
      code: 0,
      stdout: 'Package validated successfully!',
      stderr: '',
    });
  });

  it("refuses a template test's output that breaks the schema (strict: no unknown field), from an http location", async () => {
    const dir = await pkg(
      [`${url}/nothing-here/{{ .ResourceKind }}.json`, `${url}/schemas/{{ .ResourceKind }}.json`],
      {
        'cm.yaml': GOOD,
        'b.yaml.gotmpl': BAD_TEMPLATE,
      },
    );
    const r = await runGantry(['validate', dir], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "Error: validating package: loading package from files: Kubeconform rejected schema in b.yaml idx 0: problem validating schema. Check JSON formatting: '/': must NOT have additional properties 'special'\n",
    );
  });

  it('an unreachable location is a clear error that names it', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dir = await pkg([`http://127.0.0.1:${port}/{{ .ResourceKind }}.json`], { 'cm.yaml': GOOD });
    const r = await runGantry(['validate', dir], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Kubeconform rejected schema in cm.yaml idx 0: failed downloading schema at http://127.0.0.1:${port}/configmap.json: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const broken = await pkg([`${url}/broken/{{ .ResourceKind }}.json`], { 'cm.yaml': GOOD });
    expect((await runGantry(['validate', broken], { cwd: broken })).stderr).toContain(
      `Kubeconform rejected schema in cm.yaml idx 0: error while downloading schema at ${url}/broken/configmap.json - received HTTP status 500`,
    );
  });
});
