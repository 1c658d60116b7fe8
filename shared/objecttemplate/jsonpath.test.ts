import { describe, expect, it } from 'vitest';
import { evaluateKey, relaxedFieldSpec, setDestination, toRfc9535 } from './jsonpath.js';

const source = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'cfg',
    annotations: { 'kubernetes.io/change-cause': 'because', 'a.b': 'dotted' },
  },
  data: { host: 'db.local', port: 5432, 'some.thing': '123', 'with-dash': 'd', ratio: 0.5 },
  items: [
    { name: 'a', value: 1, on: true },
    { name: 'b', value: 2, on: false },
    { name: 'c', value: 3, on: true },
  ],
};

describe('kubectl relaxed JSONPath (PKO RelaxedJSONPathExpression)', () => {
  it.each([
    ['a.b', '.a.b'],
    ['.a.b', '.a.b'],
    ['{a.b}', '.a.b'],
    ['{.a.b}', '.a.b'],
  ])('%s → %s', (key, spec) => {
    expect(relaxedFieldSpec(key)).toEqual({ ok: true, value: spec });
  });

  it.each(['{.a}{.b}', '{.a', 'a}', '{}', ''])('refuses %j with PKO message', (key) => {
    expect(relaxedFieldSpec(key)).toEqual({
      ok: false,
      error: "path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
    });
  });
});

describe('translation to RFC 9535', () => {
  it.each([
    ['.data.host', "['data']['host']"],
    ['.data.with-dash', "['data']['with-dash']"],
    [
      '.metadata.annotations.kubernetes\\.io/change-cause',
      "['metadata']['annotations']['kubernetes.io/change-cause']",
    ],
    [".data['some\\.thing']", "['data']['some.thing']"],
    ['.data["x\'y"]', "['data']['x\\'y']"],
    ['.items[0].name', "['items'][0]['name']"],
    ['.items[-1]', "['items'][-1]"],
    ['.items[0:2]', "['items'][0:2]"],
    ['.items[*].name', "['items'][*]['name']"],
    ['.items.*', "['items'][*]"],
    ['..name', "..['name']"],
    ['.items[?(@.name=="b")].value', "['items'][?(@['name']==\"b\")]['value']"],
    ['.items[?(@.value > 1 && @.on)].name', "['items'][?(@['value'] > 1 && @['on'])]['name']"],
    [".data['a','b']", "['data']['a','b']"],
  ])('%s → $%s', (spec, rfc) => {
    const r = toRfc9535(spec);
    expect(r.ok && r.value.rfc).toBe(rfc);
  });

  it.each([
    ['.items[', 'unclosed "[" at position 7'],
    ['.items[abc]', 'invalid subscript [abc]'],
    ['.a..', 'unexpected end of path'],
    ['.a)', 'unexpected ")" at position 3'],
  ])('refuses %s: %s', (spec, error) => {
    expect(toRfc9535(spec)).toEqual({ ok: false, error });
  });
});

describe('evaluating a key against a source object', () => {
  it.each([
    ['data.host', 'db.local'],
    ['.data.host', 'db.local'],
    ['{data.host}', 'db.local'],
    ['{.data.host}', 'db.local'],
    ['.data.port', 5432],
    ['.data.ratio', 0.5],
    [".data['some\\.thing']", '123'],
    ['.metadata.annotations.kubernetes\\.io/change-cause', 'because'],
    ['.items[1].value', 2],
    ['.items[-1].name', 'c'],
    ['.items[*].name', ['a', 'b', 'c']],
    ['..value', [1, 2, 3]],
    ['.items[?(@.name=="b")].value', 2],
    ['.items[?(@.on==true)].name', ['a', 'c']],
    ['.items[?(@.value > 5)].name', []],
    ['.items[0]', { name: 'a', value: 1, on: true }],
    ['.data', source.data],
  ])('%s', (key, value) => {
    expect(evaluateKey(source, key)).toEqual({ ok: true, value });
  });

  it.each([
    ['.data.nope', 'nope is not found'],
    ['.spec.x', 'spec is not found'],
    ['.items[7].name', 'array index out of bounds: index 7, length 3'],
    [
      '{.a}{.b}',
      "path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
    ],
    ['.data[', 'invalid JSONPath ".data[": unclosed "[" at position 6'],
  ])('%s fails: %s', (key, error) => {
    expect(evaluateKey(source, key)).toEqual({ ok: false, error });
  });

  it('a key longer than the limit is refused unparsed', () => {
    expect(evaluateKey(source, `.${'['.repeat(2000)}`)).toEqual({
      ok: false,
      error: 'JSONPath is 2001 characters; the limit is 1024',
    });
  });

  it('refuses function calls in filters: not kubectl syntax, and match() backtracks exponentially', () => {
    expect(evaluateKey(source, '{.items[?(match(@["name"],"(a+)+$"))].name}')).toEqual({
      ok: false,
      error: `invalid JSONPath "{.items[?(match(@[\\"name\\"],\\"(a+)+$\\"))].name}": function match() is not part of kubectl's JSONPath`,
    });
    expect(evaluateKey({ items: [{ k: 'f(x)', v: 1 }] }, '{.items[?(@.k=="f(x)")].v}')).toEqual({
      ok: true,
      value: 1,
    });
  });

  it('a filter RFC 9535 refuses is reported with the key as written', () => {
    const r = evaluateKey(source, '.items[?(@.name=)]');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.startsWith('invalid JSONPath ".items[?(@.name=)]": ')).toBe(true);
  });
});

describe('destination', () => {
  it('sets nested fields under .config, creating maps', () => {
    const config: Record<string, unknown> = { a: { keep: 1 } };
    expect(setDestination(config, '.a.b.c', 5)).toEqual({ ok: true, value: undefined });
    expect(setDestination(config, '.top', 'x')).toEqual({ ok: true, value: undefined });
    expect(config).toEqual({ a: { keep: 1, b: { c: 5 } }, top: 'x' });
  });

  it('needs a leading dot (PKO message)', () => {
    expect(setDestination({}, 'banana', 1)).toEqual({
      ok: false,
      error: 'path banana must be a JSONPath with a leading dot',
    });
    expect(setDestination({}, '', 1)).toEqual({
      ok: false,
      error: 'path  must be a JSONPath with a leading dot',
    });
  });

  it('refuses to set inside a value that is not a map', () => {
    expect(setDestination({ a: 'text' }, '.a.b', 1)).toEqual({
      ok: false,
      error: 'setting nested field at .a.b: value cannot be set because .a is not a map[string]interface{}',
    });
  });
});
