/**
 * @module schema
 * Kubernetes structural-schema admission for package configuration (docs/pko-compatibility.md §1.8): prune unknown
 * fields → apply defaults → validate, with the API server's field-error strings, e.g.
 * `spec.config.replicas: Invalid value: 0: replicas in body should be greater than or equal to 1`.
 * Validation runs on ajv 8 over a transformed copy of the schema; pruning, defaulting and
 * `x-kubernetes-validations` (CEL) are done here because they are Kubernetes semantics, not JSON Schema.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';
import { compileCel, CelError } from '../cel/index.js';

type Json = unknown;
type Schema = Readonly<Record<string, unknown>>;

export interface AdmitResult {
  /** The pruned and defaulted config. */
  readonly config: Record<string, unknown>;
  /** Kubernetes field errors; empty when the config is admitted. */
  readonly errors: readonly string[];
}

/** Limits on untrusted schemas (a package's config schema). */
export const SCHEMA_LIMITS = { maxSchemaBytes: 1_048_576, maxDepth: 64 } as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaAt(schema: Schema, key: string): Schema | undefined {
  const value = schema[key];
  return isRecord(value) ? value : undefined;
}

/** Prune fields the schema does not know and nulls on non-nullable fields, then apply defaults. */
export function pruneAndDefault(value: Json, schema: Schema, depth = 0): Json {
  if (depth > SCHEMA_LIMITS.maxDepth) return value;
  if (Array.isArray(value)) {
    const items = schemaAt(schema, 'items');
    return items === undefined ? value : value.map((v: Json) => pruneAndDefault(v, items, depth + 1));
  }
  if (!isRecord(value)) return value;
  const out = pruneObject(value, schema, depth);
  applyDefaults(out, schemaAt(schema, 'properties'), depth);
  return out;
}

function childSchemaOf(schema: Schema, key: string): Schema | undefined {
  const properties = schemaAt(schema, 'properties');
  const own = properties?.[key];
  return isRecord(own) ? own : schemaAt(schema, 'additionalProperties');
}

function keepsUnknown(schema: Schema): boolean {
  return (
    schema['x-kubernetes-preserve-unknown-fields'] === true ||
    (schema['properties'] === undefined && schema['x-kubernetes-embedded-resource'] === true)
  );
}

function pruneObject(value: Record<string, unknown>, schema: Schema, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = childSchemaOf(schema, key);
    if (childSchema === undefined) {
      if (keepsUnknown(schema)) out[key] = child;
    } else if (child !== null || childSchema['nullable'] === true) {
      out[key] = pruneAndDefault(child, childSchema, depth + 1);
    }
  }
  return out;
}

function applyDefaults(out: Record<string, unknown>, properties: Schema | undefined, depth: number): void {
  for (const [key, childSchema] of Object.entries(properties ?? {})) {
    if (out[key] !== undefined || !isRecord(childSchema) || !('default' in childSchema)) continue;
    out[key] = pruneAndDefault(structuredClone(childSchema['default']), childSchema, depth + 1);
  }
}

/** Kubernetes extensions mapped onto JSON Schema for ajv (int-or-string, no defaults, no x- keys). */
function toAjvSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toAjvSchema);
  if (!isRecord(node)) return node;
  if (node['x-kubernetes-int-or-string'] === true) {
    const rest = toAjvSchema({ ...node, 'x-kubernetes-int-or-string': undefined, type: undefined });
    return { ...(isRecord(rest) ? rest : {}), anyOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (value === undefined || key.startsWith('x-kubernetes-') || key === 'default' || key === 'example')
      continue;
    if (key === 'nullable') continue;
    out[key] =
      key === 'properties' && isRecord(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toAjvSchema(v)]))
        : toAjvSchema(value);
  }
  if (node['nullable'] === true && typeof node['type'] === 'string') out['type'] = [node['type'], 'null'];
  return out;
}

/**
 * `pattern` with RE2 semantics, as the API server evaluates it (Go's regexp): linear time, so `^(a+)+$`
 * cannot backtrack for minutes, and RE2 syntax such as `(?i)`; look-arounds are refused when compiling.
 */
type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>;

const re2Engine: RegExpEngine = Object.assign(
  (pattern: string): { test(s: string): boolean; toString(): string } => {
    const compiled = RE2JS.compile(pattern);
    // ajv keys compiled patterns by toString(): without it every pattern would share the first one.
    return { test: (s: string): boolean => compiled.matcher(s).find(), toString: (): string => pattern };
  },
  { code: 're2js' },
);

