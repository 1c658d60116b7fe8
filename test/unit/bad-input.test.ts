/**
 * Bad package input, each with the exact message a user sees (issue 3 §6). Runs the real pipeline with the
 * real Go template engine; nothing is mocked.
 */
import { describe, expect, it } from 'vitest';
import { createGoTemplateEngine } from '../../functions/adapters/gotmpl/index.js';
import {
  fileMapFromText,
  loadPackage,
  renderPackage,
  validatePackage,
  ViolationError,
  type RenderInput,
} from '../../shared/packages/index.js';

const engines = { gotmpl: createGoTemplateEngine() };
const environment = { kubernetes: { version: 'v1.37.2' } };

const manifest = (
  extra = '',
  phases = ['deploy'],
): string => `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: pkg
spec:
  scopes: [Namespaced]
  phases:
${phases.map((p) => `    - name: ${p}`).join('\n')}
${extra}`;

const cm = (name: string, extra = '', phase = 'deploy'): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  annotations:
    package-operator.run/phase: ${phase}
${extra}`;

type Files = Record<string, string>;

async function render(files: Files, input: Partial<RenderInput> = {}): Promise<string> {
  try {
    const pkg = loadPackage({ files: fileMapFromText(files), labels: {} });
    await renderPackage(
      {
        component: pkg.root,
        scope: 'Namespaced',
        package: { metadata: { name: 'inst', namespace: 'ns' }, image: 'img' },
        config: {},
        environment,
        ...input,
      },
      engines,
    );
  } catch (error) {
    expect(error).toBeInstanceOf(ViolationError);
    return (error as Error).message;
  }
  throw new Error('rendered without error');
}

async function validate(files: Files): Promise<string> {
  const pkg = loadPackage({ files: fileMapFromText(files), labels: {} });
  const r = await validatePackage(pkg, engines, { fixtures: new Map(), environment });
  return r.violations.join('\n');
}

const cases: [string, Files, string, Partial<RenderInput>?][] = [
  [
    'no manifest',
    { 'a.yaml': cm('a') },
    'PackageManifest not found: searched at manifest.yaml and manifest.yml',
  ],
  [
    'manifest twice',
    { 'manifest.yaml': manifest(), 'manifest.yml': manifest() },
    'PackageManifest present multiple times',
  ],
  [
    'lock twice',
    { 'manifest.yaml': manifest(), 'manifest.lock.yaml': 'x', 'manifest.lock.yml': 'x' },
    'PackageManifestLock present multiple times',
  ],
  [
    'manifest with the wrong kind',
    { 'manifest.yaml': manifest().replace('kind: PackageManifest', 'kind: Package') },
    'unknown GVK in manifest.yaml: GroupKind must be PackageManifest.manifests.package-operator.run, is: Package.manifests.package-operator.run',
  ],
  [
    'manifest with the wrong group',
    { 'manifest.yaml': manifest().replace('manifests.package-operator.run/v1alpha1', 'v1') },
    'unknown GVK in manifest.yaml: GroupKind must be PackageManifest.manifests.package-operator.run, is: PackageManifest',
  ],
  [
    'manifest with an unknown version',
    { 'manifest.yaml': manifest().replace('v1alpha1', 'v9') },
    'unknown GVK in manifest.yaml: unknown version v9, supported versions: v1alpha1',
  ],
  [
    'manifest is broken YAML',
    { 'manifest.yaml': 'a: [1' },
    'Invalid YAML in manifest.yaml: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 6',
  ],
  [
    'manifest with a duplicate key',
    { 'manifest.yaml': `${manifest()}metadata: {}\n` },
    'Invalid YAML in manifest.yaml: Map keys must be unique at line 9, column 1',
  ],
  [
    'manifest of the wrong shape',
    { 'manifest.yaml': manifest().replace('  phases:', '  phases: 3\n  x:') },
    'Invalid PackageManifest in manifest.yaml: spec.phases: must be array',
  ],
  [
    'object is broken YAML',
    { 'manifest.yaml': manifest(), 'a.yaml': 'kind: [' },
    'Invalid YAML in a.yaml idx 0: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 8\nkind: [',
  ],
  [
    'object without kind',
    { 'manifest.yaml': manifest(), 'a.yaml': 'apiVersion: v1\nmetadata: {name: a}\n' },
    "Invalid YAML in a.yaml idx 0: Object 'Kind' is missing\napiVersion: v1\nmetadata: {name: a}",
  ],
  [
    'object without apiVersion',
    { 'manifest.yaml': manifest(), 'a.yaml': 'kind: ConfigMap\nmetadata: {name: a}\n' },
    'GroupVersionKind not set in a.yaml idx 0',
  ],
  [
    'object is a scalar',
    { 'manifest.yaml': manifest(), 'a.yaml': 'just text\n' },
    'Invalid YAML in a.yaml idx 0: Object is not a map\njust text',
  ],
  [
    'missing phase annotation',
    { 'manifest.yaml': manifest(), 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' },
    'Missing package-operator.run/phase Annotation in a.yaml idx 0',
  ],
  [
    'unknown phase',
    { 'manifest.yaml': manifest(), 'a.yaml': cm('a', '', 'nope') },
    'Phase name not found in manifest in a.yaml idx 0',
  ],
  [
    'duplicate object in one file',
    { 'manifest.yaml': manifest(), 'cms.yaml': `${cm('a')}---\n${cm('a')}` },
    'Duplicate Object in cms.yaml idx 1',
  ],
  [
    'duplicate object across files',
    { 'manifest.yaml': manifest(), 'a.yaml': cm('a'), 'b.yaml': cm('a') },
    'Duplicate Object in b.yaml idx 0',
  ],
  [
    'bad label value',
    {
      'manifest.yaml': manifest(),
      'a.yaml': cm('a').replace('  annotations:', '  labels:\n    app: "-bad"\n  annotations:'),
    },
    "Labels invalid in a.yaml idx 0: metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  ],
  [
    'label name too long',
    {
      'manifest.yaml': manifest(),
      'a.yaml': cm('a').replace('  annotations:', `  labels:\n    ${'k'.repeat(64)}: v\n  annotations:`),
    },
    `Labels invalid in a.yaml idx 0: metadata.labels: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`,
  ],
  [
    'config violating its schema',
    {
      'manifest.yaml': manifest(
        '  config:\n    openAPIV3Schema:\n      type: object\n      required: [image]\n      properties:\n        image: {type: string}\n',
      ),
    },
    'spec.config.image: Required value',
  ],
  [
    'config with a wrong type',
    {
      'manifest.yaml': manifest(
        '  config:\n    openAPIV3Schema:\n      type: object\n      properties:\n        replicas: {type: integer, minimum: 1}\n',
      ),
    },
    'spec.config.replicas: Invalid value: "string": replicas in body must be of type integer: "string"',
    { config: { replicas: 'three' } },
  ],
  [
    'template syntax error',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': 'x: {{ .config.a ' },
    'template: a.yaml.gotmpl:1: unclosed action',
  ],
  [
    'template missing key',
    { 'manifest.yaml': manifest(), 'cm.yaml.gotmpl': 'x: {{ .package.metadata.nope.deeper }}' },
    'template: cm.yaml.gotmpl:1:14: executing "cm.yaml.gotmpl" at <.package.metadata.nope.deeper>: map has no entry for key "nope"',
  ],
  [
    'forbidden sprig env',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ env "HOME" }}' },
    'template: a.yaml.gotmpl:1: function "env" not defined',
  ],
  [
    'forbidden sprig now',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ now }}' },
    'template: a.yaml.gotmpl:1: function "now" not defined',
  ],
  [
    'forbidden sprig randAlpha',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ randAlpha 3 }}' },
    'template: a.yaml.gotmpl:1: function "randAlpha" not defined',
  ],
  [
    'forbidden sprig genPrivateKey',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ genPrivateKey "rsa" }}' },
    'template: a.yaml.gotmpl:1: function "genPrivateKey" not defined',
  ],
  [
    'include recursion',
    {
      'manifest.yaml': manifest(),
      '_h.gotmpl': '{{ define "loop" }}{{ include "loop" . }}{{ end }}',
      'a.yaml.gotmpl': '{{ include "loop" . }}',
    },
    'exceeded max include recursion depth',
  ],
  [
    'getFile of a missing file',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ getFile "nope.txt" }}' },
    'template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <getFile "nope.txt">: error calling getFile: file not found',
  ],
  [
    'handlebars missing key',
    { 'manifest.yaml': manifest(), 'a.yaml.hbs': 'x: {{config.nope}}' },
    'template: a.yaml.hbs:1:6: map has no entry for key "nope"',
  ],
  [
    'invalid CEL condition annotation',
    {
      'manifest.yaml': manifest(),
      'a.yaml': cm('a', '', 'deploy').replace(
        'phase: deploy',
        'phase: deploy\n    package-operator.run/condition: "config.x +"',
      ),
    },
    'The CEL expression in package-operator.run/condition annotation is invalid.: unexpected token: EOF\na',
  ],
  [
    'non-bool CEL condition annotation',
    {
      'manifest.yaml': manifest(),
      'a.yaml': cm('a').replace(
        'phase: deploy',
        'phase: deploy\n    package-operator.run/condition: "1 + 1"',
      ),
    },
    'The CEL expression in package-operator.run/condition annotation is invalid.: invalid return type: int, expected bool\na',
  ],
  [
    'CEL naming package',
    {
      'manifest.yaml': manifest(),
      'a.yaml': cm('a').replace(
        'phase: deploy',
        'phase: deploy\n    package-operator.run/condition: package.metadata.name == "x"',
      ),
    },
    'The CEL expression in package-operator.run/condition annotation is invalid.: reserved identifier: package\na',
  ],
  [
    'invalid filter condition name',
    {
      'manifest.yaml': manifest(
        '  filter:\n    conditions:\n      - name: "1bad"\n        expression: "true"\n',
      ),
    },
    "invalid CEL condition name: '1bad'",
  ],
  [
    'duplicate filter condition name',
    {
      'manifest.yaml': manifest(
        '  filter:\n    conditions:\n      - name: a\n        expression: "true"\n      - name: a\n        expression: "false"\n',
      ),
    },
    "duplicate CEL condition name: 'a'",
  ],
  [
    'non-bool filter condition',
    {
      'manifest.yaml': manifest('  filter:\n    conditions:\n      - name: a\n        expression: "\'x\'"\n'),
    },
    "failed to evaluate CEL condition 'a': invalid return type: string, expected bool",
  ],
  [
    'bad condition-map',
    {
      'manifest.yaml': manifest(),
      'a.yaml': cm('a').replace(
        'phase: deploy',
        'phase: deploy\n    package-operator.run/condition-map: "Available"',
      ),
    },
    'Invalid package-operator.run/condition-map annotation in a.yaml idx 0: expected 2 part mapping got 1 in line 1',
  ],
  [
    'empty condition-map destination',
    {
      'manifest.yaml': manifest(),
      'a.yaml': cm('a').replace(
        'phase: deploy',
        'phase: deploy\n    package-operator.run/condition-map: "Available => "',
      ),
    },
    "Invalid package-operator.run/condition-map annotation in a.yaml idx 0: destinationType can't be empty in line 1",
  ],
  [
    'unsupported scope',
    { 'manifest.yaml': manifest() },
    'Package unsupported scope in manifest.yaml',
    { scope: 'Cluster' },
  ],
  [
    'constraint not met',
    {
      'manifest.yaml': manifest(
        '  constraints:\n    - platformVersion:\n        name: Kubernetes\n        range: ">=1.40.x"\n',
      ),
    },
    'Constraints not met: Kubernetes 1.37.2 does not meet constraint >=1.40.x',
  ],
  [
    'OpenShift-only package',
    { 'manifest.yaml': manifest('  constraints:\n    - platform: [OpenShift]\n') },
    'Constraints not met: OpenShift platform',
  ],
  [
    'images without a lock file',
    { 'manifest.yaml': manifest('  images:\n    - name: web\n      image: nginx:1\n') },
    'Missing image in manifest.lock.yaml, but using PackageManifest.spec.images. Try running: kubectl package update in manifest.lock.yaml',
  ],
  [
    'lock file out of date',
    {
      'manifest.yaml': manifest('  images:\n    - name: web\n      image: nginx:2\n'),
      'manifest.lock.yaml':
        'apiVersion: manifests.package-operator.run/v1alpha1\nkind: PackageManifestLock\nspec:\n  images:\n    - name: web\n      image: nginx:1\n      digest: sha256:abc\n',
    },
    'Image specified in manifest does not match with lockfile. Try running: kubectl package update: "web": "nginx:2" vs "nginx:1"',
  ],
  [
    'files directly in components/',
    { 'manifest.yaml': manifest('  components: {}\n'), 'components/x.yaml': cm('x') },
    'The components directory may only contain folders and dot files in components/x.yaml',
  ],
  [
    'nested multi-component package',
    {
      'manifest.yaml': manifest('  components: {}\n'),
      'components/a/manifest.yaml': manifest('  components: {}\n'),
    },
    'Nesting multi-component packages not allowed [a]',
  ],
  [
    'YAML alias bomb',
    {
      'manifest.yaml': manifest(),
      'a.yaml': `a: &a [x,x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 120 }, (_, i) => `k${i}: *a`).join('\n')}\n`,
    },
    'Invalid YAML in a.yaml idx 0: Excessive alias count indicates a resource exhaustion attack',
  ],
];

describe('bad package input', () => {
  for (const [name, files, message, input] of cases) {
    it(name, async () => {
      const actual = await render(files, input);
      if (name === 'include recursion') {
        expect(
          actual.startsWith(
            'template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <include "loop" .>: error calling include: ',
          ),
        ).toBe(true);
        expect(actual).toContain(' characters elided) … ');
        expect(actual.endsWith('exceeded max include recursion depth')).toBe(true);
        expect(actual.length).toBeLessThan(4200);
      } else if (name === 'YAML alias bomb') {
        expect(actual.startsWith(message)).toBe(true);
      } else {
        expect(actual).toBe(message);
      }
    });
  }
});

describe('manifest validation (gantry validate)', () => {
  const table: [string, string, string][] = [
    ['no name', manifest().replace('  name: pkg\n', '  labels: {}\n'), 'metadata.name: Required value'],
    ['no scopes', manifest().replace('  scopes: [Namespaced]\n', ''), 'spec.scopes: Required value'],
    ['no phases', manifest('', []).replace('  phases:\n\n', ''), 'spec.phases: Required value'],
    ['duplicate phase', manifest('', ['a', 'a']), 'spec.phases[1].name: Invalid value: "a": must be unique'],
    [
      'probe without probes',
      manifest(
        '  availabilityProbes:\n    - probes: []\n      selector: {kind: {group: "", kind: ConfigMap}}\n',
      ),
      'spec.availabilityProbes[0].probes: Required value',
    ],
    [
      'image without name',
      manifest('  images:\n    - name: ""\n      image: x\n'),
      'spec.images[0].name: Invalid value: "": must be non empty',
    ],
    [
      'duplicate image',
      manifest('  images:\n    - name: a\n      image: img1\n    - name: a\n      image: img2\n'),
      'spec.images[1].name: Invalid value: "a": must be unique',
    ],
    [
      'bad constraint range',
      manifest('  constraints:\n    - platformVersion:\n        name: Kubernetes\n        range: ">>1"\n'),
      'spec.constraints[0].platformVersion.range: Invalid value: ">>1": improper constraint',
    ],
    [
      'kubeconform without version',
      `${manifest()}test:\n  kubeconform: {}\n`,
      'test.kubeconform.kubernetesVersion: Required value',
    ],
    [
      'test case config violating the schema',
      `${manifest('  config:\n    openAPIV3Schema:\n      type: object\n      required: [a]\n      properties:\n        a: {type: string}\n')}test:\n  template:\n    - name: t\n      context: {config: {}}\n`,
      'test.template[0].context.config.a: Required value',
    ],
    [
      'test case named .. (its fixtures would be written outside .test-fixtures/)',
      `${manifest()}test:\n  template:\n    - name: ".."\n`,
      `test.template[0].name: Invalid value: "..": may not be '..'`,
    ],
    [
      'test case named .',
      `${manifest()}test:\n  template:\n    - name: "."\n`,
      `test.template[0].name: Invalid value: ".": may not be '.'`,
    ],
  ];
  for (const [name, text, message] of table) {
    it(name, async () => {
      expect((await validate({ 'manifest.yaml': text })).split('\n')).toContain(message);
    });
  }
});
