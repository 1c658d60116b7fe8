/**
 * @module objecttemplate/jsonpath
 * ObjectTemplate source keys (docs/pko-compatibility.md §5.2): kubectl's relaxed JSONPath (`a.b`, `.a.b`, `{a.b}`, `{.a.b}`,
 * indexes, slices, `*`, `..`, quoted names, `[?(@.k == "v")]` filters) translated to RFC 9535 and evaluated with
 * `jsonpath-rfc9535` (no eval). Results as client-go's JSON output gives them: numbers stay numbers, a single
 * result is unwrapped, a missing field of a plain path is `<field> is not found`.
 */
import { query, type JsonValue } from 'jsonpath-rfc9535';
import { isRecord } from '../api/objects.js';

export type JsonPathResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Keys are short paths; a longer one is refused before it is parsed (untrusted input, docs/architecture.md, "Untrusted input"). */
export const MAX_KEY_LENGTH = 1024;

/** PKO's RelaxedJSONPathExpression pattern: one `{…}` around the whole key, or none. */
const RELAXED = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/;

const RELAXED_ERROR =
  "path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'";

/** kubectl's relaxed form to its field spec with a leading dot (`{a.b}` → `.a.b`), as PKO accepts it. */
export function relaxedFieldSpec(key: string): JsonPathResult<string> {
  const match = RELAXED.exec(key);
  const spec = match?.[1] ?? match?.[2];
  if (spec === undefined) return { ok: false, error: RELAXED_ERROR };
  return { ok: true, value: `.${spec}` };
}

/** A segment of a plain path (names and indexes only): the ones a missing-field message can name. */
type PlainSegment = { readonly name: string } | { readonly index: number };

interface Translation {
  readonly rfc: string;
  /** The segments when the path is plain (no wildcard, slice, union, filter or descent). */
  readonly plain: PlainSegment[] | undefined;
}

class Translator {
  private pos = 0;
  private readonly out: string[] = [];
  private plain: PlainSegment[] | undefined = [];

  public constructor(private readonly text: string) {}

  /** Translate a whole path (starting at `.` or `[`), up to the end or a character that ends a relative path. */
  public path(stopAtOperator: boolean): Translation {
    while (this.pos < this.text.length) {
      const c = this.text.charAt(this.pos);
      if (c === '.') this.dot();
      else if (c === '[') this.bracket();
      else if (stopAtOperator) break;
      else throw this.unexpected();
    }
    return { rfc: this.out.join(''), plain: this.plain };
  }

  public get position(): number {
    return this.pos;
  }

  private unexpected(): Error {
    const c = this.text.charAt(this.pos);
    return new Error(
      c === '' ? 'unexpected end of path' : `unexpected ${JSON.stringify(c)} at position ${this.pos + 1}`,
    );
  }

  private dot(): void {
    this.pos += 1;
    if (this.text.charAt(this.pos) === '.') {
      this.pos += 1;
      this.plain = undefined;
      this.out.push('..');
      if (this.text.charAt(this.pos) === '[') return;
    }
    if (this.text.charAt(this.pos) === '*') {
      this.pos += 1;
      this.plain = undefined;
      this.out.push(this.out.at(-1) === '..' ? '*' : '[*]');
      return;
    }
    const name = this.name();
    if (name === '') throw this.unexpected();
    this.out.push(`[${quote(name)}]`);
    this.plain?.push({ name });
  }