function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: true, code: { regExp: re2Engine } });
  addFormatsModule.default(ajv);
  for (const name of [
    'int32',
    'int64',
    'float',
    'double',
    'byte',
    'binary',
    'password',
    'bsonobjectid',
    'quantity',
    'cidr',
    'mac',
    'isbn',
    'creditcard',
    'ssn',
    'hexcolor',
    'rgbcolor',
    'datetime',
    'dns1123label',
    'dns1123subdomain',
  ]) {
    if (ajv.formats[name] === undefined) ajv.addFormat(name, true);
  }
  return ajv;
}

/** Made on the first validation: packages without a config schema never pay for it (issue 13). */
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: Schema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (validate === undefined) {
    const ajvSchema = toAjvSchema(schema);
    ajv ??= makeAjv();
    validate = ajv.compile(isRecord(ajvSchema) ? ajvSchema : {});
    validators.set(key, validate);
    if (validators.size > 500) validators.delete(validators.keys().next().value ?? '');
  }
  return validate;
}

/** Go's %v-ish rendering of a value, as Kubernetes prints it in `Invalid value: …`. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return '"array"';
  return '"object"';
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function segments(instancePath: string): string[] {
  return instancePath === ''
    ? []
    : instancePath
        .slice(1)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function fieldPath(prefix: string, segs: readonly string[]): string {
  return segs.reduce((p, s) => (/^\d+$/.test(s) ? `${p}[${s}]` : `${p}.${s}`), prefix);
}

function valueAt(root: unknown, segs: readonly string[]): unknown {
  let node = root;
  for (const s of segs) node = Array.isArray(node) ? node[Number(s)] : isRecord(node) ? node[s] : undefined;
  return node;
}

interface ErrorContext {
  readonly at: string;
  readonly body: string;
  readonly value: unknown;
  readonly shown: string;
  readonly p: Readonly<Record<string, unknown>>;
  readonly segs: readonly string[];
  readonly prefix: string;
}

const count = (v: unknown): number => (Array.isArray(v) ? v.length : isRecord(v) ? Object.keys(v).length : 0);

/** One formatter per ajv keyword, worded as the API server words it. */
const formatters: Readonly<Record<string, (c: ErrorContext) => string | undefined>> = {
  required: (c) => `${fieldPath(c.prefix, [...c.segs, String(c.p['missingProperty'])])}: Required value`,
  type: (c) => {
    const t = `"${jsonType(c.value)}"`;
    return `${c.at}: Invalid value: ${t}: ${c.body} must be of type ${String(c.p['type'])}: ${t}`;
  },
  enum: (c) => {
    const allowed = Array.isArray(c.p['allowedValues']) ? c.p['allowedValues'] : [];
    return `${c.at}: Unsupported value: ${c.shown}: supported values: ${allowed.map(formatValue).join(', ')}`;
  },
  pattern: (c) => `${c.at}: Invalid value: ${c.shown}: ${c.body} should match '${String(c.p['pattern'])}'`,
  minimum: (c) =>
    `${c.at}: Invalid value: ${c.shown}: ${c.body} should be greater than or equal to ${String(c.p['limit'])}`,
  exclusiveMinimum: (c) =>
    `${c.at}: Invalid value: ${c.shown}: ${c.body} should be greater than ${String(c.p['limit'])}`,
  maximum: (c) =>
    `${c.at}: Invalid value: ${c.shown}: ${c.body} should be less than or equal to ${String(c.p['limit'])}`,
  exclusiveMaximum: (c) =>
    `${c.at}: Invalid value: ${c.shown}: ${c.body} should be less than ${String(c.p['limit'])}`,
  multipleOf: (c) =>
    `${c.at}: Invalid value: ${c.shown}: ${c.body} should be a multiple of ${String(c.p['multipleOf'])}`,
  minLength: (c) =>
    `${c.at}: Invalid value: ${c.shown}: ${c.body} should be at least ${String(c.p['limit'])} chars long`,
  maxLength: (c) => `${c.at}: Too long: may not be more than ${String(c.p['limit'])} bytes`,
  minItems: (c) =>
    `${c.at}: Invalid value: ${count(c.value)}: ${c.body} should have at least ${String(c.p['limit'])} items`,
  maxItems: (c) => `${c.at}: Too many: ${count(c.value)}: must have at most ${String(c.p['limit'])} items`,
  minProperties: (c) =>
    `${c.at}: Invalid value: ${count(c.value)}: ${c.body} should have at least ${String(c.p['limit'])} properties`,
  maxProperties: (c) =>
    `${c.at}: Too many: ${count(c.value)}: must have at most ${String(c.p['limit'])} items`,
  format: (c) =>
    `${c.at}: Invalid value: ${c.shown}: ${c.body} must be of type ${String(c.p['format'])}: ${c.shown}`,
  uniqueItems: (c) =>
    `${c.at}[${String(c.p['j'])}]: Duplicate value: ${formatValue(valueAt(c.value, [String(c.p['j'])]))}`,
  anyOf: () => undefined,
  oneOf: () => undefined,
  if: () => undefined,
};

