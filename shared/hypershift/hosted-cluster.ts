/**
 * @module hypershift/hosted-cluster
 * What PKO v1.19.0's HostedCluster controller (`internal/controllers/hostedclusters`) does for each HyperShift
 * HostedCluster, as a pure decision: nothing while the HostedCluster is being deleted or not `Available`; then the
 * Package `remote-phase` in the hosted cluster's control-plane namespace (`<namespace>-<name, dots as dashes>`),
 * `spec: {image: <--package-operator-package-image>, component: remote-phase, config?: {affinity, tolerations}}`,
 * owned through the owners annotation (it lives in another namespace than its HostedCluster); created when missing,
 * its spec put back when it differs. Pure.
 */
import { z } from 'zod';
import { ANNOTATION_OWNERS, API_VERSION } from '../api/constants.js';
import { isRecord } from '../api/objects.js';
import { hostedClusterNamespace } from '../packages/environment.js';
import { canonicalJson } from '../render/hash.js';
import type { KubeObject } from '../ports.js';
import { formatAnnotationOwners } from '../phases/owners.js';

export const HOSTED_CLUSTER_API_VERSION = 'hypershift.openshift.io/v1beta1';
export const HOSTED_CLUSTER_KIND = 'HostedCluster';
/** The name of the Package made for every HostedCluster, and the component of the package image it installs. */
export const REMOTE_PHASE_PACKAGE = 'remote-phase';

/** PKO's `--package-operator-package-image`, `--sub-component-affinity` and `--sub-component-tolerations`. */
export interface HostedClusterPackageSettings {
  readonly image: string;
  /** A JSON object (Kubernetes `Affinity`). */
  readonly affinity?: Readonly<Record<string, unknown>>;
  /** A JSON array (Kubernetes `[]Toleration`). */
  readonly tolerations?: readonly unknown[];
}

/** A HostedCluster as Gantry reads it: who it is, its conditions, and the Secret of its admin kubeconfig. */
export const hostedClusterSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().min(1),
    uid: z.string().min(1),
    deletionTimestamp: z.string().optional(),
  }),
  status: z
    .object({
      conditions: z.array(z.object({ type: z.string(), status: z.string() }).loose()).optional(),
      kubeconfig: z
        .object({ name: z.string().min(1) })
        .loose()
        .optional(),
    })
    .loose()
    .optional(),
});

export type HostedClusterDecision =
  | { readonly kind: 'deleting' }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'malformed'; readonly message: string }
  | { readonly kind: 'create'; readonly pkg: KubeObject }
  | { readonly kind: 'update'; readonly pkg: KubeObject }
  | { readonly kind: 'unchanged' };

/** Where the Package of a HostedCluster lives. */
export function remotePhasePackageRef(hc: { readonly namespace: string; readonly name: string }): {
  readonly apiVersion: string;
  readonly kind: 'Package';
  readonly namespace: string;
  readonly name: string;
} {
  return {
    apiVersion: API_VERSION,
    kind: 'Package',
    namespace: hostedClusterNamespace(hc.namespace, hc.name),
    name: REMOTE_PHASE_PACKAGE,
  };
}

function packageSpec(settings: HostedClusterPackageSettings): Record<string, unknown> {
  const config = {
    ...(settings.affinity !== undefined ? { affinity: settings.affinity } : {}),
    ...(settings.tolerations !== undefined ? { tolerations: settings.tolerations } : {}),
  };
  return {
    image: settings.image,
    component: REMOTE_PHASE_PACKAGE,
    ...(Object.keys(config).length > 0 ? { config } : {}),
  };
}

/** Decide what the HostedCluster `raw` needs, given its Package as it is (undefined: missing). */
export function decideHostedCluster(
  raw: unknown,
  existing: KubeObject | undefined,
  settings: HostedClusterPackageSettings,
): HostedClusterDecision {
  const parsed = hostedClusterSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'malformed', message: parsed.error.issues[0]?.message ?? 'invalid' };
  const hc = parsed.data;
  if (hc.metadata.deletionTimestamp !== undefined) return { kind: 'deleting' };
  const available = (hc.status?.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True');
  if (!available) return { kind: 'unavailable' };
  const spec = packageSpec(settings);
  if (existing === undefined) {
    const ref = remotePhasePackageRef(hc.metadata);
    const owners = formatAnnotationOwners([
      {
        apiVersion: HOSTED_CLUSTER_API_VERSION,
        kind: HOSTED_CLUSTER_KIND,
        name: hc.metadata.name,
        namespace: hc.metadata.namespace,
        uid: hc.metadata.uid,
        controller: true,
      },
    ]);
    return {
      kind: 'create',
      pkg: {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace, annotations: { [ANNOTATION_OWNERS]: owners } },
        spec,
      },
    };
  }
  const current = isRecord(existing['spec']) ? existing['spec'] : {};
  if (canonicalJson(current) === canonicalJson(spec)) return { kind: 'unchanged' };
  return { kind: 'update', pkg: { ...existing, spec } };
}

/** `--sub-component-affinity` / `PKO_SUB_COMPONENT_AFFINITY`: a JSON object, or why not. */
export function parseAffinity(text: string): { ok: true; value: Record<string, unknown> } | { ok: false } {
  const value = parseJson(text);
  return isRecord(value) ? { ok: true, value } : { ok: false };
}

/** `--sub-component-tolerations` / `PKO_SUB_COMPONENT_TOLERATIONS`: a JSON array of objects, or why not. */
export function parseTolerations(text: string): { ok: true; value: unknown[] } | { ok: false } {
  const value = parseJson(text);
  return Array.isArray(value) && value.every(isRecord) ? { ok: true, value } : { ok: false };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
