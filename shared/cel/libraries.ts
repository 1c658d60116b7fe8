/**
 * @module cel/libraries
 * The Kubernetes CEL libraries PKO enables that cel-js does not ship: strings ext (charAt, replace, reverse,
 * quote), lists (isSorted, sum, min, max, indexOf, lastIndexOf), regex (find, findAll, RE2 semantics) and URLs
 * (url, isURL, getScheme, getHost, getHostname, getPort, getEscapedPath, getQuery).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import { reserveString } from './cost.js';

type Comparable = bigint | number | string | boolean;

function isComparable(value: unknown): value is Comparable {
  return ['bigint', 'number', 'string', 'boolean'].includes(typeof value);
}

function comparableList(list: unknown[]): Comparable[] {
  return list.map((v) => {
    if (!isComparable(v))
      throw new Error('list elements must be comparable (int, uint, double, string, bool)');
    return v;
  });
}

function cmp(a: Comparable, b: Comparable): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function extreme(list: unknown[], sign: 1 | -1): Comparable {
  const items = comparableList(list);
  if (items.length === 0) throw new Error('min/max of an empty list');
  return items.reduce((best, v) => (cmp(v, best) * sign > 0 ? v : best));
}

function sum(list: unknown[]): bigint | number {
  if (list.length === 0) return 0n;
  if (list.every((v) => typeof v === 'bigint')) return list.reduce<bigint>((a, v) => a + v, 0n);
  if (list.every((v) => typeof v === 'number')) return list.reduce<number>((a, v) => a + v, 0);
  throw new Error('sum needs a list of ints or of doubles');
}

function deepEqual(a: unknown, b: unknown): boolean {
  return (
    JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ===
    JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
  );
}

function findAll(s: string, pattern: string, limit: bigint): string[] {
  const matcher = RE2JS.compile(pattern).matcher(s);
  const out: string[] = [];
  while ((limit < 0n || BigInt(out.length) < limit) && matcher.find()) out.push(matcher.group() ?? '');
  return out;
}

/** A parsed URL value (Kubernetes' `URL` type). */
export class CelUrl {
  public constructor(public readonly url: URL) {}
}

function parseUrl(s: string): URL {
  try {
    const url = new URL(s);
    return url;
  } catch {
    throw new Error(`URL parse error during conversion from string: ${s}`);
  }
}

/** The name `matches` calls are routed to (see prepareRegexCalls in index.ts). */
export const RE2_MATCHES = 'matchesRe2';

/** The name `split` calls are routed to: cel-js' own splits an empty separator by UTF-16 unit, Go by code point. */
export const GO_SPLIT = 'splitGo';

function re2Matches(s: string, pattern: string): boolean {
  return RE2JS.compile(pattern).matcher(s).find();
}

/**
 * Go's strings.Replace, as Kubernetes' strings ext calls it: at most `n` (all when negative) non-overlapping
 * replacements; an empty `old` matches at the start and after every code point. The result size is
 * reserved against the string limit before it is built.
 */
function goReplace(s: string, old: string, replacement: string, n: bigint): string {
  if (old === replacement || n === 0n) return s;
  const chars = old === '' ? Array.from(s) : [];
  const parts = old === '' ? [] : s.split(old);
  const matches = old === '' ? chars.length + 1 : parts.length - 1;
  if (matches === 0) return s;
  const count = n < 0n || BigInt(matches) < n ? matches : Number(n);
  reserveString(s.length + count * (replacement.length - old.length));
  if (old === '') {
    const replaced = chars.slice(0, count - 1).map((c) => c + replacement);
    return replacement + replaced.join('') + chars.slice(count - 1).join('');
  }
  const rest = parts.slice(count + 1);
  return parts.slice(0, count + 1).join(replacement) + (rest.length > 0 ? old + rest.join(old) : '');
}

/** Go's strings.SplitN: an empty separator splits after every code point; `n` < 0 means all parts. */
function goSplit(s: string, sep: string, n: bigint): string[] {
  if (n === 0n) return [];
  const parts = sep === '' ? Array.from(s) : s.split(sep);
  if (n < 0n || BigInt(parts.length) <= n) return parts;
  const limit = Number(n);
  return [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(sep)];
}

function registerStrings(env: Environment): void {
  env.registerFunction(`string.${RE2_MATCHES}(string): bool`, re2Matches);
  env.registerFunction(`${RE2_MATCHES}(string, string): bool`, re2Matches);
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const n = Number(i);
    if (n < 0 || n > s.length) throw new Error(`index out of range: ${i}`);
    return s.charAt(n);
  });
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) =>
    goReplace(s, a, b, -1n),
  );
  env.registerFunction('string.replace(string, string, int): string', goReplace);
  env.registerFunction(`string.${GO_SPLIT}(string): list<string>`, (s: string, sep: string) =>
    goSplit(s, sep, -1n),
  );
  env.registerFunction(`string.${GO_SPLIT}(string, int): list<string>`, goSplit);
  env.registerFunction('string.reverse(): string', (s: string) => Array.from(s).reverse().join(''));
  env.registerFunction('string.find(string): string', (s: string, p: string) => findAll(s, p, 1n)[0] ?? '');
  env.registerFunction('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p, -1n));
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) =>
    findAll(s, p, n),
  );
}

function registerLists(env: Environment): void {
  env.registerFunction('list.isSorted(): bool', (l: unknown[]) => {
    const items = comparableList(l);
    return items.every((v, i) => i === 0 || cmp(items[i - 1] ?? v, v) <= 0);
  });
  env.registerFunction('list.sum(): dyn', (l: unknown[]) => sum(l));
  env.registerFunction('list.min(): dyn', (l: unknown[]) => extreme(l, -1));
  env.registerFunction('list.max(): dyn', (l: unknown[]) => extreme(l, 1));
  env.registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) =>
    BigInt(l.findIndex((x) => deepEqual(x, v))),
  );
  env.registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) =>
    BigInt(l.map((x) => deepEqual(x, v)).lastIndexOf(true)),
  );
}

function registerUrls(env: Environment): void {
  env.registerType('URL', CelUrl);
  env.registerFunction('url(string): URL', (s: string) => new CelUrl(parseUrl(s)));
  env.registerFunction('isURL(string): bool', (s: string) => URL.canParse(s));
  env.registerFunction('URL.getScheme(): string', (u: CelUrl) => u.url.protocol.replace(/:$/, ''));
  env.registerFunction('URL.getHost(): string', (u: CelUrl) => u.url.host);
  env.registerFunction('URL.getHostname(): string', (u: CelUrl) => u.url.hostname.replace(/^\[|\]$/g, ''));
  env.registerFunction('URL.getPort(): string', (u: CelUrl) => u.url.port);
  env.registerFunction('URL.getEscapedPath(): string', (u: CelUrl) => u.url.pathname);
  env.registerFunction('URL.getQuery(): map<string, list<string>>', (u: CelUrl) => {
    const out: Record<string, string[]> = {};
    for (const [k, v] of u.url.searchParams) (out[k] ??= []).push(v);
    return out;
  });
}

/** Register every library on a fresh environment. */
export function registerKubernetesLibraries(env: Environment): void {
  registerStrings(env);
  registerLists(env);
  registerUrls(env);
}
