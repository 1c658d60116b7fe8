/**
 * The bad package input table (issue 3 §6): each package, the exact message Gantry's render gives, and the
 * render input it needs. Shared by test/unit/bad-input.test.ts and the PKO CLI parity check (test/parity).
 */
import type { RenderInput } from '../../shared/packages/index.js';

export const manifest = (
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

export const cm = (name: string, extra = '', phase = 'deploy'): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  annotations:
    package-operator.run/phase: ${phase}
${extra}`;

export type Files = Record<string, string>;

/**
 * PKO's wrapping of an execute error quotes the template data as Go's %+v prints it; this is the data of the
 * render input the table's cases use (test/unit/bad-input.test.ts).
 */
const CONTEXT =
  'map[config:map[] environment:map[kubernetes:map[version:v1.37.2]] images:map[] package:map[image:img metadata:map[annotations:map[] labels:map[] name:inst namespace:ns]]]';
const parsing = (path: string, message: string): string => `parsing template from ${path}: ${message}`;
const executing = (path: string, message: string): string =>
  `executing template from ${path} with context ${CONTEXT}: ${message}`;

export { CONTEXT as BAD_INPUT_CONTEXT };

export const cases: [string, Files, string, Partial<RenderInput>?][] = [
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
    // Kubernetes' decoder text, quoting the document as Go's encoding/json writes it (sorted keys, kind null).
    'Invalid YAML in a.yaml idx 0: error unmarshaling JSON: while decoding JSON: Object \'Kind\' is missing in \'{"apiVersion":"v1","metadata":{"name":"a"}}\'\napiVersion: v1\nmetadata: {name: a}',
  ],
  [
    'object without apiVersion',
    { 'manifest.yaml': manifest(), 'a.yaml': 'kind: ConfigMap\nmetadata: {name: a}\n' },
    // PKO's validators each run over every object: the GVK check, then the phase annotation check.
    'GroupVersionKind not set in a.yaml idx 0, Missing package-operator.run/phase Annotation in a.yaml idx 0',
  ],
  [
    'object is a scalar',
    { 'manifest.yaml': manifest(), 'a.yaml': 'just text\n' },
    'Invalid YAML in a.yaml idx 0: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type map[string]interface {}\njust text',
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
    `Labels invalid in a.yaml idx 0: metadata.labels: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 bytes`,
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
    parsing('a.yaml.gotmpl', 'template: a.yaml.gotmpl:1: unclosed action'),
  ],
  [
    'template missing key',
    { 'manifest.yaml': manifest(), 'cm.yaml.gotmpl': 'x: {{ .package.metadata.nope.deeper }}' },
    executing(
      'cm.yaml.gotmpl',
      'template: cm.yaml.gotmpl:1:14: executing "cm.yaml.gotmpl" at <.package.metadata.nope.deeper>: map has no entry for key "nope"',
    ),
  ],
  [
    'forbidden sprig env',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ env "HOME" }}' },
    parsing('a.yaml.gotmpl', 'template: a.yaml.gotmpl:1: function "env" not defined'),
  ],
  [
    'forbidden sprig now',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ now }}' },
    parsing('a.yaml.gotmpl', 'template: a.yaml.gotmpl:1: function "now" not defined'),
  ],
  [
    'forbidden sprig randAlpha',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ randAlpha 3 }}' },
    parsing('a.yaml.gotmpl', 'template: a.yaml.gotmpl:1: function "randAlpha" not defined'),
  ],
  [
    'forbidden sprig genPrivateKey',
    { 'manifest.yaml': manifest(), 'a.yaml.gotmpl': '{{ genPrivateKey "rsa" }}' },
    parsing('a.yaml.gotmpl', 'template: a.yaml.gotmpl:1: function "genPrivateKey" not defined'),
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
    executing(
      'a.yaml.gotmpl',
      'template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <getFile "nope.txt">: error calling getFile: file not found',
    ),
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
    "constructing CEL context: invalid CEL condition name: '1bad'",
  ],
  [
    'duplicate filter condition name',
    {
      'manifest.yaml': manifest(
        '  filter:\n    conditions:\n      - name: a\n        expression: "true"\n      - name: a\n        expression: "false"\n',
      ),
    },
    "constructing CEL context: duplicate CEL condition name: 'a'",
  ],
  [
    'non-bool filter condition',
    {
      'manifest.yaml': manifest('  filter:\n    conditions:\n      - name: a\n        expression: "\'x\'"\n'),
    },
    "constructing CEL context: CEL condition evaluation failed: 'a': invalid return type: string, expected bool",
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