function mapError(e: ErrorObject, prefix: string, root: unknown): string | undefined {
  const segs = segments(e.instancePath);
  const value = valueAt(root, segs);
  const context: ErrorContext = {
    at: fieldPath(prefix, segs),
    body: segs.length === 0 ? 'body' : `${fieldPath('', segs).replace(/^\./, '')} in body`,
    value,
    shown: formatValue(value),
    p: e.params,
    segs,
    prefix,
  };
  const format = formatters[e.keyword];
  return format === undefined
    ? `${context.at}: Invalid value: ${context.shown}: ${e.message ?? e.keyword}`
    : format(context);
}

/** The API server reports field errors before missing required fields. */
function requiredLast(errors: readonly ErrorObject[]): ErrorObject[] {
  return [
    ...errors.filter((e) => e.keyword !== 'required'),
    ...errors.filter((e) => e.keyword === 'required'),
  ];
}

/** int-or-string fails as two `type` errors (one per anyOf branch): Kubernetes says `integer,string`. */
function mergeAnyOfTypeErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  for (const e of errors) {
    const previous = out.at(-1);
    const sameAnyOf =
      e.keyword === 'type' &&
      previous?.keyword === 'type' &&
      previous.instancePath === e.instancePath &&
      e.schemaPath.includes('/anyOf/');
    if (sameAnyOf)
      out[out.length - 1] = {
        ...previous,
        params: { type: `${String(previous.params['type'])},${String(e.params['type'])}` },
      };
    else out.push(e);
  }
  return out;
}

/**
 * Run `x-kubernetes-validations` rules (CEL, `self` = the value) everywhere the value exists. `old` is the
 * value at the same place in the previous config (undefined on create, or where it did not exist): transition
 * rules (those naming `oldSelf`) run only where it exists, as Kubernetes runs them. Object properties and map
 * values correlate by key; list items only in map lists (`x-kubernetes-list-type: map`) by their keys.
 */
function celRuleErrors(value: unknown, old: unknown, schema: Schema, path: string, depth = 0): string[] {
  if (depth > SCHEMA_LIMITS.maxDepth || value === undefined) return [];
  const errors = ownRuleErrors(value, old, schema, path);
  if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      const s = childSchemaOf(schema, k);
      const oldChild = isRecord(old) ? old[k] : undefined;
      if (s !== undefined) append(errors, celRuleErrors(v, oldChild, s, `${path}.${k}`, depth + 1));
    }
  }
  const items = schemaAt(schema, 'items');
  if (Array.isArray(value) && items !== undefined) {
    value.forEach((v: unknown, i) => {
      append(errors, celRuleErrors(v, oldListItem(schema, v, old), items, `${path}[${i}]`, depth + 1));
    });
  }
  return errors;
}

/** Append without spreading (a spread of a 150,000-element list overflows the call stack). */
function append(to: string[], more: readonly string[]): void {
  for (const e of more) to.push(e);
}

/** The item of the old list with the same map keys as `item`, for `x-kubernetes-list-type: map` lists. */
function oldListItem(schema: Schema, item: unknown, old: unknown): unknown {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || !Array.isArray(keys) || !Array.isArray(old))
    return undefined;
  if (!isRecord(item)) return undefined;
  return old.find(
    (candidate: unknown) =>
      isRecord(candidate) && keys.every((k: unknown) => typeof k === 'string' && candidate[k] === item[k]),
  );
}

/** Kubernetes 1.37 shows scalar values in CEL rule errors and omits objects and lists. */
function celShown(value: unknown): string {
  return typeof value === 'object' && value !== null ? '' : `${formatValue(value)}: `;
}

