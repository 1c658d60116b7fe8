/**
 * The go-yaml emitter against text PKO v1.19.0's kickstart wrote for the same values (sigs.k8s.io/yaml).
 */
import { describe, expect, it } from 'vitest';
import { goKeyLess, goYaml } from './go-yaml.js';
import { goFloat, readsAsString } from './go-yaml-scalar.js';

describe('goYaml', () => {
  it('quotes, folds and orders as sigs.k8s.io/yaml does', () => {
    const data = {
      '1': 'x',
      A1: 'x',
      a10: 'x',
      a9: 'x',
      amp: '&x',
      colon: 'a: b',
      comma: 'a,b',
      crlf: 'a\r\nb',
      ctl: 'a\u0001b',
      dash: '-',
      dot: '.',
      dq: 'say "hi"',
      empty: '',
      float: '1e3',
      hash: 'a #b',
      inf: '.inf',
      lead: ' x',
      long: 'aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr',
      longsingle: '- aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp',
      multi: 'line1\nline2\n',
      multilead: '  line1\nline2\n',
      multinoend: 'line1\nline2',
      multitrail: 'line1  \nline2',
      nlonly: '\n',
      num: '012',
      q: "it's",
      qmark: '?x',
      sexa: '1:20',
      tab: 'a\tb',
      tilde: '~',
      trail: 'x ',
      ts: '2001-12-14',
      uni: 'héllo ✓',
      url: 'http://x.y/z?a=b#c',
      yes: 'y',
    };
    expect(goYaml({ data, spec: { big: 12345678901234567000, e: 1e21, f: 1.5, small: 0.000001, n: null } }))
      .toBe(`data:
  "1": x
  A1: x
  a9: x
  a10: x
  amp: '&x'
  colon: 'a: b'
  comma: a,b
  crlf: "a\\r\\nb"
  ctl: "a\\x01b"
  dash: '-'
  dot: .
  dq: say "hi"
  empty: ""
  float: "1e3"
  hash: 'a #b'
  inf: ".inf"
  lead: ' x'
  long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo
    pppp qqqq rrrr
  longsingle: '- aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm
    nnnn oooo pppp'
  multi: |
    line1
    line2
  multilead: |2
      line1
    line2
  multinoend: |-
    line1
    line2
  multitrail: "line1  \\nline2"
  nlonly: |2+

  num: "012"
  q: it's
  qmark: ?x
  sexa: "1:20"
  tab: "a\\tb"
  tilde: "~"
  trail: 'x '
  ts: "2001-12-14"
  uni: héllo ✓
  url: http://x.y/z?a=b#c
  "yes": "y"
spec:
  big: 12345678901234567000
  e: 1e+21
  f: 1.5
  "n": null
  small: 1e-06
`);
  });

  it('writes block lists below their key, nested lists inline, and empty collections in flow style', () => {
    expect(goYaml({ nested: [[1, 2], [], {}, { a: 1, b: [true] }], m: {} })).toBe(`m: {}
nested:
- - 1
  - 2
- []
- {}
- a: 1
  b:
  - true
`);
  });
});

describe('go-yaml scalar rules', () => {
  it('knows which strings read back as something else', () => {
    expect(['yes', 'Off', '0x1F', '1_000', '+1', '.5', '2024-02-30', ''].map(readsAsString)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['yess', '1.2.3', '-', '.', 'v1', '2024-13-01'].map(readsAsString)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it("formats floats as Go's %g (shortest)", () => {
    expect([1234567.5, 123456.5, 0.0001, 0.00001, NaN, -Infinity].map(goFloat)).toEqual([
      '1.2345675e+06',
      '123456.5',
      '0.0001',
      '1e-05',
      '.nan',
      '-.inf',
    ]);
  });

  it('orders keys as go-yaml (checked against PKO): letters last, digit runs as numbers', () => {
    const keys = ['b', 'a10', '_x', 'a9', 'B', '10', '9', 'a', 'a09'];
    expect(keys.sort((x, y) => (goKeyLess(x, y) ? -1 : goKeyLess(y, x) ? 1 : 0))).toEqual([
      '_x',
      '9',
      '10',
      'B',
      'a',
      'a9',
      'a09',
      'a10',
      'b',
    ]);
  });
});
