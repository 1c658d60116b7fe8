import { describe, expect, it } from 'vitest';
import { CEL_LIMITS, CelError, compileCel } from './index.js';

const probe = (expr: string, self: unknown): boolean => compileCel(expr, 'probe').evaluate({ self });
const evaluationError = (expr: string, self: unknown): CelError => {
  try {
    probe(expr, self);
  } catch (error) {
    expect(error).toBeInstanceOf(CelError);
    return error as CelError;
  }
  throw new Error(`${expr} evaluated`);
};

describe('CEL runtime limits', () => {
  it('replaces an empty pattern as Kubernetes does (Go strings.Replace), not forever', () => {
    expect(probe("self.replace('', 'x', -1) == 'xaxbxcx'", 'abc')).toBe(true);
    expect(probe("self.replace('', 'x') == 'xaxbxcx'", 'abc')).toBe(true);
    expect(probe("self.replace('', 'x', 2) == 'xaxbc'", 'abc')).toBe(true);
    expect(probe("self.replace('', 'x', 0) == 'abc'", 'abc')).toBe(true);
    expect(probe("self.replace('', '-') == '-é-😀-'", 'é😀')).toBe(true);
    expect(probe("self.replace('b', '', 1) == 'abb'", 'abbb')).toBe(true);
  });

  it('splits on an empty separator by code point, as Go does', () => {
    expect(probe("self.split('') == ['é', '😀', 'x']", 'é😀x')).toBe(true);
    expect(probe("self.split('', 2) == ['é', '😀x']", 'é😀x')).toBe(true);
  });

  it('stops a comprehension that exceeds the runtime cost budget, naming the expression and the limit', () => {
    const expr = 'self.all(x, self.all(y, self.all(z, x + y + z >= 0)))';
    const error = evaluationError(
      expr,
      Array.from({ length: 200 }, (_, i) => i),
    );
    expect(error.message).toBe(
      `CEL expression "${expr}" exceeded the runtime cost limit of ${CEL_LIMITS.runtimeCostBudget} (operation cancelled: actual cost limit exceeded)`,
    );
  });

  it('charges string sizes: a scan of a large string in a loop runs out of budget', () => {
    const expr = "self.items.all(i, !self.text.contains('needle'))";
    const error = evaluationError(expr, {
      items: Array.from({ length: 1000 }, (_, i) => i),
      text: 'a'.repeat(100_000),
    });
    expect(error.message).toContain('exceeded the runtime cost limit of 1000000');
  });

  it('refuses string results over the size limit before building them', () => {
    const error = evaluationError("self.replace('', self).size() > 0", 'a'.repeat(10_000));
    expect(error.message).toBe(
      `CEL expression "self.replace('', self).size() > 0" produced a string of 100020000 characters; the limit is ${CEL_LIMITS.maxStringLength}`,
    );
  });

  it('refuses list results over the size limit', () => {
    const self = Array.from({ length: CEL_LIMITS.maxListLength + 1 }, () => 1);
    const error = evaluationError('self.map(x, x).size() > 0', self);
    expect(error.message).toBe(
      `CEL expression "self.map(x, x).size() > 0" produced a list of ${CEL_LIMITS.maxListLength + 1} elements; the limit is ${CEL_LIMITS.maxListLength}`,
    );
  });

  it('keeps the budget per evaluation: a cheap expression runs again and again', () => {
    const program = compileCel('self.all(x, x >= 0)', 'probe');
    const list = Array.from({ length: 1000 }, (_, i) => i);
    for (let i = 0; i < 50; i++) expect(program.evaluate({ self: list })).toBe(true);
  });
});
