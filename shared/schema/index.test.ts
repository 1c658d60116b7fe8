import { describe, expect, it } from 'vitest';
import { admitConfig, aggregate, validateStructuralSchema } from './index.js';

const schema = {
  type: 'object',
  required: ['testStubImage'],
  properties: {
    testStubImage: { type: 'string' },
    replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
    mode: { type: 'string', enum: ['a', 'b'] },
    name: { type: 'string', pattern: '^[a-z]+$', minLength: 2, maxLength: 5 },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2, minItems: 1 },
    port: { 'x-kubernetes-int-or-string': true },
    nested: {
      type: 'object',
      default: {},
      properties: { enabled: { type: 'boolean', default: true }, level: { type: 'integer', multipleOf: 5 } },
    },
    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    ratio: { type: 'number', nullable: true },
    even: {
      type: 'integer',
      'x-kubernetes-validations': [{ rule: 'self % 2 == 0', message: 'must be even' }],
    },
  },
};

const errorsOf = (config: unknown): readonly string[] => admitConfig(schema, config).errors;

describe('admitConfig', () => {
  it('removes every key when the manifest has no schema', () => {
    expect(admitConfig(undefined, { a: 1 })).toEqual({ config: {}, errors: [] });
  });

  it('prunes unknown fields, keeps preserve-unknown-fields, applies defaults deeply', () => {
    const r = admitConfig(schema, {
      testStubImage: 'x',
      unknown: 1,
      free: { any: { thing: 1 } },
      labels: { a: 'b' },
    });
    expect(r.errors).toEqual([]);
    expect(r.config).toEqual({
      testStubImage: 'x',
      replicas: 1,
      nested: { enabled: true },
      free: { any: { thing: 1 } },
      labels: { a: 'b' },
    });
  });

  it('prunes nulls on non-nullable fields and keeps them on nullable ones', () => {
    expect(admitConfig(schema, { testStubImage: 'x', replicas: null, ratio: null }).config).toMatchObject({
      replicas: 1,
      ratio: null,
    });
  });

  it('reports a missing required field like the API server', () => {
    expect(errorsOf({})).toEqual(['spec.config.testStubImage: Required value']);
  });

  it('reports every kind of violation with Kubernetes wording', () => {
    const cases: [unknown, string][] = [
      [
        { replicas: 0 },
        'spec.config.replicas: Invalid value: 0: replicas in body should be greater than or equal to 1',
      ],
      [
        { replicas: 11 },
        'spec.config.replicas: Invalid value: 11: replicas in body should be less than or equal to 10',
      ],
      [
        { replicas: 'x' },
        'spec.config.replicas: Invalid value: "string": replicas in body must be of type integer: "string"',
      ],
      [{ mode: 'c' }, 'spec.config.mode: Unsupported value: "c": supported values: "a", "b"'],
      [{ name: 'A1' }, 'spec.config.name: Invalid value: "A1": name in body should match \'^[a-z]+$\''],
      [{ name: 'a' }, 'spec.config.name: Invalid value: "a": name in body should be at least 2 chars long'],
      [{ name: 'abcdef' }, 'spec.config.name: Too long: may not be more than 5 bytes'],
      [{ tags: [] }, 'spec.config.tags: Invalid value: 0: tags in body should have at least 1 items'],
      [{ tags: ['a', 'b', 'c'] }, 'spec.config.tags: Too many: 3: must have at most 2 items'],
      [
        { tags: [1] },
        'spec.config.tags[0]: Invalid value: "integer": tags[0] in body must be of type string: "integer"',
      ],
      [
        { nested: { level: 7 } },
        'spec.config.nested.level: Invalid value: 7: nested.level in body should be a multiple of 5',
      ],
      [
        { port: true },
        'spec.config.port: Invalid value: "boolean": port in body must be of type integer,string: "boolean"',
      ],
      [{ even: 3 }, 'spec.config.even: Invalid value: 3: must be even'],
    ];
    for (const [config, message] of cases) {
      expect(errorsOf({ testStubImage: 'x', ...(config as object) }), message).toEqual([message]);
    }
  });

  it('accepts int-or-string both ways', () => {
    expect(errorsOf({ testStubImage: 'x', port: 80 })).toEqual([]);
    expect(errorsOf({ testStubImage: 'x', port: 'http' })).toEqual([]);
  });

  it('aggregates several errors like Kubernetes', () => {
    const errors = errorsOf({ replicas: 0 });
    expect(errors).toHaveLength(2);
    expect(aggregate(errors)).toBe(
      '[spec.config.replicas: Invalid value: 0: replicas in body should be greater than or equal to 1, spec.config.testStubImage: Required value]',
    );
  });

  it('uses the given path prefix (template test cases)', () => {
    expect(admitConfig(schema, {}, 'test.template[0].context.config').errors).toEqual([
      'test.template[0].context.config.testStubImage: Required value',
    ]);
  });

  it('does not mutate its input', () => {
    const input = { testStubImage: 'x' };
    admitConfig(schema, input);
    expect(input).toEqual({ testStubImage: 'x' });
  });
});

describe('validateStructuralSchema', () => {
  it('accepts a structural schema', () => {
    expect(validateStructuralSchema(schema)).toEqual([]);
  });

  it('names untyped nodes and properties beside additionalProperties', () => {
    expect(
      validateStructuralSchema({
        type: 'object',
        properties: {
          a: { description: 'no type' },
          b: {
            type: 'object',
            properties: { c: { type: 'string' } },
            additionalProperties: { type: 'string' },
          },
        },
      }),
    ).toEqual([
      'spec.config.openAPIV3Schema.properties[a].type: Required value: must not be empty for specified object fields',
      'spec.config.openAPIV3Schema.properties[b].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
    ]);
  });

  it('reports a schema ajv cannot compile', () => {
    expect(
      validateStructuralSchema({ type: 'object', properties: { a: { type: 'string', minLength: 'x' } } })[0],
    ).toMatch(/^spec\.config\.openAPIV3Schema: Invalid value: "object": schema is invalid/);
  });
});
