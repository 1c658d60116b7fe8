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
import { BAD_INPUT_CONTEXT, cases, manifest, type Files } from './bad-input-cases.js';

const engines = { gotmpl: createGoTemplateEngine() };
const environment = { kubernetes: { version: 'v1.37.2' } };

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

describe('bad package input', () => {
  for (const [name, files, message, input] of cases) {
    it(name, async () => {
      const actual = await render(files, input);
      if (name === 'include recursion') {
        expect(
          actual.startsWith(
            `executing template from a.yaml.gotmpl with context ${BAD_INPUT_CONTEXT}: template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <include "loop" .>: error calling include: `,
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
    // Go's decoder accepts a repeated key and keeps the last value: here an empty metadata, so the manifest has
    // no name (PKO v1.19.0 says the same).
    ['repeated key, the last wins', `${manifest()}metadata: {}\n`, 'metadata.name: Required value'],
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
      // Stricter than PKO's manifest check: the CRD requires selector.kind, so PKO's ObjectDeployment fails later.
      'probe without a kind',
      manifest(
        '  availabilityProbes:\n    - probes: [{condition: {type: Available, status: "True"}}]\n      selector: {selector: {matchLabels: {a: b}}}\n',
      ),
      'spec.availabilityProbes[0].selector.kind: Required value',
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
      // PKO's ranges need an operator: a bare version (which npm's semver would take) is refused.
      'bad constraint range',
      manifest('  constraints:\n    - platformVersion:\n        name: Kubernetes\n        range: "1.30"\n'),
      'spec.constraints[0].platformVersion.range: Invalid value: "1.30": improper constraint',
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
