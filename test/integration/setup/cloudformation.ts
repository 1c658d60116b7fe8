/**
 * @module test/integration/setup/cloudformation
 * Validating an AWS SAM template against AWS's schema, as goformation publishes it (schema/sam.schema.json,
 * JSON Schema draft-04, every CloudFormation resource type: 7.7 MB):
 * - the template's short-form intrinsic functions (`!Ref`, `!Sub`, `!GetAtt`, `!If`, …) are parsed into their
 *   long form (`{Ref: …}`, `{Fn::Sub: …}`, `{Fn::GetAtt: [resource, attribute]}`), as CloudFormation reads them;
 * - the schema is pruned to the definitions reachable from the resource types the template uses (compiling all of
 *   it takes far too long), its draft-04 markers removed (nothing else in it differs from what Ajv's default
 *   draft-07 reads), and every scalar or array in it may also be an intrinsic function: CloudFormation resolves
 *   those before a resource sees the value, so the schema itself does not know them.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';

const FUNCTIONS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'Transform',
] as const;

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref' || name === 'Condition') return { [name]: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

function tagsFor(name: string): (ScalarTag | CollectionTag)[] {
  const tag = `!${name}`;
  return [
    { tag, resolve: (value: string) => longForm(name, value) },
    { tag, collection: 'seq', resolve: (seq) => longForm(name, seq.toJSON()) },
    { tag, collection: 'map', resolve: (map) => longForm(name, map.toJSON()) },
  ];
}

const customTags = ['Ref', 'Condition', 'GetAtt', ...FUNCTIONS].flatMap(tagsFor);

/** A CloudFormation / SAM template (YAML, short-form intrinsics allowed) as plain JSON values. */
export function parseTemplate(text: string): Record<string, unknown> {
  const value: unknown = parse(text, { customTags });
  if (typeof value !== 'object' || value === null) throw new Error('the template is not a YAML mapping');
  return value as Record<string, unknown>;
}

type Schema = Record<string, unknown>;

const INTRINSIC: Schema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  patternProperties: { '^(Ref|Condition|Fn::[A-Za-z0-9]+)$': {} },
  additionalProperties: false,
};

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every `#/definitions/X` a schema refers to. */
function refsOf(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) for (const item of node) refsOf(item, out);
  else if (isSchema(node))
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/definitions/'))
        out.add(value.slice('#/definitions/'.length));
      else refsOf(value, out);
    }
}

const LEAF_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array']);

/** The schema with every scalar or array position also accepting an intrinsic function. */
function allowIntrinsics(schema: unknown): unknown {
  if (!isSchema(schema)) return schema;
  const out: Schema = { ...schema };
  for (const key of ['properties', 'patternProperties', 'definitions'])
    if (isSchema(out[key]))
      out[key] = Object.fromEntries(Object.entries(out[key]).map(([k, v]) => [k, allowIntrinsics(v)]));
  for (const key of ['anyOf', 'allOf', 'oneOf'])
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(allowIntrinsics);
  for (const key of ['items', 'additionalProperties', 'not'])
    if (isSchema(out[key])) out[key] = allowIntrinsics(out[key]);
  const types = Array.isArray(out['type']) ? (out['type'] as unknown[]) : [out['type']];
  if (out['type'] !== undefined && types.every((t) => typeof t === 'string' && LEAF_TYPES.has(t)))
    return { anyOf: [out, INTRINSIC] };
  return out;
}

/**
 * A validator of templates that use only `resourceTypes`, from the full SAM schema at `schemaPath`: the schema
 * reduced to those types and what they reach.
 */
export async function samValidator(
  schemaPath: string,
  resourceTypes: readonly string[],
): Promise<ValidateFunction> {
  const full = JSON.parse(await readFile(schemaPath, 'utf8')) as Schema;
  const definitions = full['definitions'] as Record<string, Schema>;
  for (const type of resourceTypes)
    if (definitions[type] === undefined) throw new Error(`the SAM schema has no resource type ${type}`);
  const properties = { ...(full['properties'] as Record<string, Schema>) };
  properties['Resources'] = {
    type: 'object',
    additionalProperties: false,
    patternProperties: {
      '^[a-zA-Z0-9]+$': { anyOf: resourceTypes.map((t) => ({ $ref: `#/definitions/${t}` })) },
    },
  };
  const reachable = new Set<string>();
  const pending: unknown[] = [properties];
  while (pending.length > 0) {
    const found = new Set<string>();
    refsOf(pending.pop(), found);
    for (const name of found)
      if (!reachable.has(name)) {
        reachable.add(name);
        pending.push(definitions[name]);
      }
  }
  const pruned: Schema = {
    type: full['type'],
    additionalProperties: full['additionalProperties'],
    required: full['required'],
    properties,
    definitions: Object.fromEntries([...reachable].sort().map((name) => [name, definitions[name]])),
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(allowIntrinsics(pruned) as Schema);
}
