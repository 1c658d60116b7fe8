/**
 * @module objecttemplate
 * The pure decisions of a (Cluster)ObjectTemplate (docs/pko-compatibility.md §5.2): where a source is, its preflight
 * violations, the config collected from the sources' items, the one object a render must yield, how the output
 * is created or updated, which of its conditions are copied, and PKO's messages.
 */
import { LABEL_CACHE } from '../api/constants.js';
import { groupOf, isRecord, parseKubeObject, versionOf } from '../api/objects.js';
import type { ApiCondition, ApiControlledRef, ApiTemplateSource } from '../api/resources.js';
import { parseYaml, splitYamlDocuments } from '../packages/yaml.js';
import { notRegisteredMessage } from '../phases/index.js';
import type { KubeObject, KubeOwnerReference, ObjectRef, ResourceInfo } from '../ports.js';
import { evaluateKey, setDestination, type JsonPathResult } from './jsonpath.js';

export { evaluateKey, setDestination } from './jsonpath.js';

/** The condition type PKO sets on ObjectTemplates. */
export const CONDITION_INVALID = 'package-operator.run/Invalid';
/** PKO's `--object-template-resource-retry-interval`: a required source that is not there. */
export const SOURCE_RETRY_MS = 30_000;
/** PKO's `--object-template-optional-resource-retry-interval`: an optional source that is not there. */
export const OPTIONAL_SOURCE_RETRY_MS = 60_000;

/** The template as the decisions need it. */
export interface TemplateOwner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** '' for a ClusterObjectTemplate. */
  readonly namespace: string;
  readonly uid: string;
}

/** The object a check is about, as written (namespace not yet defaulted). */
export interface CheckedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly ownerReferences?: readonly unknown[];
}

/** `for source <Kind> <ns>/<name>: <error>` (PKO's SourceError). */
export function sourceErrorMessage(
  object: Pick<CheckedObject, 'kind' | 'namespace' | 'name'>,
  error: string,
): string {
  return `for source ${object.kind} ${object.namespace}/${object.name}: ${error}`;
}

/** PKO's TemplateError text: Go's message with `executing "" ` removed. */
export function templateErrorMessage(goMessage: string): string {
  return goMessage.replace('executing "" ', '');
}

/**
 * The preflight of a source or of the rendered object (API exists, no owner references, a namespace for
 * namespaced kinds under a ClusterObjectTemplate, same namespace under an ObjectTemplate), each violation as
 * `<Kind> <ns>/<name>: <error>`, joined by `, `.
 */
export function preflight(
  object: CheckedObject,
  owner: Pick<TemplateOwner, 'namespace'>,
  info: ResourceInfo | undefined,
): string | undefined {
  const position = `${object.kind} ${object.namespace}/${object.name}`;
  if (info === undefined) return `${position}: ${notRegisteredMessage(object.apiVersion, object.kind)}`;
  const errors: string[] = [];
  if ((object.ownerReferences ?? []).length > 0) errors.push('Object must not have a owner reference.');
  if (owner.namespace === '') {
    if (info.namespaced && object.namespace === '')
      errors.push("Object doesn't have a namespace and no default is provided.");
  } else {
    if (object.namespace !== '' && object.namespace !== owner.namespace)
      errors.push('Must stay within the same namespace.');
    if (!info.namespaced) errors.push('Must be namespaced scoped when part of an non-cluster-scoped API.');
  }
  return errors.length === 0 ? undefined : errors.map((e) => `${position}: ${e}`).join(', ');
}

/** A source as written (for preflight and its messages). */
export function sourceAsWritten(source: ApiTemplateSource): CheckedObject {
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    namespace: source.namespace ?? '',
    name: source.name,
  };
}

/** Where a source is read: its namespace defaulted to the template's (namespaced kinds only). */
export function sourceRef(source: ApiTemplateSource, owner: TemplateOwner, info: ResourceInfo): ObjectRef {
  const ns = source.namespace ?? '';
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    namespace: info.namespaced ? (ns !== '' ? ns : owner.namespace) : '',
    name: source.name,
  };
}

/**
 * Where a source is watched for when it could not be checked (a bad source, or one after it): its namespace
 * defaulted to the template's.
 */
export function watchedSourceRef(source: ApiTemplateSource, owner: TemplateOwner): ObjectRef {
  const ns = source.namespace ?? '';
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    namespace: ns !== '' ? ns : owner.namespace,
    name: source.name,
  };
}

