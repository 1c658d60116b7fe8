/**
 * @module render/handlebars
 * Gantry's second template engine for `.hbs` files (pure, synchronous), hardened for untrusted package templates
 * (docs/architecture.md, "Dependencies"):
 * - its own Handlebars environment; `noEscape` (YAML, not HTML); `knownHelpersOnly` with a fixed helper set
 *   (HANDLEBARS_HELPERS, docs/templates.md) — `log` removed, unknown helpers are compile errors;
 * - strict lookups everywhere, like Go's `missingkey=error`: every segment of every path must exist, also in helper
 *   arguments (`{{#if config.flag}}` fails when `flag` is missing); optional values are read with the built-in
 *   `lookup`, which yields undefined for a missing key: `{{default "x" (lookup config "flag")}}`;
 * - no prototype access: `__proto__`, `constructor`, `prototype` and the `__define/lookup*` names are refused in
 *   every path at compile time, and the runtime's prototype checks stay on;
 * - partials are the package's `_*.hbs` files only, by static name (`{{> labels}}`, `{{include "labels" this}}`);
 *   dynamic partials, partial blocks, inline partials and decorators are refused; recursion between partials is
 *   refused at compile time.
 * Errors are TemplateErrors naming the file: `template: <path>:<line>:<column>: <what>`.
 */
import Handlebars from 'handlebars';
import { stringify as toYamlText } from 'yaml';
import { errorMessage } from '../errors.js';
import { TemplateError, type TemplatePhase } from './errors.js';

/** What a render needs: every `.hbs` file (partials included), the files to execute and the context. */
export interface HandlebarsRequest {
  /** Every `.hbs` file, path relative to the package root -> source. `_*.hbs` files are partials. */
  readonly templates: ReadonlyMap<string, string>;
  /** The paths (keys of `templates`) to render, in order. */
  readonly execute: readonly string[];
  /** The template context (`package`, `config`, `images`, `environment`, …), the same as for `.gotmpl`. */
  readonly context: unknown;
  /** Output bytes already written by earlier calls of the same render (the cap holds for the whole render). */
  readonly written?: number;
}

/** The most output one render may write, as the Go engine allows (its maxOutputBytes). */
export const HANDLEBARS_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** The helpers a `.hbs` template may call, besides Handlebars' `if`, `unless`, `each`, `with` and `lookup`. */
export const HANDLEBARS_HELPERS = [
  'include',
  'toJson',
  'toPrettyJson',
  'toYAML',
  'quote',
  'squote',
  'indent',
  'nindent',
  'default',
  'required',
  'fail',
  'b64enc',
  'b64dec',
  'upper',
  'lower',
  'trim',
  'trimPrefix',
  'trimSuffix',
  'replace',
  'contains',
  'hasPrefix',
  'hasSuffix',
  'join',
  'eq',
  'ne',
  'not',
  'and',
  'or',
] as const;

const FORBIDDEN_KEYS = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: { ...Object.fromEntries(HANDLEBARS_HELPERS.map((name) => [name, true])), log: false },
};

const RUNTIME_OPTIONS = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowCallsToHelperMissing: false,
};

/** The partial name of a `_*.hbs` file (`_labels.hbs` -> `labels`, `sub/_x.hbs` -> `sub/x`), else undefined. */
export function partialName(path: string): string | undefined {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  if (!base.startsWith('_') || !base.endsWith('.hbs')) return undefined;
  return dir + base.slice(1, -'.hbs'.length);
}

/** Render the executed `.hbs` files. Throws TemplateError. */
export function renderHandlebars(request: HandlebarsRequest): ReadonlyMap<string, string> {
  const partialPaths = new Map<string, string>();
  for (const path of request.templates.keys()) {
    const name = partialName(path);
    if (name !== undefined) partialPaths.set(name, path);
  }
  const references = new Map<string, Set<string>>();
  const compiled = new Map<string, TemplateFn>();
  const compileFile = (path: string): TemplateFn => {
    let fn = compiled.get(path);
    if (!fn) {
      const source = request.templates.get(path);
      if (source === undefined)
        throw new TemplateError(`template: ${path}: no such template`, { path, phase: 'parse' });
      references.set(path, checkTemplate(path, source, partialPaths));
      fn = compileCached(source);
      compiled.set(path, fn);
    }
    return fn;
  };
  for (const path of request.execute) compileFile(path);
  for (const path of partialPaths.values()) compileFile(path);
  refuseRecursion(request.execute, references, partialPaths);

  const partials: Record<string, TemplateFn> = {};
  for (const [name, path] of partialPaths) partials[name] = inFile(path, compileFile(path));
  const helpers = { ...baseHelpers, include: includeHelper(partials) };
  const out = new Map<string, string>();
  let written = request.written ?? 0;
  const encoder = new TextEncoder();
  for (const path of request.execute) {
    const text = inFile(path, compileFile(path))(request.context ?? {}, {
      helpers,
      partials,
      ...RUNTIME_OPTIONS,
    });
    written += encoder.encode(text).length;
    if (written > HANDLEBARS_MAX_OUTPUT_BYTES)
      throw new TemplateError(
        `template: ${path}: template output exceeds ${HANDLEBARS_MAX_OUTPUT_BYTES} bytes`,
        {
          path,
          phase: 'execute',
        },
      );
    out.set(path, text);
  }
  return out;
}

