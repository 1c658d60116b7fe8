/**
 * @module api/constants
 * Exact strings of Package Operator's API (docs/pko-compatibility.md §0): groups, labels, annotations, finalizers.
 */
export const GROUP = 'package-operator.run';
export const VERSION = 'v1alpha1';
export const API_VERSION = 'package-operator.run/v1alpha1';
export const MANIFESTS_API_VERSION = 'manifests.package-operator.run/v1alpha1';
export const MANIFESTS_GROUP = 'manifests.package-operator.run';
/** Gantry's own API group (beside PKO's, whose CRDs stay untouched): the package catalog. */
export const GANTRY_GROUP = 'gantry.run';
export const GANTRY_API_VERSION = 'gantry.run/v1alpha1';

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
/**
 * Gantry's own (beyond PKO): the ServiceAccount of the object's namespace whose rights the engine applies, probes
 * and deletes the object's package objects with (impersonation); copied from a Package to its ObjectDeployment,
 * ObjectSets and ObjectSetPhases.
 */
export const ANNOTATION_SERVICE_ACCOUNT = 'gantry.run/service-account';

export const LABEL_PACKAGE = 'package-operator.run/package';
export const LABEL_INSTANCE = 'package-operator.run/instance';
export const LABEL_OBJECT_DEPLOYMENT = 'package-operator.run/object-deployment';
export const LABEL_PHASE_CLASS = 'package-operator.run/phase-class';
export const LABEL_CACHE = 'package-operator.run/cache';
export const LABEL_SLICE_OWNER = 'slices.package-operator.run/owner';

export const FINALIZER_CACHED = 'package-operator.run/cached';
export const FINALIZER_METRICS = 'package-operator.run/metrics';

export const FIELD_MANAGER = 'package-operator';

/** Every `.images.X` in template tests and `tree` (docs/pko-compatibility.md §0). */
export const STATIC_TEST_IMAGE = 'registry.package-operator.run/static-image';

/** The PKO annotations consumed at render time and stripped from objects (docs/pko-compatibility.md §1.5). */
export const RENDER_ANNOTATIONS: readonly string[] = [
  ANNOTATION_PHASE,
  ANNOTATION_CONDITION_MAP,
  ANNOTATION_COLLISION_PROTECTION,
  ANNOTATION_CONDITION,
];

export type CollisionProtection = 'Prevent' | 'IfNoController' | 'None';
export type Scope = 'Namespaced' | 'Cluster';

/** What the engine knows of one of its kinds. */
export interface KindEntry {
  /** The kind's API version when it is not PKO's `package-operator.run/v1alpha1` (Gantry's catalog kinds). */
  readonly apiVersion?: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** The engine runs a step for it (ObjectSlices are data an ObjectSet reads). */
  readonly reconciled: boolean;
  /** Added by the mutating webhook at creation; the step removes it when the object goes. */
  readonly finalizer?: string;
  /** The step a failure is recorded under when no step named itself. */
  readonly step?: string;
}

/**
 * The kind registry, the one table every host, the runner, the triggers, admission and the CLI read: PKO's twelve
 * kinds and Gantry's two catalog kinds, their API version, scope, plural, whether the engine reconciles them,
 * their finalizer and first step.
 */
export const KINDS = {
  Package: {
    plural: 'packages',
    namespaced: true,
    reconciled: true,
    finalizer: FINALIZER_METRICS,
    step: 'unpack',
  },
  ClusterPackage: {
    plural: 'clusterpackages',
    namespaced: false,
    reconciled: true,
    finalizer: FINALIZER_METRICS,
    step: 'unpack',
  },
  ObjectDeployment: { plural: 'objectdeployments', namespaced: true, reconciled: true, step: 'rollout' },
  ClusterObjectDeployment: {
    plural: 'clusterobjectdeployments',
    namespaced: false,
    reconciled: true,
    step: 'rollout',
  },
  ObjectSet: {
    plural: 'objectsets',
    namespaced: true,
    reconciled: true,
    finalizer: FINALIZER_CACHED,
    step: 'apply-phase',
  },
  ClusterObjectSet: {
    plural: 'clusterobjectsets',
    namespaced: false,
    reconciled: true,
    finalizer: FINALIZER_CACHED,
    step: 'apply-phase',
  },
  ObjectSetPhase: {
    plural: 'objectsetphases',
    namespaced: true,
    reconciled: true,
    finalizer: FINALIZER_CACHED,
    step: 'apply-phase',
  },
  ClusterObjectSetPhase: {
    plural: 'clusterobjectsetphases',
    namespaced: false,
    reconciled: true,
    finalizer: FINALIZER_CACHED,
    step: 'apply-phase',
  },
  ObjectSlice: { plural: 'objectslices', namespaced: true, reconciled: false },
  ClusterObjectSlice: { plural: 'clusterobjectslices', namespaced: false, reconciled: false },
  ObjectTemplate: {
    plural: 'objecttemplates',
    namespaced: true,
    reconciled: true,
    finalizer: FINALIZER_CACHED,
    step: 'template',
  },
  ClusterObjectTemplate: {
    plural: 'clusterobjecttemplates',
    namespaced: false,
    reconciled: true,
    finalizer: FINALIZER_CACHED,
    step: 'template',
  },
  PackageRepository: {
    apiVersion: GANTRY_API_VERSION,
    plural: 'packagerepositories',
    namespaced: true,
    reconciled: true,
    step: 'list',
  },
  PackageRevision: {
    apiVersion: GANTRY_API_VERSION,
    plural: 'packagerevisions',
    namespaced: true,
    reconciled: false,
  },
} as const satisfies Readonly<Record<string, KindEntry>>;

export type KindName = keyof typeof KINDS;

/** The namespaced kinds that have a cluster-scoped twin named `Cluster<Kind>`. */
export type ScopedKind =
  'Package' | 'ObjectDeployment' | 'ObjectSet' | 'ObjectSetPhase' | 'ObjectSlice' | 'ObjectTemplate';

/** `kind` or its cluster-scoped twin, as the registry names them (`scopedKind('ObjectSet', true)`: `ClusterObjectSet`). */
export function scopedKind<K extends ScopedKind>(kind: K, cluster: boolean): K | `Cluster${K}` {
  return cluster ? `Cluster${kind}` : kind;
}

/** The kinds the engine runs a step for. */
export type ReconciledKind = {
  [K in KindName]: (typeof KINDS)[K]['reconciled'] extends true ? K : never;
}[KindName];

export function isKindName(kind: string): kind is KindName {
  return Object.hasOwn(KINDS, kind);
}

export function isReconciledKind(kind: string): kind is ReconciledKind {
  return isKindName(kind) && KINDS[kind].reconciled;
}

/** The registry's entry of a kind; undefined for kinds that are not Gantry's. */
export function kindEntry(kind: string): KindEntry | undefined {
  return isKindName(kind) ? KINDS[kind] : undefined;
}

/** The reconciled kinds, in the registry's order (what a runner watches and a tick lists). */
export const RECONCILED_KINDS: readonly ReconciledKind[] = Object.keys(KINDS).filter(isReconciledKind);

/** The API version of a kind of the registry (PKO's unless the entry names another). */
export function apiVersionOf(kind: KindName): string {
  const entry: KindEntry = KINDS[kind];
  return entry.apiVersion ?? API_VERSION;
}

/** The kinds of PKO's API group (admission and the webhook configurations serve these). */
export const PKO_KINDS: readonly KindName[] = Object.keys(KINDS)
  .filter(isKindName)
  .filter((k) => apiVersionOf(k) === API_VERSION);
