/**
 * @module kickstart/go-yaml
 * `sigs.k8s.io/yaml`'s Marshal, byte for byte, for JSON-shaped values: map keys in go-yaml's order (digits
 * compared as numbers, `a9` before `a10`), block style, sequences not indented below their key, empty maps and
 * lists as `{}` / `[]`, scalars as go-yaml v2 quotes and folds them (go-yaml-scalar). PKO's kickstart writes
 * every file with it, so Gantry's kickstart does too.
 */
import { analyzeScalar, doubleQuoted, folded, goNumber, literal, readsAsString } from './go-yaml-scalar.js';

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigit = (c: string): boolean => /^[0-9]$/.test(c);

function digitsAt(chars: readonly string[], from: number, seed: number): { end: number; value: number } {
  let end = from;
  let value = seed;
  while (end < chars.length && isDigit(chars[end] ?? '')) {
    value = value * 10 + Number(chars[end]);
    end += 1;
  }
  return { end, value };
}

/** go-yaml's keyList.Less for two string keys (letters before other runes, runs of digits as numbers). */
export function goKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const x = ar[i] ?? '';
    const y = br[i] ?? '';
    if (x === y) continue;
    const xl = isLetter(x);
    const yl = isLetter(y);
    if (xl && yl) return (x.codePointAt(0) ?? 0) < (y.codePointAt(0) ?? 0);
    if (xl || yl) return yl;
    const seed = (x === '0' || y === '0') && precededByNonZeroDigit(ar, i) ? 1 : 0;
    const an = digitsAt(ar, i, seed);
    const bn = digitsAt(br, i, seed);
    if (an.value !== bn.value) return an.value < bn.value;
    if (an.end !== bn.end) return an.end < bn.end;
    return (x.codePointAt(0) ?? 0) < (y.codePointAt(0) ?? 0);
  }
  return ar.length < br.length;
}

/** go-yaml: digits that continue a number with a non-zero digit before them are counted from 1. */
function precededByNonZeroDigit(chars: readonly string[], i: number): boolean {
  for (let j = i - 1; j >= 0 && isDigit(chars[j] ?? ''); j--) if (chars[j] !== '0') return true;
  return false;
}

function sortedKeys(map: { readonly [key: string]: Json }): string[] {
  return Object.keys(map).sort((a, b) => (goKeyLess(a, b) ? -1 : goKeyLess(b, a) ? 1 : 0));
}

function keyText(key: string): string {
  const a = analyzeScalar(key);
  if (!readsAsString(key) || a.multiline) return doubleQuoted(key);
  if (a.plain) return key;
  return a.single ? `'${key.replaceAll("'", "''")}'` : doubleQuoted(key);
}

/** A string value starting at `column`; folded or literal lines continue at `indent`. */
function stringText(text: string, column: number, indent: number): string {
  const a = analyzeScalar(text);
  if (text.includes('\n')) return a.block ? literal(text, indent) : doubleQuoted(text);
  if (!readsAsString(text)) return doubleQuoted(text);
  if (a.plain) return folded(text, column, indent, false);
  return a.single ? folded(text, column, indent, true) : doubleQuoted(text);
}

function scalarText(value: Json, column: number, indent: number): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'string') return stringText(value, column, indent);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  return Object.keys(value).length === 0 ? '{}' : undefined;
}

const pad = (n: number): string => ' '.repeat(n);
const isList = (value: Json): value is readonly Json[] => Array.isArray(value);

function mapLines(map: { readonly [key: string]: Json }, indent: number): string {
  return sortedKeys(map)
    .map((key) => {
      const value = map[key] ?? null;
      const head = `${pad(indent)}${keyText(key)}:`;
      const scalar = scalarText(value, head.length + 1, indent + 2);
      if (scalar !== undefined) return `${head} ${scalar}`;
      return `${head}\n${isList(value) ? listLines(value, indent) : blockLines(value, indent + 2)}`;
    })
    .join('\n');
}

function listLines(list: readonly Json[], indent: number): string {
  return list
    .map((item) => {
      const scalar = scalarText(item, indent + 2, indent + 2);
      if (scalar !== undefined) return `${pad(indent)}- ${scalar}`;
      return `${pad(indent)}- ${blockLines(item, indent + 2).slice(indent + 2)}`;
    })
    .join('\n');
}

function blockLines(value: Json, indent: number): string {
  if (isList(value)) return listLines(value, indent);
  if (value !== null && typeof value === 'object') return mapLines(value, indent);
  return `${pad(indent)}${scalarText(value, indent, indent) ?? ''}`;
}

/** The YAML text `sigs.k8s.io/yaml.Marshal` writes for a JSON value. */
export function goYaml(value: unknown): string {
  return `${blockLines(toJson(value), 0)}\n`;
}

/** A JSON-shaped copy of a value (undefined fields dropped, as encoding/json never sees them). */
export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return null;
}
