/**
 * @module packages/render
 * PackageComponent + context → rendered phases (docs/pko-compatibility.md §1.5–§1.10, §2.4): config admission, images,
 * scope and constraints, template rendering (`.gotmpl` through Go's text/template, `.hbs` through handlebars),
 * path filters, objects, validators, CEL object conditions, grouping into the manifest's phases.
 */
import { parseConstraint, parseVersion, satisfies, versionText } from './pko-semver.js';
import picomatch from 'picomatch';
import { STATIC_TEST_IMAGE } from '../api/constants.js';
import type { ObjectSetObject } from '../api/generated/crds.js';
import type { PackageManifest, PackageManifestSpec } from '../api/generated/packagemanifest.js';

/** An availability probe as the manifest declares it (CRD defaults are applied by the ObjectDeployment builder). */
export type ManifestProbe = NonNullable<PackageManifestSpec['availabilityProbes']>[number];
import { compileCel } from '../cel/index.js';
import { errorMessage, TerminalError } from '../errors.js';
import type { GoTemplateEngine, HandlebarsEngine } from '../ports.js';
import { isTemplateError } from '../render/errors.js';
import { aggregate, admitConfig } from '../schema/index.js';
import type { Environment } from './environment.js';
import { fileText, type FileMap } from './files.js';
import { lockedDependencies, lockedImages, type ImagePrefixOverride } from './images.js';
import { lockConsistency } from './manifest-validation.js';
import {
  annotationsOf,
  keepByCondition,
  parseObjects,
  toSetObject,
  validateObjects,
  type SourcedObject,
} from './objects.js';
import type { PackageComponent } from './structure.js';
import { ViolationError, type ViolationFields } from './violation.js';
import { ANNOTATION_PHASE } from '../api/constants.js';

export interface PackageEngines {
  readonly gotmpl: GoTemplateEngine;
  /** Where `.hbs` templates render (a worker thread with a deadline); absent: the pure renderer, in-thread. */
  readonly handlebars?: HandlebarsEngine;
}

export type { Environment };

export interface PackageMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface RenderInput {
  readonly component: PackageComponent;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly package: { readonly metadata: PackageMetadata; readonly image: string };
  /** Raw `spec.config` as the user gave it (undefined/null ⇒ {}). */
  readonly config: unknown;
  /**
   * The config the Package was last rendered with (its applied config), for the schema's transition rules
   * (`oldSelf`); undefined on create, where Kubernetes skips them.
   */
  readonly previousConfig?: unknown;
  readonly environment: Environment;
  readonly imagePrefixOverrides?: readonly ImagePrefixOverride[];
  /** Template tests and `tree`: every `.images.X` is `registry.package-operator.run/static-image`. */
  readonly staticImages?: boolean;
  /** Template tests render regardless of the scope their test package would have. */
  readonly skipScopeCheck?: boolean;
  /** `tree`, as PKO's, renders without checking `spec.constraints` (a cluster's concern). */
  readonly skipConstraints?: boolean;
  /**
   * Another package in the same scope (namespace, or the cluster for ClusterPackages) already uses this manifest:
   * a `uniqueInScope` constraint fails. The deployer finds this out (it lists the scope's ObjectDeployments).
   */
  readonly manifestUsedElsewhere?: boolean;
}

export interface RenderedPhase {
  readonly name: string;
  readonly class?: string;
  readonly objects: readonly ObjectSetObject[];
}

export interface RenderedPackage {
  readonly manifest: PackageManifest;
  /** Admitted (pruned + defaulted) config. */
  readonly config: Record<string, unknown>;
  /** Every manifest phase in manifest order (possibly empty). */
  readonly phases: readonly RenderedPhase[];
  readonly availabilityProbes: readonly ManifestProbe[];
  /** Every file after template rendering and path filtering (template outputs under their rendered names). */
  readonly files: FileMap;
  /** Rendered YAML files minus CEL-filtered documents, as template-test fixtures hold them. */
  readonly fixtureFiles: ReadonlyMap<string, string>;
}