/** Copy a source's items into `config` (mutated); the first failure, as PKO reports it. */
export function copyItems(
  source: ApiTemplateSource,
  object: KubeObject,
  config: Record<string, unknown>,
): JsonPathResult<undefined> {
  for (const item of source.items) {
    const value = evaluateKey(object, item.key);
    if (!value.ok) return value;
    const set = setDestination(config, item.destination, value.value);
    if (!set.ok) return set;
  }
  return { ok: true, value: undefined };
}

/**
 * The one object a render yields. PKO decodes only the first document (and nothing for an empty render); Gantry
 * refuses both, so a template that renders two objects or none is visible instead of half-applied.
 */
export function parseOutput(rendered: string): JsonPathResult<KubeObject> {
  const documents = splitYamlDocuments(rendered);
  if (documents.length !== 1)
    return {
      ok: false,
      error: `rendered template must contain exactly one object, found ${documents.length === 0 ? 'none' : `${documents.length} documents`}`,
    };
  const parsed = parseYaml(documents[0] ?? '');
  if (!parsed.ok)
    return {
      ok: false,
      error: `unmarshalling yaml of rendered template: ${parsed.error}${parsed.line !== undefined ? ` (line ${parsed.line})` : ''}`,
    };
  const object = parseKubeObject(parsed.value);
  if (object === undefined || object.apiVersion === '' || object.kind === '' || object.metadata.name === '')
    return { ok: false, error: 'rendered object must have apiVersion, kind and metadata.name' };
  return { ok: true, value: object };
}

/** The controller reference a template puts on its output. */
export function templateOwnerReference(owner: TemplateOwner): KubeOwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The output as it is written: namespace forced to a namespaced template's, the cache label added, no status. */
export function desiredOutput(rendered: KubeObject, owner: TemplateOwner): KubeObject {
  const { status: _status, ...rest } = rendered;
  return {
    ...rest,
    metadata: {
      ...rendered.metadata,
      ...(owner.namespace !== '' ? { namespace: owner.namespace } : {}),
      labels: { ...(rendered.metadata.labels ?? {}), [LABEL_CACHE]: 'True' },
    },
  };
}

/** For a create: the desired output with the controller reference. */
export function outputForCreate(desired: KubeObject, owner: TemplateOwner): KubeObject {
  return { ...desired, metadata: { ...desired.metadata, ownerReferences: [templateOwnerReference(owner)] } };
}

/**
 * For an update (a full PUT, as PKO does it): the existing owner references, finalizers and resourceVersion
 * kept, labels and annotations merged (the template wins).
 */
export function outputForUpdate(desired: KubeObject, existing: KubeObject): KubeObject {
  const { ownerReferences, finalizers, resourceVersion } = existing.metadata;
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      labels: { ...(existing.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
      annotations: { ...(existing.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) },
      ...(ownerReferences !== undefined ? { ownerReferences } : {}),
      ...(finalizers !== undefined ? { finalizers } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    },
  };
}

/**
 * The output's conditions the template reports: those observed at the object's current generation, none when
 * the object's `status.observedGeneration` lags its generation. (PKO compares that field with the template's
 * generation, docs/pko-compatibility.md §9; Gantry compares it with the object's own.)
 */
export function conditionsToCopy(existing: KubeObject): ApiCondition[] {
  const status = existing['status'];
  if (!isRecord(status)) return [];
  const generation = existing.metadata.generation ?? 0;
  const observed = status['observedGeneration'];
  if (typeof observed === 'number' && observed !== generation) return [];
  const list = status['conditions'];
  if (!Array.isArray(list)) return [];
  return list.flatMap((c: unknown): ApiCondition[] => {
    if (!isRecord(c) || typeof c['type'] !== 'string') return [];
    const s = c['status'];
    if (s !== 'True' && s !== 'False' && s !== 'Unknown') return [];
    if ((typeof c['observedGeneration'] === 'number' ? c['observedGeneration'] : 0) !== generation) return [];
    return [
      {
        type: c['type'],
        status: s,
        reason: typeof c['reason'] === 'string' ? c['reason'] : '',
        message: typeof c['message'] === 'string' ? c['message'] : '',
        lastTransitionTime: '',
      },
    ];
  });
}

/** `status.controllerOf` of a template: the output (with its version). */
export function controlledRefOf(object: KubeObject): ApiControlledRef {
  const ns = object.metadata.namespace ?? '';
  return {
    kind: object.kind,
    group: groupOf(object.apiVersion),
    version: versionOf(object.apiVersion),
    name: object.metadata.name,
    ...(ns !== '' ? { namespace: ns } : {}),
  };
}
