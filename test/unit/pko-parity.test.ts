/**
 * `gantry validate` and `gantry tree` say what PKO v1.19.0's `kubectl package` says (issues 14 and 15). Each
 * expected text below was observed by running PKO's CLI on the same package (`npm run compare:pko` runs PKO's
 * own 32 test packages through both); the packages here are Gantry's own, small and to the point.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runGantry, type CliResult } from '../run-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Write the files into `<tmp>/pkg` and run `gantry <command> pkg` from `<tmp>`. */
async function gantry(
  command: string,
  files: Record<string, string>,
  extra: string[] = [],
): Promise<CliResult & { dir: string }> {
  const parent = mkdtempSync(join(tmpdir(), 'gantry-parity-'));
  dirs.push(parent);
  for (const [path, text] of Object.entries(files)) {
    const full = join(parent, 'pkg', path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  const result = await runGantry([command, 'pkg', ...extra], { cwd: parent });
  return { ...result, dir: join(parent, 'pkg') };
}

const manifest = (
  spec = 'scopes: [Namespaced]\n  phases:\n    - name: namespace\n    - name: deploy\n',
  rest = '',
) =>
  `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: pkg
spec:
  ${spec}${rest}`;

const cm = (name: string, phase = 'deploy', extra = ''): string =>
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  annotations:
    package-operator.run/phase: ${phase}
${extra}`;

const multiManifest = manifest('scopes: [Namespaced]\n  phases:\n    - name: deploy\n  components: {}\n');

describe('tree', () => {
  it('prints only the phases that hold objects', async () => {
    const r = await gantry('tree', {
      'manifest.yaml': manifest(),
      'ns.yaml': `apiVersion: v1
kind: Namespace
metadata:
  name: x
  annotations:
    package-operator.run/phase: namespace
    package-operator.run/condition: "false"
`,
      'cm.yaml': cm('a'),
    });
    expect(r).toMatchObject({
      code: 0,
      stdout: 'pkg\nPackage namespace/name\n└── Phase deploy\n    └── /v1, Kind=ConfigMap /a\n',
      stderr: '',
    });
  });

  it('prints the header alone when no phase holds an object', async () => {
    const r = await gantry('tree', { 'manifest.yaml': manifest() });
    expect(r.stdout).toBe('pkg\nPackage namespace/name\n');
  });

  it('reads the root component only: a broken component and a stray file in components/ do not matter', async () => {
    const r = await gantry('tree', {
      'manifest.yaml': multiManifest,
      'cm.yaml': cm('root'),
      'components/stray.yaml': 'x: 1\n',
      'components/backend/manifest.yaml': multiManifest.replace('name: pkg', 'name: backend'),
    });
    expect(r).toMatchObject({
      code: 0,
      stdout: 'pkg\nPackage namespace/name\n└── Phase deploy\n    └── /v1, Kind=ConfigMap /root\n',
    });
  });

  it('accepts a repeated map key, the last value winning, as Go’s YAML decoder does', async () => {
    const r = await gantry('tree', {
      'manifest.yaml': manifest(),
      'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  annotations:
    package-operator.run/phase: namespace
  annotations:
    package-operator.run/phase: deploy
`,
    });
    expect(r.stdout).toBe('pkg\nPackage namespace/name\n└── Phase deploy\n    └── /v1, Kind=ConfigMap /a\n');
  });

  it('does not check constraints (a cluster’s concern)', async () => {
    const r = await gantry('tree', {
      'manifest.yaml': manifest(undefined, '  constraints:\n    - platform: [OpenShift]\n'),
      'cm.yaml': cm('a'),
    });
    expect(r.stdout).toBe('pkg\nPackage namespace/name\n└── Phase deploy\n    └── /v1, Kind=ConfigMap /a\n');
  });

  it('takes the first test case’s package as it is: no name there is an empty name', async () => {
    const r = await gantry('tree', {
      'manifest.yaml': manifest(
        'scopes: [Cluster]\n  phases:\n    - name: deploy\n',
        'test:\n  template:\n    - name: t1\n      context: {config: {}}\n',
      ),
      'cm.yaml.gotmpl': cm('a-{{.package.metadata.name}}'),
    });
    expect(r.stdout).toBe('pkg\nClusterPackage /\n└── Phase deploy\n    └── /v1, Kind=ConfigMap /a-\n');
  });

  it('says a missing --config-path file as PKO does', async () => {
    const r = await gantry('tree', { 'manifest.yaml': manifest() }, ['--config-path', 'nope.yaml']);
    expect(r.stderr).toBe(
      'Error: rendering package: getting config: read config from file: open nope.yaml: no such file or directory\n',
    );
  });

  it('says a --config-path file that is no mapping as PKO does', async () => {
    const r = await gantry('tree', { 'manifest.yaml': manifest(), 'list.yaml': '- 1\n' }, [
      '--config-path',
      'pkg/list.yaml',
    ]);
    expect(r.stderr).toBe(
      'Error: rendering package: getting config: unmarshal config from file pkg/list.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}\n',
    );
  });

  it('takes exactly one argument, as cobra’s ExactArgs(1)', async () => {
    const r = await gantry('tree', { 'manifest.yaml': manifest() }, ['extra']);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'Error: accepts 1 arg(s), received 2\n' });
  });

  const errors: [string, Record<string, string>, string][] = [
    [
      'a structural error',
      { 'manifest.yaml': manifest(), 'manifest.yml': manifest() },
      'Error: rendering package: parsing package contents: PackageManifest present multiple times\n',
    ],
    [
      'a config error',
      {
        'manifest.yaml': manifest(
          undefined,
          '  config:\n    openAPIV3Schema:\n      type: object\n      required: [a, b]\n      properties:\n        a: {type: string}\n        b: {type: string}\n',
        ),
      },
      'Error: rendering package: [spec.config.a: Required value, spec.config.b: Required value]\n',
    ],
    [
      'an object without a phase',
      { 'manifest.yaml': manifest(), 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' },
      'Error: rendering package: parsing package contents: loading package from files: Missing package-operator.run/phase Annotation in cm.yaml idx 0\n',
    ],
    [
      'images without a lock file',
      { 'manifest.yaml': manifest(undefined, '  images:\n    - name: app\n      image: nginx:1\n') },
      'Error: rendering package: parsing package contents: Missing image in manifest.lock.yaml, but using PackageManifest.spec.images. Try running: kubectl package update in manifest.lock.yaml\n',
    ],
    [
      'several manifest violations, then the scope',
      { 'manifest.yaml': manifest('phases: []\n') },
      'Error: rendering package: parsing package contents: [spec.scopes: Required value, spec.phases: Required value]\nPackage unsupported scope in manifest.yaml\n',
    ],
  ];
  for (const [name, files, stderr] of errors) {
    it(`says ${name} with PKO's prefixes`, async () => {
      expect(await gantry('tree', files)).toMatchObject({ code: 1, stdout: '', stderr });
    });
  }
});

