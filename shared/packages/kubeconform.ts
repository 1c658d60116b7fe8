/**
 * @module packages/kubeconform
 * `test.kubeconform` of a package manifest, as PKO v1.19.0 runs kubeconform: every YAML document of the package's
 * static files and of each template test's rendered output is validated, strictly, against the JSON schema of its
 * kind found at the first of the manifest's `schemaLocations` (or PKO's two defaults) that has one; a kind no
 * location has a schema for is skipped. Schemas come through a loader port (files or HTTP, in the CLI).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { PackageManifest } from '../api/generated/packagemanifest.js';
import { errorMessage } from '../errors.js';
import { parseYaml, splitYamlDocuments } from './yaml.js';

export const DEFAULT_KUBE_SCHEMA_LOCATION =
  'https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json';
export const DEFAULT_CRDS_SCHEMA_LOCATION =
  'https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json';

/** A schema loader: the schema at a location, `undefined` when the location has none (404, no such file). */
export interface SchemaLoader {
  load(location: string): Promise<unknown>;
}

/** kubeconform's path template variables for a kind at an apiVersion. */
export function schemaLocation(
  template: string,
  kind: string,
  apiVersion: string,
  kubernetesVersion: string,
): string {
  const location =
    template === 'default'
      ? DEFAULT_KUBE_SCHEMA_LOCATION
      : template.endsWith('json')
        ? template
        : `${template}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`;
  const groupParts = apiVersion.split('/');
  const group = groupParts[0] ?? '';
  const versionParts = group.split('.');
  const kindSuffix = `-${(versionParts[0] ?? '').toLowerCase()}${groupParts.length > 1 ? `-${(groupParts[1] ?? '').toLowerCase()}` : ''}`;
  const values: Record<string, string> = {
    NormalizedKubernetesVersion: kubernetesVersion === 'master' ? 'master' : `v${kubernetesVersion}`,
    StrictSuffix: '-strict',
    ResourceKind: kind.toLowerCase(),
    ResourceAPIVersion: groupParts[groupParts.length - 1] ?? '',
    Group: group,
    KindSuffix: kindSuffix,
  };
  return location.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Validates documents against schemas found through a loader; compiled schemas are kept per kind. */
export class Kubeconform {
  private readonly ajv = new Ajv({
    strict: false,
    validateSchema: false,
    allErrors: false,
    validateFormats: false,
  });
  private readonly compiled = new Map<string, Promise<ValidateFunction | undefined>>();

  public constructor(
    private readonly loader: SchemaLoader,
    private readonly locations: readonly string[],
    private readonly kubernetesVersion: string,
  ) {}

  /** For a manifest with `test.kubeconform`; undefined without it. */
  public static forManifest(manifest: PackageManifest, loader: SchemaLoader): Kubeconform | undefined {
    const k = manifest.test?.kubeconform;
    if (k === undefined) return undefined;
    const locations =
      (k.schemaLocations ?? []).length > 0
        ? (k.schemaLocations ?? [])
        : [DEFAULT_KUBE_SCHEMA_LOCATION, DEFAULT_CRDS_SCHEMA_LOCATION];
    return new Kubeconform(loader, locations, (k.kubernetesVersion ?? '').replace(/^v/, ''));
  }

  /** PKO's violations for one YAML file: `Kubeconform rejected schema in <path> idx <i>: <error>`. */
  public async validateFile(path: string, text: string): Promise<string[]> {
    const out: string[] = [];
    const docs = splitYamlDocuments(text);
    for (let i = 0; i < docs.length; i++) {
      const problem = await this.validateDocument(docs[i] ?? '');
      if (problem !== undefined) out.push(`Kubeconform rejected schema in ${path} idx ${i}: ${problem}`);
    }
    return out;
  }

  private async validateDocument(text: string): Promise<string | undefined> {
    const parsed = parseYaml(text);
    if (!parsed.ok) return `error unmarshalling resource: ${parsed.error}`;
    const doc = parsed.value;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
    const kind: unknown = Reflect.get(doc, 'kind');
    const apiVersion: unknown = Reflect.get(doc, 'apiVersion');
    if (typeof kind !== 'string' || typeof apiVersion !== 'string' || kind === '')
      return "error while parsing: missing 'kind' key";
    let validate: ValidateFunction | undefined;
    try {
      validate = await this.schemaFor(kind, apiVersion);
    } catch (error) {
      return errorMessage(error);
    }
    if (validate === undefined || validate(doc)) return undefined;
    return `problem validating schema. Check JSON formatting: ${describe(validate.errors ?? [])}`;
  }

  private schemaFor(kind: string, apiVersion: string): Promise<ValidateFunction | undefined> {
    const key = `${apiVersion}/${kind}`;
    let found = this.compiled.get(key);
    if (found === undefined) {
      found = this.load(kind, apiVersion);
      this.compiled.set(key, found);
    }
    return found;
  }

  /** The first location with a schema for the kind, compiled; one that fails to load (not a 404) is an error. */
  private async load(kind: string, apiVersion: string): Promise<ValidateFunction | undefined> {
    for (const template of this.locations) {
      const location = schemaLocation(template, kind, apiVersion, this.kubernetesVersion);
      const schema = await this.loader.load(location);
      if (schema === undefined || typeof schema !== 'object' || schema === null) continue;
      try {
        return this.ajv.compile(schema);
      } catch {
        continue; // kubeconform tries the next location when a schema does not compile
      }
    }
    return undefined;
  }
}

function describe(errors: readonly ErrorObject[]): string {
  return errors
    .slice(0, 5)
    .map(
      (e) => `'${e.instancePath === '' ? '/' : e.instancePath}': ${e.message ?? 'invalid'}${additional(e)}`,
    )
    .join('; ');
}

function additional(e: ErrorObject): string {
  const p: unknown = e.params;
  if (e.keyword !== 'additionalProperties' || typeof p !== 'object' || p === null) return '';
  const name: unknown = Reflect.get(p, 'additionalProperty');
  return typeof name === 'string' ? ` '${name}'` : '';
}
