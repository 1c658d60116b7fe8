/**
 * @module packages/pko-semver
 * The semantic versions and version ranges of PKO's package repositories and dependencies, as PKO v1.19.0's own
 * semver library (pkg.package-operator.run/semver) reads them. It differs from npm's semver, so it is reproduced:
 * versions are strict (no `v` prefix, no shorthand: `1.2` is `col 4: missing patch`); a range needs an operator
 * (`>=1.0.0`, `~1.2`, `^1`, `=1.x`, `1.0.0 - 2.0.0`, `x-x`; a bare `1.x` is `range closed without operator`);
 * `~1.0` means 1.0.0 up to 1.x.x (a zero minor widens to the whole major); `&&` or `,` joins, `||` alternates;
 * a version with a pre-release inside a range's bounds matches. Errors name the column, as PKO's do.
 */

/** uint64's maximum: the value of a wildcard at the top of a range (`1.x` ends at 1.MAX.MAX). */
const MAX = 2n ** 64n - 1n;

type PreRelease = string | bigint;

export interface SemVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly preRelease: readonly PreRelease[];
  readonly build: readonly string[];
}

export type SemverResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isPositiveDigit = (c: string | undefined): boolean => c !== undefined && c >= '1' && c <= '9';
const isLetter = (c: string): boolean => /^[A-Za-z]$/.test(c);
const isNonDigit = (c: string): boolean => c === '-' || isLetter(c);

function isAlphaNumericIdentifier(s: string): boolean {
  if (s.length === 1 && isNonDigit(s)) return false;
  return /^[-A-Za-z0-9]+$/.test(s) && /[-A-Za-z]/.test(s);
}
function isNumericIdentifier(s: string): boolean {
  return s === '0' || /^[1-9][0-9]*$/.test(s);
}

/** The characters of a text (code points, as Go's runes). */
const runes = (text: string): string[] => Array.from(text);

/** Go's `%q` of a rune (end of input is the replacement character there). */
const goQuote = (c: string | undefined): string => `'${c ?? '\ufffd'}'`;

/** PKO's strict version parser, ported as it is (its columns and error texts included). */
class VersionParser {
  private pos = 0;
  private ch: string | undefined;
  private offset = 0;
  private rd = 0;
  private stage = 0;

  public constructor(private readonly src: readonly string[]) {
    try {
      this.next();
    } catch {
      // PKO ignores an error on the first character
    }
  }

  private next(): void {
    if (this.rd >= this.src.length) {
      this.offset = this.src.length;
      this.ch = undefined;
      return;
    }
    this.offset = this.rd;
    if (this.ch === '\n') throw new Error(`col ${this.pos}: illegal character NEWLINE`);
    if (this.ch === ' ') throw new Error(`col ${this.pos}: illegal character SPACE`);
    this.pos += 1;
    const r = this.src[this.rd];
    if (r === '\0') throw new Error(`col ${this.pos - 1}: illegal character NUL`);
    this.ch = r;
    this.rd += 1;
  }

  private scanNumber(ch: string): bigint {
    const pos = this.pos;
    const offs = this.offset - 1;
    while (isDigit(this.ch)) this.next();
    const out = this.src.slice(offs, this.offset).join('');
    if (out.length === 0 || out === '.') throw new Error(`col ${pos}: expected number, got nothing`);
    if (out !== '0' && !isPositiveDigit(out[0]))
      throw new Error(`col ${this.pos - 1}: starts with non-positive integer ${goQuote(ch)}`);
    if (!/^\d+$/.test(out)) throw new Error(`strconv.ParseUint: parsing "${out}": invalid syntax`);
    const n = BigInt(out);
    if (n > MAX) throw new Error(`strconv.ParseUint: parsing "${out}": value out of range`);
    return n;
  }

  private scanString(): { s: string; end: boolean } {
    const offs = this.offset;
    while (this.ch !== '+' && this.ch !== '.' && this.ch !== undefined) this.next();
    const s = this.src.slice(offs, this.offset).join('');
    if (this.ch === '.') this.next();
    return { s, end: this.ch === '+' || this.ch === undefined };
  }

