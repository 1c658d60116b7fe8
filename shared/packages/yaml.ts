/**
 * @module packages/yaml
 * YAML as the Go decoder Kubernetes uses reads it: YAML 1.1 (`yes` → true, `0777` → 511), timestamps stay
 * strings, a repeated map key is accepted and its last value wins (as `sigs.k8s.io/yaml` does), aliases bounded. Multi-document files are split as PKO splits them
 * (docs/pko-compatibility.md §1.2): trim leading/trailing `-` and newlines, split on lines that are exactly `---`, drop
 * empty documents.
 */
import { parseDocument, type ScalarTag, type Tags } from 'yaml';

/** Limits on one YAML document (untrusted package input). */
export const YAML_LIMITS = { maxAliasCount: 100, maxDocumentBytes: 4 * 1024 * 1024, maxDepth: 128 } as const;

export type YamlResult =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly error: string;
      /** 1-based line of the error, when known. */ readonly line?: number;
    };

/** The nesting depth of a value, stopping early past the limit; no spread, so any list length works. */
function depthOf(value: unknown, depth = 0): number {
  if (depth > YAML_LIMITS.maxDepth) return depth;
  if (typeof value !== 'object' || value === null) return depth;
  let deepest = depth;
  const children: readonly unknown[] = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) {
    deepest = Math.max(deepest, depthOf(child, depth + 1));
    if (deepest > YAML_LIMITS.maxDepth) break;
  }
  return deepest;
}

/** Lines quoted around an error position; a document is never quoted whole. */
const EXCERPT = { around: 2, head: 5, maxLineChars: 200 } as const;

function cutLine(line: string): string {
  return line.length > EXCERPT.maxLineChars ? `${line.slice(0, EXCERPT.maxLineChars)}…` : line;
}

/**
 * A few lines of `text` for a message: those around `line` (1-based), else the first lines; `…` marks lines
 * left out and long lines are cut. A short document comes back as it is.
 */
export function excerpt(text: string, line?: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const from = line === undefined ? 0 : Math.max(0, line - 1 - EXCERPT.around);
  const to = line === undefined ? EXCERPT.head : Math.min(lines.length, line + EXCERPT.around);
  const shown = lines.slice(from, to).map(cutLine);
  if (from > 0) shown.unshift('…');
  if (to < lines.length) shown.push('…');
  return shown.join('\n');
}

/** Parse one YAML document. */
export function parseYaml(text: string): YamlResult {
  if (text.length > YAML_LIMITS.maxDocumentBytes) {
    return {
      ok: false,
      error: `document is ${text.length} bytes; the limit is ${YAML_LIMITS.maxDocumentBytes}`,
    };
  }
  const doc = parseDocument(text, {
    version: '1.1',
    // Go's decoder accepts a repeated key; the last value wins (PKO v1.19.0 renders such documents).
    uniqueKeys: false,
    prettyErrors: true,
    customTags: goTags,
  });
  const first = doc.errors[0];
  if (first !== undefined) {
    const error = (first.message.split('\n')[0] ?? first.message).replace(/:$/, '');
    const line = first.linePos?.[0].line;
    return line === undefined ? { ok: false, error } : { ok: false, error, line };
  }
  try {
    const value: unknown = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
    if (depthOf(value) > YAML_LIMITS.maxDepth)
      return { ok: false, error: `document nests deeper than ${YAML_LIMITS.maxDepth} levels` };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

const INT_TAG = 'tag:yaml.org,2002:int';
const FLOAT_TAG = 'tag:yaml.org,2002:float';

/** `0o17`, which go-yaml reads as an octal integer (15) and YAML 1.1 as a string. */
const goOctal: ScalarTag = {
  tag: INT_TAG,
  default: true,
  format: 'OCT',
  test: /^[-+]?0o[0-7_]+$/,
  resolve: (text: string): number => {
    const negative = text.startsWith('-');
    const digits = text.replace(/^[-+]?0o/, '').replaceAll('_', '');
    return (negative ? -1 : 1) * parseInt(digits, 8);
  },
};

/** `!!binary`: go-yaml decodes the base64 into the bytes of a string. */
const goBinary: ScalarTag = {
  tag: 'tag:yaml.org,2002:binary',
  resolve: (text: string): string =>
    new TextDecoder().decode(Uint8Array.from(atob(text.replace(/\s/g, '')), (c) => c.charCodeAt(0))),
};

/** YAML 1.1's plain decimal float, which also matches `.` alone (read as NaN, written quoted). */
const DOT_FLOAT = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/.source;

/**
 * YAML 1.1 as go-yaml (behind sigs.k8s.io/yaml) reads and writes it: timestamps and sexagesimal numbers (`1:20`)
 * stay strings, `0o17` is octal, `!!binary` is a string, and a float needs a digit (`.` is a string, written plain:
 * managedFields' `.: {}`).
 */
export function goTags(tags: Tags): Tags {
  const kept = tags.filter(
    (t) =>
      typeof t === 'string' ||
      !(
        t.tag === 'tag:yaml.org,2002:timestamp' ||
        t.tag === 'tag:yaml.org,2002:binary' ||
        ((t.tag === INT_TAG || t.tag === FLOAT_TAG) && t.format === 'TIME')
      ),
  );
  const floats = kept.map((t) => (isDotFloat(t) ? { ...t, test: GO_FLOAT } : t));
  return [...floats, goOctal, goBinary];
}

const GO_FLOAT = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;

function isDotFloat(t: Tags[number]): t is ScalarTag {
  return typeof t !== 'string' && t.tag === FLOAT_TAG && !('collection' in t) && t.test?.source === DOT_FLOAT;
}

/** Split a multi-document file as PKO does; returns the non-empty documents in order. */
export function splitYamlDocuments(text: string): string[] {
  const trimmed = text.replace(/^[-\n]+/, '').replace(/[-\n]+$/, '');
  return trimmed
    .split(/^---$/m)
    .map((d) => d.replace(/^\n+/, ''))
    .filter((d) => d.trim() !== '');
}

/** Whether a path is a YAML file by extension. */
export function isYamlPath(path: string): boolean {
  return path.endsWith('.yaml') || path.endsWith('.yml');
}

/**
 * `encoding/json`'s encoding of a decoded YAML value, as PKO's error texts quote it: map keys sorted, `<`, `>`,
 * `&`, U+2028 and U+2029 escaped as `\u003c`-style sequences.
 */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  return 'null';
}

function goString(text: string): string {
  return JSON.stringify(text).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
