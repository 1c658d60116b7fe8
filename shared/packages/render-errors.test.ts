import { describe, expect, it } from 'vitest';
import { RetryableError } from '../errors.js';
import type { GoTemplateEngine } from '../ports.js';
import { TemplateError } from '../render/errors.js';
import { fileMapFromText } from './files.js';
import { renderPackage } from './render.js';
import { loadPackage } from './structure.js';
import { ViolationError } from './violation.js';

const manifest =
  'apiVersion: manifests.package-operator.run/v1alpha1\nkind: PackageManifest\nmetadata:\n  name: pkg\nspec:\n  scopes: [Namespaced]\n  phases: [{name: p}]\n';

/** A Go engine that fails the way it is told to: an in-memory fake of the port. */
function failingEngine(error: unknown): GoTemplateEngine {
  return {
    render(): Promise<ReadonlyMap<string, string>> {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
  };
}

async function renderWith(engine: GoTemplateEngine): Promise<unknown> {
  const pkg = loadPackage({
    files: fileMapFromText({ 'manifest.yaml': manifest, 'cm.yaml.gotmpl': 'kind: ConfigMap\n' }),
    labels: {},
  });
  return renderPackage(
    {
      component: pkg.root,
      scope: 'Namespaced',
      package: { metadata: { name: 'inst', namespace: 'ns' }, image: 'img' },
      config: {},
      environment: { kubernetes: { version: 'v1.37.2' } },
    },
    { gotmpl: engine },
  ).catch((error: unknown) => error);
}

describe('renderPackage keeps infrastructure failures what they are', () => {
  it('a template error is a violation of the package', async () => {
    const error = await renderWith(
      failingEngine(new TemplateError('template: cm.yaml.gotmpl:1: boom', { phase: 'execute' })),
    );
    expect(error).toBeInstanceOf(ViolationError);
    expect((error as Error).message).toBe('template: cm.yaml.gotmpl:1: boom');
  });

  it('a crashed engine stays retryable, not a violation', async () => {
    const crash = new RetryableError('template engine failed: the Go runtime exited', 1000);
    expect(await renderWith(failingEngine(crash))).toBe(crash);
  });

  it('an unexpected failure (a missing file, a bug) is passed on, not turned into a violation', async () => {
    const bug = new Error('ENOENT: no such file or directory, open gotmpl.wasm');
    expect(await renderWith(failingEngine(bug))).toBe(bug);
  });
});

describe('renderPackage with a previous config', () => {
  const withSchema = `${manifest}  config:\n    openAPIV3Schema:\n      type: object\n      properties:\n        size:\n          type: integer\n          x-kubernetes-validations:\n            - {rule: "self >= oldSelf", message: "size may not shrink"}\n`;
  const render = (previousConfig?: unknown): Promise<unknown> => {
    const pkg = loadPackage({ files: fileMapFromText({ 'manifest.yaml': withSchema }), labels: {} });
    return renderPackage(
      {
        component: pkg.root,
        scope: 'Namespaced',
        package: { metadata: { name: 'inst', namespace: 'ns' }, image: 'img' },
        config: { size: 1 },
        environment: { kubernetes: { version: 'v1.37.2' } },
        ...(previousConfig !== undefined ? { previousConfig } : {}),
      },
      { gotmpl: failingEngine(new Error('no templates here')) },
    ).catch((error: unknown) => error);
  };

  it('skips transition rules on create and checks them against the applied config on update', async () => {
    expect(await render()).toMatchObject({ config: { size: 1 } });
    const error = await render({ size: 2 });
    expect(error).toBeInstanceOf(ViolationError);
    expect((error as Error).message).toBe('spec.config.size: Invalid value: 1: size may not shrink');
  });
});