describe('validate', () => {
  it('prints its success line without a trailing newline', async () => {
    expect(await gantry('validate', { 'manifest.yaml': manifest() })).toMatchObject({
      code: 0,
      stdout: 'Package validated successfully!',
      stderr: '',
    });
  });

  it('says structural errors without `loading package from files:`', async () => {
    const r = await gantry('validate', { 'manifest.yaml': manifest(), 'manifest.yml': manifest() });
    expect(r.stderr).toBe('Error: validating package: PackageManifest present multiple times\n');
  });

  it('lists several manifest violations as one aggregate, then the object violations', async () => {
    const r = await gantry('validate', { 'manifest.yaml': manifest('phases: []\n'), 'cm.yaml': cm('a') });
    expect(r.stderr).toBe(
      'Error: validating package: loading package from files: [spec.scopes: Required value, spec.phases: Required value]\nPhase name not found in manifest in cm.yaml idx 0\n',
    );
  });

  it('names an image missing from the lock file without a path', async () => {
    const r = await gantry('validate', {
      'manifest.yaml': manifest(undefined, '  images:\n    - name: app\n      image: nginx:1\n'),
      'manifest.lock.yaml':
        'apiVersion: manifests.package-operator.run/v1alpha1\nkind: PackageManifestLock\nspec:\n  images: []\n',
    });
    expect(r.stderr).toBe(
      'Error: validating package: loading package from files: Missing image in manifest.lock.yaml, but using PackageManifest.spec.images. Try running: kubectl package update: app\n',
    );
  });

  it('reports a broken component once', async () => {
    const component = manifest(
      undefined,
      '\ntest:\n  template:\n    - name: t1\n      context:\n        package:\n          metadata: {name: a, namespace: b}\n',
    );
    const r = await gantry('validate', {
      'manifest.yaml': multiManifest,
      'components/backend/manifest.yaml': component,
      'components/backend/cm.yaml.gotmpl': cm('a', 'nope'),
    });
    expect(r.stderr).toBe(
      'Error: validating package: loading package from files: component "backend": Phase name not found in manifest in cm.yaml idx 0\n',
    );
  });

  it('validates the objects of a file a path filter excludes', async () => {
    const r = await gantry('validate', {
      'manifest.yaml': manifest(
        undefined,
        '  filter:\n    paths:\n      - glob: "skip.yaml"\n        expression: "false"\n',
      ),
      'skip.yaml': cm('a', 'nope'),
    });
    expect(r.stderr).toBe(
      'Error: validating package: loading package from files: Phase name not found in manifest in skip.yaml idx 0\n',
    );
  });

  it('lists several invalid labels of one object in brackets', async () => {
    const r = await gantry('validate', {
      'manifest.yaml': manifest(),
      'cm.yaml': cm('a').replace('  annotations:', '  labels:\n    a: "-x-"\n    b: "-y-"\n  annotations:'),
    });
    const value = (v: string): string =>
      `metadata.labels: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`;
    expect(r.stderr).toBe(
      `Error: validating package: loading package from files: Labels invalid in cm.yaml idx 0: [${value('-x-')}, ${value('-y-')}]\n`,
    );
  });

  describe('template test cases', () => {
    const templated = (metadata: string): Record<string, string> => ({
      'manifest.yaml': manifest(
        undefined,
        `\ntest:\n  template:\n    - name: t1\n      context:\n        package:\n          metadata:\n${metadata}`,
      ),
      'cm.yaml.gotmpl': cm('a', 'deploy', 'data:\n  v: \'{{index .package.metadata.annotations "x"}}\'\n'),
    });

    it('render a missing annotation as "" when the case has no annotations (a nil map[string]string in PKO)', async () => {
      const r = await gantry('validate', templated('            name: inst\n            namespace: ns\n'));
      expect(r.code).toBe(0);
      expect(readFileSync(join(r.dir, '.test-fixtures/t1/cm.yaml'), 'utf8')).toContain("  v: ''\n");
    });

    it('render a missing annotation as <no value> when the case has annotations (map[string]any in PKO)', async () => {
      const r = await gantry(
        'validate',
        templated('            name: inst\n            namespace: ns\n            annotations: {y: "1"}\n'),
      );
      expect(r.code).toBe(0);
      expect(readFileSync(join(r.dir, '.test-fixtures/t1/cm.yaml'), 'utf8')).toContain("  v: '<no value>'\n");
    });

    it('see an empty .environment.kubernetes.version when the case declares no environment', async () => {
      const files = templated('            name: inst\n            namespace: ns\n');
      files['cm.yaml.gotmpl'] = cm('a', 'deploy', "data:\n  v: '{{.environment.kubernetes.version}}'\n");
      const r = await gantry('validate', files);
      expect(r.code).toBe(0);
      expect(readFileSync(join(r.dir, '.test-fixtures/t1/cm.yaml'), 'utf8')).toContain("  v: ''\n");
    });

    it('give index lookups of missing keys at each level what PKO gives', async () => {
      const files = templated(
        '            name: inst\n            namespace: ns\n            labels: {a: b}\n',
      );
      const lookups = [
        'index .package.metadata.annotations "x"', // absent map: map[string]string
        'index .package.metadata.labels "x"', // present map: map[string]any
        'index .config "x"',
        'index .images "x"',
        'index .environment "x"',
        'index .environment.kubernetes "x"',
        '.environment.kubernetes.version',
        '.package.image',
      ];
      files['cm.yaml.gotmpl'] = cm(
        'a',
        'deploy',
        `data:\n${lookups.map((l, i) => `  k${i}: '{{ ${l} }}'\n`).join('')}`,
      );
      const r = await gantry('validate', files);
      expect(r.code).toBe(0);
      expect(readFileSync(join(r.dir, '.test-fixtures/t1/cm.yaml'), 'utf8')).toContain(
        "data:\n  k0: ''\n  k1: '<no value>'\n  k2: '<no value>'\n  k3: '<no value>'\n  k4: '<no value>'\n  k5: '<no value>'\n  k6: ''\n  k7: ''\n",
      );
    });

    // [expression, the key Go names, the column Go reports] as PKO v1.19.0 prints them.
    const fieldAccess: [string, string, number][] = [
      ['.x', 'x', 9],
      ['.package.x', 'x', 17],
      ['.package.metadata.x', 'x', 17],
      ['.package.metadata.annotations.x', 'x', 17],
      ['.config.x', 'x', 16],
      ['.images.x', 'x', 16],
      ['.environment.x', 'x', 21],
      ['.environment.openShift.version', 'openShift', 21],
      ['.dependencies.x', 'dependencies', 22],
    ];
    for (const [expression, key, column] of fieldAccess) {
      it(`fail on ${expression} with the context PKO quotes`, async () => {
        const files = templated('            name: inst\n            namespace: ns\n');
        files['cm.yaml.gotmpl'] = cm('a', 'deploy', `data:\n  v: '{{ ${expression} }}'\n`);
        const r = await gantry('validate', files);
        expect(r.stderr).toBe(
          `Error: validating package: loading package from files: executing template from cm.yaml.gotmpl with context map[config:map[] environment:map[kubernetes:map[version:]] images:map[] package:map[image: metadata:map[annotations:map[] labels:map[] name:inst namespace:ns]]]: template: cm.yaml.gotmpl:8:${column}: executing "cm.yaml.gotmpl" at <${expression}>: map has no entry for key "${key}"\n`,
        );
      });
    }

    it('check no constraints', async () => {
      const files = templated('            name: inst\n            namespace: ns\n');
      files['manifest.yaml'] =
        files['manifest.yaml']?.replace('\ntest:', '  constraints:\n    - platform: [OpenShift]\n\ntest:') ??
        '';
      expect(await gantry('validate', files)).toMatchObject({ code: 0, stderr: '' });
    });

    it('name a fixture mismatch by the file, then the trimmed diff', async () => {
      const files = templated('            name: inst\n            namespace: ns\n');
      files['.test-fixtures/t1/cm.yaml'] = cm('a', 'deploy', "data:\n  v: 'old'\n");
      const r = await gantry('validate', files);
      expect(r.stderr).toBe(
        `Error: validating package: loading package from files: File mismatch against fixture in cm.yaml: Testcase "t1"
--- FIXTURE/cm.yaml
+++ ACTUAL/cm.yaml
@@ -5,4 +5,4 @@
   annotations:
     package-operator.run/phase: deploy
 data:
-  v: 'old'
+  v: ''
`,
      );
    });
  });
});