type TemplateFn = (context: unknown, options?: Handlebars.RuntimeOptions) => string;

// ---------------------------------------------------------------------------------------------------------------
// Environment and compile cache

const env = createEnvironment();
const cache = new Map<string, TemplateFn>();
const CACHE_LIMIT = 512;

function createEnvironment(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.unregisterHelper('log');
  installStrictLookups(hb);
  return hb;
}

/**
 * Make every path segment lookup strict (Handlebars checks only the last one): the compiler's `nameLookup` for
 * context paths emits `container.strict(parent, name, loc)`, which throws for a missing key and otherwise reads
 * through the runtime's prototype-safe `lookupProperty`.
 */
function installStrictLookups(hb: typeof Handlebars): void {
  const base: unknown = Reflect.get(hb, 'JavaScriptCompiler');
  if (typeof base !== 'function') throw new Error('handlebars: no JavaScriptCompiler');
  const baseProto: unknown = Reflect.get(base, 'prototype');
  if (!isRecord(baseProto)) throw new Error('handlebars: no JavaScriptCompiler.prototype');
  const baseLookup = baseProto['nameLookup'];
  if (typeof baseLookup !== 'function') throw new Error('handlebars: no nameLookup');
  function StrictCompiler(): void {
    /* state is set by compile() */
  }
  const proto: Record<string, unknown> = {};
  Object.setPrototypeOf(proto, baseProto);
  proto['nameLookup'] = function nameLookup(
    this: unknown,
    parent: unknown,
    name: unknown,
    type: unknown,
  ): unknown {
    if (type !== 'context' || typeof name !== 'string') {
      const lookup: unknown = Reflect.apply(baseLookup, this, [parent, name, type]);
      return lookup;
    }
    return ['container.strict(', parent, ', ', JSON.stringify(name), ', ', locationOf(this), ')'];
  };
  StrictCompiler.prototype = proto;
  Reflect.set(hb, 'JavaScriptCompiler', StrictCompiler);
}

/** The compiler's current source location as a JS literal of numbers only. */
function locationOf(compiler: unknown): string {
  const source: unknown = isRecord(compiler) ? compiler['source'] : undefined;
  const loc: unknown = isRecord(source) ? source['currentLocation'] : undefined;
  const start: unknown = isRecord(loc) ? loc['start'] : undefined;
  if (!isRecord(start) || typeof start['line'] !== 'number' || typeof start['column'] !== 'number')
    return 'undefined';
  return `{"start":{"line":${start['line']},"column":${start['column']}}}`;
}

function compileCached(source: string): TemplateFn {
  const hit = cache.get(source);
  if (hit) return hit;
  const template = env.compile(source, COMPILE_OPTIONS); // compiles lazily, on the first call
  const fn: TemplateFn = (context, options) => template(context, options);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(source, fn);
  return fn;
}

/** Helpers Handlebars provides itself (`log` is removed). */
const BUILTIN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup']);
const ALLOWED_HELPERS = new Set<string>([...HANDLEBARS_HELPERS, ...BUILTIN_HELPERS]);

// ---------------------------------------------------------------------------------------------------------------
// Static checks on the AST

function checkTemplate(path: string, source: string, partials: ReadonlyMap<string, string>): Set<string> {
  let ast: unknown;
  try {
    ast = env.parse(source);
  } catch (error) {
    throw templateError(path, error, 'parse');
  }
  const refs = new Set<string>();
  walk(ast, (node) => {
    checkNode(path, node, partials, refs);
  });
  return refs;
}

function walk(node: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (!isRecord(node)) return;
  if (typeof node['type'] === 'string') visit(node);
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'loc' && typeof value === 'object') walk(value, visit);
  }
}

