/**
 * @module packages/objects
 * Rendered YAML files → Kubernetes objects with PKO's object validators (docs/pko-compatibility.md §1.13) and the render-time
 * annotations (§1.5): phase, condition-map, collision-protection, condition (CEL, §1.6).
 */
import {
  ANNOTATION_COLLISION_PROTECTION,
  ANNOTATION_CONDITION,
  ANNOTATION_CONDITION_MAP,
  ANNOTATION_PHASE,
  LABEL_INSTANCE,
  LABEL_PACKAGE,
  RENDER_ANNOTATIONS,
} from '../api/constants.js';
import type { ConditionMapping, ObjectSetObject } from '../api/generated/crds.js';
import { compileCel } from '../cel/index.js';
import { errorMessage } from '../errors.js';
import { fileText, type FileMap } from './files.js';
import { labelErrors } from './labels.js';
import type { ViolationFields } from './violation.js';
import { aggregate } from '../schema/index.js';
import { excerpt, goJson, isYamlPath, parseYaml, splitYamlDocuments } from './yaml.js';

export type KubeObject = ObjectSetObject['object'];

/** One object and where it came from. */
export interface SourcedObject {
  readonly path: string;
  readonly index: number;
  readonly object: KubeObject;
  /** The YAML document the object was parsed from. */
  readonly text: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** PKO's file order: ascending by path with `/` ranked lowest (`a`, `a/b`, `a/b/c`, `b`, `bat`). */
export function comparePaths(a: string, b: string): number {
  const key = (s: string): string => s.replaceAll('/', '\u0000');
  if (key(a) < key(b)) return -1;
  return key(a) > key(b) ? 1 : 0;
}

/** The YAML files that hold objects: `.yaml`/`.yml`, not `_`-prefixed helpers, in PKO's order. */
export function objectFiles(files: FileMap): string[] {
  return [...files.keys()]
    .filter((p) => isYamlPath(p) && !(p.split('/').at(-1) ?? '').startsWith('_'))
    .sort(comparePaths);
}

/** The first `.inf`, `-.inf` or `.nan` in a value, as Go prints it; JSON has no such numbers. */
function nonFinite(value: unknown): string | undefined {
  if (typeof value === 'number')
    return Number.isNaN(value)
      ? 'NaN'
      : value === Infinity
        ? '+Inf'
        : value === -Infinity
          ? '-Inf'
          : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const child of Object.values(value)) {
    const found = nonFinite(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The JSON type name Go's encoding/json gives a value it cannot decode into a map. */
function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'number' ? 'number' : 'string';
}

/**
 * A parsed document as Kubernetes' unstructured decoder behind sigs.k8s.io/yaml takes it: null (a document of
 * comments only) is no object; anything but a map, or a map without a kind, is Invalid YAML with the decoder's
 * own text. A missing apiVersion is left to the GVK validator (validateObjects), as in PKO.
 */
function toObject(
  value: unknown,
  path: string,
  index: number,
  doc: string,
): { object?: KubeObject; violation?: ViolationFields } {
  if (value === null || value === undefined) return {};
  const infinite = nonFinite(value);
  if (infinite !== undefined) {
    const details = `error converting YAML to JSON: json: unsupported value: ${infinite}`;
    return { violation: { reason: 'Invalid YAML', path, index, details, subject: excerpt(doc) } };
  }
  const prefix = 'error unmarshaling JSON: while decoding JSON: ';
  if (!isRecord(value)) {
    const details = `${prefix}json: cannot unmarshal ${goJsonType(value)} into Go value of type map[string]interface {}`;
    return { violation: { reason: 'Invalid YAML', path, index, details, subject: excerpt(doc) } };
  }
  const { kind, apiVersion } = value;
  if (typeof kind !== 'string' || kind === '') {
    const details = `${prefix}Object 'Kind' is missing in '${goJson(value)}'`;
    return { violation: { reason: 'Invalid YAML', path, index, details, subject: excerpt(doc) } };
  }
  return { object: { ...value, apiVersion: typeof apiVersion === 'string' ? apiVersion : '', kind } };
}

/** Parse every object file; YAML errors become violations. */
export function parseObjects(files: FileMap): { objects: SourcedObject[]; violations: ViolationFields[] } {
  const objects: SourcedObject[] = [];
  const violations: ViolationFields[] = [];
  for (const path of objectFiles(files)) {
    const bytes = files.get(path);
    if (bytes === undefined) continue;
    splitYamlDocuments(fileText(bytes)).forEach((doc, index) => {
      const parsed = parseYaml(doc);
      if (!parsed.ok) {
        violations.push({
          reason: 'Invalid YAML',
          path,
          index,
          details: parsed.error,
          subject: excerpt(doc, parsed.line),
        });
        return;
      }
      const result = toObject(parsed.value, path, index, doc);
      if (result.violation !== undefined) violations.push(result.violation);
      if (result.object !== undefined) objects.push({ path, index, object: result.object, text: doc });
    });
  }
  return { objects, violations };
}

function metadataOf(object: KubeObject): Record<string, unknown> {
  return isRecord(object.metadata) ? object.metadata : {};
}

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

export function annotationsOf(object: KubeObject): Record<string, string> {
  return stringMap(metadataOf(object)['annotations']);
}

export function labelsOf(object: KubeObject): Record<string, string> {
  return stringMap(metadataOf(object)['labels']);
}

export function nameOf(object: KubeObject): string {
  const name = metadataOf(object)['name'];
  return typeof name === 'string' ? name : '';
}

export function namespaceOf(object: KubeObject): string {
  const ns = metadataOf(object)['namespace'];
  return typeof ns === 'string' ? ns : '';
}

export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

type ObjectCheck = (o: SourcedObject) => ViolationFields | undefined;

function duplicateCheck(): ObjectCheck {
  const seen = new Set<string>();
  return ({ path, index, object }) => {
    const key = `${object.kind}.${groupOf(object.apiVersion)} ${namespaceOf(object)}/${nameOf(object)}`;
    const duplicate = seen.has(key);
    seen.add(key);
    return duplicate ? { reason: 'Duplicate Object', path, index } : undefined;
  };
}

const gvkCheck: ObjectCheck = ({ path, index, object }) =>
  object.apiVersion.split('/').at(-1) === '' || object.kind === ''
    ? { reason: 'GroupVersionKind not set', path, index }
    : undefined;

const labelsCheck: ObjectCheck = ({ path, index, object }) => {
  const bad = labelErrors(labelsOf(object));
  return bad.length > 0 ? { reason: 'Labels invalid', path, index, details: aggregate(bad) } : undefined;
};

function phaseCheck(phases: readonly string[]): ObjectCheck {
  const phaseSet = new Set(phases);
  return ({ path, index, object }) => {
    const phase = annotationsOf(object)[ANNOTATION_PHASE];
    if (phase === undefined || phase === '')
      return { reason: `Missing ${ANNOTATION_PHASE} Annotation`, path, index };
    return phaseSet.has(phase) ? undefined : { reason: 'Phase name not found in manifest', path, index };
  };
}

/**
 * Default object validators (docs/pko-compatibility.md §1.13) in PKO's order, each over every object before the next:
 * duplicates, GroupVersionKind, labels, phase annotation.
 */
export function validateObjects(
  objects: readonly SourcedObject[],
  phases: readonly string[],
): ViolationFields[] {
  const checks = [duplicateCheck(), gvkCheck, labelsCheck, phaseCheck(phases)];
  return checks.flatMap((check) => objects.flatMap((o) => check(o) ?? []));
}

/** Parse `package-operator.run/condition-map` (docs/pko-compatibility.md §1.5). */
export function parseConditionMap(text: string): { mappings: ConditionMapping[]; error?: string } {
  const mappings: ConditionMapping[] = [];
  const lines = text.trim().split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    if (!raw.includes('=>')) return { mappings, error: `expected 2 part mapping got 1 in line ${line}` };
    const at = raw.indexOf('=>');
    const sourceType = raw.slice(0, at).trim();
    const destinationType = raw.slice(at + 2).trim();
    if (sourceType === '') return { mappings, error: `sourceType can't be empty in line ${line}` };
    if (destinationType === '') return { mappings, error: `destinationType can't be empty in line ${line}` };
    mappings.push({ sourceType, destinationType });
  }
  return { mappings };
}

/** Evaluate the per-object CEL condition; undefined ⇒ keep. */
export function keepByCondition(
  object: KubeObject,
  variables: Readonly<Record<string, unknown>>,
): { keep: boolean; violation?: ViolationFields } {
  const expression = annotationsOf(object)[ANNOTATION_CONDITION];
  if (expression === undefined) return { keep: true };
  try {
    return { keep: compileCel(expression, 'package').evaluate(variables) };
  } catch (error) {
    return {
      keep: false,
      violation: {
        reason: `The CEL expression in ${ANNOTATION_CONDITION} annotation is invalid.`,
        details: errorMessage(error),
        subject: nameOf(object),
      },
    };
  }
}

/** The object as it goes into the ObjectSet: PKO annotations stripped, PKO labels merged (they win). */
export function toSetObject(
  source: SourcedObject,
  labels: { readonly packageName: string; readonly instance: string },
): { object?: ObjectSetObject; violation?: ViolationFields } {
  const annotations = annotationsOf(source.object);
  const metadata = { ...metadataOf(source.object) };
  const kept = Object.fromEntries(
    Object.entries(annotations).filter(([k]) => !RENDER_ANNOTATIONS.includes(k)),
  );
  metadata['annotations'] = Object.keys(kept).length > 0 ? kept : null;
  metadata['labels'] = {
    ...labelsOf(source.object),
    [LABEL_PACKAGE]: labels.packageName,
    [LABEL_INSTANCE]: labels.instance,
  };
  if (metadata['annotations'] === null) delete metadata['annotations'];
  const object: ObjectSetObject = { object: { ...source.object, metadata } };
  const protection = annotations[ANNOTATION_COLLISION_PROTECTION];
  if (protection !== undefined && protection !== '') object.collisionProtection = protection;
  const map = annotations[ANNOTATION_CONDITION_MAP];
  if (map !== undefined) {
    const parsed = parseConditionMap(map);
    if (parsed.error !== undefined) {
      return {
        violation: {
          reason: `Invalid ${ANNOTATION_CONDITION_MAP} annotation`,
          path: source.path,
          index: source.index,
          details: parsed.error,
        },
      };
    }
    object.conditionMappings = parsed.mappings;
  }
  return { object };
}
