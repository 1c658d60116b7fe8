// The Go template engine through its WASM build: Go's own text/template + PKO's sprig allow-list and extras.
// The first run builds the module with the machine's Go toolchain (cached outside the repo; seconds when the Go
// build cache is warm), later runs reuse it.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../shared/errors.js';
import { fileMapFromText } from '../../../shared/packages/files.js';
import type { GoTemplateRequest, TemplateFunctionSet } from '../../../shared/ports.js';
import { TemplateEngineError, TemplateError } from '../../../shared/render/errors.js';
import { createGoTemplateEngine } from './index.js';

const engine = createGoTemplateEngine();

beforeAll(async () => {
  await engine.warmUp();
}, 600_000);

const files = fileMapFromText({
  'manifest.yaml': 'kind: PackageManifest',
  'files/a.txt': 'A',
  'files/sub/b.txt': 'B',
  'files/c.json': '{"x":1}',
  'top.txt': 'TOP',
});

interface RenderOpts {
  readonly context?: unknown;
  readonly functionSet?: TemplateFunctionSet;
  readonly helpers?: Record<string, string>;
  readonly cel?: (expression: string) => boolean;
}

function request(source: string, opts: RenderOpts = {}): GoTemplateRequest {
  return {
    templates: new Map([['a.yaml.gotmpl', source], ...Object.entries(opts.helpers ?? {})]),
    execute: ['a.yaml.gotmpl'],
    context: opts.context ?? {},
    files,
    functionSet: opts.functionSet ?? 'package',
    ...(opts.cel ? { cel: opts.cel } : {}),
  };
}

async function render(source: string, opts: RenderOpts = {}): Promise<string | undefined> {
  return (await engine.render(request(source, opts))).get('a.yaml.gotmpl');
}