function checkNode(
  path: string,
  node: Record<string, unknown>,
  partials: ReadonlyMap<string, string>,
  refs: Set<string>,
): void {
  const fail = (what: string): never => {
    throw new TemplateError(`template: ${path}:${position(node)}: ${what}`, { path, phase: 'parse' });
  };
  switch (node['type']) {
    case 'Decorator':
    case 'DecoratorBlock':
      fail('decorators and inline partials are not allowed');
      break;
    case 'PartialBlockStatement':
      fail('partial blocks are not allowed');
      break;
    case 'PartialStatement':
      refs.add(staticPartial(node['name'], partials, fail));
      break;
    case 'PathExpression':
      checkPath(node, fail);
      break;
    case 'MustacheStatement':
    case 'SubExpression':
    case 'BlockStatement':
      checkCall(node, partials, refs, fail);
      break;
    default:
      break;
  }
}

function staticPartial(
  name: unknown,
  partials: ReadonlyMap<string, string>,
  fail: (what: string) => never,
): string {
  if (!isRecord(name) || (name['type'] !== 'PathExpression' && name['type'] !== 'StringLiteral')) {
    return fail('dynamic partials are not allowed');
  }
  const value = name['type'] === 'PathExpression' ? name['original'] : name['value'];
  if (typeof value !== 'string' || !partials.has(value)) {
    return fail(`partial "${String(value)}" not found (partials are the _*.hbs files)`);
  }
  return value;
}

function checkPath(node: Record<string, unknown>, fail: (what: string) => never): void {
  const parts = node['parts'];
  if (!Array.isArray(parts)) return;
  for (const part of parts) {
    if (typeof part === 'string' && FORBIDDEN_KEYS.has(part)) fail(`access to "${part}" is not allowed`);
  }
}

function checkCall(
  node: Record<string, unknown>,
  partials: ReadonlyMap<string, string>,
  refs: Set<string>,
  fail: (what: string) => never,
): void {
  const callee = node['path'];
  if (!isRecord(callee) || callee['type'] !== 'PathExpression' || typeof callee['original'] !== 'string')
    return;
  const name = callee['original'];
  const params: unknown[] = Array.isArray(node['params']) ? node['params'] : [];
  const isCall = node['type'] === 'SubExpression' || params.length > 0 || isRecord(node['hash']);
  if (isCall && !ALLOWED_HELPERS.has(name)) fail(`function "${name}" not defined`);
  if (name === 'include') {
    const first = params[0];
    if (!isRecord(first) || first['type'] !== 'StringLiteral')
      fail('include needs the static name of a partial');
    refs.add(staticPartial(first, partials, fail));
  }
  if (name === 'lookup') checkLookup(params, fail);
}

/** `lookup x "constructor"`: refuse forbidden literal keys (computed keys meet the runtime's prototype checks). */
function checkLookup(params: readonly unknown[], fail: (what: string) => never): void {
  for (const param of params) {
    if (isRecord(param) && typeof param['value'] === 'string' && FORBIDDEN_KEYS.has(param['value'])) {
      fail(`access to "${param['value']}" is not allowed`);
    }
  }
}

function refuseRecursion(
  roots: readonly string[],
  references: ReadonlyMap<string, Set<string>>,
  partials: ReadonlyMap<string, string>,
): void {
  const visiting: string[] = [];
  const done = new Set<string>();
  const visit = (path: string): void => {
    if (done.has(path)) return;
    const at = visiting.indexOf(path);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), path].join(' -> ');
      throw new TemplateError(`template: ${visiting[0] ?? path}: partial recursion: ${cycle}`, {
        path,
        phase: 'parse',
      });
    }
    visiting.push(path);
    for (const name of references.get(path) ?? []) {
      const target = partials.get(name);
      if (target !== undefined) visit(target);
    }
    visiting.pop();
    done.add(path);
  };
  for (const root of roots) visit(root);
  for (const path of partials.values()) visit(path);
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** Run a compiled template, tagging errors with the innermost file they happened in. */
function inFile(path: string, fn: TemplateFn): TemplateFn {
  return (context, options) => {
    try {
      return fn(context, options);
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      throw templateError(path, error, 'execute');
    }
  };
}

function templateError(path: string, error: unknown, phase: TemplatePhase): TemplateError {
  let message = errorMessage(error).replace(/ - \d+:\d+$/, '');
  const missing = /^"([^"]*)" not defined in .*$/s.exec(message);
  if (missing) message = `map has no entry for key "${missing[1] ?? ''}"`;
  const notObject = /^Cannot use 'in' operator to search for '([^']*)' in /.exec(message);
  if (notObject) message = `can't evaluate field ${notObject[1] ?? ''} in a value that is not an object`;
  const line = isRecord(error) ? error['lineNumber'] : undefined;
  const column = isRecord(error) ? error['column'] : undefined;
  const where = typeof line === 'number' && typeof column === 'number' ? `:${line}:${column + 1}` : '';
  return new TemplateError(`template: ${path}${where}: ${message}`, { path, phase }, { cause: error });
}

