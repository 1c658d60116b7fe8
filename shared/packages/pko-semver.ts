/**
 * @module packages/pko-semver
 * The version ranges of `platformVersion` constraints exactly as PKO v1.19.0 reads them (its
 * `pkg.package-operator.run/semver`): a range is numbers only (`>=1.25`, `~4.16`, `^1.2.3`, `1.2 - 1.4`, `x`
 * wildcards, `&&`/`,` and `||`); a bare version without an operator, `*` alone, or a pre-release in a range is
 * refused. Each comparator is a closed [min, max] interval of versions, compared by major, minor, patch and then
 * pre-release, with a pre-release lower than its release and nothing else special about it: `>=1.25` is met by
 * `1.26.0-rc.1`, `>=1.30` and `>4.15` are not met by `1.30.0-rc.1` and `4.16.0-ec.2` (they start at `1.30.0` and
 * `4.16.0`), `<1.30` is not met by `1.30.0-rc.1` (it ends at `1.29.<max>`). Missing pre-release identifiers count
 * as numeric 0 (`1.0.0-alpha` equals `1.0.0-alpha.0`); build metadata is ignored.
 */

const MAX = 2n ** 64n - 1n;

type PreId = { readonly str: string } | { readonly num: bigint };

export interface PkoVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly pre: readonly PreId[];
  readonly build: readonly string[];
}

const ZERO: PkoVersion = { major: 0n, minor: 0n, patch: 0n, pre: [], build: [] };
const TOP: PkoVersion = { major: MAX, minor: MAX, patch: MAX, pre: [], build: [] };

function segment(n: bigint): string {
  return n === MAX ? 'x' : String(n);
}

/** `Version.String()`: `x` for an unbounded segment, then `-pre` and `+build`. */
export function versionText(v: PkoVersion): string {
  const pre = v.pre.map((p) => ('str' in p ? p.str : String(p.num))).join('.');
  return (
    `${segment(v.major)}.${segment(v.minor)}.${segment(v.patch)}` +
    (pre !== '' ? `-${pre}` : '') +
    (v.build.length > 0 ? `+${v.build.join('.')}` : '')
  );
}

/** PKO's identifier order, in the natural sense: numbers below strings, strings by bytes. */
function compareId(a: PreId, b: PreId): number {
  if ('num' in a && 'num' in b) return a.num === b.num ? 0 : a.num < b.num ? -1 : 1;
  if ('num' in a) return -1;
  if ('num' in b) return 1;
  return a.str === b.str ? 0 : a.str < b.str ? -1 : 1;
}

function comparePre(a: readonly PreId[], b: readonly PreId[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  if (a.length === 0) return 1;
  if (b.length === 0) return -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = compareId(a[i] ?? { num: 0n }, b[i] ?? { num: 0n });
    if (d !== 0) return d;
  }
  return 0;
}

export function compareVersions(a: PkoVersion, b: PkoVersion): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  return comparePre(a.pre, b.pre);
}

function same(a: PkoVersion, b: PkoVersion): boolean {
  return (
    compareVersions(a, b) === 0 &&
    a.pre.length === b.pre.length &&
    a.build.length === b.build.length &&
    a.build.every((x, i) => x === b.build[i])
  );
}

const isDigits = (s: string): boolean => /^[0-9]+$/.test(s);
/** PKO's alphanumeric identifier: ASCII letters, digits and '-', at least one non-digit, never one character. */
const isAlphanumeric = (s: string): boolean =>
  s.length > 1 && /^[0-9A-Za-z-]+$/.test(s) && /[A-Za-z-]/.test(s);
const isNumeric = (s: string): boolean => s === '0' || /^[1-9][0-9]*$/.test(s);

/** `semver.NewVersion`; a leading `v` (Kubernetes' `v1.37.0`) is dropped first, see README. */
export function parseVersion(text: string): PkoVersion | { readonly error: string } {
  const m = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([^+]*))?(?:\+(.*))?$/.exec(
    text.replace(/^v/, ''),
  );
  if (m === null) return { error: `invalid version ${JSON.stringify(text)}` };
  const pre = m[4] === undefined ? [] : m[4].split('.');
  const build = m[5] === undefined ? [] : m[5].split('.');
  if (pre.some((p) => !(isAlphanumeric(p) || isNumeric(p))))
    return { error: `invalid pre release identifier in ${JSON.stringify(text)}` };
  if (build.some((b) => !(isDigits(b) || isAlphanumeric(b))))
    return { error: `invalid build identifier in ${JSON.stringify(text)}` };
  const big = (s: string | undefined): bigint => BigInt(s ?? '0');
  if ([m[1], m[2], m[3]].some((s) => big(s) > MAX)) return { error: `number out of range in ${text}` };
  return {
    major: big(m[1]),
    minor: big(m[2]),
    patch: big(m[3]),
    pre: pre.map((p): PreId => (/^[0-9]+$/.test(p) && BigInt(p) <= MAX ? { num: BigInt(p) } : { str: p })),
    build,
  };
}

interface Range {
  min: PkoVersion;
  max: PkoVersion;
}