  private scanIdentifiers(what: string, valid: (s: string) => boolean): string[] {
    const out: string[] = [];
    for (;;) {
      const pos = this.pos;
      const { s, end } = this.scanString();
      if (s.length === 0) throw new Error(`col ${pos}: ${what} identifier empty`);
      if (!valid(s)) throw new Error(`col ${pos}: invalid ${what} identifier "${s}"`);
      out.push(s);
      if (end) return out;
    }
  }

  public parse(): SemVersion {
    const nums: bigint[] = [];
    let preRelease: PreRelease[] = [];
    let build: string[] = [];
    for (;;) {
      const ch = this.ch;
      this.next();
      if (ch === undefined) break;
      if (this.stage > 2) {
        if (ch === '-') {
          if (this.stage !== 3) throw new Error('pre release not after patch');
          preRelease = this.scanIdentifiers(
            'pre release',
            (s) => isAlphaNumericIdentifier(s) || isNumericIdentifier(s),
          ).map((s) => (/^\d+$/.test(s) ? BigInt(s) : s));
        } else if (ch === '+') {
          build = this.scanIdentifiers('build', (s) => /^\d*$/.test(s) || isAlphaNumericIdentifier(s));
        } else throw new Error(`col ${this.pos}: invalid character ${goQuote(this.ch)}`);
        this.stage += 1;
        continue;
      }
      nums.push(this.scanNumber(ch));
      if (this.stage < 2 && this.ch === '.') this.next();
      this.stage += 1;
    }
    if (this.stage < 3)
      throw new Error(`col ${this.pos + 1}: missing ${['major', 'minor', 'patch'][this.stage] ?? ''}`);
    const [major = 0n, minor = 0n, patch = 0n] = nums;
    return { major, minor, patch, preRelease, build };
  }
}

