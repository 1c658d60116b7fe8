/**
 * @module kickstart/schema
 * The config schema a kickstart builds (Kubernetes JSONSchemaProps, as PKO marshals them: an empty
 * `properties` is left out), and the schemas of PKO's Deployment presets.
 */
export interface Schema {
  type?: string;
  description?: string;
  format?: string;
  default?: unknown;
  pattern?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  additionalProperties?: Schema;
  anyOf?: Schema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** An object schema with `{}` as its default, PKO's shape for every nesting level of `deployments`. */
export const objectWithDefault = (): Schema => ({ type: 'object', properties: {}, default: {} });

/** The schema as the manifest writes it: `properties` only where there are some. */
export function schemaJson(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (value === undefined) continue;
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      const props = Object.entries(schema.properties ?? {});
      if (props.length > 0) out[key] = Object.fromEntries(props.map(([k, v]) => [k, schemaJson(v)]));
    } else if (
      (key === 'items' || key === 'additionalProperties') &&
      typeof value === 'object' &&
      value !== null
    )
      out[key] = schemaJson(key === 'items' ? (schema.items ?? {}) : (schema.additionalProperties ?? {}));
    else if (key === 'anyOf') out[key] = (schema.anyOf ?? []).map(schemaJson);
    else out[key] = value;
  }
  return out;
}

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };

export const tolerationsSchema = (description: string): Schema => ({
  type: 'array',
  description,
  default: [],
  items: {
    type: 'object',
    properties: {
      effect: str,
      key: str,
      operator: str,
      tolerationSeconds: { format: 'int64', type: 'integer' },
      value: str,
    },
  },
});

const keyRef = (): Schema => ({
  type: 'object',
  properties: { key: str, name: str, optional: bool },
  required: ['key'],
});

export const envSchema = (): Schema => ({
  type: 'array',
  default: [],
  items: {
    type: 'object',
    properties: {
      name: str,
      value: str,
      valueFrom: {
        type: 'object',
        properties: {
          configMapKeyRef: keyRef(),
          fieldRef: {
            type: 'object',
            properties: { apiVersion: str, fieldPath: str },
            required: ['fieldPath'],
          },
          secretKeyRef: keyRef(),
        },
      },
    },
  },
});

const QUANTITY =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))' +
  '(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)' +
  '|(\\.[0-9]+))))?$';

const quantities = (): Schema => ({
  type: 'object',
  additionalProperties: {
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: QUANTITY,
    'x-kubernetes-int-or-string': true,
  },
});

export const resourcesSchema = (defaults: unknown): Schema => ({
  type: 'object',
  default: defaults,
  properties: { limits: quantities(), requests: quantities() },
});