  /** A dot name: up to the next unescaped `.` or `[`, or an operator, space or parenthesis. */
  private name(): string {
    let name = '';
    while (this.pos < this.text.length) {
      const c = this.text.charAt(this.pos);
      if (c === '\\' && this.pos + 1 < this.text.length) {
        name += this.text.charAt(this.pos + 1);
        this.pos += 2;
        continue;
      }
      if (/[.[\]()'"=!<>&|\s]/.test(c)) break;
      name += c;
      this.pos += 1;
    }
    return name;
  }

  private bracket(): void {
    const end = closingBracket(this.text, this.pos);
    if (end < 0) throw new Error(`unclosed "[" at position ${this.pos + 1}`);
    const inner = this.text.slice(this.pos + 1, end).trim();
    this.pos = end + 1;
    if (inner.startsWith('?')) {
      this.plain = undefined;
      this.out.push(`[?${translateFilter(inner.slice(1))}]`);
      return;
    }
    if (inner === '*') {
      this.plain = undefined;
      this.out.push('[*]');
      return;
    }
    if (/^-?\d+$/.test(inner)) {
      this.out.push(`[${String(Number.parseInt(inner, 10))}]`);
      this.plain?.push({ index: Number.parseInt(inner, 10) });
      return;
    }
    if (/^(-?\d+)?:(-?\d+)?(:(-?\d+)?)?$/.test(inner)) {
      this.plain = undefined;
      this.out.push(`[${inner}]`);
      return;
    }
    const names = quotedNames(inner);
    if (names === undefined) throw new Error(`invalid subscript [${inner}]`);
    if (names.length !== 1) this.plain = undefined;
    else this.plain?.push({ name: names[0] ?? '' });
    this.out.push(`[${names.map(quote).join(',')}]`);
  }
}

/** The index of the `]` closing the `[` at `open`, skipping quoted text and nested brackets; -1 if none. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  let quoteChar = '';
  for (let i = open; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoteChar !== '') {
      if (c === '\\') i += 1;
      else if (c === quoteChar) quoteChar = '';
      continue;
    }
    if (c === "'" || c === '"') quoteChar = c;
    else if (c === '[') depth += 1;
    else if (c === ']') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** `'a'`, `"b"` or a comma-separated union of them; `\.` and `\'` are escapes as kubectl reads them. */
function quotedNames(inner: string): string[] | undefined {
  const names: string[] = [];
  const pattern = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*(,|$)/y;
  let pos = 0;
  while (pos < inner.length) {
    pattern.lastIndex = pos;
    const m = pattern.exec(inner);
    if (m === null) return undefined;
    names.push((m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
    pos = pattern.lastIndex;
    if (m[3] === '' && pos < inner.length) return undefined;
  }
  return names.length > 0 ? names : undefined;
}

/** An RFC 9535 single-quoted name. */
function quote(name: string): string {
  let out = '';
  for (const c of name) {
    const code = c.charCodeAt(0);
    if (c === '\\' || c === "'") out += `\\${c}`;
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `'${out}'`;
}

const FUNCTION_CALL = /^([A-Za-z_]\w*)\s*\(/;

/** A filter expression (`(@.a == "x")`, `(@.b)`): each `@` / `$` path translated, the rest kept. */
function translateFilter(expression: string): string {
  let out = '';
  let i = 0;
  while (i < expression.length) {
    const c = expression.charAt(i);
    if (c === "'" || c === '"') {
      const end = closingQuote(expression, i);
      out += expression.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const call = FUNCTION_CALL.exec(expression.slice(i));
    if (call !== null && (i === 0 || !/[\w.]/.test(expression.charAt(i - 1))))
      // RFC 9535's function extensions (match, search, …) are not kubectl's syntax, and match/search run the
      // pattern with JavaScript's backtracking RegExp: a pattern such as (a+)+$ takes exponential time.
      throw new Error(`function ${call[1] ?? ''}() is not part of kubectl's JSONPath`);
    if (c === '@' || c === '$') {
      const rest = expression.slice(i + 1);
      const translator = new Translator(rest);
      out += c + translator.path(true).rfc;
      i += 1 + translator.position;
      continue;
    }
    out += c;
    i += 1;
  }
  return out;
}

function closingQuote(text: string, open: number): number {
  const q = text.charAt(open);
  for (let i = open + 1; i < text.length; i++) {
    if (text.charAt(i) === '\\') i += 1;
    else if (text.charAt(i) === q) return i;
  }
  throw new Error(`unclosed quote at position ${open + 1}`);
}

/** kubectl's field spec (`.a.b[0]`) as RFC 9535 (`$['a']['b'][0]`), with its plain segments when it has only those. */
export function toRfc9535(fieldSpec: string): JsonPathResult<Translation> {
  try {
    return { ok: true, value: new Translator(fieldSpec).path(false) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** client-go's error for the first segment of a plain path that is not there. */
function notFound(input: unknown, segments: readonly PlainSegment[]): string {
  let current = input;
  for (const s of segments) {
    if ('name' in s) {
      if (!isRecord(current) || !(s.name in current)) return `${s.name} is not found`;
      current = current[s.name];
      continue;
    }
    const length = Array.isArray(current) ? current.length : 0;
    const index = s.index < 0 ? s.index + length : s.index;
    if (!Array.isArray(current) || index < 0 || index >= length)
      return `array index out of bounds: index ${s.index}, length ${length}`;
    current = current[index];
  }
  return 'not found';
}

function isJsonValue(value: unknown): value is JsonValue {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

/**
 * Evaluate an ObjectTemplate key against a source object: the single result unwrapped, several (or none, for
 * a path with filters or wildcards) as a list.
 */
export function evaluateKey(object: unknown, key: string): JsonPathResult<unknown> {
  if (key.length > MAX_KEY_LENGTH)
    return { ok: false, error: `JSONPath is ${key.length} characters; the limit is ${MAX_KEY_LENGTH}` };
  const relaxed = relaxedFieldSpec(key);
  if (!relaxed.ok) return relaxed;
  const translated = toRfc9535(relaxed.value);
  if (!translated.ok)
    return { ok: false, error: `invalid JSONPath ${JSON.stringify(key)}: ${translated.error}` };
  if (!isJsonValue(object)) return { ok: false, error: 'source is not JSON' };
  let results: JsonValue[];
  try {
    results = query(object, `$${translated.value.rfc}`);
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return { ok: false, error: `invalid JSONPath ${JSON.stringify(key)}: ${message}` };
  }
  const plain = translated.value.plain;
  if (results.length === 0 && plain !== undefined) return { ok: false, error: notFound(object, plain) };
  return { ok: true, value: results.length === 1 ? results[0] : results };
}

/**
 * Set `value` at `destination` (`.a.b`) inside `config` (mutated), as PKO does with unstructured.SetNestedField.
 */
export function setDestination(
  config: Record<string, unknown>,
  destination: string,
  value: unknown,
): JsonPathResult<undefined> {
  if (!destination.startsWith('.'))
    return { ok: false, error: `path ${destination} must be a JSONPath with a leading dot` };
  const fields = destination.slice(1).split('.');
  let current = config;
  for (const [i, field] of fields.entries()) {
    if (i === fields.length - 1) {
      current[field] = value;
      break;
    }
    const next = current[field];
    if (next === undefined || next === null) {
      const created: Record<string, unknown> = {};
      current[field] = created;
      current = created;
    } else if (isRecord(next)) current = next;
    else
      return {
        ok: false,
        error: `setting nested field at ${destination}: value cannot be set because .${fields.slice(0, i + 1).join('.')} is not a map[string]interface{}`,
      };
  }
  return { ok: true, value: undefined };
}
