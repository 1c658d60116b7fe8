/**
 * @module api/constants
 * Exact strings of Package Operator's API (pko-behaviour.md §0): groups, labels, annotations, finalizers.
 */
export const GROUP = 'package-operator.run';
export const VERSION = 'v1alpha1';
export const API_VERSION = 'package-operator.run/v1alpha1';
export const MANIFESTS_API_VERSION = 'manifests.package-operator.run/v1alpha1';
export const MANIFESTS_GROUP = 'manifests.package-operator.run';

export const ANNOTATION_PHASE = 'package-operator.run/phase';
export const ANNOTATION_CONDITION_MAP = 'package-operator.run/condition-map';
export const ANNOTATION_CONDITION = 'package-operator.run/condition';
export const ANNOTATION_COLLISION_PROTECTION = 'package-operator.run/collision-protection';
export const ANNOTATION_PACKAGE_SOURCE_IMAGE = 'package-operator.run/package-source-image';
export const ANNOTATION_PACKAGE_CONFIG = 'package-operator.run/package-config';
export const ANNOTATION_CHANGE_CAUSE = 'kubernetes.io/change-cause';
export const ANNOTATION_REVISION = 'package-operator.run/revision';
export const ANNOTATION_HASH = 'package-operator.run/hash';
export const ANNOTATION_PAUSED_BY_PARENT = 'package-operator.run/paused-by-parent';
export const ANNOTATION_CHUNKING_STRATEGY = 'packages.package-operator.run/chunking-strategy';
export const ANNOTATION_PAUSE_MESSAGE = 'package-operator.run/pause-message';
export const ANNOTATION_OWNERS = 'package-operator.run/owners';

export const LABEL_PACKAGE = 'package-operator.run/package';
export const LABEL_INSTANCE = 'package-operator.run/instance';
export const LABEL_OBJECT_DEPLOYMENT = 'package-operator.run/object-deployment';
export const LABEL_PHASE_CLASS = 'package-operator.run/phase-class';
export const LABEL_CACHE = 'package-operator.run/cache';
export const LABEL_SLICE_OWNER = 'slices.package-operator.run/owner';

export const FINALIZER_CACHED = 'package-operator.run/cached';
export const FINALIZER_METRICS = 'package-operator.run/metrics';

export const FIELD_MANAGER = 'package-operator';

/** Every `.images.X` in template tests and `tree` (pko-behaviour §0). */
export const STATIC_TEST_IMAGE = 'registry.package-operator.run/static-image';

/** The PKO annotations consumed at render time and stripped from objects (pko-behaviour §1.5). */
export const RENDER_ANNOTATIONS: readonly string[] = [
  ANNOTATION_PHASE,
  ANNOTATION_CONDITION_MAP,
  ANNOTATION_COLLISION_PROTECTION,
  ANNOTATION_CONDITION,
];

export type CollisionProtection = 'Prevent' | 'IfNoController' | 'None';
export type Scope = 'Namespaced' | 'Cluster';

/** The twelve kinds, their scope and plural resource name. */
export const KINDS = {
  Package: { plural: 'packages', namespaced: true },
  ClusterPackage: { plural: 'clusterpackages', namespaced: false },
  ObjectDeployment: { plural: 'objectdeployments', namespaced: true },
  ClusterObjectDeployment: { plural: 'clusterobjectdeployments', namespaced: false },
  ObjectSet: { plural: 'objectsets', namespaced: true },
  ClusterObjectSet: { plural: 'clusterobjectsets', namespaced: false },
  ObjectSetPhase: { plural: 'objectsetphases', namespaced: true },
  ClusterObjectSetPhase: { plural: 'clusterobjectsetphases', namespaced: false },
  ObjectSlice: { plural: 'objectslices', namespaced: true },
  ClusterObjectSlice: { plural: 'clusterobjectslices', namespaced: false },
  ObjectTemplate: { plural: 'objecttemplates', namespaced: true },
  ClusterObjectTemplate: { plural: 'clusterobjecttemplates', namespaced: false },
} as const;

export type KindName = keyof typeof KINDS;
