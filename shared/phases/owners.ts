/**
 * @module phases/owners
 * Who owns a phase object, by the two owner strategies of PKO (boxcutter's `ownerhandling`): `native` keeps the
 * owners in `metadata.ownerReferences` (the garbage collector follows them); `annotation` keeps them as JSON in the
 * annotation `package-operator.run/owners`, which PKO's remote-phase manager uses for the objects it applies into
 * another cluster, where an owner reference to an object of the management cluster would mean nothing (and the
 * garbage collector would delete the object at once). Pure.
 */
import { z } from 'zod';
import { ANNOTATION_OWNERS, GROUP } from '../api/constants.js';
import { groupOf } from '../api/objects.js';
import type { KubeMeta, KubeOwnerReference, ObjectRef } from '../ports.js';

export type OwnerStrategy = 'native' | 'annotation';

/** The owner as the strategies need it. */
export interface StrategyOwner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** '' for cluster-scoped owners. */
  readonly namespace: string;
  readonly uid: string;
  /** UIDs whose references are dropped when this owner takes an object over (its previous revisions). */
  readonly previousUids: ReadonlySet<string>;
  /** Undefined: `native`. */
  readonly strategy?: OwnerStrategy;
}

/** One entry of the owners annotation, in the field order PKO's JSON has (`controller` only when true). */
export interface AnnotationOwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly controller?: true;
}

const annotationOwnersSchema = z.array(
  z.object({
    apiVersion: z.string(),
    kind: z.string(),
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string(),
    controller: z.boolean().nullable().optional(),
  }),
);

/**
 * The owners recorded in the annotation. A value that is not PKO's JSON counts as no owners (PKO's manager panics
 * on it): such an object is then judged as one without a controller.
 */
export function annotationOwners(meta: Pick<KubeMeta, 'annotations'>): AnnotationOwnerRef[] {
  const text = meta.annotations?.[ANNOTATION_OWNERS];
  if (text === undefined || text === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  const parsed = annotationOwnersSchema.safeParse(raw);
  if (!parsed.success) return [];
  return parsed.data.map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.name,
    namespace: o.namespace ?? '',
    uid: o.uid,
    ...(o.controller === true ? { controller: true as const } : {}),
  }));
}

/** The annotation's value: JSON with PKO's field order, as Go's encoder writes it. */
export function formatAnnotationOwners(owners: readonly AnnotationOwnerRef[]): string {
  return JSON.stringify(
    owners.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.name,
      namespace: o.namespace,
      uid: o.uid,
      ...(o.controller === true ? { controller: true } : {}),
    })),
  );
}

/** Whether two references name the same object (group, kind, name and UID, as boxcutter compares them). */
function sameObject(
  a: { apiVersion: string; kind: string; name: string; uid: string },
  b: { apiVersion: string; kind: string; name: string; uid: string },
): boolean {
  return (
    groupOf(a.apiVersion) === groupOf(b.apiVersion) &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.uid === b.uid
  );
}

/** The controller of an object under a strategy: its UID and kind, or undefined. */
export function controllerRef(
  meta: Pick<KubeMeta, 'annotations' | 'ownerReferences'>,
  strategy: OwnerStrategy | undefined,
): { readonly uid: string; readonly kind: string; readonly name: string } | undefined {
  if (strategy === 'annotation') return annotationOwners(meta).find((o) => o.controller === true);
  return meta.ownerReferences?.find((o) => o.controller === true);
}

/** Whether `owner` is one of the object's owners (controller or not). */
export function isOwner(
  meta: Pick<KubeMeta, 'annotations' | 'ownerReferences'>,
  owner: StrategyOwner,
): boolean {
  if (owner.strategy === 'annotation') return annotationOwners(meta).some((o) => sameObject(o, owner));
  return (meta.ownerReferences ?? []).some((o) => o.uid === owner.uid);
}

/** The controller owner reference an owner puts on its objects (native strategy). */
export function nativeControllerReference(owner: StrategyOwner): KubeOwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function annotationControllerReference(owner: StrategyOwner): AnnotationOwnerRef {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    namespace: owner.namespace,
    uid: owner.uid,
    controller: true,
  };
}

/** What an applied object carries to say who owns it. */
export interface Ownership {
  /** Native: the whole `metadata.ownerReferences`. */
  readonly ownerReferences?: KubeOwnerReference[];
  /** Annotation: the value of `package-operator.run/owners`. */
  readonly ownersAnnotation?: string;
}

/**
 * The ownership of an object `owner` controls, from what the object has now (undefined: a new object): the owner
 * as controller; other owners kept, no longer controllers (adoption releases the old controller), except the
 * owner's previous revisions, which let go of the object at handover.
 */
export function ownershipFor(
  existing: Pick<KubeMeta, 'annotations' | 'ownerReferences'> | undefined,
  owner: StrategyOwner,
): Ownership {
  const keep = (uid: string): boolean => uid !== owner.uid && !owner.previousUids.has(uid);
  if (owner.strategy === 'annotation') {
    const others = (existing === undefined ? [] : annotationOwners(existing))
      .filter((o) => keep(o.uid))
      .map(({ controller: _released, ...o }) => o);
    return { ownersAnnotation: formatAnnotationOwners([...others, annotationControllerReference(owner)]) };
  }
  const others = (existing?.ownerReferences ?? [])
    .filter((o) => keep(o.uid))
    .map((o) => ({ ...o, controller: false }));
  return { ownerReferences: [...others, nativeControllerReference(owner)] };
}

/**
 * The metadata merge patch by which a plain owner lets go of an object at teardown: its reference removed, the
 * cache label too unless another owner controls the object now. `labelKey` is the cache label.
 */
export function releasePatch(
  meta: Pick<KubeMeta, 'annotations' | 'ownerReferences' | 'resourceVersion'>,
  owner: StrategyOwner,
  labelKey: string,
): Record<string, unknown> {
  const controlled = controllerRef(meta, owner.strategy) !== undefined;
  const label = controlled ? {} : { labels: { [labelKey]: null } };
  if (owner.strategy === 'annotation') {
    const rest = annotationOwners(meta).filter((o) => !sameObject(o, owner));
    return {
      ...label,
      annotations: { [ANNOTATION_OWNERS]: formatAnnotationOwners(rest) },
      resourceVersion: meta.resourceVersion,
    };
  }
  return {
    ...label,
    ownerReferences: (meta.ownerReferences ?? []).filter((o) => o.uid !== owner.uid),
    resourceVersion: meta.resourceVersion,
  };
}

/**
 * The (Cluster)ObjectSetPhase an object of a target cluster belongs to: the controller its owners annotation names,
 * when that is one of PKO's phase kinds. What a host watching the target runs when the object changes.
 */
export function controllingPhaseOf(meta: Pick<KubeMeta, 'annotations'>): ObjectRef | undefined {
  const owner = annotationOwners(meta).find((o) => o.controller === true);
  if (owner === undefined || groupOf(owner.apiVersion) !== GROUP) return undefined;
  if (owner.kind === 'ObjectSetPhase')
    return { apiVersion: owner.apiVersion, kind: owner.kind, namespace: owner.namespace, name: owner.name };
  if (owner.kind === 'ClusterObjectSetPhase')
    return { apiVersion: owner.apiVersion, kind: owner.kind, namespace: '', name: owner.name };
  return undefined;
}