function fail(violations: ViolationFields | readonly ViolationFields[]): never {
  throw new ViolationError(violations);
}

/** Config admission (docs/pko-compatibility.md §1.8): errors become one violation with Kubernetes' aggregate text. */
export function admit(
  manifest: PackageManifest,
  config: unknown,
  component: string,
  previousConfig?: unknown,
): Record<string, unknown> {
  const result = admitConfig(manifest.spec?.config?.openAPIV3Schema, config, 'spec.config', previousConfig);
  if (result.errors.length > 0) fail({ reason: aggregate(result.errors), component });
  return result.config;
}

function staticMap(names: readonly (string | undefined)[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n ?? '', STATIC_TEST_IMAGE]));
}

function checkScope(manifest: PackageManifest, scope: 'Namespaced' | 'Cluster', component: string): void {
  if (!(manifest.spec?.scopes ?? []).includes(scope))
    fail({ reason: 'Package unsupported scope', path: 'manifest.yaml', component });
}

/** `uniqueInScope` failed (PKO's words, which say "namespace" for ClusterPackages too). */
export const MSG_NOT_UNIQUE_IN_SCOPE =
  'package has unique constraint set but another package in the same namespace uses the same manifest';

/**
 * Constraints (docs/pko-compatibility.md §1.14, the recommended behaviour: a failed constraint blocks): the ones a
 * package does not meet, in its manifest's order, in PKO's words.
 */
export function checkConstraints(
  manifest: PackageManifest,
  environment: Environment,
  manifestUsedElsewhere = false,
): string[] {
  const failures: string[] = [];
  const isOpenShift = environment.openShift !== undefined;
  for (const constraint of manifest.spec?.constraints ?? []) {
    const version = platformVersionFailure(constraint.platformVersion, environment);
    if (version !== undefined) failures.push(version);
    if (constraint.platform?.includes('OpenShift') === true && !isOpenShift)
      failures.push('OpenShift platform');
    if (constraint.uniqueInScope !== undefined && manifestUsedElsewhere)
      failures.push(MSG_NOT_UNIQUE_IN_SCOPE);
  }
  return failures;
}

/** A `platformVersion` constraint the environment does not meet (ignored on another platform). */
function platformVersionFailure(
  pv: { readonly name?: string; readonly range?: string } | undefined,
  environment: Environment,
): string | undefined {
  if (pv === undefined) return undefined;
  const version =
    pv.name === 'OpenShift'
      ? environment.openShift?.version
      : pv.name === 'Kubernetes'
        ? environment.kubernetes.version
        : undefined;
  // PKO's own range semantics (pko-semver.ts), pre-releases included; a version or range it cannot read is ignored.
  // Kubernetes says `v1.37.0`, which PKO's parser refuses (failing every Kubernetes constraint there): the `v` is
  // dropped first, on purpose.
  const parsed = version === undefined ? undefined : parseVersion(version.replace(/^v/, ''));
  const range = parseConstraint(pv.range ?? '');
  if (parsed === undefined || !parsed.ok || !range.ok || satisfies(range.value, parsed.value))
    return undefined;
  return `${pv.name ?? ''} ${versionText(parsed.value)} does not meet constraint ${pv.range ?? ''}`;
}

interface TemplateContext {
  readonly package: { metadata: Record<string, unknown>; image: string };
  readonly config: Record<string, unknown>;
  readonly images: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly environment: Environment;
}

function dependenciesOf(input: RenderInput): Record<string, string> {
  const { component } = input;
  return input.staticImages === true
    ? staticMap((component.lock?.spec?.dependencies ?? []).map((d) => d.name))
    : lockedDependencies(component.lock, input.imagePrefixOverrides);
}

/**
 * The template context: PKO v1.19.0's four keys (package, config, images, environment), plus `dependencies`
 * (PKO's later API) only when the lock file has some, so the context PKO's errors quote is the same.
 */
