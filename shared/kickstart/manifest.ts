/**
 * @module kickstart/manifest
 * The `manifest.yaml` of a kickstarted package, field for field as PKO marshals its PackageManifest struct
 * (`phases: null` without objects, `images: null`, `filter: {}`, `config: {}` and `test: {}` when nothing is
 * parametrized; with a config schema, a `defaults` template test case with an empty context).
 */
import { goYaml } from './go-yaml.js';
import type { Probe } from './presets.js';
import { schemaJson, type Schema } from './schema.js';

/** The empty template test context, as PKO's TemplateContext struct marshals. */
const EMPTY_CONTEXT = {
  environment: { kubernetes: { version: '' } },
  package: { image: '', metadata: { annotations: null, labels: null, name: '', namespace: '' } },
};

export function kickstartManifest(
  name: string,
  phases: readonly string[],
  probes: readonly Probe[],
  schema: Schema,
): string {
  const configured = Object.keys(schema.properties ?? {}).length > 0;
  return goYaml({
    apiVersion: 'manifests.package-operator.run/v1alpha1',
    kind: 'PackageManifest',
    metadata: { name },
    spec: {
      phases: phases.length === 0 ? null : phases.map((p) => ({ name: p })),
      scopes: ['Cluster', 'Namespaced'],
      ...(probes.length > 0 ? { availabilityProbes: probes } : {}),
      config: configured ? { openAPIV3Schema: schemaJson(schema) } : {},
      images: null,
      filter: {},
    },
    test: configured ? { template: [{ name: 'defaults', context: EMPTY_CONTEXT }] } : {},
  });
}
