/**
 * @module phases
 * What an ObjectSet does with one object of a phase (docs/pko-compatibility.md §4.3, §4.4, §4.7), as pure decisions: the
 * desired object (namespace, labels, revision annotation, controller reference), the per-object preflight
 * checks, the adoption / collision-protection table, and PKO's messages.
 */
import {
  ANNOTATION_OWNERS,
  ANNOTATION_REVISION,
  LABEL_CACHE,
  LABEL_INSTANCE,
  LABEL_PACKAGE,
  type CollisionProtection,
} from '../api/constants.js';
import { gvkString, isRecord, nsName, parseMeta } from '../api/objects.js';
import type { KubeMeta, KubeObject, KubeOwnerReference, ObjectRef } from '../ports.js';
import {
  controllerRef,
  nativeControllerReference,
  ownershipFor,
  type OwnerStrategy,
  type Ownership,
} from './owners.js';

/** The owner of phase objects: an ObjectSet (or ClusterObjectSet). */
export interface PhaseOwner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** '' for cluster-scoped owners. */
  readonly namespace: string;
  readonly uid: string;
  readonly revision: number;
  readonly labels: Readonly<Record<string, string>>;
  /** UIDs of the `spec.previous` ObjectSets (and their ObjectSetPhases): adoption from them is a handover. */
  readonly previousUids: ReadonlySet<string>;
  /**
   * How ownership is recorded on the objects (`./owners.ts`): undefined is `native` (owner references);
   * `annotation` for phases applied into another cluster.
   */
  readonly strategy?: OwnerStrategy;
}

/** The owner of phase objects from an ObjectSet or ObjectSetPhase as read (`spec.revision` is the revision). */
export function phaseOwnerOf(
  owner: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: {
      readonly name: string;
      readonly namespace?: string | undefined;
      readonly uid: string;
      readonly labels?: Readonly<Record<string, string>> | undefined;
    };
    readonly spec: { readonly revision: number };
  },
  previousUids: ReadonlySet<string>,
): PhaseOwner {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    namespace: owner.metadata.namespace ?? '',
    uid: owner.metadata.uid,
    revision: owner.spec.revision,
    labels: owner.metadata.labels ?? {},
    previousUids,
  };
}

/** A spec object with its place in the ObjectSet. */
export interface SpecObject {
  readonly phase: string;
  readonly object: KubeObject;
  readonly collisionProtection: CollisionProtection;
  readonly conditionMappings: readonly { readonly sourceType: string; readonly destinationType: string }[];
}

/** The spec object as an object (checks the embedded resource). */
export function specObjectOf(
  phase: string,
  raw: {
    readonly object: unknown;
    readonly collisionProtection?: string;
    readonly conditionMappings?: readonly { sourceType: string; destinationType: string }[];
  },
): SpecObject | undefined {
  const o = raw.object;
  if (!isRecord(o) || typeof o['apiVersion'] !== 'string' || typeof o['kind'] !== 'string') return undefined;
  const metadata = parseMeta(o['metadata']);
  if (metadata === undefined) return undefined;
  const cp = raw.collisionProtection;
  return {
    phase,
    object: { ...o, apiVersion: o['apiVersion'], kind: o['kind'], metadata },
    collisionProtection: cp === 'None' || cp === 'IfNoController' ? cp : 'Prevent',
    conditionMappings: raw.conditionMappings ?? [],
  };
}

/** The reference of a spec object with its namespace defaulted to the owner's (namespaced kinds only). */
export function desiredRef(spec: SpecObject, owner: PhaseOwner, namespaced: boolean): ObjectRef {
  const ns = spec.object.metadata.namespace ?? '';
  return {
    apiVersion: spec.object.apiVersion,
    kind: spec.object.kind,
    namespace: namespaced ? (ns !== '' ? ns : owner.namespace) : '',
    name: spec.object.metadata.name,
  };
}

/** The controller owner reference an ObjectSet puts on its objects. */
export function ownerReference(owner: PhaseOwner): KubeOwnerReference {
  return nativeControllerReference(owner);
}

/**
 * The owner references an applied object carries: ours as controller; other owners kept as plain owners
 * (adoption releases the old controller), except previous revisions of this ObjectSet, which let go of the
 * object at handover (their archival teardown would otherwise race the new revision over the list).
 */
export function ownerReferencesFor(
  existing: readonly KubeOwnerReference[],
  owner: PhaseOwner,
): KubeOwnerReference[] {
  return ownershipFor({ ownerReferences: existing }, { ...owner, strategy: 'native' }).ownerReferences ?? [];
}

/**
 * The object as it is applied: defaulted namespace, PKO labels and revision annotation, and its ownership (owner
 * references, or the owners annotation of the annotation strategy, see `ownershipFor`).
 */
