/**
 * @module steps/warm-up
 * A host about to reconcile Packages runs a small package through the render step's code once when it starts:
 * parsing the Package, loading and validating the package (its JSON schemas compiled), the config's schema and
 * defaults, a template file and a plain one, building the ObjectDeployment and hashing its template. Without it the
 * first Package a user creates pays for compiling all of that (about 80 ms of CPU in a first install on a 2-core
 * machine); with it the host's start-up does, before any Package waits. Left out: CEL (its environment is memory
 * that packages without CEL never need) and the template worker (the template engine is the caller's: hosts give
 * one that returns the file as it is, since starting the worker before a Package needs it raised the peak memory
 * of a 1,000-Package install by some 50 MiB). Nothing is read from or written to a cluster.
 */
import { packageSchema, parseResource } from '../../shared/api/resources.js';
import { API_VERSION } from '../../shared/api/constants.js';
import { parseKubeObject } from '../../shared/api/objects.js';
import type { Environment } from '../../shared/packages/environment.js';
import { templateHash } from '../../shared/steps/deployment.js';
import { renderForPackage } from './package.js';
import type { GoTemplateEngine } from '../../shared/ports.js';
import type { StepDeps } from './types.js';

const encoder = new TextEncoder();

/** A package in the shape of most: two phases, a probe, a config schema, a templated and a plain object. */
const FILES: ReadonlyMap<string, string> = new Map([
  [
    'manifest.yaml',
    [
      'apiVersion: manifests.package-operator.run/v1alpha1',
      'kind: PackageManifest',
      'metadata: {name: warm-up}',
      'spec:',
      '  scopes: [Namespaced, Cluster]',
      '  phases: [{name: config}, {name: deploy}]',
      '  availabilityProbes:',
      '  - selector: {kind: {group: "", kind: ConfigMap}}',
      '    probes: [{condition: {type: Available, status: "True"}}]',
      '  config:',
      '    openAPIV3Schema:',
      '      type: object',
      '      properties: {greeting: {type: string, default: hello}}',
      '',
    ].join('\n'),
  ],
  [
    'config.yaml.gotmpl',
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: warm-up-config',
      '  annotations: {package-operator.run/phase: config}',
      'data: {greeting: hello}',
      '',
    ].join('\n'),
  ],
  [
    'plain.yaml',
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: plain',
      '  annotations: {package-operator.run/phase: deploy}',
      'data: {a: b}',
      '',
    ].join('\n'),
  ],
]);

const PACKAGE = {
  apiVersion: API_VERSION,
  kind: 'Package',
  metadata: {
    name: 'warm-up',
    namespace: 'warm-up',
    uid: '00000000-0000-0000-0000-000000000000',
    generation: 1,
  },
  spec: { image: 'registry.invalid/warm-up:v1', config: { greeting: 'hi' } },
};

const ENVIRONMENT: Environment = { kubernetes: { version: 'v1.0.0' } };

/**
 * Render the built-in package once with `deps.engines` (its template file has no actions, so an engine that returns
 * a file as it is renders it right) and the host's cluster client, which a package without a `uniqueInScope`
 * constraint never uses. A failure is returned, not thrown: it only means the first real Package pays for what
 * this would have compiled.
 */
export async function warmUpRender(
  deps: Pick<StepDeps, 'kube' | 'engines' | 'prefixOverrides'>,
): Promise<Error | undefined> {
  try {
    const pkg = parseResource(packageSchema, PACKAGE);
    const files = new Map([...FILES].map(([path, text]) => [path, encoder.encode(text)]));
    const { built } = await renderForPackage(
      pkg,
      { files, labels: {}, resolved: PACKAGE.spec.image, digest: '' },
      undefined,
      { ...deps, environment: { environment: () => Promise.resolve(ENVIRONMENT) } },
    );
    const od = parseKubeObject(built.objectDeployment);
    if (od !== undefined) templateHash(od);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** A Go template engine for {@link warmUpRender} that returns every executed file as it is (no worker started). */
export const UNRENDERED: GoTemplateEngine = {
  render: (request) =>
    Promise.resolve(
      new Map(request.execute.map((path) => [path, request.templates.get(path) ?? ''] as const)),
    ),
};