/** PKO's strict version parser (its error texts included). */
export function parseVersion(text: string): SemverResult<SemVersion> {
  try {
    return { ok: true, value: new VersionParser(runes(text)).parse() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

const seg = (n: bigint): string => (n === MAX ? 'x' : n.toString());

/** A version as PKO prints it (no `v`). */
export function versionText(v: SemVersion): string {
  const pre = v.preRelease.length > 0 ? `-${v.preRelease.map(String).join('.')}` : '';
  const build = v.build.length > 0 ? `+${v.build.join('.')}` : '';
  return `${seg(v.major)}.${seg(v.minor)}.${seg(v.patch)}${pre}${build}`;
}

function comparePre(a: readonly PreRelease[], b: readonly PreRelease[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  if (a.length === 0) return 1;
  if (b.length === 0) return -1;
  for (let n = 0; n < Math.max(a.length, b.length); n += 1) {
    const x = a[n] ?? 0n;
    const y = b[n] ?? 0n;
    if (x === y) continue;
    if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : 1;
    if (typeof x === 'bigint') return -1;
    if (typeof y === 'bigint') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Order of two versions (build metadata ignored): negative when `a` is older. */
export function compareVersions(a: SemVersion, b: SemVersion): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  return comparePre(a.preRelease, b.preRelease);
}

const v3 = (major: bigint, minor: bigint, patch: bigint): SemVersion => ({
  major,
  minor,
  patch,
  preRelease: [],
  build: [],
});
const ZERO = v3(0n, 0n, 0n);
const TOP = v3(MAX, MAX, MAX);

interface Range {
  readonly kind: 'range';
  readonly min: SemVersion;
  readonly max: SemVersion;
  readonly not: boolean;
}
type Node = Range | { readonly kind: 'and' | 'or'; readonly items: readonly Node[] };

/** A parsed range; `text` is what was written (PKO prints a range as it was written). */
export interface SemConstraint {
  readonly text: string;
  readonly node: Node;
}

function same(a: SemVersion, b: SemVersion): boolean {
  return compareVersions(a, b) === 0 && a.build.join('.') === b.build.join('.');
}

function rangeText(r: Range): string {
  return same(r.min, r.max) ? versionText(r.min) : `${versionText(r.min)} - ${versionText(r.max)}`;
}

function inRange(r: Range, v: SemVersion): boolean {
  return compareVersions(v, r.min) >= 0 && compareVersions(v, r.max) <= 0;
}

function check(node: Node, v: SemVersion): boolean {
  if (node.kind === 'range') return node.not ? !inRange(node, v) : inRange(node, v);
  return node.kind === 'and' ? node.items.every((n) => check(n, v)) : node.items.some((n) => check(n, v));
}

/** Whether a version lies in a range. */
export function satisfies(c: SemConstraint, v: SemVersion): boolean {
  return check(c.node, v);
}

function rangeContains(r: Range, other: Node): boolean {
  if (other.kind !== 'range')
    return other.kind === 'and'
      ? other.items.every((n) => rangeContains(r, n))
      : other.items.some((n) => rangeContains(r, n));
  const inside = compareVersions(r.min, other.min) <= 0 && compareVersions(r.max, other.max) >= 0;
  return other.not ? !inside : inside;
}

function contains(node: Node, other: Node): boolean {
  if (node.kind !== 'range')
    return node.kind === 'and'
      ? node.items.every((n) => contains(n, other))
      : node.items.some((n) => contains(n, other));
  if (node.not) return !contains(other, { ...node, not: false });
  return rangeContains(node, other);
}

/** Whether every version of `other` lies in `c` (PKO's `Constraint.Contains`). */
export function rangeCovers(c: SemConstraint, other: SemConstraint): boolean {
  return contains(c.node, other.node);
}

type Op = '' | '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '^' | '-';
const OPS: readonly Op[] = ['=', '!=', '>', '>=', '<', '<=', '~', '^'];
const isOp = (text: string): text is Op => OPS.some((o) => o === text);

/** The `<` bound: PKO steps down from the version written (and, as PKO, `<1.0.5` ends at 0.x.x). */
function lessBound(a: bigint, b: bigint, c: bigint): SemVersion {
  if (c === 0n && b > 0n) return v3(a, b - 1n, MAX);
  if (b === 0n) return v3(a === 0n ? MAX : a - 1n, MAX, MAX);
  return v3(a, b, c - 1n);
}

/** PKO's `>` bound: one more in the last part written. */
function greaterBound(a: bigint, b: bigint, c: bigint, last: number): SemVersion {
  if (last === 0) return v3(a + 1n, b, c);
  return last === 1 ? v3(a, b + 1n, c) : v3(a, b, c + 1n);
}

/** `=1` is 1.x.x, `=1.2` 1.2.x. */
const equalTop = (a: bigint, b: bigint, c: bigint, last: number): SemVersion =>
  v3(a, last === 0 ? MAX : b, last <= 1 ? MAX : c);

/** `1.0.0 - 2.x`: a wildcard at the top widens the parts after it. */
const hyphenTop = (x: bigint, y: bigint, z: bigint): SemVersion =>
  v3(x, x === MAX ? MAX : y, x === MAX || y === MAX ? MAX : z);

/** The bounds of one range with its operator, as PKO's `closeRange` computes them. */
function boundsOf(
  op: Op,
  low: readonly bigint[],
  high: readonly bigint[],
  last: number,
): [SemVersion, SemVersion] {
  const [a = 0n, b = 0n, c = 0n] = low;
  const [x = 0n, y = 0n, z = 0n] = high;
  const lo = v3(a, b, c);
  switch (op) {
    case '=':
    case '!=':
      return [lo, equalTop(a, b, c, last)];
    case '>':
      return [greaterBound(a, b, c, last), TOP];
    case '-':
      return [lo, hyphenTop(x, y, z)];
    case '<':
      return [ZERO, lessBound(a, b, c)];
    case '<=':
      return [ZERO, lo];
    case '>=':
      return [lo, TOP];
    case '~':
      return [lo, v3(a, b === 0n ? MAX : b, MAX)];
    case '^':
      return [lo, v3(a, a !== 0n ? MAX : b, MAX)];
    default:
      return [lo, lo];
  }
}

type Token =
  | { readonly kind: 'space' | 'dot' | 'hyphen' | 'wildcard' | 'and' | 'or' }
  | { readonly kind: 'op'; readonly op: Op }
  | { readonly kind: 'number'; readonly value: bigint };

/** Where a run of characters like the one at `i` ends. */
function runEnd(chars: readonly string[], i: number, like: (c: string | undefined) => boolean): number {
  let j = i + 1;
  while (like(chars[j])) j += 1;
  return j;
}

/** PKO's range scanner: the token at `i` and where the next one starts. */
function scan(chars: readonly string[], i: number): { token: Token; next: number } {
  const ch = chars[i] ?? '';
  const after = chars[i + 1];
  const bad = (): Error => new Error(`col ${i + 2}: unexpected character ${unicodeName(after)}`);
  if (ch === '\n') throw new Error(`col ${i + 1}: illegal character NEWLINE`);
  if (ch === ' ') return { token: { kind: 'space' }, next: runEnd(chars, i, (c) => c === ' ') };
  if ((ch === '>' || ch === '<' || ch === '!') && after === '=') {
    const op = `${ch}=`;
    return { token: { kind: 'op', op: isOp(op) ? op : '' }, next: i + 2 };
  }
  if (isOp(ch)) return { token: { kind: 'op', op: ch }, next: i + 1 };
  if (ch === ',') return { token: { kind: 'and' }, next: i + 1 };
  if (ch === '&' || ch === '|') {
    if (after !== ch) throw bad();
    return { token: { kind: ch === '&' ? 'and' : 'or' }, next: i + 2 };
  }
  const simple: Record<string, Token['kind']> = {
    '.': 'dot',
    '-': 'hyphen',
    x: 'wildcard',
    X: 'wildcard',
    '*': 'wildcard',
  };
  const kind = simple[ch];
  if (kind === 'dot' || kind === 'hyphen' || kind === 'wildcard') return { token: { kind }, next: i + 1 };
  if (isDigit(ch)) return scanNumber(chars, i, bad);
  throw bad();
}

/** A number token; one with a leading zero is refused where it is read (`>=01.2`: col 4, the `1`), as PKO's is. */
function scanNumber(chars: readonly string[], i: number, bad: () => Error): { token: Token; next: number } {
  if (chars[i] === '0' && isDigit(chars[i + 1])) throw bad();
  const j = chars[i] === '0' ? i + 1 : runEnd(chars, i, isDigit);
  return { token: { kind: 'number', value: BigInt(chars.slice(i, j).join('')) }, next: j };
}

/** PKO's range parser: a state machine over the scanner's tokens, errors with columns. */
class RangeParser {
  private or: Node[] = [];
  private and: Node[] = [];
  private op: Op = '';
  private expectingNumber = false;
  private lastPos = 0;
  private pos = 0;
  private versionOpen = false;
  private max = false;
  private min: bigint[] | undefined;
  private top: bigint[] = [0n, 0n, 0n];

  private addNumber(n: bigint): void {
    this.min ??= [0n, 0n, 0n];
    const target = this.max ? this.top : this.min;
    if (this.pos <= 2) target[this.pos] = n;
    this.versionOpen = true;
  }

  private closeVersion(col: number): void {
    if (!this.versionOpen) return;
    if (this.expectingNumber) throw new Error(`col ${col}: semver clause incomplete`);
    this.lastPos = this.pos;
    this.pos = 0;
    this.max = true;
    this.versionOpen = false;
  }

  private closeRange(col: number): void {
    if (this.min === undefined) return;
    this.closeVersion(col);
    if (this.op === '') throw new Error(`col ${col}: range closed without operator`);
    const [min, max] = boundsOf(this.op, this.min, this.top, this.lastPos);
    this.and = compactAnd(col, [...this.and, { kind: 'range', min, max, not: this.op === '!=' }]);
    this.max = false;
    this.min = undefined;
    this.top = [0n, 0n, 0n];
    this.op = '';
  }

  private pushAnd(): void {
    if (this.and.length === 1 && this.and[0] !== undefined) this.or.push(this.and[0]);
    else if (this.and.length > 1) this.or.push({ kind: 'and', items: this.and });
    this.and = [];
  }

  private join(word: 'AND' | 'OR', col: number): void {
    if (this.min === undefined) throw new Error(`col ${col}: ${word} empty range constraint`);
    try {
      this.closeRange(col);
    } catch (error) {
      throw new Error(`col ${col}: ${word} ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    if (word === 'OR') this.pushAnd();
  }

  private number(value: bigint, wildcard: boolean): void {
    this.addNumber(value);
    if (wildcard && this.pos !== 0) this.pos -= 1;
    this.expectingNumber = false;
  }

  private hyphen(col: number): void {
    if (this.op === '-') throw new Error(`col ${col}: double hyphen in range constraint`);
    this.closeVersion(col);
    this.op = '-';
    this.max = true;
    this.expectingNumber = true;
  }

  private dot(col: number): void {
    this.expectingNumber = true;
    this.pos += 1;
    if (this.pos > 2) throw new Error(`col ${col}: found 3rd dot when parsing semver`);
  }

  private step(token: Token, col: number): void {
    if (token.kind === 'op') {
      this.closeRange(col);
      this.op = token.op;
    } else if (token.kind === 'number') this.number(token.value, false);
    else if (token.kind === 'wildcard') this.number(this.max ? MAX : 0n, true);
    else if (token.kind === 'space') this.closeVersion(col);
    else if (token.kind === 'and' || token.kind === 'or') this.join(token.kind === 'and' ? 'AND' : 'OR', col);
    else if (token.kind === 'hyphen') this.hyphen(col);
    else this.dot(col);
  }

  public parse(text: string): Node {
    const chars = runes(text);
    for (let i = 0; i < chars.length;) {
      const { token, next } = scan(chars, i);
      this.step(token, i + 1);
      i = next;
    }
    this.closeRange(chars.length + 1);
    this.pushAnd();
    const [only] = this.or;
    if (only === undefined) throw new Error('col 1: empty');
    return this.or.length === 1 ? only : { kind: 'or', items: this.or };
  }
}

/** Go's `%#U` of a rune (`U+0041 'A'`); end of input is -1 there. */
function unicodeName(c: string | undefined): string {
  if (c === undefined) return 'U+FFFFFFFFFFFFFFFF';
  const hex = (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex} '${c}'`;
}

/** PKO's compaction of an AND: one `>=` and one `<=` bound merge into one range; overlaps are errors. */
function compactAnd(col: number, items: readonly Node[]): Node[] {
  if (items.length < 2) return [...items];
  const out: Node[] = [];
  let min: SemVersion | undefined;
  let max: SemVersion | undefined;
  for (const n of items) {
    if (n.kind !== 'range' || n.not) {
      out.push(n);
    } else if (same(n.min, ZERO)) {
      if (max !== undefined)
        throw new Error(
          `col ${col}: <=${versionText(n.max)} overlaps with <=${versionText(max)} in logical AND`,
        );
      max = n.max;
    } else if (same(n.max, TOP)) {
      if (min !== undefined)
        throw new Error(
          `col ${col}: >=${versionText(n.min)} overlaps with >=${versionText(min)} in logical AND`,
        );
      min = n.min;
    } else if (min !== undefined && max !== undefined) {
      const existing: Range = { kind: 'range', min, max, not: false };
      if (!rangeContains(existing, n))
        throw new Error(
          `col ${col}: non overlapping ranges "${rangeText(n)}" and "${rangeText(existing)}" in logical AND`,
        );
      out.push(n);
    } else {
      min = n.min;
      max = n.max;
    }
  }
  if (min !== undefined && max !== undefined) out.push({ kind: 'range', min, max, not: false });
  return out;
}

/** Parse a range as PKO does; the error is PKO's text. */
export function parseConstraint(text: string): SemverResult<SemConstraint> {
  try {
    return { ok: true, value: { text, node: new RangeParser().parse(text) } };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Every version (PKO's `x-x`). */
export const ANY_VERSION: SemConstraint = {
  text: 'x-x',
  node: { kind: 'range', min: ZERO, max: TOP, not: false },
};