export type PkoConstraint =
  | { readonly k: 'range'; readonly range: Range }
  | { readonly k: 'not'; readonly range: Range }
  | { readonly k: 'and' | 'or'; readonly parts: readonly PkoConstraint[] };

function inRange(r: Range, v: PkoVersion): boolean {
  return compareVersions(v, r.min) >= 0 && compareVersions(v, r.max) <= 0;
}

export function checkConstraint(c: PkoConstraint, v: PkoVersion): boolean {
  switch (c.k) {
    case 'range':
      return inRange(c.range, v);
    case 'not':
      return !inRange(c.range, v);
    case 'and':
      return c.parts.every((p) => checkConstraint(p, v));
    case 'or':
      return c.parts.some((p) => checkConstraint(p, v));
  }
}

type Token =
  | 'EOF'
  | 'SPACE'
  | 'NUMBER'
  | '='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | '~'
  | '^'
  | '.'
  | '-'
  | 'x'
  | '||'
  | '&&';

const SINGLE: Readonly<Record<string, Token>> = {
  '=': '=',
  '~': '~',
  '^': '^',
  '.': '.',
  '-': '-',
  x: 'x',
  X: 'x',
  '*': 'x',
  ',': '&&',
};

class ParseError extends Error {}

/** PKO's range scanner: the tokens and number values of a range, or the first character it refuses. */
function scan(src: string): { tok: Token; num: bigint }[] {
  const out: { tok: Token; num: bigint }[] = [];
  let i = 0;
  const push = (tok: Token, num = 0n): void => {
    out.push({ tok, num });
  };
  while (i < src.length) {
    const ch = src.charAt(i);
    const next = src.charAt(i + 1);
    if (ch === '\n' || ch === '\u0000') throw new ParseError(`illegal character in ${JSON.stringify(src)}`);
    if (ch === ' ') {
      while (src.charAt(i) === ' ') i++;
      push('SPACE');
      continue;
    }
    const two = ch + next;
    if (two === '!=' || two === '>=' || two === '<=' || two === '||' || two === '&&') {
      push(two);
      i += 2;
      continue;
    }
    if (ch === '>' || ch === '<') push(ch);
    else if (SINGLE[ch] !== undefined) push(SINGLE[ch]);
    else if (ch === '0' && !/[0-9]/.test(next)) push('NUMBER', 0n);
    else if (/[1-9]/.test(ch)) {
      let j = i + 1;
      while (/[0-9]/.test(src.charAt(j))) j++;
      const n = BigInt(src.slice(i, j));
      if (n > MAX) throw new ParseError(`number out of range in ${JSON.stringify(src)}`);
      push('NUMBER', n);
      i = j;
      continue;
    } else throw new ParseError(`unexpected character ${JSON.stringify(ch)} in ${JSON.stringify(src)}`);
    i += 1;
  }
  push('EOF');
  return out;
}

const OPERATORS = new Set<Token>(['=', '!=', '>', '>=', '<', '<=', '~', '^']);

function containsRange(a: Range, b: Range): boolean {
  return compareVersions(a.min, b.min) <= 0 && compareVersions(a.max, b.max) >= 0;
}

/** PKO's `compactAndValidateLogicalAND`: one-sided bounds merged into one range, overlaps refused. */
function compactAnd(and: PkoConstraint[]): PkoConstraint[] {
  if (and.length < 2) return and;
  const kept: PkoConstraint[] = [];
  let min: PkoVersion | undefined;
  let max: PkoVersion | undefined;
  for (const c of and) {
    if (c.k !== 'range') kept.push(c);
    else if (same(c.range.min, ZERO)) {
      if (max !== undefined) throw new ParseError('two upper bounds in a logical AND');
      max = c.range.max;
    } else if (same(c.range.max, TOP)) {
      if (min !== undefined) throw new ParseError('two lower bounds in a logical AND');
      min = c.range.min;
    } else if (min !== undefined && max !== undefined) {
      if (!containsRange({ min, max }, c.range))
        throw new ParseError('non overlapping ranges in a logical AND');
      kept.push(c);
    } else {
      min = c.range.min;
      max = c.range.max;
    }
  }
  if (min !== undefined && max !== undefined) kept.push({ k: 'range', range: { min, max } });
  return kept;
}

type Mutable = { -readonly [K in keyof PkoVersion]: PkoVersion[K] };

/** `>v`: from the next version at the last segment written (`>4.15` starts at `4.16.0`). */
function above(min: Mutable, last: number): Range {
  const m = { ...min };
  if (last === 0) m.major += 1n;
  else if (last === 1) m.minor += 1n;
  else m.patch += 1n;
  return { min: m, max: TOP };
}

/** `<v`: up to the highest version below it (`<1.30` ends at `1.29.<max>`). */
function below(v: Mutable): Range {
  const max = { ...v };
  if (max.patch === 0n && max.minor > 0n) [max.patch, max.minor] = [MAX, max.minor - 1n];
  else if (max.minor === 0n) [max.patch, max.minor, max.major] = [MAX, MAX, max.major - 1n];
  else max.patch -= 1n;
  return { min: ZERO, max };
}

