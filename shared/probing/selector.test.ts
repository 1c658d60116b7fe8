import { describe, expect, it } from 'vitest';
import { matchesSelector, parseSelectorString, selectorString, type LabelSelector } from './selector.js';

describe('selector strings', () => {
  it('reads back every form selectorString writes', () => {
    const selector: LabelSelector = {
      matchLabels: { 'package-operator.run/instance': 'web', app: 'x' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'zone', operator: 'NotIn', values: ['c'] },
        { key: 'owned', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    };
    const text = selectorString(selector);
    expect(text).toBe('package-operator.run/instance=web,app=x,tier in (a,b),zone notin (c),owned,!legacy');
    expect(parseSelectorString(text)).toEqual({ ...selector, matchExpressions: selector.matchExpressions });
  });

  it('matches == and != as the API server does, and refuses what it cannot read', () => {
    const s = parseSelectorString('a==1,b!=2');
    expect(s).toBeDefined();
    const sel = s ?? {};
    expect(matchesSelector(sel, { a: '1' })).toBe(true);
    expect(matchesSelector(sel, { a: '1', b: '2' })).toBe(false);
    expect(parseSelectorString('a=1,b=2,a=3')).toEqual({
      matchLabels: { a: '1', b: '2' },
      matchExpressions: [{ key: 'a', operator: 'In', values: [] }],
    });
    for (const bad of ['a in (x', 'a=(b)', '=x', 'a b'])
      expect(parseSelectorString(bad), bad).toBeUndefined();
    expect(parseSelectorString('')).toEqual({ matchLabels: {}, matchExpressions: [] });
  });
});
