/**
 * YAML as go-yaml behind sigs.k8s.io/yaml (PKO v1.19.0's object decoder) reads it. Each expectation was observed
 * by quoting the document in PKO's `Object 'Kind' is missing in '<json>'` error.
 */
import { describe, expect, it } from 'vitest';
import { fileMapFromText } from './files.js';
import { parseObjects } from './objects.js';
import { formatViolation } from './violation.js';
import { stringify } from 'yaml';
import { goJson, goTags, parseYaml } from './yaml.js';

function value(text: string): unknown {
  const parsed = parseYaml(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

describe('parseYaml reads YAML as go-yaml does', () => {
  const scalars: [string, unknown][] = [
    ['yes', true],
    ['On', true],
    ['y', true],
    ['NO', false],
    ['0777', 511],
    ['0o17', 15],
    ['0x1F', 31],
    ['1_000', 1000],
    ['1:20', '1:20'],
    ['1.0e+3', 1000],
    ['.', '.'],
    ['-.', '-.'],
    ['.5', 0.5],
    ['2.', 2],
    ['Null', null],
    ['2001-12-14t21:59:43.10-05:00', '2001-12-14t21:59:43.10-05:00'],
    ['2002-12-14', '2002-12-14'],
    ['!!binary aGVsbG8=', 'hello'],
    ['!!str 123', '123'],
  ];
  for (const [text, expected] of scalars) {
    it(`reads ${text} as ${JSON.stringify(expected)}`, () => {
      expect(value(`v: ${text}\n`)).toEqual({ v: expected });
    });
  }

  it('writes `.` plain, as go-yaml does (managedFields `.: {}`), and reads it back as a string', () => {
    const text = stringify(
      { 'f:data': { '.': {}, 'f:a': {} }, v: '.', num: 1.5, s: '1.5', b: 'yes' },
      { version: '1.1', customTags: goTags },
    );
    expect(text).toBe('f:data:\n  .: {}\n  f:a: {}\nv: .\nnum: 1.5\ns: "1.5"\nb: "yes"\n');
    expect(value(text)).toEqual({ 'f:data': { '.': {}, 'f:a': {} }, v: '.', num: 1.5, s: '1.5', b: 'yes' });
  });

  it('keeps the last value of a repeated key', () => {
    expect(value('a: {x: 1}\nb: 2\na: {y: 3}\n')).toEqual({ a: { true: 3 }, b: 2 });
  });

  it('merges <<', () => {
    expect(value('base: &b {x: 1}\nm:\n  <<: *b\n  z: 2\n')).toEqual({ base: { x: 1 }, m: { x: 1, z: 2 } });
  });

  it('quotes a document as encoding/json does', () => {
    expect(goJson(value('b: "<&>"\na: [1, ~, 1.5e3]\n'))).toBe(
      '{"a":[1,null,1500],"b":"\\u003c\\u0026\\u003e"}',
    );
  });
});

describe('parseObjects refuses what sigs.k8s.io/yaml refuses', () => {
  it('an infinite number', () => {
    const doc = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: -.inf}\n';
    expect(parseObjects(fileMapFromText({ 'a.yaml': doc })).violations).toEqual([
      {
        reason: 'Invalid YAML',
        path: 'a.yaml',
        index: 0,
        details: 'error converting YAML to JSON: json: unsupported value: -Inf',
        subject: doc.trimEnd(),
      },
    ]);
  });

  it('passes over a document of comments only', () => {
    expect(parseObjects(fileMapFromText({ 'a.yaml': '# nothing\n' }))).toEqual({
      objects: [],
      violations: [],
    });
  });
});

describe('parseYaml on large and broken documents', () => {
  it('loads a valid 150,000-item list in an object (no call stack overflow in the depth check)', () => {
    const text = `items:\n${'  - 1\n'.repeat(150_000)}`;
    const result = parseYaml(text);
    expect(result.ok).toBe(true);
    expect(result.ok && result.value).toEqual({ items: Array.from({ length: 150_000 }, () => 1) });
  });

  it('still refuses a document nested deeper than the limit', () => {
    const text = `${'['.repeat(130)}${']'.repeat(130)}`;
    expect(parseYaml(text)).toEqual({ ok: false, error: 'document nests deeper than 128 levels' });
  });

  it('reports the line of a syntax error', () => {
    expect(parseYaml('a: 1\nb: [unclosed\nc: 2\n')).toMatchObject({ ok: false, line: 3 });
  });

  it('quotes at most a few lines around the failing position, not the whole document', () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `key${i}: value`);
    lines[2_500] = 'key2500: [unclosed';
    const text = `kind: ConfigMap\n${lines.join('\n')}\n`;
    const { violations } = parseObjects(new Map([['big.yaml', new TextEncoder().encode(text)]]));
    expect(violations.map((v) => formatViolation(v))).toEqual([
      'Invalid YAML in big.yaml idx 0: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2503, column 1\n' +
        '…\nkey2499: value\nkey2500: [unclosed\nkey2501: value\nkey2502: value\nkey2503: value\n…',
    ]);
  });

  it('quotes a long valid document that is not an object by its first lines only', () => {
    const text = `# a list\n${Array.from({ length: 1000 }, (_, i) => `- item${i}`).join('\n')}`;
    const { violations } = parseObjects(new Map([['list.yaml', new TextEncoder().encode(text)]]));
    expect(violations.map((v) => formatViolation(v))).toEqual([
      'Invalid YAML in list.yaml idx 0: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}\n# a list\n- item0\n- item1\n- item2\n- item3\n…',
    ]);
  });
});