/** `=v` / `!=v`: every version under the segments written (`=4.16` is `4.16.0` to `4.16.<max>`). */
function exactly(min: Mutable, last: number): Range {
  const max = { ...min };
  if (last === 0) [max.minor, max.patch] = [MAX, MAX];
  if (last === 1) max.patch = MAX;
  return { min, max };
}

/** `a - b`: a wildcard upper bound widens the segments after it. */
function hyphen(min: Mutable, upper: Mutable): Range {
  const max = { ...upper };
  if (max.major === MAX) max.minor = MAX;
  if (max.minor === MAX) max.patch = MAX;
  return { min, max };
}

/** The interval an operator makes of the version(s) read; `last` is the last segment written (0 major … 2 patch). */
function closeInterval(op: Token | undefined, r: { min: Mutable; max: Mutable }, last: number): Range {
  const { min } = r;
  switch (op) {
    case '=':
    case '!=':
      return exactly(min, last);
    case '>':
      return above(min, last);
    case '-':
      return hyphen(min, r.max);
    case '<':
      return below(min);
    case '<=':
      return { min: ZERO, max: min };
    case '>=':
      return { min, max: TOP };
    case '~':
      return { min, max: { ...min, patch: MAX, minor: min.minor === 0n ? MAX : min.minor } };
    case '^':
      return { min, max: { ...min, patch: MAX, minor: min.major !== 0n ? MAX : min.minor } };
    default:
      throw new ParseError('range closed without operator');
  }
}

/** `semver.NewConstraint`: the constraint, or why PKO refuses the text. */
export function parseConstraint(text: string): PkoConstraint | { readonly error: string } {
  try {
    return parse(scan(text));
  } catch (error) {
    if (error instanceof ParseError)
      return { error: `improper constraint ${JSON.stringify(text)}: ${error.message}` };
    throw error;
  }
}

const SEGMENTS = ['major', 'minor', 'patch'] as const;

/** PKO's range parser, one token at a time. */
class RangeParser {
  private readonly or: PkoConstraint[] = [];
  private and: PkoConstraint[] = [];
  private op: Token | undefined;
  private expectingNumber = false;
  private lastPos = 0;
  private pos = 0;
  private writing: 'min' | 'max' | undefined;
  private onMax = false;
  private active: { min: Mutable; max: Mutable } | undefined;

  private closeVersion(): void {
    if (this.writing === undefined) return;
    if (this.expectingNumber) throw new ParseError('semver clause incomplete');
    this.lastPos = this.pos;
    this.pos = 0;
    this.onMax = true;
    this.writing = undefined;
  }

  private closeRange(): void {
    if (this.active === undefined) return;
    this.closeVersion();
    const range = closeInterval(this.op, this.active, this.lastPos);
    this.and = compactAnd([...this.and, { k: this.op === '!=' ? 'not' : 'range', range }]);
    this.onMax = false;
    this.active = undefined;
    this.op = undefined;
  }

  private addNumber(n: bigint): void {
    this.active ??= { min: { ...ZERO }, max: { ...ZERO } };
    this.writing = this.onMax ? 'max' : 'min';
    const segment = SEGMENTS[this.pos];
    if (segment !== undefined) this.active[this.writing][segment] = n;
    this.expectingNumber = false;
  }

  private flushAnd(): void {
    if (this.and.length === 1 && this.and[0] !== undefined) this.or.push(this.and[0]);
    else if (this.and.length > 1) this.or.push({ k: 'and', parts: this.and });
    this.and = [];
  }

  private logical(tok: '&&' | '||'): void {
    if (this.active === undefined) throw new ParseError(`${tok} with an empty range`);
    this.closeRange();
    if (tok === '||') this.flushAnd();
  }

  private hyphen(): void {
    if (this.op === '-') throw new ParseError('double hyphen in range constraint');
    this.closeVersion();
    this.op = '-';
    this.onMax = true;
    this.expectingNumber = true;
  }

  private dot(): void {
    this.expectingNumber = true;
    this.pos += 1;
    if (this.pos > 2) throw new ParseError('found 3rd dot when parsing semver');
  }

  public token(tok: Token, num: bigint): void {
    if (tok === 'SPACE') this.closeVersion();
    else if (OPERATORS.has(tok)) {
      this.closeRange();
      this.op = tok;
    } else if (tok === '&&' || tok === '||') this.logical(tok);
    else if (tok === '-') this.hyphen();
    else if (tok === 'NUMBER') this.addNumber(num);
    else if (tok === 'x') {
      this.addNumber(this.onMax ? MAX : 0n);
      if (this.pos !== 0) this.pos -= 1;
    } else if (tok === '.') this.dot();
  }

  public end(): PkoConstraint {
    this.closeRange();
    this.flushAnd();
    if (this.or.length === 0) throw new ParseError('empty');
    return this.or.length === 1 && this.or[0] !== undefined ? this.or[0] : { k: 'or', parts: this.or };
  }
}

function parse(tokens: readonly { tok: Token; num: bigint }[]): PkoConstraint {
  const parser = new RangeParser();
  for (const { tok, num } of tokens) if (tok !== 'EOF') parser.token(tok, num);
  return parser.end();
}