function buildContext(input: RenderInput, config: Record<string, unknown>): TemplateContext {
  const { component } = input;
  const dependencies = dependenciesOf(input);
  const meta = input.package.metadata;
  return {
    package: {
      metadata: {
        name: meta.name,
        namespace: meta.namespace,
        // Absent maps go to the Go engine as null, as PKO's JSON round trip of a nil map does: PKO then gives
        // them the type map[string]string, so `index .package.metadata.annotations "x"` is "" there, while a
        // present map (even `{}`) decodes to map[string]any and a missing key prints `<no value>`.
        labels: meta.labels === undefined ? null : { ...meta.labels },
        annotations: meta.annotations === undefined ? null : { ...meta.annotations },
      },
      image: input.package.image,
    },
    config,
    images:
      input.staticImages === true
        ? staticMap((component.manifest.spec?.images ?? []).map((i) => i.name))
        : lockedImages(component.lock, input.imagePrefixOverrides),
    environment: input.environment,
    ...(Object.keys(dependencies).length > 0 ? { dependencies } : {}),
  };
}

function templatesWith(files: FileMap, suffix: string): Map<string, string> {
  return new Map([...files].filter(([p]) => p.endsWith(suffix)).map(([p, b]) => [p, fileText(b)]));
}

function isHelper(path: string): boolean {
  return (path.split('/').at(-1) ?? '').startsWith('_');
}

/** Longest error text kept whole: conditions hold at most 32768 characters, and nobody reads more. */
const MAX_ERROR_CHARS = 4096;

/** Keep the head and the tail of a very long message (a 1000-deep include chain), marking what was cut. */
export function elide(message: string): string {
  if (message.length <= MAX_ERROR_CHARS) return message;
  const keep = MAX_ERROR_CHARS / 2 - 64;
  return `${message.slice(0, keep)} … (${message.length - 2 * keep} characters elided) … ${message.slice(-keep)}`;
}

