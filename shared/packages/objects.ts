/**
 * @module packages/objects
 * Rendered YAML files → Kubernetes objects with PKO's object validators (pko-behaviour §1.13) and the render-time
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
import { excerpt, isYamlPath, parseYaml, splitYamlDocuments } from './yaml.js';

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

function toObject(
  value: unknown,
  path: string,
  index: number,
  doc: string,
): { object?: KubeObject; violation?: ViolationFields } {
  if (!isRecord(value))
    return {
      violation: {
        reason: 'Invalid YAML',
        path,
        index,
        details: 'Object is not a map',
        subject: excerpt(doc),
      },
    };
  const { kind, apiVersion } = value;
  if (typeof kind !== 'string' || kind === '') {
    return {
      violation: {
        reason: 'Invalid YAML',
        path,
        index,
        details: "Object 'Kind' is missing",
        subject: excerpt(doc),
      },
    };
  }
  if (typeof apiVersion !== 'string' || apiVersion === '')
    return { violation: { reason: 'GroupVersionKind not set', path, index } };
  return { object: { ...value, apiVersion, kind } };
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

/** Default object validators: duplicates, labels, phase annotation (pko-behaviour §1.13). */
export function validateObjects(
  objects: readonly SourcedObject[],
  phases: readonly string[],
): ViolationFields[] {
  const violations: ViolationFields[] = [];
  const seen = new Set<string>();
  const phaseSet = new Set(phases);
  for (const { path, index, object } of objects) {
    const key = `${object.kind}.${groupOf(object.apiVersion)} ${namespaceOf(object)}/${nameOf(object)}`;
    if (seen.has(key)) violations.push({ reason: 'Duplicate Object', path, index });
    seen.add(key);
    const bad = labelErrors(labelsOf(object));
    if (bad.length > 0) violations.push({ reason: 'Labels invalid', path, index, details: bad.join(', ') });
    const phase = annotationsOf(object)[ANNOTATION_PHASE];
    if (phase === undefined || phase === '')
      violations.push({ reason: `Missing ${ANNOTATION_PHASE} Annotation`, path, index });
    else if (!phaseSet.has(phase))
      violations.push({ reason: 'Phase name not found in manifest', path, index });
  }
  return violations;
}

/** Parse `package-operator.run/condition-map` (pko-behaviour §1.5). */
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
