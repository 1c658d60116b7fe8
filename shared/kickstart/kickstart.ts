/**
 * @module kickstart/kickstart
 * A new package from Kubernetes objects, as PKO v1.19.0's `kubectl package kickstart`: each object gets the
 * phase annotation its kind's preset names and goes to `<phase>/<name>.<kind>.yaml` (`-1`, `-2`… on a
 * collision), Namespaces the objects use but the input lacks are added, and `manifest.yaml` lists the used
 * phases in order, both scopes, the availability probes of the used kinds and, with `--parametrize`, the
 * config schema and a `defaults` template test case.
 *
 * Intended differences from PKO: probes and the kinds without one are listed in order of first appearance
 * (PKO: Go map order, different on every run); see also kickstart/parametrize.
 */
import { TerminalError } from '../errors.js';
import { goYaml } from './go-yaml.js';
import { kickstartManifest } from './manifest.js';
import {
  parametrizeDeployment,
  parametrizeGeneric,
  type ImageNames,
  type KickObject,
} from './presets-param.js';
import { ParametrizeError, execute, pipeline } from './parametrize.js';
import {
  anyParametrization,
  groupKindKey,
  needsNoProbe,
  ORDERED_PHASES,
  parametrizeOptions,
  phaseOf,
  probeFor,
  type ParametrizeOptions,
  type Probe,
} from './presets.js';
import type { Schema } from './schema.js';

export class KickstartError extends TerminalError {
  public override readonly name: string = 'KickstartError';
}

export interface KickstartResult {
  /** Path in the package folder → file text. */
  readonly files: ReadonlyMap<string, string>;
  readonly objectCount: number;
  /** `Kind.group` of every used kind that has no availability probe preset. */
  readonly kindsWithoutProbes: readonly string[];
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/**
 * How an error shows the object: quoted whole as PKO does for the user's own files, or, for objects fetched from
 * a registry (an OLM bundle), only by its position: what was fetched is never echoed.
 */
export type ShowObject = (object: Readonly<Record<string, unknown>>) => string;
export const quoteObject: ShowObject = (object) => `'${goYaml(object)}'`;

const escapeSeparator = (text: string): string => text.replaceAll('/', '-');

/** Group and version of an apiVersion as apimachinery parses it; version '' when it is not valid. */
function groupVersion(apiVersion: string): { group: string; version: string } {
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] ?? '' };
  if (parts.length === 2) return { group: parts[0] ?? '', version: parts[1] ?? '' };
  return { group: '', version: '' };
}

/** Checks PKO makes before anything is written: metadata, name, apiVersion. */
function identify(object: Record<string, unknown>, quoted: ShowObject): KickObject {
  const metadata = object['metadata'];
  if (!isMap(metadata))
    throw new KickstartError(`parsing namespace and name: object is missing metadata: ${quoted(object)}`);
  const name = metadata['name'];
  if (typeof name !== 'string' || name === '')
    throw new KickstartError(`parsing namespace and name: object is missing name: ${quoted(object)}`);
  const { group, version } = groupVersion(str(object['apiVersion']));
  if (version === '')
    throw new KickstartError(`parsing groupKind: object has invalid apiVersion: ${quoted(object)}`);
  const kind = str(object['kind']);
  const namespace = str(metadata['namespace']);
  return { object, group, version, kind, name, namespace, seed: `${group}/${kind}/${namespace}/${name}` };
}

function withPhase(object: Record<string, unknown>, phase: string): Record<string, unknown> {
  const metadata = isMap(object['metadata']) ? object['metadata'] : {};
  const existing = metadata['annotations'];
  const kept = isMap(existing) && Object.values(existing).every((v) => typeof v === 'string') ? existing : {};
  const annotations = { ...kept, 'package-operator.run/phase': phase };
  return { ...object, metadata: { ...metadata, annotations } };
}

/** PKO's `$phase/$name.$kind.yaml`, `$phase/$name.$kind-1.yaml`, … whichever is free first. */
function freePath(
  files: ReadonlyMap<string, string>,
  phase: string,
  name: string,
  kind: string,
  suffix: string,
): string {
  const stem = `${phase}/${name.toLowerCase()}.${kind.toLowerCase()}`;
  let path = `${stem}.${suffix}`;
  for (let n = 1; files.has(path); n++) path = `${stem}-${n}.${suffix}`;
  return path;
}

interface State {
  readonly files: Map<string, string>;
  readonly seen: Set<string>;
  readonly phases: Set<string>;
  readonly kinds: Map<string, { group: string; kind: string }>;
  readonly namespacesUsed: Set<string>;
  readonly namespacesFound: Set<string>;
  readonly schema: Schema;
  readonly images: ImageNames;
}

