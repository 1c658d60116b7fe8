/**
 * @module adapters/kube/discovery
 * Kubernetes' aggregated discovery (`apidiscovery.k8s.io/v2`, GA since 1.30): `GET /apis` with this Accept header
 * answers with every API group's versions and resources at once, instead of one request per group version. A server
 * that does not offer it answers with a plain APIGroupList, which {@link parseAggregatedDiscovery} refuses.
 */
import { z } from 'zod';
import type { ResourceInfo } from '../../../shared/ports.js';

export const AGGREGATED_DISCOVERY_ACCEPT = [
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  'application/json',
].join(',');

const resourceSchema = z.object({
  resource: z.string(),
  responseKind: z.object({ kind: z.string() }).optional(),
  scope: z.string(),
});

const listSchema = z.object({
  kind: z.literal('APIGroupDiscoveryList'),
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string().optional() }).optional(),
      versions: z.array(
        z.object({
          version: z.string(),
          resources: z.array(resourceSchema).optional(),
          /** `Stale`: an aggregated API server did not answer; its resources may be missing. */
          freshness: z.string().optional(),
        }),
      ),
    }),
  ),
});

/**
 * The resources of every group version the answer holds (`group/version` → kind → resource); undefined when the
 * answer is not an aggregated discovery list. Stale versions are left out (asked for one by one when needed).
 */
export function parseAggregatedDiscovery(body: unknown): Map<string, Map<string, ResourceInfo>> | undefined {
  const parsed = listSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const out = new Map<string, Map<string, ResourceInfo>>();
  for (const group of parsed.data.items) {
    const name = group.metadata?.name ?? '';
    for (const version of group.versions) {
      if (version.freshness === 'Stale') continue;
      const resources = new Map<string, ResourceInfo>();
      for (const r of version.resources ?? []) {
        if (r.responseKind === undefined || r.responseKind.kind === '') continue;
        resources.set(r.responseKind.kind, { plural: r.resource, namespaced: r.scope === 'Namespaced' });
      }
      out.set(name === '' ? version.version : `${name}/${version.version}`, resources);
    }
  }
  return out;
}

/**
 * The core group's (`v1`) kinds: fixed by Kubernetes itself (no CRD and no aggregated API server can add to or change
 * the legacy group), so a lookup of one needs no `GET /api/v1`. A `v1` kind not listed here is discovered.
 */
export const CORE_V1_KINDS: ReadonlyMap<string, ResourceInfo> = new Map(
  (
    [
      ['ConfigMap', 'configmaps', true],
      ['Endpoints', 'endpoints', true],
      ['Event', 'events', true],
      ['LimitRange', 'limitranges', true],
      ['Namespace', 'namespaces', false],
      ['Node', 'nodes', false],
      ['PersistentVolume', 'persistentvolumes', false],
      ['PersistentVolumeClaim', 'persistentvolumeclaims', true],
      ['Pod', 'pods', true],
      ['PodTemplate', 'podtemplates', true],
      ['ReplicationController', 'replicationcontrollers', true],
      ['ResourceQuota', 'resourcequotas', true],
      ['Secret', 'secrets', true],
      ['Service', 'services', true],
      ['ServiceAccount', 'serviceaccounts', true],
    ] as const
  ).map(([kind, plural, namespaced]) => [kind, { plural, namespaced }]),
);
