import { describe, expect, it } from 'vitest';
import { parseObjects } from './objects.js';
import { formatViolation } from './violation.js';
import { parseYaml } from './yaml.js';

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
      'Invalid YAML in list.yaml idx 0: Object is not a map\n# a list\n- item0\n- item1\n- item2\n- item3\n…',
    ]);
  });
});