/** Handlebars templates always see metadata labels and annotations as maps (`{}` when absent). */
function withMetadataMaps(context: unknown): unknown {
  if (!isRecord(context) || !isRecord(context['package'])) return context;
  const pkg = context['package'];
  const metadata = isRecord(pkg['metadata']) ? pkg['metadata'] : {};
  return {
    ...context,
    package: {
      ...pkg,
      metadata: { ...metadata, labels: metadata['labels'] ?? {}, annotations: metadata['annotations'] ?? {} },
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * PKO's wrapping of a Go template error: `parsing template from <path>: …`, or `executing template from <path>
 * with context <the data as Go prints it>: …`. Handlebars errors (Gantry's own engine) keep their text.
 */
function pkoTemplateMessage(error: unknown): string {
  const message = errorMessage(error);
  if (!isTemplateError(error) || error.path?.endsWith('.gotmpl') !== true) return message;
  if (error.phase === 'parse') return `parsing template from ${error.path}: ${message}`;
  if (error.phase === 'execute')
    return `executing template from ${error.path} with context ${error.context ?? 'map[]'}: ${message}`;
  return message;
}

/** Render every template; the result holds every non-template file plus the rendered outputs. */
export async function renderTemplates(
  files: FileMap,
  context: unknown,
  engines: PackageEngines,
  cel: { readonly evaluate: (expression: string) => boolean; readonly variables: Record<string, unknown> },
  component: string,
): Promise<Map<string, Uint8Array>> {
  const out = new Map([...files].filter(([p]) => !p.endsWith('.gotmpl') && !p.endsWith('.hbs')));
  const encoder = new TextEncoder();
  const gotmpl = templatesWith(files, '.gotmpl');
  const hbs = templatesWith(files, '.hbs');
  try {
    if (gotmpl.size > 0) {
      const execute = [...gotmpl.keys()].filter((p) => !isHelper(p)).sort();
      const rendered = await engines.gotmpl.render({
        templates: gotmpl,
        execute,
        context,
        files,
        cel: cel.evaluate,
        celVariables: cel.variables,
        functionSet: 'package',
      });
      for (const [path, text] of rendered) out.set(path.slice(0, -'.gotmpl'.length), encoder.encode(text));
    }
    if (hbs.size > 0) {
      // handlebars (and its source-map dependency) load only for packages that have .hbs files: start-up.
      const { renderHandlebars } = await import('../render/handlebars.js');
      const execute = [...hbs.keys()].filter((p) => !isHelper(p)).sort();
      const request = { templates: hbs, execute, context: withMetadataMaps(context) };
      const rendered = engines.handlebars
        ? await engines.handlebars.render(request)
        : renderHandlebars(request);
      for (const [path, text] of rendered) out.set(path.slice(0, -'.hbs'.length), encoder.encode(text));
    }
  } catch (error) {
    // Only a problem with the package is a violation; an engine crash (retryable) or any unexpected failure is
    // passed on as it is, so the host retries it instead of blaming the package.
    if (!(error instanceof TerminalError)) throw error;
    fail({ reason: elide(pkoTemplateMessage(error)), component });
  }
  return out;
}

/** `spec.filter.conditions` → the `cond` map (docs/pko-compatibility.md §1.6). */
export function evaluateConditions(
  manifest: PackageManifest,
  variables: Readonly<Record<string, unknown>>,
  component: string,
): Record<string, boolean> {
  const cond: Record<string, boolean> = {};
  const seen = new Set<string>();
  for (const c of manifest.spec?.filter?.conditions ?? []) {
    const name = c.name ?? '';
    // PKO builds its CEL context before rendering templates and says so: `constructing CEL context: …`.
    if (!/^[_a-zA-Z][_a-zA-Z0-9]*$/.test(name))
      fail({ reason: `constructing CEL context: invalid CEL condition name: '${name}'`, component });
    if (seen.has(name))
      fail({ reason: `constructing CEL context: duplicate CEL condition name: '${name}'`, component });
    seen.add(name);
    try {
      cond[name] = compileCel(c.expression ?? '', 'package').evaluate(variables);
    } catch (error) {
      fail({
        reason: `constructing CEL context: CEL condition evaluation failed: '${name}'`,
        details: errorMessage(error),
        component,
      });
    }
  }
  return cond;
}

/** Drop files excluded by `spec.filter.paths` (glob matched against the rendered path). */
export function filterPaths(
  files: Map<string, Uint8Array>,
  manifest: PackageManifest,
  variables: Readonly<Record<string, unknown>>,
  component: string,
): void {
  for (const rule of manifest.spec?.filter?.paths ?? []) {
    let keep: boolean;
    try {
      keep = compileCel(rule.expression ?? '', 'package').evaluate(variables);
    } catch (error) {
      fail({
        reason: `failed to evaluate CEL path filter for glob '${rule.glob ?? ''}'`,
        details: errorMessage(error),
        component,
      });
    }
    if (keep) continue;
    const matches = picomatch(rule.glob ?? '', { dot: true });
    for (const path of [...files.keys()]) if (matches(path)) files.delete(path);
  }
}

function withComponent(violations: readonly ViolationFields[], component: string): ViolationFields[] {
  return violations.map((v) => (component === '' ? v : { ...v, component }));
}

function fixtureTexts(
  files: FileMap,
  dropped: ReadonlySet<SourcedObject>,
  objects: readonly SourcedObject[],
): Map<string, string> {
  const out = new Map<string, string>();
  const byPath = new Map<string, SourcedObject[]>();
  for (const o of objects) byPath.set(o.path, [...(byPath.get(o.path) ?? []), o]);
  for (const [path, list] of byPath) {
    const bytes = files.get(path);
    if (bytes === undefined) continue;
    if (list.every((o) => !dropped.has(o))) {
      out.set(path, fileText(bytes));
      continue;
    }
    const kept = list.filter((o) => !dropped.has(o));
    if (kept.length > 0)
      out.set(path, kept.map((o) => (o.text.endsWith('\n') ? o.text : `${o.text}\n`)).join('---\n'));
  }
  return out;
}

/** CEL object conditions, PKO annotations and labels, grouping by phase in manifest order. */
function groupIntoPhases(
  manifest: PackageManifest,
  objects: readonly SourcedObject[],
  variables: Readonly<Record<string, unknown>>,
  instance: string,
): { phases: RenderedPhase[]; dropped: Set<SourcedObject> } {
  const component = manifest.metadata?.name ?? '';
  const dropped = new Set<SourcedObject>();
  const phaseNames = (manifest.spec?.phases ?? []).map((p) => p.name);
  const byPhase = new Map<string, ObjectSetObject[]>(phaseNames.map((p) => [p, []]));
  for (const source of objects) {
    const kept = keepByCondition(source.object, variables);
    if (kept.violation !== undefined) fail(kept.violation);
    if (!kept.keep) {
      dropped.add(source);
      continue;
    }
    const converted = toSetObject(source, { packageName: component, instance });
    if (converted.violation !== undefined) fail(converted.violation);
    if (converted.object !== undefined)
      byPhase.get(annotationsOf(source.object)[ANNOTATION_PHASE] ?? '')?.push(converted.object);
  }
  const phases = (manifest.spec?.phases ?? []).map((p) => ({
    name: p.name,
    ...(p.class !== undefined && p.class !== '' ? { class: p.class } : {}),
    objects: byPhase.get(p.name) ?? [],
  }));
  return { phases, dropped };
}

/** Render a component into phases of objects. Throws ViolationError on any problem with the package. */
export async function renderPackage(input: RenderInput, engines: PackageEngines): Promise<RenderedPackage> {
  const { component } = input;
  const name = component.name;
  const manifest = component.manifest;
  const config = admit(manifest, input.config, name, input.previousConfig);
  if (input.staticImages !== true) {
    const lockProblems = lockConsistency(manifest, component.lock, name);
    if (lockProblems.length > 0) fail(lockProblems);
  }
  if (input.skipScopeCheck !== true) checkScope(manifest, input.scope, name);
  const constraintFailures =
    input.skipConstraints === true
      ? []
      : checkConstraints(manifest, input.environment, input.manifestUsedElsewhere);
  if (constraintFailures.length > 0)
    fail({ reason: `Constraints not met: ${constraintFailures.join(', ')}`, component: name });
  const context = buildContext(input, config);
  const base = {
    config: context.config,
    images: context.images,
    dependencies: context.dependencies ?? {},
    environment: context.environment,
  };
  const cond = evaluateConditions(manifest, base, name);
  const variables = { ...base, cond };
  const evaluate = (expression: string): boolean => compileCel(expression, 'package').evaluate(variables);
  const files = await renderTemplates(component.files, context, engines, { evaluate, variables }, name);
  const parsed = parseObjects(files);
  if (parsed.violations.length > 0) fail(withComponent(parsed.violations, name));
  const phaseNames = (manifest.spec?.phases ?? []).map((p) => p.name);
  const invalid = validateObjects(parsed.objects, phaseNames);
  if (invalid.length > 0) fail(withComponent(invalid, name));
  // As PKO: every object is validated first, path filters drop files afterwards (an excluded file must still
  // carry valid objects).
  filterPaths(files, manifest, variables, name);
  const objects = parsed.objects.filter((o) => files.has(o.path));
  const { phases, dropped } = groupIntoPhases(manifest, objects, variables, input.package.metadata.name);
  return {
    manifest,
    config,
    phases,
    availabilityProbes: manifest.spec?.availabilityProbes ?? [],
    files,
    fixtureFiles: fixtureTexts(files, dropped, objects),
  };
}