function position(node: Record<string, unknown>): string {
  const loc = node['loc'];
  const start = isRecord(loc) ? loc['start'] : undefined;
  if (!isRecord(start) || typeof start['line'] !== 'number' || typeof start['column'] !== 'number') return '';
  return `${start['line']}:${start['column'] + 1}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

type Helper = (...args: unknown[]) => unknown;

/** Drop Handlebars' trailing options argument. */
function argsOf(args: readonly unknown[]): unknown[] {
  return args.slice(0, -1);
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return Object.keys(value).length === 0;
  return false;
}

function indentText(spaces: unknown, value: unknown): string {
  const pad = ' '.repeat(Math.max(0, Number(spaces) || 0));
  return pad + text(value).replaceAll('\n', `\n${pad}`);
}

function stringArgs(fn: (...values: string[]) => unknown): Helper {
  return (...args) => fn(...argsOf(args).map(text));
}

function helperError(message: string): Error {
  return new Error(message);
}

const baseHelpers: Record<string, Helper> = {
  toJson: (...args) => JSON.stringify(argsOf(args)[0] ?? null),
  toPrettyJson: (...args) => JSON.stringify(argsOf(args)[0] ?? null, null, 2),
  toYAML: (...args) => toYamlText(argsOf(args)[0] ?? null).replace(/\n$/, ''),
  quote: (...args) =>
    argsOf(args)
      .filter((v) => v !== undefined && v !== null)
      .map((v) => JSON.stringify(text(v)))
      .join(' '),
  squote: (...args) =>
    argsOf(args)
      .filter((v) => v !== undefined && v !== null)
      .map((v) => `'${text(v)}'`)
      .join(' '),
  indent: (...args) => indentText(args[0], args[1]),
  nindent: (...args) => `\n${indentText(args[0], args[1])}`,
  default: (...args) => (isEmpty(args[1]) ? args[0] : args[1]),
  required: (...args) => {
    if (isEmpty(args[1])) throw helperError(text(args[0]));
    return args[1];
  },
  fail: (...args) => {
    throw helperError(text(args[0]));
  },
  b64enc: stringArgs((s) => Buffer.from(s, 'utf8').toString('base64')),
  b64dec: stringArgs((s) => Buffer.from(s, 'base64').toString('utf8')),
  upper: stringArgs((s) => s.toUpperCase()),
  lower: stringArgs((s) => s.toLowerCase()),
  trim: stringArgs((s) => s.trim()),
  trimPrefix: stringArgs((prefix, s) => (s.startsWith(prefix) ? s.slice(prefix.length) : s)),
  trimSuffix: stringArgs((suffix, s) =>
    suffix !== '' && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s,
  ),
  replace: stringArgs((from, to, s) => s.replaceAll(from, to)),
  contains: stringArgs((sub, s) => s.includes(sub)),
  hasPrefix: stringArgs((prefix, s) => s.startsWith(prefix)),
  hasSuffix: stringArgs((suffix, s) => s.endsWith(suffix)),
  join: (...args) => {
    const list = args[1];
    return Array.isArray(list) ? list.map(text).join(text(args[0])) : text(list);
  },
  eq: (...args) => args[0] === args[1],
  ne: (...args) => args[0] !== args[1],
  not: (...args) => isEmpty(args[0]),
  and: (...args) => argsOf(args).every((v) => !isEmpty(v)),
  or: (...args) => argsOf(args).some((v) => !isEmpty(v)),
};

/** `include "name" [context]`: a partial's output as a string (so it can be indented). */
function includeHelper(partials: Readonly<Record<string, TemplateFn>>): Helper {
  return function include(this: unknown, ...args: unknown[]): string {
    const name = text(args[0]);
    const partial = partials[name];
    if (!partial) throw helperError(`partial "${name}" not found`);
    const context = args.length > 2 ? args[1] : this;
    const options = args[args.length - 1];
    const data = isRecord(options) ? options['data'] : undefined;
    const helpersAndPartials = { helpers: { ...baseHelpers, include: includeHelper(partials) }, partials };
    return partial(context, {
      ...helpersAndPartials,
      ...RUNTIME_OPTIONS,
      ...(isRecord(data) ? { data } : {}),
    });
  };
}

function isRecord(value: unknown): value is Record<string | symbol, unknown> {
  return typeof value === 'object' && value !== null;
}
