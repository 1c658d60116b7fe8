import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CelError, compileCel, toCelValue } from './index.js';

const probe = (expr: string, self: unknown): boolean => compileCel(expr, 'probe').evaluate({ self });
const filter = (expr: string, vars: Record<string, unknown> = {}): boolean =>
  compileCel(expr, 'package').evaluate(vars);
const compileError = (expr: string, kind: 'package' | 'probe' = 'package'): string => {
  try {
    compileCel(expr, kind);
  } catch (error) {
    expect(error).toBeInstanceOf(CelError);
    return (error as Error).message;
  }
  throw new Error(`${expr} compiled`);
};

describe('CEL', () => {
  it('evaluates filter conditions over config, environment and cond', () => {
    expect(filter('config.replicas > 1', { config: { replicas: 2 } })).toBe(true);
    expect(
      filter('environment.kubernetes.version.startsWith("v1.")', {
        environment: { kubernetes: { version: 'v1.37.2' } },
      }),
    ).toBe(true);
    expect(filter('cond.isProd && !cond.small', { cond: { isProd: true, small: false } })).toBe(true);
  });

  it('treats integral JSON numbers as CEL ints, so arithmetic works', () => {
    expect(probe('self.status.replicas + 1 == 3', { status: { replicas: 2 } })).toBe(true);
    expect(probe('self.x * 2.0 == 3.0', { x: 1.5 })).toBe(true);
  });

  it('refuses `package` like Kubernetes: it is a reserved word', () => {
    expect(compileError('package.metadata.namespace == "x"')).toBe('reserved identifier: package');
  });

  it('refuses non-bool expressions when compiling', () => {
    expect(compileError('"abc"')).toBe('invalid return type: string, expected bool');
    expect(compileError('1 + 2')).toBe('invalid return type: int, expected bool');
  });

  it('refuses dyn results that are not bool when evaluating', () => {
    expect(() => probe('self.name', { name: 'x' })).toThrow('invalid return type: string, expected bool');
  });

  it('reports syntax errors and unknown variables', () => {
    expect(compileError('1 +')).toBe('unexpected token: EOF');
    expect(compileError('nope == 1')).toMatch(/^unknown variable: nope/i);
  });

  it('reports evaluation errors', () => {
    expect(() => probe('self.missing == 1', {})).toThrow(/no such key: missing/i);
    expect(probe('has(self.missing)', {})).toBe(false);
  });

  it('uses RE2 semantics for matches, find and findAll', () => {
    expect(compileError('self.matches("a(?=b)")', 'probe')).toMatch(/^error parsing regexp: /);
    expect(probe('self.matches("(?i)ABC")', 'xabcx')).toBe(true);
    expect(probe('matches(self, "^a+$")', 'aaa')).toBe(true);
    expect(probe('self.find("[0-9]+") == "12"', 'ab12cd34')).toBe(true);
    expect(probe('self.findAll("[0-9]+") == ["12", "34"]', 'ab12cd34')).toBe(true);
    expect(probe('self.findAll("[0-9]", 1) == ["1"]', 'ab12')).toBe(true);
  });

  it('has the Kubernetes list library', () => {
    expect(probe('self.isSorted() && self.sum() == 6 && self.min() == 1 && self.max() == 3', [1, 2, 3])).toBe(
      true,
    );
    expect(
      probe('self.indexOf(2) == 1 && self.lastIndexOf(2) == 3 && self.indexOf(9) == -1', [1, 2, 3, 2]),
    ).toBe(true);
    expect(probe('[3, 1].isSorted()', null)).toBe(false);
  });

  it('has the strings and URL libraries', () => {
    expect(
      probe('self.charAt(1) == "b" && self.replace("b", "x") == "axc" && self.reverse() == "cba"', 'abc'),
    ).toBe(true);
    expect(probe('self.upperAscii() == "ABC" && self.split("b") == ["a", "c"]', 'abc')).toBe(true);
    expect(
      probe(
        'isURL(self) && url(self).getHost() == "example.com:8443" && url(self).getScheme() == "https"',
        'https://example.com:8443/a?b=c',
      ),
    ).toBe(true);
    expect(
      probe(
        'url(self).getPort() == "8443" && url(self).getEscapedPath() == "/a" && url(self).getQuery()["b"] == ["c"]',
        'https://example.com:8443/a?b=c',
      ),
    ).toBe(true);
    expect(probe('isURL(self)', 'not a url')).toBe(false);
  });

  it('caches compiled programs', () => {
    expect(compileCel('self == 1', 'probe')).toBe(compileCel('self == 1', 'probe'));
  });

  it('refuses expressions over the length limit', () => {
    expect(compileError(`${'true && '.repeat(2000)}true`)).toBe(
      'CEL expression is 16004 characters long; the limit is 10240',
    );
  });

  it('converts any safe integer to a CEL int and leaves fractions alone', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), (i, d) => {
        expect(toCelValue({ a: [i] })).toEqual({ a: [BigInt(i)] });
        expect(toCelValue(d)).toEqual(Number.isSafeInteger(d) ? BigInt(d) : d);
      }),
    );
  });
});