function ownRuleErrors(value: unknown, old: unknown, schema: Schema, path: string): string[] {
  const rules = Array.isArray(schema['x-kubernetes-validations']) ? schema['x-kubernetes-validations'] : [];
  const errors: string[] = [];
  for (const rule of rules) {
    if (!isRecord(rule) || typeof rule['rule'] !== 'string') continue;
    const message = typeof rule['message'] === 'string' ? rule['message'] : `failed rule: ${rule['rule']}`;
    try {
      const program = compileCel(rule['rule'], 'rule');
      if (program.isTransitionRule && old === undefined) continue;
      if (!program.evaluate({ self: value, oldSelf: old }))
        errors.push(`${path}: Invalid value: ${celShown(value)}${message}`);
    } catch (error) {
      const text = error instanceof CelError ? error.message : String(error);
      errors.push(`${path}: Invalid value: ${formatValue(value)}: rule compile error: ${text}`);
    }
  }
  return errors;
}

/** Kubernetes' aggregate rendering: one error as is, several as `[e1, e2]`. */
export function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? (errors[0] ?? '') : `[${errors.join(', ')}]`;
}

/**
 * Admit a package configuration: no schema ⇒ every key removed (`{}`); otherwise prune → default → validate.
 * `oldConfig` is the previous config (the Package's applied config) for transition rules; without it (a
 * create) rules naming `oldSelf` are skipped.
 */
export function admitConfig(
  schema: unknown,
  config: unknown,
  pathPrefix = 'spec.config',
  oldConfig?: unknown,
): AdmitResult {
  const input = isRecord(config) ? config : {};
  if (!isRecord(schema)) return { config: {}, errors: [] };
  const tooBig = schemaProblems(schema, pathPrefix);
  if (tooBig.length > 0) return { config: {}, errors: tooBig };
  const admitted = pruneAndDefault(structuredClone(input), { ...schema, type: 'object' });
  const value = isRecord(admitted) ? admitted : {};
  const validate = validatorFor(schema);
  const errors: string[] = [];
  if (!validate(value)) {
    for (const e of requiredLast(mergeAnyOfTypeErrors(validate.errors ?? []))) {
      const text = mapError(e, pathPrefix, value);
      if (text !== undefined && !errors.includes(text)) errors.push(text);
    }
  }
  if (errors.length === 0) append(errors, celRuleErrors(value, oldConfig, schema, pathPrefix));
  return { config: value, errors };
}

function schemaProblems(schema: Schema, path: string): string[] {
  const size = JSON.stringify(schema).length;
  if (size > SCHEMA_LIMITS.maxSchemaBytes) {
    return [
      `${path}: Too long: the config schema is ${size} bytes; the limit is ${SCHEMA_LIMITS.maxSchemaBytes}`,
    ];
  }
  return [];
}

/**
 * Check that a config schema is structural, as the API server checks a CRD's schema: every node has a
 * type (unless int-or-string or preserve-unknown-fields), `additionalProperties` and `properties` are not
 * both set, and ajv accepts it. Messages name the schema path.
 */
export function validateStructuralSchema(schema: unknown, path = 'spec.config.openAPIV3Schema'): string[] {
  if (!isRecord(schema)) return [`${path}: Invalid value: ${formatValue(schema)}: must be an object`];
  const errors: string[] = [];
  walkSchema(schema, path, 0, errors);
  if (errors.length === 0) {
    try {
      validatorFor(schema);
    } catch (error) {
      errors.push(
        `${path}: Invalid value: "object": ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return errors;
}

function walkSchema(node: Schema, path: string, depth: number, errors: string[]): void {
  if (depth > SCHEMA_LIMITS.maxDepth) {
    errors.push(`${path}: Too long: schema nesting deeper than ${SCHEMA_LIMITS.maxDepth}`);
    return;
  }
  const untyped =
    node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof node['type'] !== 'string' && !untyped)
    errors.push(`${path}.type: Required value: must not be empty for specified object fields`);
  if (
    node['properties'] !== undefined &&
    node['additionalProperties'] !== undefined &&
    node['additionalProperties'] !== false
  ) {
    errors.push(
      `${path}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    );
  }
  const properties = schemaAt(node, 'properties');
  for (const [key, child] of Object.entries(properties ?? {}))
    if (isRecord(child)) walkSchema(child, `${path}.properties[${key}]`, depth + 1, errors);
  const items = schemaAt(node, 'items');
  if (items !== undefined) walkSchema(items, `${path}.items`, depth + 1, errors);
  const additional = schemaAt(node, 'additionalProperties');
  if (additional !== undefined) walkSchema(additional, `${path}.additionalProperties`, depth + 1, errors);
}
