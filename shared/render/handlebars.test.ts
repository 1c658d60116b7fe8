import { describe, expect, it } from 'vitest';
import { TemplateError } from './errors.js';
import { partialName, renderHandlebars } from './handlebars.js';

const context = {
  package: {
    metadata: { name: 'web', namespace: 'apps', labels: {}, annotations: {} },
    image: 'quay.io/x/pkg:v1',
  },
  config: {
    replicas: 2,
    html: '<b>&"\'',
    env: [{ name: 'A', value: 'b' }],
    flag: false,
    tags: ['x', 'y'],
    multi: 'a\nb',
  },
  images: { app: 'quay.io/x/app@sha256:abc' },
  environment: { kubernetes: { version: 'v1.37.0' } },
};

function render(source: string, partials: Record<string, string> = {}): string | undefined {
  const templates = new Map([['a.yaml.hbs', source], ...Object.entries(partials)]);
  return renderHandlebars({ templates, execute: ['a.yaml.hbs'], context }).get('a.yaml.hbs');
}

function failure(source: string, partials: Record<string, string> = {}): TemplateError {
  try {
    render(source, partials);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error(`expected ${source} to fail`);
}

describe('renderHandlebars: rendering', () => {
  it('renders a Deployment with the package context, HTML not escaped', () => {
    const out = render(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: {{package.metadata.name}}',
        '  namespace: {{package.metadata.namespace}}',
        '  annotations:',
        '    note: {{config.html}}',
        'spec:',
        '  replicas: {{config.replicas}}',
        '  template:',
        '    spec:',
        '      containers:',
        '      - name: app',
        '        image: {{quote images.app}}',
        '        env:{{nindent 8 (toYAML config.env)}}',
        '',
      ].join('\n'),
    );
    expect(out).toBe(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        '  namespace: apps',
        '  annotations:',
        '    note: <b>&"\'',
        'spec:',
        '  replicas: 2',
        '  template:',
        '    spec:',
        '      containers:',
        '      - name: app',
        '        image: "quay.io/x/app@sha256:abc"',
        '        env:',
        '        - name: A',
        '          value: b',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [
      '{{toJson config.tags}}|{{toPrettyJson package.metadata.labels}}|{{toYAML config.tags}}',
      '["x","y"]|{}|- x\n- y',
    ],
    [
      '{{quote "a" 1}}|{{squote "a"}}|{{indent 2 config.multi}}|{{nindent 2 "x"}}',
      '"a" "1"|\'a\'|  a\n  b|\n  x',
    ],
    [
      '{{default "d" ""}}|{{default "d" "v"}}|{{default "d" (lookup config "missing")}}|{{default 3 config.flag}}',
      'd|v|d|3',
    ],
    [
      '{{b64enc "hello"}}|{{b64dec "aGVsbG8="}}|{{upper "a"}}|{{lower "B"}}|{{trim "  c  "}}',
      'aGVsbG8=|hello|A|b|c',
    ],
    ['{{trimPrefix "v" "v1.2"}}|{{trimSuffix ".yaml" "a.yaml"}}|{{replace "a" "b" "aaa"}}', '1.2|a|bbb'],
    [
      '{{contains "ell" "hello"}}|{{hasPrefix "he" "hello"}}|{{hasSuffix "lo" "hello"}}|{{join "," config.tags}}',
      'true|true|true|x,y',
    ],
    [
      '{{#if (eq config.replicas 2)}}two{{/if}}|{{ne 1 2}}|{{not config.flag}}|{{and 1 "x"}}|{{or 0 ""}}',
      'two|true|true|true|false',
    ],
    [
      '{{#each config.env}}{{name}}={{value}};{{/each}}|{{#with package.metadata}}{{name}}{{/with}}|{{#unless config.flag}}u{{/unless}}',
      'A=b;|web|u',
    ],
    ['{{lookup config "replicas"}}|{{#each config.tags}}{{@index}}{{this}}{{/each}}', '2|0x1y'],
  ])('helpers: %s', (source, expected) => {
    expect(render(source)).toBe(expected);
  });

  it('_*.hbs files are partials by static name, also through include (a string that can be indented)', () => {
    const partials = { '_labels.hbs': 'name: {{name}}\nns: {{namespace}}', 'sub/_x.hbs': 'X' };
    expect(
      render(
        '{{> labels package.metadata}}|{{indent 2 (include "labels" package.metadata)}}|{{> sub/x}}',
        partials,
      ),
    ).toBe('name: web\nns: apps|  name: web\n  ns: apps|X');
  });

  it('partialName', () => {
    expect(partialName('_labels.hbs')).toBe('labels');
    expect(partialName('sub/_x.hbs')).toBe('sub/x');
    expect(partialName('deploy.yaml.hbs')).toBeUndefined();
    expect(partialName('_h.gotmpl')).toBeUndefined();
  });

  it('executes several files and keeps their order', () => {
    const templates = new Map([
      ['b.yaml.hbs', 'b: {{package.metadata.name}}'],
      ['a.yaml.hbs', 'a: {{config.replicas}}'],
    ]);
    expect([...renderHandlebars({ templates, execute: ['b.yaml.hbs', 'a.yaml.hbs'], context })]).toEqual([
      ['b.yaml.hbs', 'b: web'],
      ['a.yaml.hbs', 'a: 2'],
    ]);
  });
});

describe('renderHandlebars: strict missing keys name the file', () => {
  it('a missing key', () => {
    expect(failure('a: 1\n  x: {{config.nope}}')).toMatchObject({
      message: 'template: a.yaml.hbs:2:8: map has no entry for key "nope"',
      path: 'a.yaml.hbs',
      phase: 'execute',
    });
  });

  it('a missing intermediate key names the first missing key', () => {
    expect(failure('a\nb\n  x: {{config.nope.deeper}}').message).toBe(
      'template: a.yaml.hbs:3:8: map has no entry for key "nope"',
    );
  });

  it('helper arguments are strict too; lookup reads optional values', () => {
    expect(failure('{{#if config.nope}}y{{/if}}').message).toBe(
      'template: a.yaml.hbs:1:7: map has no entry for key "nope"',
    );
    expect(render('{{#if (lookup config "nope")}}y{{else}}n{{/if}}')).toBe('n');
  });

  it('an error inside a partial names the partial file', () => {
    expect(failure('{{> p}}', { '_p.hbs': 'x\n{{config.missing}}' })).toMatchObject({
      message: 'template: _p.hbs:2:3: map has no entry for key "missing"',
      path: '_p.hbs',
    });
  });

  it('required and fail', () => {
    expect(failure('{{required "config.x is required" (lookup config "x")}}').message).toBe(
      'template: a.yaml.hbs: config.x is required',
    );
    expect(failure('{{fail "boom"}}').message).toBe('template: a.yaml.hbs: boom');
  });

  it('fields of non-objects', () => {
    expect(failure('{{config.html.length}}').message).toBe(
      "template: a.yaml.hbs: can't evaluate field length in a value that is not an object",
    );
  });

  it('syntax errors', () => {
    expect(failure('{{#if}}').message.startsWith('template: a.yaml.hbs: Parse error on line 1:')).toBe(true);
    expect(failure('{{#if}}').phase).toBe('parse');
  });
});

describe('renderHandlebars: hardening', () => {
  it.each([
    ['{{constructor.constructor}}', 'template: a.yaml.hbs:1:3: access to "constructor" is not allowed'],
    [
      '{{constructor.constructor "return process"}}',
      'template: a.yaml.hbs:1:1: function "constructor.constructor" not defined',
    ],
    [
      '{{#with config}}{{constructor}}{{/with}}',
      'template: a.yaml.hbs:1:19: access to "constructor" is not allowed',
    ],
    ['{{__proto__}}', 'template: a.yaml.hbs:1:3: access to "__proto__" is not allowed'],
    ['{{config.__proto__.polluted}}', 'template: a.yaml.hbs:1:3: access to "__proto__" is not allowed'],
    ['{{lookup config "__proto__"}}', 'template: a.yaml.hbs:1:1: access to "__proto__" is not allowed'],
    [
      '{{lookup (lookup config "x") "constructor"}}',
      'template: a.yaml.hbs:1:1: access to "constructor" is not allowed',
    ],
    ['{{config.__defineGetter__}}', 'template: a.yaml.hbs:1:3: access to "__defineGetter__" is not allowed'],
  ])('prototype access %s', (source, message) => {
    expect(failure(source)).toMatchObject({ message, phase: 'parse' });
  });

  it('prototype properties reached through a computed key stay undefined', () => {
    expect(render('[{{lookup config (trim " constructor ")}}]')).toBe('[]');
  });

  it.each([
    ['{{foo 1}}', 'template: a.yaml.hbs:1:1: function "foo" not defined'],
    ['{{log "x"}}', 'template: a.yaml.hbs:1:1: function "log" not defined'],
    ['{{upper (env "HOME")}}', 'template: a.yaml.hbs:1:9: function "env" not defined'],
    [
      '{{#each (blockHelperMissing)}}{{/each}}',
      'template: a.yaml.hbs:1:9: function "blockHelperMissing" not defined',
    ],
  ])('unknown helper %s', (source, message) => {
    expect(failure(source).message).toBe(message);
  });

  it.each([
    ['{{> (lookup . "x")}}', 'template: a.yaml.hbs:1:1: dynamic partials are not allowed'],
    ['{{#> layout}}x{{/layout}}', 'template: a.yaml.hbs:1:1: partial blocks are not allowed'],
    [
      '{{#*inline "x"}}y{{/inline}}',
      'template: a.yaml.hbs:1:1: decorators and inline partials are not allowed',
    ],
    ['{{> nope}}', 'template: a.yaml.hbs:1:1: partial "nope" not found (partials are the _*.hbs files)'],
    ['{{include (upper "x")}}', 'template: a.yaml.hbs:1:1: include needs the static name of a partial'],
  ])('partials: %s', (source, message) => {
    expect(failure(source, { '_layout.hbs': 'L' }).message).toBe(message);
  });

  it('refuses recursion between partials', () => {
    expect(failure('{{> a}}', { '_a.hbs': '{{> b}}', '_b.hbs': '{{include "a" this}}' }).message).toBe(
      'template: a.yaml.hbs: partial recursion: _a.hbs -> _b.hbs -> _a.hbs',
    );
    expect(failure('x', { '_self.hbs': '{{> self}}' }).message).toBe(
      'template: _self.hbs: partial recursion: _self.hbs -> _self.hbs',
    );
  });

  it('does not pollute Object.prototype', () => {
    render('{{#with config}}{{#each tags}}{{this}}{{/each}}{{/with}}');
    expect(Reflect.get({}, 'polluted')).toBeUndefined();
  });
});
