/**
 * @module kickstart/olm-typed
 * What PKO's OLM import adds by round-tripping bundle objects through Go types (apiextensions/v1 and apps/v1
 * structs marshalled again): a CRD's empty `status`, and a Deployment's `strategy: {}`, `selector: null`,
 * `resources: {}` on each container and `status: {}`. Fields the structs would drop or add elsewhere are not
 * modelled.
 */
const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const EMPTY_CRD_STATUS = { acceptedNames: { kind: '', plural: '' }, conditions: null, storedVersions: null };

/** A CustomResourceDefinition as apiextensions/v1's struct writes it. */
export function typedCrd(crd: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { ...crd, status: isMap(crd['status']) ? crd['status'] : EMPTY_CRD_STATUS };
}

function withResources(containers: unknown): unknown {
  if (!Array.isArray(containers)) return containers;
  return containers.map((c: unknown) =>
    isMap(c) ? { ...c, resources: isMap(c['resources']) ? c['resources'] : {} } : c,
  );
}

/** A DeploymentSpec as apps/v1's struct writes it. */
export function typedDeploymentSpec(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const template = isMap(spec['template']) ? spec['template'] : {};
  const pod = isMap(template['spec']) ? template['spec'] : {};
  const typedPod: Record<string, unknown> = { ...pod, containers: withResources(pod['containers'] ?? null) };
  if (pod['initContainers'] !== undefined) typedPod['initContainers'] = withResources(pod['initContainers']);
  return {
    ...spec,
    selector: spec['selector'] ?? null,
    strategy: isMap(spec['strategy']) ? spec['strategy'] : {},
    template: {
      ...template,
      metadata: isMap(template['metadata']) ? template['metadata'] : {},
      spec: typedPod,
    },
  };
}
