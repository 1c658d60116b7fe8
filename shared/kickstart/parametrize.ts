/**
 * @module kickstart/parametrize
 * Turns an object into a Go template, as PKO's kickstart does: each instruction puts a marker at a dot path
 * (`spec.template.spec.containers.0.image`), the object is written as YAML, and each marker is then replaced by
 * template text: a pipeline `{{ … }}` in place of the value, or a merge block that keeps the original value in a
 * `define` and merges the configured one into it (`concat` for lists, `merge` for maps).
 *
 * Intended differences from PKO: markers (the `define` names) are derived from the object and path, not random
 * UUIDs, so a kickstart is reproducible; and a merge block on the first key of a list item keeps the item's `-`
 * (PKO drops it and writes a package that does not parse, e.g. `-p env` on a container whose first key is `env`).
 */
import { TerminalError } from '../errors.js';
import { createHash } from 'node:crypto';
import { goYaml } from './go-yaml.js';

export class ParametrizeError extends TerminalError {
  public override readonly name: string = 'ParametrizeError';
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function child(node: unknown, segment: string): { found: boolean; value: unknown } {
  if (Array.isArray(node)) {
    const i = /^\d+$/.test(segment) ? Number(segment) : -1;
    if (i < 0 || i >= node.length)
      throw new ParametrizeError(`cannot get index '${segment}' of a slice of length ${node.length}`);
    return { found: true, value: node[i] };
  }
  if (!isMap(node)) throw new ParametrizeError(`cannot get property '${segment}' on a ${typeof node}`);
  if (!(segment in node))
    throw new ParametrizeError(`cannot get non-existent property '${segment}' on a map`);
  return { found: true, value: node[segment] };
}

/** A deep copy of an object that instructions may change. */
export function cloneObject(object: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: unknown = structuredClone(object);
  if (!isMap(copy)) throw new ParametrizeError('object is not a map');
  return copy;
}

/** The value at a dot path; throws when any step is missing (go-dotnotation's Get). */
export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce((node, segment) => child(node, segment).value, obj);
}

/** Whether a dot path exists. */
export function hasPath(obj: unknown, path: string): boolean {
  try {
    getPath(obj, path);
    return true;
  } catch (error) {
    if (error instanceof ParametrizeError) return false;
    throw error;
  }
}

/** Set the value at a dot path; the parent must exist (go-dotnotation's Set). */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  const last = segments.pop() ?? '';
  const parent = segments.length === 0 ? obj : getPath(obj, segments.join('.'));
  if (Array.isArray(parent)) {
    const i = /^\d+$/.test(last) ? Number(last) : -1;
    if (i < 0 || i >= parent.length)
      throw new ParametrizeError(`cannot set index '${last}' of a slice of length ${parent.length}`);
    parent[i] = value;
  } else if (isMap(parent)) parent[last] = value;
  else throw new ParametrizeError(`cannot set property '${last}' on a ${typeof parent}`);
}

export type Instruction =
  | { readonly kind: 'pipeline'; readonly expression: string; readonly path: string }
  | { readonly kind: 'merge'; readonly expression: string; readonly path: string };

export const pipeline = (expression: string, path: string): Instruction => ({
  kind: 'pipeline',
  expression,
  path,
});
export const mergeBlock = (expression: string, path: string): Instruction => ({
  kind: 'merge',
  expression,
  path,
});

/** A marker that names the instruction: UUID-shaped, derived from the object's identity and the path. */
export function markerFor(seed: string, path: string): string {
  const h = createHash('sha256').update(`${seed}\n${path}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Marked {
  readonly instruction: Instruction;
  readonly marker: string;
  /** Merge blocks: the key the original value is kept under, the original value, and what is written. */
  readonly mapKey: string;
  readonly original: unknown;
  readonly write: unknown;
}

function mark(obj: Record<string, unknown>, instruction: Instruction, marker: string): Marked {
  try {
    return markAt(obj, instruction, marker);
  } catch (error) {
    if (!(error instanceof ParametrizeError)) throw error;
    throw new ParametrizeError(`marking: ${error.message}`, { cause: error });
  }
}

function markAt(obj: Record<string, unknown>, instruction: Instruction, marker: string): Marked {
  const { path } = instruction;
  let mapKey = path;
  let original: unknown;
  let write: unknown;
  if (instruction.kind === 'merge') {
    const dot = path.lastIndexOf('.');
    const parent = dot === -1 ? obj : getPath(obj, path.slice(0, dot));
    original = getPath(obj, path);
    if (Array.isArray(parent)) write = Array.isArray(original) ? original : [original];
    else {
      mapKey = dot === -1 ? path : path.slice(dot + 1);
      write = { [mapKey]: original };
    }
  }
  setPath(obj, path, marker);
  return { instruction, marker, mapKey, original, write };
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

function mergeReplacement(m: Marked, line: string): string {
  const listItem = line.trimStart().startsWith('- ');
  const base = indentOf(line);
  const i = ' '.repeat(listItem ? base + 2 : base);
  const kept = goYaml(m.write)
    .trim()
    .split('\n')
    .map((l) => `${i}${l}\n`)
    .join('');
  const expression = m.instruction.expression;
  const merged = Array.isArray(m.original)
    ? `${i}{{- dict ${JSON.stringify(m.mapKey)} (concat (fromYAML (include ${JSON.stringify(m.marker)} .)).${m.mapKey} (${expression})) | toYAML | indent ${i.length} }}\n`
    : `${i}{{- merge (fromYAML (include ${JSON.stringify(m.marker)} .)) (${expression})  | toYAML | indent ${i.length} }}\n`;
  return `${listItem ? `${' '.repeat(base)}-\n` : ''}${i}{{- define ${JSON.stringify(m.marker)} }}\n${kept}${i}{{- end }}{{"\\n"}}\n${merged}`;
}

function replace(text: string, m: Marked): string {
  if (m.instruction.kind === 'pipeline')
    return text.replace(m.marker, () => `{{ ${m.instruction.expression} }}`);
  const found = new RegExp(`.*${m.marker}\\n*`).exec(text);
  if (found === null) return text;
  return text.replace(found[0], () => mergeReplacement(m, found[0]));
}

/**
 * The template text of an object with the instructions applied. Pipelines are marked first and replaced last,
 * as PKO orders them by priority; `seed` names the object (for the markers).
 */
export function execute(
  object: Readonly<Record<string, unknown>>,
  seed: string,
  instructions: readonly Instruction[],
): string {
  const copy = cloneObject(object);
  const pipelines = instructions.filter((i) => i.kind === 'pipeline');
  const merges = instructions.filter((i) => i.kind === 'merge');
  const marked = [...pipelines, ...merges].map((i) => mark(copy, i, markerFor(seed, `${i.kind}:${i.path}`)));
  const replaceOrder = [...marked.slice(pipelines.length), ...marked.slice(0, pipelines.length)];
  return replaceOrder.reduce((text, m) => replace(text, m), goYaml(copy));
}