export function desiredObject(
  spec: SpecObject,
  owner: PhaseOwner,
  namespaced: boolean,
  owners: readonly KubeOwnerReference[] | Ownership,
): KubeObject {
  const ownership: Ownership = isOwnerReferenceList(owners) ? { ownerReferences: [...owners] } : owners;
  const ref = desiredRef(spec, owner, namespaced);
  const { status: _status, ...rest } = spec.object;
  const labels: Record<string, string> = { ...(spec.object.metadata.labels ?? {}), [LABEL_CACHE]: 'True' };
  for (const key of [LABEL_PACKAGE, LABEL_INSTANCE]) {
    const value = owner.labels[key];
    if (value !== undefined) labels[key] = value;
  }
  const metadata: KubeMeta = {
    ...spec.object.metadata,
    ...(ref.namespace !== '' ? { namespace: ref.namespace } : {}),
    labels,
    annotations: {
      ...(spec.object.metadata.annotations ?? {}),
      [ANNOTATION_REVISION]: String(owner.revision),
      ...(ownership.ownersAnnotation !== undefined
        ? { [ANNOTATION_OWNERS]: ownership.ownersAnnotation }
        : {}),
    },
    ...(ownership.ownerReferences !== undefined ? { ownerReferences: ownership.ownerReferences } : {}),
  };
  return { ...rest, apiVersion: spec.object.apiVersion, kind: spec.object.kind, metadata };
}

function isOwnerReferenceList(
  owners: readonly KubeOwnerReference[] | Ownership,
): owners is readonly KubeOwnerReference[] {
  return Array.isArray(owners);
}

/** Per-object preflight (§4.3) that needs no request: owner references and namespace escalation. */
export function staticPreflight(
  spec: SpecObject,
  owner: PhaseOwner,
  namespaced: boolean,
): string | undefined {
  if ((spec.object.metadata.ownerReferences ?? []).length > 0)
    return 'Object must not have a owner reference.';
  // PKO's remote-phase manager has no namespace-escalation check: the owner's namespace is another cluster's.
  if (owner.namespace === '' || owner.strategy === 'annotation') return undefined;
  if (!namespaced) return 'Must be namespaced scoped when part of an non-cluster-scoped API.';
  const ns = spec.object.metadata.namespace ?? '';
  if (ns !== '' && ns !== owner.namespace) return 'Must stay within the same namespace.';
  return undefined;
}

/** `<group/version, Kind=K> not registered on the api server.` */
export function notRegisteredMessage(apiVersion: string, kind: string): string {
  return `${gvkString(apiVersion, kind)} not registered on the api server.`;
}

/** PKO's preflight violation: `Phase "<phase>", <Kind> <ns>/<name>: <error>`. */
export function preflightMessage(phase: string, spec: SpecObject, error: string): string {
  return `Phase "${phase}", ${spec.object.kind} ${spec.object.metadata.namespace ?? ''}/${spec.object.metadata.name}: ${error}`;
}

export type AdoptionDecision =
  | { readonly kind: 'controlled' }
  | { readonly kind: 'adopt' }
  | { readonly kind: 'skip' }
  | { readonly kind: 'refuse'; readonly message: string };

function revisionOf(meta: KubeMeta): number {
  const value = Number.parseInt(meta.annotations?.[ANNOTATION_REVISION] ?? '0', 10);
  return Number.isFinite(value) ? value : 0;
}

/**
 * The adoption table (§4.4.1) for an object that exists. `forceAdoption` is PKO_FORCE_ADOPTION.
 */
export function decideAdoption(
  existing: { readonly apiVersion: string; readonly kind: string; readonly metadata: KubeMeta },
  ref: ObjectRef,
  protection: CollisionProtection,
  owner: PhaseOwner,
  forceAdoption: boolean,
): AdoptionDecision {
  const controller = controllerRef(existing.metadata, owner.strategy);
  if (controller?.uid === owner.uid) return { kind: 'controlled' };
  if (revisionOf(existing.metadata) > owner.revision) return { kind: 'skip' };
  const effective =
    forceAdoption || existing.metadata.labels?.[LABEL_PACKAGE] === 'package-operator' ? 'None' : protection;
  if (effective === 'None') return { kind: 'adopt' };
  if (effective === 'IfNoController' && controller === undefined) return { kind: 'adopt' };
  const gvk = `${gvkString(ref.apiVersion, ref.kind)} ${nsName(ref)}`;
  if (controller === undefined || !owner.previousUids.has(controller.uid))
    return { kind: 'refuse', message: `refusing adoption, object ${gvk} not owned by previous revision` };
  if (revisionOf(existing.metadata) === owner.revision)
    return { kind: 'refuse', message: `refusing adoption, revision collision on ${gvk}` };
  return { kind: 'adopt' };
}

/** The CollisionDetected message: `object <ns>/<name> kind:<Kind>: <refusal>` (spec namespace as written). */
export function collisionMessage(spec: SpecObject, refusal: string): string {
  return `object ${spec.object.metadata.namespace ?? ''}/${spec.object.metadata.name} kind:${spec.object.kind}: ${refusal}`;
}
