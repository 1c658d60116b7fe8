/**
 * @module pko-hash/go-json
 * How Go sees a JSON value that the Kubernetes API server served: numbers decode as `int64` when their text is an
 * integer that fits (k8s's `UnmarshalCaseSensitivePreserveInts`), else as `float64`; the API server re-encodes what
 * it stores with `encoding/json`, so an integral number always reaches a client as integer text. And how
 * `encoding/json` writes a value back (the bytes a `runtime.RawExtension` keeps): keys sorted, HTML characters
 * escaped, Go's float formatting. An integer beyond 2^53 that Gantry did not write itself may have lost its exact
 * text in JavaScript; it is taken as JavaScript writes it.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The `int64` a served JSON number decodes to, or undefined when it decodes to a `float64`. The text Go decodes is
 * taken to be JavaScript's (shortest round-trip) text of the number, as it is for every value Gantry sent.
 */
export function asInt64(n: number): bigint | undefined {
  if (!Number.isInteger(n)) return undefined;
  const text = String(n);
  if (text.includes('e')) return undefined;
  const value = BigInt(text);
  return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
}

/** Shortest round-trip decimal digits of a finite non-zero |n| and the exponent of the first digit. */
function shortestDigits(n: number): { digits: string; exp: number } {
  const [mantissa = '', exponent = '0'] = Math.abs(n).toExponential().split('e');
  return { digits: mantissa.replace('.', ''), exp: Number(exponent) };
}

function fixed(digits: string, exp: number): string {
  const dp = exp + 1;
  const whole = dp > 0 ? digits.slice(0, dp).padEnd(dp, '0') : '0';
  const fraction = dp >= 0 ? digits.slice(dp) : '0'.repeat(-dp) + digits;
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

function exponential(digits: string, exp: number, minExpDigits: number): string {
  const mantissa = digits.length > 1 ? `${digits[0] ?? ''}.${digits.slice(1)}` : digits;
  const e = String(Math.abs(exp)).padStart(minExpDigits, '0');
  return `${mantissa}e${exp < 0 ? '-' : '+'}${e}`;
}

/**
 * `strconv.FormatFloat(n, 'g', -1, 64)` (spew's floats), or `encoding/json`'s float encoding (`'json'`: 'f' unless
 * below 1e-6 or from 1e21 on, where 'e' with the exponent's leading zero dropped).
 */
export function goFloat(n: number, format: 'g' | 'json'): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const sign = n < 0 ? '-' : '';
  const { digits, exp } = shortestDigits(n);
  if (format === 'g') return sign + (exp < -4 || exp >= 6 ? exponential(digits, exp, 2) : fixed(digits, exp));
  const abs = Math.abs(n);
  return sign + (abs < 1e-6 || abs >= 1e21 ? exponential(digits, exp, 1) : fixed(digits, exp));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The text as Go holds it after decoding JSON: every lone surrogate is U+FFFD. */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function escapeChar(c: string): string {
  return SHORT_ESCAPES[c] ?? `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

// Control characters, the quote and backslash, HTML's <, > and &, and the two JavaScript line separators.
// eslint-disable-next-line no-control-regex -- control characters are what Go escapes
const ESCAPED = /["\\\u0000-\u001f<>&\u2028\u2029]/g;

/** `encoding/json`'s string encoding (HTML-safe, U+2028/U+2029 escaped, ill-formed text as U+FFFD). */
export function goJsonString(s: string): string {
  return `"${wellFormed(s).replace(ESCAPED, escapeChar)}"`;
}

/** `json.Marshal` of a served JSON value as Go decoded it (`undefined` inside arrays as null, as JSON.stringify). */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    const int = asInt64(value);
    return int !== undefined ? String(int) : goFloat(value, 'json');
  }
  if (typeof value === 'string') return goJsonString(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value)
      .map((k) => wellFormed(k))
      .sort(compareGoStrings);
    const entries = Object.entries(value);
    const byKey = new Map(entries.map(([k, v]) => [wellFormed(k), v]));
    return `{${keys
      .filter((k) => byKey.get(k) !== undefined)
      .map((k) => `${goJsonString(k)}:${goJson(byKey.get(k))}`)
      .join(',')}}`;
  }
  return 'null';
}

/** Go's `<` on strings: UTF-8 byte order, which is code point order. */
export function compareGoStrings(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
