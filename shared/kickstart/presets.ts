/**
 * @module kickstart/presets
 * PKO v1.19.0's kickstart presets: the phase each group/kind goes to, the availability probe each kind gets
 * (or that it needs none), the kinds it treats as cluster-scoped, and the `--parametrize` options.
 */

/** A group/kind as `Kind` (core group) or `Kind.group`, PKO's GroupKind.String(). */
export function groupKindKey(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

/** The well-known phases, in the order they run. */
export const ORDERED_PHASES = [
  'namespaces',
  'policies',
  'rbac',
  'crds',
  'storage',
  'deploy',
  'publish',
  'other',
] as const;
export type Phase = (typeof ORDERED_PHASES)[number];

const PHASE_KINDS: Readonly<Record<Exclude<Phase, 'other'>, readonly string[]>> = {
  namespaces: ['Namespace'],
  policies: [
    'ResourceQuota',
    'LimitRange',
    'PriorityClass.scheduling.k8s.io',
    'NetworkPolicy.networking.k8s.io',
    'HorizontalPodAutoscaler.autoscaling',
    'PodDisruptionBudget.policy',
  ],
  rbac: [
    'ServiceAccount',
    'Role.rbac.authorization.k8s.io',
    'RoleBinding.rbac.authorization.k8s.io',
    'ClusterRole.rbac.authorization.k8s.io',
    'ClusterRoleBinding.rbac.authorization.k8s.io',
  ],
  crds: ['CustomResourceDefinition.apiextensions.k8s.io'],
  storage: ['PersistentVolume', 'PersistentVolumeClaim', 'StorageClass.storage.k8s.io'],
  // PKO lists ReplicaSet without its group (apps), so an apps/v1 ReplicaSet goes to `other`.
  deploy: [
    'Deployment.apps',
    'DaemonSet.apps',
    'StatefulSet.apps',
    'ReplicaSet',
    'Pod',
    'Job.batch',
    'CronJob.batch',
    'Service',
    'Secret',
    'ConfigMap',
  ],
  publish: [
    'Ingress.networking.k8s.io',
    'APIService.apiregistration.k8s.io',
    'Route.route.openshift.io',
    'MutatingWebhookConfiguration.admissionregistration.k8s.io',
    'ValidatingWebhookConfiguration.admissionregistration.k8s.io',
  ],
};

const PHASE_OF = new Map<string, Phase>(
  Object.entries(PHASE_KINDS).flatMap(([phase, kinds]) =>
    kinds.map((k): [string, Phase] => [k, ORDERED_PHASES.find((p) => p === phase) ?? 'other']),
  ),
);

/** The phase a group/kind goes to; `other` for kinds no preset names. */
export function phaseOf(group: string, kind: string): Phase {
  return PHASE_OF.get(groupKindKey(group, kind)) ?? 'other';
}

const ADMISSION = 'admissionregistration.k8s.io';
const STORAGE = 'storage.k8s.io';

/** Kinds PKO treats as cluster-scoped (their namespace is never parametrized). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'IngressClass',
  'PersistentVolume',
  'ClusterRole.rbac.authorization.k8s.io',
  'ClusterRoleBinding.rbac.authorization.k8s.io',
  'PriorityClass.scheduling.k8s.io',
  'APIService.apiregistration.k8s.io',
  `StorageClass.${STORAGE}`,
  `CSIDriver.${STORAGE}`,
  `CSINode.${STORAGE}`,
  `CSIStorageCapacity.${STORAGE}`,
  `MutatingWebhookConfiguration.${ADMISSION}`,
  `ValidatingWebhookConfiguration.${ADMISSION}`,
  `ValidatingAdmissionPolicy.${ADMISSION}`,
]);

export function isClusterScoped(group: string, kind: string): boolean {
  return CLUSTER_SCOPED.has(groupKindKey(group, kind));
}

/** Kinds known to need no availability probe (PKO's list, its `RoleRolebinding` typo included). */
const NO_PROBE = new Set([
  ...[
    'Namespace',
    'ServiceAccount',
    'Endpoints',
    'EndpointSlice',
    'IngressClass',
    'Service',
    'Secret',
    'ConfigMap',
    'PersistentVolume',
    'PersistentVolumeClaim',
    'ResourceQuota',
    'LimitRange',
  ],
  ...['Role', 'RoleRolebinding', 'ClusterRole', 'ClusterRoleBinding'].map(
    (k) => `${k}.rbac.authorization.k8s.io`,
  ),
  'PriorityClass.scheduling.k8s.io',
  'Ingress.networking.k8s.io',
  'NetworkPolicy.networking.k8s.io',
  'HorizontalPodAutoscaler.autoscaling',
  'PodDisruptionBudget.policy',
  'CronJob.batch',
  'APIService.apiregistration.k8s.io',
  ...['StorageClass', 'CSIDriver', 'CSINode', 'CSIStorageCapacity'].map((k) => `${k}.${STORAGE}`),
  ...['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy'].map(
    (k) => `${k}.${ADMISSION}`,
  ),
]);

export function needsNoProbe(group: string, kind: string): boolean {
  return NO_PROBE.has(groupKindKey(group, kind));
}

export type Probe = Readonly<Record<string, unknown>>;

const available: Probe = { condition: { type: 'Available', status: 'True' } };
const replicasUpdated: Probe = {
  fieldsEqual: { fieldA: '.status.updatedReplicas', fieldB: '.status.replicas' },
};
const condition = (type: string): Probe => ({ condition: { type, status: 'True' } });
const cel = (message: string, rule: string): Probe => ({ cel: { message, rule } });

const PROBES: ReadonlyMap<string, readonly Probe[]> = new Map([
  ['Deployment.apps', [available, replicasUpdated]],
  ['StatefulSet.apps', [available, replicasUpdated]],
  [
    'DaemonSet.apps',
    [{ fieldsEqual: { fieldA: '.status.desiredNumberScheduled', fieldB: '.status.numberAvailable' } }],
  ],
  ['ReplicaSet.apps', [available, replicasUpdated]],
  ['CustomResourceDefinition.apiextensions.k8s.io', [condition('Established')]],
  ['Job.batch', [condition('Complete')]],
  [
    'Route.route.openshift.io',
    [
      cel(
        'not all ingress points are reporting ready',
        'self.status.ingress.all(i, i.conditions.all(c, c.type == "Ready" && c.status == "True"))',
      ),
    ],
  ],
  ['PersistentVolumeClaim', [cel('is not yet Bound', 'self.status.phase == "Bound"')]],
  [
    'ClusterServiceVersion.operators.coreos.com',
    [cel('CSV not succeeded', 'self.status.phase == "Succeeded"')],
  ],
]);

/** The availability probe entry of a manifest for a group/kind, or undefined when PKO has none. */
export function probeFor(group: string, kind: string): Probe | undefined {
  const probes = PROBES.get(groupKindKey(group, kind));
  return probes === undefined ? undefined : { selector: { kind: { group, kind } }, probes };
}

export interface ParametrizeOptions {
  readonly namespaces: boolean;
  readonly replicas: boolean;
  readonly tolerations: boolean;
  readonly nodeSelectors: boolean;
  readonly resources: boolean;
  readonly env: boolean;
  readonly images: boolean;
}

/** The `--parametrize` values PKO knows; `all` turns every one on. Unknown values are ignored, as in PKO. */
export const PARAMETRIZE_VALUES = [
  'namespaces',
  'replicas',
  'tolerations',
  'nodeselectors',
  'resources',
  'env',
  'images',
  'all',
] as const;

export function parametrizeOptions(flags: readonly string[]): ParametrizeOptions {
  const on = (name: string): boolean => flags.includes('all') || flags.includes(name);
  return {
    namespaces: on('namespaces'),
    replicas: on('replicas'),
    tolerations: on('tolerations'),
    nodeSelectors: on('nodeselectors'),
    resources: on('resources'),
    env: on('env'),
    images: on('images'),
  };
}

export function anyParametrization(options: ParametrizeOptions): boolean {
  return Object.values(options).some((v) => v);
}