function parametrized(o: KickObject, state: State, opts: ParametrizeOptions): string | undefined {
  if (!anyParametrization(opts)) return undefined;
  try {
    if (o.group === 'apps' && o.version === 'v1' && o.kind === 'Deployment')
      return parametrizeDeployment(o, state.schema, state.images, opts);
    return parametrizeGeneric(o, opts);
  } catch (error) {
    if (error instanceof ParametrizeError)
      throw new KickstartError(`parametrizing: ${error.message}`, { cause: error });
    throw error;
  }
}

function addObject(
  raw: Record<string, unknown>,
  state: State,
  opts: ParametrizeOptions,
  quoted: ShowObject,
): void {
  const id = identify(raw, quoted);
  const phase = phaseOf(id.group, id.kind);
  const identity = JSON.stringify([
    id.group || 'core',
    id.kind,
    escapeSeparator(id.namespace),
    escapeSeparator(id.name),
  ]);
  if (state.seen.has(identity)) throw new KickstartError(`duplicate object: ${quoted(raw)}`);
  state.seen.add(identity);
  const o: KickObject = { ...id, object: withPhase(raw, phase) };
  if (id.group === '' && id.kind === 'Namespace') state.namespacesFound.add(id.name);
  if (id.namespace !== '') state.namespacesUsed.add(id.namespace);
  state.phases.add(phase);
  const key = groupKindKey(id.group, id.kind);
  if (!state.kinds.has(key)) state.kinds.set(key, { group: id.group, kind: id.kind });
  const template = parametrized(o, state, opts);
  const suffix = template === undefined ? 'yaml' : 'yaml.gotmpl';
  const path = freePath(state.files, phase, escapeSeparator(id.name), id.kind, suffix);
  state.files.set(path, template ?? goYaml(o.object));
}

/** Namespace objects for namespaces the objects use but the input does not contain. */
function addMissingNamespaces(state: State, opts: ParametrizeOptions): void {
  const missing = [...state.namespacesUsed].filter((ns) => !state.namespacesFound.has(ns)).sort();
  for (const ns of missing) {
    state.phases.add('namespaces');
    const object = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, annotations: { 'package-operator.run/phase': 'namespaces' } },
    };
    const stem = `namespaces/${escapeSeparator(ns)}.namespace.yaml`;
    if (opts.namespaces) {
      const expression = `default (index .config.namespaces ${JSON.stringify(ns)}) .config.namespace`;
      state.files.set(
        `${stem}.gotmpl`,
        execute(object, `/Namespace//${ns}`, [pipeline(expression, 'metadata.name')]),
      );
    } else state.files.set(stem, goYaml(object));
  }
  if (!opts.namespaces) return;
  const props = (state.schema.properties ??= {});
  props['namespace'] = { type: 'string', default: '' };
  if (missing.length > 0)
    props['namespaces'] = {
      type: 'object',
      default: {},
      properties: Object.fromEntries(missing.map((ns) => [ns, { type: 'string', default: ns }])),
    };
}

function probesOf(state: State): { probes: Probe[]; without: string[] } {
  const probes: Probe[] = [];
  const without: string[] = [];
  for (const [key, { group, kind }] of state.kinds) {
    if (needsNoProbe(group, kind)) continue;
    const probe = probeFor(group, kind);
    if (probe === undefined) without.push(key);
    else probes.push(probe);
  }
  return { probes, without };
}

/** Kickstart a package named `name` from objects, with PKO's `--parametrize` values. */
export function kickstart(
  name: string,
  objects: readonly Record<string, unknown>[],
  parametrize: readonly string[],
  show: ShowObject = quoteObject,
): KickstartResult {
  const opts = parametrizeOptions(parametrize);
  const state: State = {
    files: new Map(),
    seen: new Set(),
    phases: new Set(),
    kinds: new Map(),
    namespacesUsed: new Set(),
    namespacesFound: new Set(),
    schema: { type: 'object', properties: {} },
    images: new Map(),
  };
  for (const object of objects) addObject(object, state, opts, show);
  addMissingNamespaces(state, opts);
  const { probes, without } = probesOf(state);
  const phases = ORDERED_PHASES.filter((p) => state.phases.has(p));
  state.files.set('manifest.yaml', kickstartManifest(name, phases, probes, state.schema));
  return { files: state.files, objectCount: objects.length, kindsWithoutProbes: without };
}

/** PKO's success report: the object count, then the kinds without availability probes. */
export function kickstartReport(name: string, result: KickstartResult): string {
  const line = `Kickstarted the ${JSON.stringify(name)} package with ${result.objectCount} objects.`;
  if (result.kindsWithoutProbes.length === 0) return line;
  const kinds = result.kindsWithoutProbes.map((k) => `- ${k}\n`).join('');
  return `${line}\n[WARN] Some kinds don't have availability probes defined:\n${kinds}`;
}
