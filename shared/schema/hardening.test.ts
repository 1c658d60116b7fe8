import { describe, expect, it } from 'vitest';
import { admitConfig, validateStructuralSchema } from './index.js';

describe('config schema hardening', () => {
  it('evaluates `pattern` with RE2 semantics: a backtracking pattern over a long string answers at once', () => {
    const schema = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
    const name = `${'a'.repeat(50_000)}!`;
    expect(admitConfig(schema, { name }).errors).toEqual([
      `spec.config.name: Invalid value: ${JSON.stringify(name)}: name in body should match '^(a+)+$'`,
    ]);
    expect(admitConfig(schema, { name: 'aaaa' }).errors).toEqual([]);
  });

  it('accepts RE2 syntax JavaScript lacks and refuses what RE2 refuses', () => {
    const schema = (pattern: string): unknown => ({
      type: 'object',
      properties: { name: { type: 'string', pattern } },
    });
    expect(admitConfig(schema('(?i)^abc$'), { name: 'ABC' }).errors).toEqual([]);
    expect(validateStructuralSchema(schema('a(?=b)'), 'schema')).toEqual([
      'schema: Invalid value: "object": error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ]);
  });

  const transition = {
    type: 'object',
    properties: {
      size: {
        type: 'integer',
        'x-kubernetes-validations': [{ rule: 'self >= oldSelf', message: 'size may not shrink' }],
      },
      labels: {
        type: 'object',
        additionalProperties: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'labels are immutable' }],
        },
      },
    },
  };

  it('skips transition rules (oldSelf) on create, as Kubernetes does', () => {
    expect(admitConfig(transition, { size: 3, labels: { a: 'x' } }).errors).toEqual([]);
  });

  it('evaluates transition rules against the previous config, where the old value exists', () => {
    expect(admitConfig(transition, { size: 3 }, 'spec.config', { size: 2 }).errors).toEqual([]);
    expect(admitConfig(transition, { size: 1 }, 'spec.config', { size: 2 }).errors).toEqual([
      'spec.config.size: Invalid value: 1: size may not shrink',
    ]);
    expect(
      admitConfig(transition, { size: 1, labels: { a: 'y', b: 'new' } }, 'spec.config', {
        labels: { a: 'x' },
      }).errors,
    ).toEqual(['spec.config.labels.a: Invalid value: "y": labels are immutable']);
  });

  it('runs rules under additionalProperties (they were never run)', () => {
    const schema = {
      type: 'object',
      properties: {
        ports: {
          type: 'object',
          additionalProperties: {
            type: 'integer',
            'x-kubernetes-validations': [{ rule: 'self > 0', message: 'must be positive' }],
          },
        },
      },
    };
    expect(admitConfig(schema, { ports: { http: 80, bad: 0 } }).errors).toEqual([
      'spec.config.ports.bad: Invalid value: 0: must be positive',
    ]);
  });
});

describe('config schema admission of large lists', () => {
  it('reports a rule failing on each of 150,000 list items without overflowing the call stack', () => {
    const schema = {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > 0', message: 'positive' }] },
        },
      },
    };
    const errors = admitConfig(schema, { items: Array.from({ length: 150_000 }, () => 0) }).errors;
    expect(errors.length).toBe(150_000);
    expect(errors[149_999]).toBe('spec.config.items[149999]: Invalid value: 0: positive');
  });
});
