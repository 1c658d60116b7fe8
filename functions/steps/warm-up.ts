/**
 * @module steps/warm-up
 * A host about to reconcile Packages runs a small package through the render step's code once when it starts:
 * parsing the Package, loading and validating the package (its JSON schemas compiled), rendering a Go template and
 * plain YAML, validating the config, building the ObjectDeployment and hashing its template. Without it the first
 * Package a user creates pays for compiling all of that (about 100 ms of the first install on a 2-core machine);
 * with it the host's start-up does, before any Package waits. Nothing is read from or written to a cluster.
 */
import { packageSchema, parseResource } from '../../shared/api/resources.js';
import { API_VERSION } from '../../shared/api/constants.js';
import { parseKubeObject } from '../../shared/api/objects.js';
import type { Environment } from '../../shared/packages/environment.js';
import { templateHash } from '../../shared/steps/deployment.js';
import { renderForPackage } from './package.js';
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
      '    probes: [{cel: {rule: "true", message: warm}}]',
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
      '  name: "{{ .package.metadata.name }}-config"',
      '  annotations: {package-operator.run/phase: config}',
      'data: {greeting: {{ .config.greeting | quote }}}',
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
 * Render the built-in package once with the host's engines (and its cluster client, which a package without a
 * `uniqueInScope` constraint never uses). A failure is returned, not thrown: it only means the first real
 * Package pays for what this would have compiled.
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
