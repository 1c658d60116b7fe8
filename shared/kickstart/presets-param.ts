/**
 * @module kickstart/presets-param
 * PKO's `--parametrize` presets: `.config.namespace` / `.config.namespaces.<ns>` on every namespaced object,
 * and for apps/v1 Deployments `.config.deployments.<ns>.<name>`: replicas, nodeSelector, tolerations, and per
 * container env and resources; `images` swaps each tag-referenced image for `.images.<container>`.
 */
import { isClusterScoped, type ParametrizeOptions } from './presets.js';
import {
  cloneObject,
  execute,
  getPath,
  hasPath,
  mergeBlock,
  ParametrizeError,
  pipeline,
  setPath,
  type Instruction,
} from './parametrize.js';
import { envSchema, objectWithDefault, resourcesSchema, tolerationsSchema, type Schema } from './schema.js';

export interface KickObject {
  readonly object: Record<string, unknown>;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  /** Names the object for parametrize markers. */
  readonly seed: string;
}

const q = (text: string): string => JSON.stringify(text);
const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `.config.namespace`, or the per-namespace override with it as the default. */
function namespacePipeline(ns: string): string {
  return ns === '' ? '.config.namespace' : `default (index .config.namespaces ${q(ns)}) .config.namespace`;
}

/** The namespace instructions of an object; undefined for cluster-scoped kinds. */
export function namespaceInstructions(o: KickObject): Instruction[] | undefined {
  if (o.kind === 'ClusterRoleBinding' && o.group === 'rbac.authorization.k8s.io') {
    const subjects = Array.isArray(o.object['subjects']) ? o.object['subjects'] : [];
    return subjects.flatMap((s: unknown, i) =>
      isMap(s) && typeof s['namespace'] === 'string'
        ? [pipeline(namespacePipeline(s['namespace']), `subjects.${i}.namespace`)]
        : [],
    );
  }
  if (isClusterScoped(o.group, o.kind)) return undefined;
  return [pipeline(namespacePipeline(o.namespace), 'metadata.namespace')];
}

/** Image names handed out so far (`<container>`, then `<container>-1`, …). */
export type ImageNames = Map<string, string>;

function addImage(images: ImageNames, container: string, image: string): string {
  let name = container;
  for (let i = 1; images.has(name); i++) name = `${container}-${i}`;
  images.set(name, image);
  return name;
}

function containersOf(o: KickObject): readonly { name: string; container: Record<string, unknown> }[] {
  const list = getPath(o.object, 'spec.template.spec.containers');
  if (!Array.isArray(list)) throw new ParametrizeError('spec.template.spec.containers is not a list');
  return list.map((c: unknown, i) => {
    if (!isMap(c)) throw new ParametrizeError(`spec.template.spec.containers.${i} is not a map`);
    const name = c['name'] ?? '';
    if (typeof name !== 'string')
      throw new ParametrizeError(`spec.template.spec.containers.${i}.name is not a string`);
    return { name, container: c };
  });
}

type Access = (...keys: string[]) => string;

function replicas(o: KickObject, config: Schema, access: Access): Instruction[] {
  const original = hasPath(o.object, 'spec.replicas') ? getPath(o.object, 'spec.replicas') : 1;
  const value = typeof original === 'string' ? Number(original) : original;
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new ParametrizeError(`spec.replicas of Deployment ${o.namespace}/${o.name} is not a number`);
  (config.properties ??= {})['replicas'] = {
    type: 'integer',
    format: 'int32',
    description: `Replica count for Deployment ${o.namespace}/${o.name}.`,
    default: value,
  };
  return [pipeline(access('replicas'), 'spec.replicas')];
}

function nodeSelector(o: KickObject, config: Schema, access: Access): Instruction[] {
  (config.properties ??= {})['nodeSelector'] = {
    type: 'object',
    description: `NodeSelector for Deployment ${o.namespace}/${o.name}.`,
    'x-kubernetes-preserve-unknown-fields': true,
  };
  return [pipeline(`${access('nodeSelector')} | toJson`, 'spec.template.spec.nodeSelector')];
}

