/**
 * @module kickstart/go-yaml-scalar
 * How go-yaml v2 (behind `sigs.k8s.io/yaml`, which PKO's kickstart writes with) writes one scalar: which
 * strings must be quoted because they would read back as something else (YAML 1.1 booleans, numbers,
 * timestamps, `1:20`), which style libyaml's emitter picks (plain, single-quoted, double-quoted, literal
 * block), plain and single-quoted text folded past column 80, and Go's number formatting.
 */

/** libyaml's best width: plain and single-quoted scalars break at a space past this column. */
export const BEST_WIDTH = 80;

const YAML11_SPECIAL = new Set(
  [
    'y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF',
    '~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF <<',
  ]
    .join(' ')
    .split(' '),
);

const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]| )\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[-+]\d{2}:\d{2})?)?$/;

function isTimestamp(text: string): boolean {
  const m = TIMESTAMP.exec(text);
  if (m === null) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** Whether go-yaml reads `text`, unquoted, as a string (its `resolve` gives !!str, and it is no sexagesimal). */
export function readsAsString(text: string): boolean {
  if (text === '' || YAML11_SPECIAL.has(text)) return false;
  const first = text[0] ?? '';
  if (first === '.') return !YAML_FLOAT.test(text);
  if (!/[-+0-9]/.test(first)) return true;
  if (isTimestamp(text)) return false;
  const plain = text.replaceAll('_', '');
  if (GO_INT.test(plain) || YAML_FLOAT.test(plain)) return false;
  return !BASE60_FLOAT.test(text);
}

const isBreak = (c: string): boolean =>
  c === '\r' || c === '\n' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlank = (c: string | undefined): boolean => c === undefined || c === ' ' || c === '\t' || isBreak(c);

/** libyaml's is_printable (unicode output on, as go-yaml sets it). */
function isPrintable(c: string): boolean {
  const n = c.codePointAt(0) ?? 0;
  return (
    n === 0x0a ||
    (n >= 0x20 && n <= 0x7e) ||
    n === 0x85 ||
    (n >= 0xa0 && n <= 0xd7ff) ||
    (n >= 0xe000 && n <= 0xfffd && n !== 0xfeff) ||
    n >= 0x10000
  );
}

export interface ScalarAnalysis {
  readonly plain: boolean;
  readonly single: boolean;
  readonly block: boolean;
  readonly multiline: boolean;
}

interface Flags {
  indicators: boolean;
  special: boolean;
  lineBreaks: boolean;
  leading: boolean;
  trailingSpace: boolean;
  trailingBreak: boolean;
  breakSpace: boolean;
  spaceBreak: boolean;
}

function indicatorAt(chars: readonly string[], i: number, precededByBlank: boolean): boolean {
  const c = chars[i] ?? '';
  const followedByBlank = isBlank(chars[i + 1]);
  if (i === 0) {
    if ('#,[]{}&*!|>\'"%@`'.includes(c)) return true;
    return (c === '?' || c === ':' || c === '-') && followedByBlank;
  }
  return (c === ':' && followedByBlank) || (c === '#' && precededByBlank);
}

function scan(text: string): Flags {
  const chars = Array.from(text);
  const f: Flags = {
    indicators: text.startsWith('---') || text.startsWith('...'),
    special: false,
    lineBreaks: false,
    leading: false,
    trailingSpace: false,
    trailingBreak: false,
    breakSpace: false,
    spaceBreak: false,
  };
  let previousSpace = false;
  let previousBreak = false;
  let precededByBlank = true;
  chars.forEach((c, i) => {
    const last = i === chars.length - 1;
    if (indicatorAt(chars, i, precededByBlank)) f.indicators = true;
    if (!isPrintable(c)) f.special = true;
    if (isBreak(c)) f.lineBreaks = true;
    if (c === ' ') {
      if (i === 0) f.leading = true;
      if (last) f.trailingSpace = true;
      if (previousBreak) f.breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) f.leading = true;
      if (last) f.trailingBreak = true;
      if (previousSpace) f.spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByBlank = isBlank(c);
  });
  return f;
}

/** libyaml's analyze_scalar, for block context: which styles may write `text`. */
export function analyzeScalar(text: string): ScalarAnalysis {
  const f = scan(text);
  let plain = !(f.leading || f.trailingSpace || f.trailingBreak || f.lineBreaks || f.indicators);
  let single = true;
  let block = !f.trailingSpace;
  if (f.breakSpace) plain = single = false;
  if (f.spaceBreak || f.special) plain = single = block = false;
  return { plain, single, block, multiline: f.lineBreaks };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\v': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\u0085': 'N',
  '\u00a0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

/** libyaml's double-quoted scalar (no folding: Kubernetes values rarely reach it). */
export function doubleQuoted(text: string): string {
  let out = '"';
  for (const c of text) {
    const escape = ESCAPES[c];
    const n = c.codePointAt(0) ?? 0;
    if (escape !== undefined) out += `\\${escape}`;
    else if (isPrintable(c) && n !== 0xfeff) out += c;
    else if (n <= 0xff) out += `\\x${n.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (n <= 0xffff) out += `\\u${n.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += `\\U${n.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  return `${out}"`;
}

/**
 * Plain or single-quoted text as libyaml writes it: a space past column 80 (not after another space, not before
 * one, for quoted text not the first or last character) becomes a line break and the continuation's indent.
 */
export function folded(text: string, column: number, indent: number, quoted: boolean): string {
  const chars = Array.from(quoted ? text.replaceAll("'", "''") : text);
  let out = quoted ? "'" : '';
  let col = column + (quoted ? 1 : 0);
  let previousSpace = false;
  chars.forEach((c, i) => {
    const edge = quoted && (i === 0 || i === chars.length - 1);
    if (c === ' ' && !previousSpace && col > BEST_WIDTH && chars[i + 1] !== ' ' && !edge) {
      out += `\n${' '.repeat(indent)}`;
      col = indent;
    } else {
      out += c;
      col += 1;
    }
    previousSpace = c === ' ';
  });
  return quoted ? `${out}'` : out;
}

/** A literal block scalar `|`: its header (indent and chomping hints) and its lines at `indent`. */
export function literal(text: string, indent: number): string {
  const chars = Array.from(text);
  const last = chars[chars.length - 1] ?? '';
  const first = chars[0] ?? '';
  const indentHint = first === ' ' || isBreak(first) ? '2' : '';
  let chomp = '';
  if (!isBreak(last)) chomp = '-';
  else if (chars.length === 1 || isBreak(chars[chars.length - 2] ?? '')) chomp = '+';
  const body = chomp === '-' ? text : text.slice(0, -1);
  const lines = body.split('\n').map((l) => (l === '' ? '' : `${' '.repeat(indent)}${l}`));
  return `|${indentHint}${chomp}\n${lines.join('\n')}`;
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64), as go-yaml writes a float. */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '+.inf' : '-.inf';
  const [mantissa = '', exp = '0'] = n.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(n);
}

/** A JSON number as go-yaml writes it after `sigs.k8s.io/yaml`'s JSON round trip. */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 64) return String(n);
  return goFloat(n);
}