async function renderError(source: string, opts: RenderOpts = {}): Promise<TemplateError> {
  try {
    await render(source, opts);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error(`expected ${source} to fail`);
}

const pkgContext = {
  package: { metadata: { name: 'web', namespace: 'apps' }, image: 'quay.io/x/pkg:v1' },
  config: { replicas: 3, ratio: 1.5, env: [{ name: 'A', value: 'b' }] },
  images: { app: 'quay.io/x/app@sha256:abc' },
  environment: { kubernetes: { version: 'v1.37.0' } },
};

describe('Go template engine: rendering', () => {
  it('renders a Deployment with the package context, labels/annotations defaulted to {}', async () => {
    const out = await render(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: {{ .package.metadata.name }}',
        '  namespace: {{ .package.metadata.namespace }}',
        '  labels: {{ .package.metadata.labels | toJson }}',
        '  annotations: {{ .package.metadata.annotations | toJson }}',
        'spec:',
        '  replicas: {{ .config.replicas }}',
        '  template:',
        '    spec:',
        '      containers:',
        '      - name: app',
        '        image: {{ .images.app | quote }}',
        '        env: {{- toYAML .config.env | nindent 8 }}',
        '',
      ].join('\n'),
      { context: pkgContext },
    );
    expect(out).toBe(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        '  namespace: apps',
        '  labels: {}',
        '  annotations: {}',
        'spec:',
        '  replicas: 3',
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

  it('sees the context as a JSON round trip (numbers are float64, the root is map[string]interface {})', async () => {
    const out = await render('{{ .a }} {{ .b }} {{ .c }} {{ printf "%T %T" . .a }}', {
      context: { a: 3, b: 1.5, c: 1e21 },
    });
    expect(out).toBe('3 1.5 1e+21 map[string]interface {} float64');
  });

  it.each([
    // strings
    [
      '{{ "  hi  " | trim | upper }}|{{ "HeLLo" | lower }}|{{ "hello world" | title }}',
      'HI|hello|Hello World',
    ],
    ['{{ abbrev 5 "hello world" }}|{{ trunc 3 "abcdef" }}|{{ substr 1 3 "abcdef" }}', 'he...|abc|bc'],
    ['{{ "ab" | repeat 3 }}|{{ trimAll "$" "$5$" }}|{{ trimSuffix ".yaml" "a.yaml" }}', 'ababab|5|a'],
    ['{{ nospace "a b c" }}|{{ initials "Gantry Package Operator" }}|{{ swapcase "aB" }}', 'abc|GPO|Ab'],
    ['{{ snakecase "FooBar" }}|{{ camelcase "foo_bar" }}|{{ kebabcase "FooBar" }}', 'foo_bar|FooBar|foo-bar'],
    [
      '{{ contains "ell" "hello" }}|{{ hasPrefix "he" "hello" }}|{{ hasSuffix "lo" "hello" }}',
      'true|true|true',
    ],
    [
      '{{ quote "a" 1 }}|{{ squote "a" }}|{{ cat "a" "b" 3 }}|{{ replace "a" "b" "aaa" }}',
      '"a" "1"|\'a\'|a b 3|bbb',
    ],
    ['{{ "a\\nb" | indent 2 }}|{{ "x" | nindent 2 }}', '  a\n  b|\n  x'],
    [
      '{{ plural "one" "many" 2 }}|{{ wrapWith 5 "\\n" "hello world" }}|{{ untitle "Hello" }}',
      'many|hello\nworld|hello',
    ],
    [
      '{{ sha1sum "a" }}|{{ adler32sum "a" }}|{{ toString 12 }}',
      '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8|6422626|12',
    ],
    ['{{ sha256sum "a" }}', 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'],
    // conversions
    [
      '{{ atoi "42" }}|{{ int64 "7" }}|{{ int 3.9 }}|{{ float64 "1.5" }}|{{ seq 3 }}|{{ toDecimal "0777" }}',
      '42|7|3|1.5|1 2 3|511',
    ],
    // split
    [
      '{{ splitList "," "a,b" }}|{{ (split "," "a,b")._1 }}|{{ (splitn "," 2 "a,b,c")._1 }}|{{ toStrings (list 1 2) }}',
      '[a b]|b|b,c|[1 2]',
    ],
    // until
    ['{{ until 3 }}|{{ untilStep 0 10 4 }}', '[0 1 2]|[0 4 8]'],
    // math
    [
      '{{ add1 1 }}|{{ add 1 2 3 }}|{{ sub 5 2 }}|{{ div 7 2 }}|{{ mod 7 2 }}|{{ mul 2 3 4 }}',
      '2|6|3|3|1|24',
    ],
    [
      '{{ add1f 1.5 }}|{{ addf 1.5 1 }}|{{ subf 3 1.5 }}|{{ divf 3 2 }}|{{ mulf 1.5 2 }}',
      '2.5|2.5|1.5|1.5|3',
    ],
    [
      '{{ max 1 5 3 }}|{{ biggest 2 9 }}|{{ min 4 2 }}|{{ maxf 1.5 2.5 }}|{{ minf 1.5 2.5 }}',
      '5|9|2|2.5|1.5',
    ],
    ['{{ ceil 1.2 }}|{{ floor 1.8 }}|{{ round 1.2345 2 }}', '2|1|1.23'],
    // join and sort
    ['{{ join "-" (list "b" "a") }}|{{ sortAlpha (list "b" "a") }}', 'b-a|[a b]'],
    // defaults and JSON
    [
      '{{ "" | default "d" }}|{{ empty "" }}|{{ coalesce "" "x" }}|{{ all 1 "a" }}|{{ any "" 0 "z" }}',
      'd|true|x|true|true',
    ],
    [
      '{{ compact (list "a" "" "b") }}|{{ mustCompact (list "" "c") }}|{{ ternary "y" "n" true }}',
      '[a b]|[c]|y',
    ],
    [
      '{{ (fromJson "{\\"a\\":1}").a }}|{{ dict "b" 2 | toJson }}|{{ toRawJson (list "<") }}',
      '1|{"b":2}|["<"]',
    ],
    ['{{ dict "a" 1 | toPrettyJson }}|{{ (mustFromJson "[1]") | mustToJson }}', '{\n  "a": 1\n}|[1]'],
    [
      '{{ mustToPrettyJson (list) }}|{{ mustToRawJson "&" }}|{{ deepCopy (list 1) }}|{{ mustDeepCopy "x" }}',
      '[]|"&"|[1]|x',
    ],
    // reflection
    [
      '{{ typeOf 1 }}|{{ typeIs "string" "a" }}|{{ typeIsLike "int" 1 }}|{{ kindOf (list) }}|{{ kindIs "map" (dict) }}|{{ deepEqual 1 1 }}',
      'int|true|true|slice|true|true',
    ],
    // paths
    [
      '{{ base "a/b.yaml" }}|{{ dir "a/b.yaml" }}|{{ clean "a//b/../c" }}|{{ ext "a/b.yaml" }}|{{ isAbs "/a" }}',
      'b.yaml|a|a/c|.yaml|true',
    ],
    // encoding
    [
      '{{ b64enc "hello" }}|{{ b64dec "aGVsbG8=" }}|{{ b32enc "hi" }}|{{ b32dec "NBUQ====" }}',
      'aGVsbG8=|hello|NBUQ====|hi',
    ],
    // dicts
    [
      '{{ $d := dict "a" 1 "b" 2 }}{{ get $d "a" }}|{{ hasKey $d "b" }}|{{ keys $d | sortAlpha }}|{{ values (dict "x" 9) }}',
      '1|true|[a b]|[9]',
    ],
    ['{{ $d := dict "a" 1 }}{{ $_ := set $d "c" 3 }}{{ $_ := unset $d "a" }}{{ $d | toJson }}', '{"c":3}'],
    [
      '{{ pick (dict "a" 1 "b" 2) "a" | toJson }}|{{ omit (dict "a" 1 "b" 2) "a" | toJson }}|{{ pluck "a" (dict "a" 1) (dict "a" 2) }}',
      '{"a":1}|{"b":2}|[1 2]',
    ],
    [
      '{{ merge (dict "a" 1) (dict "a" 2 "b" 3) | toJson }}|{{ mergeOverwrite (dict "a" 1) (dict "a" 2) | toJson }}',
      '{"a":1,"b":3}|{"a":2}',
    ],
    [
      '{{ mustMerge (dict) (dict "x" 1) | toJson }}|{{ mustMergeOverwrite (dict "x" 1) (dict "x" 2) | toJson }}',
      '{"x":1}|{"x":2}',
    ],
    [
      '{{ dig "a" "b" "none" (dict "a" (dict "b" "found")) }}|{{ dig "a" "z" "none" (dict "a" (dict)) }}',
      'found|none',
    ],
    // lists
    [
      '{{ tuple 1 2 }}|{{ append (list 1) 2 }}|{{ push (list 1) 2 }}|{{ prepend (list 2) 1 }}|{{ concat (list 1) (list 2) }}',
      '[1 2]|[1 2]|[1 2]|[1 2]|[1 2]',
    ],
    ['{{ mustAppend (list) 1 }}|{{ mustPush (list) 2 }}|{{ mustPrepend (list 2) 1 }}', '[1]|[2]|[1 2]'],
    [
      '{{ first (list 1 2 3) }}|{{ rest (list 1 2 3) }}|{{ last (list 1 2 3) }}|{{ initial (list 1 2 3) }}|{{ reverse (list 1 2) }}',
      '1|[2 3]|3|[1 2]|[2 1]',
    ],
    [
      '{{ mustFirst (list 1) }}|{{ mustRest (list 1 2) }}|{{ mustLast (list 1 2) }}|{{ mustInitial (list 1 2) }}|{{ mustReverse (list 1 2) }}',
      '1|[2]|2|[1]|[2 1]',
    ],
    [
      '{{ uniq (list 1 1 2) }}|{{ without (list 1 2 3) 2 }}|{{ has 2 (list 1 2) }}|{{ slice (list 1 2 3) 1 }}',
      '[1 2]|[1 3]|true|[2 3]',
    ],
    [
      '{{ mustUniq (list 1 1) }}|{{ mustWithout (list 1 2) 1 }}|{{ mustHas 1 (list 1) }}|{{ mustSlice (list 1 2 3) 0 2 }}',
      '[1]|[2]|true|[1 2]',
    ],
    ['{{ chunk 2 (list 1 2 3) }}|{{ mustChunk 1 (list 1 2) }}', '[[1 2] [3]]|[[1] [2]]'],
    // semver
    ['{{ semverCompare ">=1.2.0" "1.3.0" }}|{{ (semver "1.2.3").Minor }}', 'true|2'],
    // regex
    [
      '{{ regexMatch "^a+$" "aaa" }}|{{ regexFind "b+" "abbc" }}|{{ regexFindAll "a" "banana" -1 }}',
      'true|bb|[a a a]',
    ],
    [
      '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}|{{ regexReplaceAllLiteral "a" "aa" "$1" }}|{{ regexSplit "," "a,b" -1 }}',
      '-W-xxW-|$1$1|[a b]',
    ],
    [
      '{{ mustRegexMatch "x" "x" }}|{{ mustRegexFind "y" "xy" }}|{{ mustRegexFindAll "z" "zz" 1 }}|{{ mustRegexReplaceAll "a" "a" "b" }}',
      'true|y|[z]|b',
    ],
    [
      '{{ mustRegexReplaceAllLiteral "a" "a" "c" }}|{{ mustRegexSplit "," "a,b" 1 }}|{{ regexQuoteMeta "a.b" }}',
      'c|[a,b]|a\\.b',
    ],
    // urls
    [
      '{{ (urlParse "https://h.example:8443/p?q=1").host }}|{{ urlJoin (dict "scheme" "https" "host" "h" "path" "/x") }}',
      'h.example:8443|https://h/x',
    ],
    // hello
    ['{{ hello }}', 'Hello!'],
  ])('sprig allow-list: %s', async (source, expected) => {
    expect(await render(source)).toBe(expected);
  });

  it('the objectTemplate set has the sprig allow-list and include/toYAML/fromYAML/b64decMap', async () => {
    const out = await render(
      '{{ include "h" .config.x | upper }}|{{ .config | toYAML }}|{{ (fromYAML "a: 1").a }}|{{ (b64decMap (dict "k" "aGk=")).k }}',
      {
        functionSet: 'objectTemplate',
        context: { config: { x: 'v' } },
        helpers: { '_h.gotmpl': '{{ define "h" }}hi {{ . }}{{ end }}' },
      },
    );
    expect(out).toBe('HI V|x: v|1|hi');
  });
});

describe('Go template engine: PKO extras', () => {
  it('include returns a string that can be piped', async () => {
    expect(await render('{{- define "h" -}}{{ . }}{{- end -}}{{- include "h" "x" | upper -}}')).toBe('X');
  });

  it('toYAML has no trailing newline; fromYAML parses strings', async () => {
    const out = await render('{{ .config | toYAML }}|{{ ("a: [1, 2]" | fromYAML).a | toJson }}', {
      context: { config: { b: 1, a: [1, 'x'], c: { d: null } } },
    });
    expect(out).toBe('a:\n- 1\n- x\nb: 1\nc:\n  d: null|[1,2]');
  });

  it('fromYAML rejects other types', async () => {
    const error = await renderError('{{ fromYAML 1 }}');
    expect(error.message).toBe(
      'template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <fromYAML 1>: error calling fromYAML: fromYAML requires string or []byte as input: invalid type',
    );
  });

  it('b64decMap decodes string values and skips others', async () => {
    expect(await render('{{ dict "k" "aGVsbG8=" "n" 1 | b64decMap | toJson }}')).toBe('{"k":"hello"}');
    const error = await renderError('{{ dict "k" "!!" | b64decMap }}');
    expect(error.message).toBe(
      'template: a.yaml.gotmpl:1:19: executing "a.yaml.gotmpl" at <b64decMap>: error calling b64decMap: decode base64 value at key k: illegal base64 data at input byte 0',
    );
  });

  it('getFile reads package files; a missing file is "file not found"', async () => {
    expect(await render('{{ getFile "files/a.txt" }}{{ getFile "top.txt" }}')).toBe('ATOP');
    const error = await renderError('{{ getFile "nope.txt" }}');
    expect(error.message).toBe(
      'template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <getFile "nope.txt">: error calling getFile: file not found',
    );
  });

  it('getFileGlob matches with "/" as separator (gobwas/glob)', async () => {
    expect(await render('{{ getFileGlob "files/*" | toJson }}')).toBe(
      '{"files/a.txt":"A","files/c.json":"{\\"x\\":1}"}',
    );
    expect(await render('{{ getFileGlob "files/**.txt" | toJson }}')).toBe(
      '{"files/a.txt":"A","files/sub/b.txt":"B"}',
    );
    expect(await render('{{ getFileGlob "*.txt" | toJson }}')).toBe('{"top.txt":"TOP"}');
  });

  it('cel calls back into JS: true, false and an error', async () => {
    const cel = (expression: string): boolean => {
      if (expression === 'broken(') throw new Error('ERROR: <input>:1:8: Syntax error: missing expression');
      return expression === 'config.on';
    };
    expect(
      await render('{{ cel "config.on" }} {{ if cel "config.off" }}yes{{ else }}no{{ end }}', { cel }),
    ).toBe('true no');
    const error = await renderError('{{ cel "broken(" }}', { cel });
    expect(error.message).toBe(
      'template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <cel "broken(">: error calling cel: ERROR: <input>:1:8: Syntax error: missing expression',
    );
  });

  it("include recursion deeper than 1000 fails with PKO's error", async () => {
    const error = await renderError(
      '{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}',
    );
    expect(error.phase).toBe('execute');
    expect(
      error.message.startsWith(
        'template: a.yaml.gotmpl:1:53: executing "a.yaml.gotmpl" at <include "loop" .>: error calling include: ',
      ),
    ).toBe(true);
    expect(
      error.message.endsWith(
        'error calling include: including template with name loop: exceeded max include recursion depth',
      ),
    ).toBe(true);
  });
});

describe('Go template engine: template sets', () => {
  it('parses every template into one set: define in a helper, used from another file', async () => {
    const out = await engine.render({
      templates: new Map([
        ['_helpers.gotmpl', '{{ define "app.name" }}{{ .package.metadata.name }}-app{{ end }}'],
        ['deploy.yaml.gotmpl', 'name: {{ template "app.name" . }}'],
        ['svc.yaml.gotmpl', 'name: {{ include "app.name" . | quote }}'],
      ]),
      execute: ['deploy.yaml.gotmpl', 'svc.yaml.gotmpl'],
      context: pkgContext,
      files,
      functionSet: 'package',
    });
    expect([...out]).toEqual([
      ['deploy.yaml.gotmpl', 'name: web-app'],
      ['svc.yaml.gotmpl', 'name: "web-app"'],
    ]);
  });

  it('reuses a cached set with a new context', async () => {
    expect(await render('{{ .v }}', { context: { v: 'one' } })).toBe('one');
    expect(await render('{{ .v }}', { context: { v: 'two' } })).toBe('two');
  });

  it('a template that mutates the context does not leak into the next render of the same context', async () => {
    const context = { config: { a: 1 } };
    expect(await render('{{ $_ := set .config "b" 2 }}{{ .config | toJson }}', { context })).toBe(
      '{"a":1,"b":2}',
    );
    expect(await render('{{ .config | toJson }}', { context })).toBe('{"a":1}');
    expect(context).toEqual({ config: { a: 1 } });
  });

  it('renders concurrently without mixing contexts, files or callbacks', async () => {
    const jobs = Array.from({ length: 24 }, (_, i) =>
      render(`{{ .i }}-{{ cel "x" }}-{{ include "h${i % 3}" . }}`, {
        context: { i },
        cel: () => i % 2 === 0,
        helpers: { [`_h${i % 3}.gotmpl`]: `{{ define "h${i % 3}" }}h${i % 3}:{{ .i }}{{ end }}` },
      }),
    );
    const outs = await Promise.all(jobs);
    outs.forEach((out, i) => {
      expect(out).toBe(`${i}-${i % 2 === 0}-h${i % 3}:${i}`);
    });
  });
});

describe('Go template engine: errors (exact Go text, as PKO shows them)', () => {
  it('missingkey=error', async () => {
    const source = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: x',
      'data:',
      '  a: b',
      '  c: d',
      '  x: {{ .package.metadata.nope.deeper }}',
      '',
    ].join('\n');
    const templates = new Map([['cm.yaml.gotmpl', source]]);
    const error = await engine
      .render({ templates, execute: ['cm.yaml.gotmpl'], context: pkgContext, files, functionSet: 'package' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({
      message:
        'template: cm.yaml.gotmpl:8:16: executing "cm.yaml.gotmpl" at <.package.metadata.nope.deeper>: map has no entry for key "nope"',
      phase: 'execute',
      path: 'cm.yaml.gotmpl',
    });
  });

  it('missing label key errors too (labels default to an empty map)', async () => {
    const error = await renderError('{{ .package.metadata.labels.foo }}', { context: pkgContext });
    expect(error.message).toBe(
      'template: a.yaml.gotmpl:1:11: executing "a.yaml.gotmpl" at <.package.metadata.labels.foo>: map has no entry for key "foo"',
    );
  });

  it.each([
    'env',
    'expandenv',
    'now',
    'randAlpha',
    'genPrivateKey',
    'shuffle',
    'uuidv4',
    'getHostByName',
    'osBase',
    'sha512sum',
    'date',
    'randInt',
    'bcrypt',
    'encryptAES',
  ])('forbidden function %s is not defined (file:line)', async (fn) => {
    const error = await renderError(`a: 1\nb: 2\nc: {{ ${fn} "x" }}\n`);
    expect(error.message).toBe(`template: a.yaml.gotmpl:3: function "${fn}" not defined`);
    expect(error.phase).toBe('parse');
    expect(error.path).toBe('a.yaml.gotmpl');
  });

  it('an ObjectTemplate rendered under the name "" gives PKO\'s text (its step removes `executing "" `)', async () => {
    const error = await engine
      .render({
        templates: new Map([['', 'a: {{ .config.nope }}']]),
        execute: [''],
        context: { config: {} },
        files: new Map(),
        functionSet: 'objectTemplate',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({
      message: 'template: :1:13: executing "" at <.config.nope>: map has no entry for key "nope"',
      phase: 'execute',
    });
  });

  it.each(['getFile', 'getFileGlob', 'cel'])('the objectTemplate set has no %s', async (fn) => {
    const error = await renderError(`{{ ${fn} "x" }}`, { functionSet: 'objectTemplate' });
    expect(error.message).toBe(`template: a.yaml.gotmpl:1: function "${fn}" not defined`);
  });

  it('syntax errors', async () => {
    expect((await renderError('{{ .foo')).message).toBe('template: a.yaml.gotmpl:1: unclosed action');
    expect((await renderError('{{ if .a }}x')).message).toBe('template: a.yaml.gotmpl:1: unexpected EOF');
  });

  it("recursive {{ template }} stops at text/template's depth limit", async () => {
    expect(
      (await renderError('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}')).message,
    ).toBe(
      'template: a.yaml.gotmpl:1:28: executing "r" at <{{template "r" .}}>: exceeded maximum template depth (1000)',
    );
  });

  it('fail', async () => {
    expect((await renderError('{{ fail "config.x is required" }}')).message).toBe(
      'template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <fail "config.x is required">: error calling fail: config.x is required',
    );
  });

  it('a parse error names the failing helper file', async () => {
    const error = await renderError('ok', { helpers: { '_bad.gotmpl': '{{ define "x" }}' } });
    expect(error).toMatchObject({
      message: 'template: _bad.gotmpl:1: unexpected EOF',
      phase: 'parse',
      path: '_bad.gotmpl',
    });
  });

  it('cel without a callback is an error at call time', async () => {
    expect((await renderError('{{ cel "true" }}')).message).toBe(
      'template: a.yaml.gotmpl:1:3: executing "a.yaml.gotmpl" at <cel "true">: error calling cel: cel is not available in this context',
    );
  });
});

describe('engine failures are retryable, not template errors', () => {
  it('a missing or broken module fails the render with a retryable TemplateEngineError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-broken-wasm-'));
    await writeFile(join(dir, 'gotmpl.wasm'), 'not wasm');
    const broken = createGoTemplateEngine({ wasmDir: dir });
    const error: unknown = await broken.render(request('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateEngineError);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/^template engine failed to start: /);
  });
});