function images(o: KickObject, config: Schema, names: ImageNames): Instruction[] {
  (config.properties ??= {})['containers'] = objectWithDefault();
  return containersOf(o).flatMap(({ name }, i) => {
    const path = `spec.template.spec.containers.${i}.image`;
    const image = getPath(o.object, path);
    if (typeof image !== 'string') throw new ParametrizeError(`${path} is not a string`);
    if (image.includes('@')) return []; // already pinned by digest
    return [pipeline(`index .images ${q(addImage(names, name, image))}`, path)];
  });
}

function tolerations(o: KickObject, config: Schema, access: Access): Instruction[] {
  (config.properties ??= {})['tolerations'] = tolerationsSchema(
    `Additional tolerations for Deployment ${o.namespace}/${o.name}.`,
  );
  const path = 'spec.template.spec.tolerations';
  if (!hasPath(o.object, path)) setPath(o.object, path, []);
  return [mergeBlock(access('tolerations'), path)];
}

function containers(o: KickObject, config: Schema, access: Access, opts: ParametrizeOptions): Instruction[] {
  const schema = objectWithDefault();
  (config.properties ??= {})['containers'] = schema;
  return containersOf(o).flatMap(({ name, container }, i) => {
    const own = objectWithDefault();
    (schema.properties ??= {})[name] = own;
    const out: Instruction[] = [];
    if (opts.env) {
      (own.properties ??= {})['env'] = envSchema();
      const path = `spec.template.spec.containers.${i}.env`;
      if (!hasPath(o.object, path)) setPath(o.object, path, []);
      out.push(mergeBlock(access('containers', name, 'env'), path));
    }
    if (opts.resources) {
      const original = container['resources'] ?? {};
      if (!isMap(original)) throw new ParametrizeError(`${name}.resources is not a map`);
      (own.properties ??= {})['resources'] = resourcesSchema(original);
      const path = `spec.template.spec.containers.${i}.resources`;
      out.push(pipeline(`${access('containers', name, 'resources')} | toJson`, path));
    }
    return out;
  });
}

/** Record a Deployment's config schema under `deployments.<ns>.<name>` of the root schema. */
function addDeploymentSchema(root: Schema, o: KickObject, config: Schema): void {
  const deployments = ((root.properties ??= {})['deployments'] ??= objectWithDefault());
  const ns = ((deployments.properties ??= {})[o.namespace] ??= objectWithDefault());
  (ns.properties ??= {})[o.name] = config;
}

/** The template text of an apps/v1 Deployment with PKO's Deployment presets. */
export function parametrizeDeployment(
  original: KickObject,
  root: Schema,
  names: ImageNames,
  opts: ParametrizeOptions,
): string {
  const o = { ...original, object: cloneObject(original.object) };
  const access: Access = (...keys) =>
    `index .config "deployments" ${[o.namespace, o.name, ...keys].map(q).join(' ')}`;
  const config = objectWithDefault();
  const instructions = [
    ...(opts.namespaces ? (namespaceInstructions(o) ?? []) : []),
    ...(opts.replicas ? replicas(o, config, access) : []),
    ...(opts.nodeSelectors ? nodeSelector(o, config, access) : []),
    ...(opts.images ? images(o, config, names) : []),
    ...(opts.tolerations ? tolerations(o, config, access) : []),
    ...(opts.env || opts.resources ? containers(o, config, access, opts) : []),
  ];
  addDeploymentSchema(root, o, config);
  return execute(o.object, o.seed, instructions);
}

/** The template text of any other object: its namespace parametrized, or undefined when nothing changes. */
export function parametrizeGeneric(o: KickObject, opts: ParametrizeOptions): string | undefined {
  const instructions = opts.namespaces ? (namespaceInstructions(o) ?? []) : [];
  return instructions.length === 0 ? undefined : execute(o.object, o.seed, instructions);
}
