/**
 * @module packages/validate
 * `gantry validate`: every component's manifest and lock checked, and either its template test cases
 * rendered and compared with `.test-fixtures/<case>/` (generated when missing), or — without test cases —
 * its static files rendered with an empty context and object-validated (docs/pko-compatibility.md §1.12, §7, §11).
 */
import { createTwoFilesPatch } from 'diff';
import type { PackageManifest } from '../api/generated/packagemanifest.js';
import { errorMessage } from '../errors.js';
import { fileText, type FileMap } from './files.js';
import { lockConsistency, validateLock, validateManifest } from './manifest-validation.js';
import { parseObjects, validateObjects } from './objects.js';
import { renderPackage, type Environment, type PackageEngines, type RenderInput } from './render.js';
import type { LoadedPackage, PackageComponent } from './structure.js';
import { formatViolation, ViolationError } from './violation.js';
import { aggregate } from '../schema/index.js';
import { Kubeconform, type SchemaLoader } from './kubeconform.js';
import { isYamlPath } from './yaml.js';

function basename(path: string): string {
  return path.split('/').at(-1) ?? path;
}

export interface ValidateResult {
  /** Formatted violations; empty when the package is valid. */
  readonly violations: readonly string[];
  /** Fixture files to write (path relative to the package root → content), for test cases without fixtures. */
  readonly fixturesToWrite: ReadonlyMap<string, string>;
}

export interface ValidateOptions {
  /** Fixture folders that exist: `<component prefix>.test-fixtures/<case>` → files in it. */
  readonly fixtures: ReadonlyMap<string, FileMap>;
  /**
   * The environment of test cases that declare none. Unset, they see PKO's zero environment
   * (`.environment.kubernetes.version` is "") as PKO's template tests do.
   */
  readonly environment?: Environment;
  /** The package folder as the user named it; PKO names a fixture missing from it by its full path. */
  readonly folder?: string;
  /** Where `test.kubeconform` finds its schemas; without it, kubeconform is not run. */
  readonly schemaLoader?: SchemaLoader;
}

function prefixOf(component: PackageComponent): string {
  return component.name === '' ? '' : `components/${component.name}/`;
}

function label(component: PackageComponent, message: string): string {
  return component.name === '' ? message : `component "${component.name}": ${message}`;
}

function violationsOf(error: unknown): string[] {
  if (error instanceof ViolationError)
    return error.violations.map((v) => formatViolation({ ...v, component: undefined }));
  return [errorMessage(error)];
}

function unifiedDiff(file: string, fixture: string, actual: string): string {
  return createTwoFilesPatch(`FIXTURE/${file}`, `ACTUAL/${file}`, fixture, actual, undefined, undefined, {
    context: 3,
  })
    .split('\n')
    .filter((line) => !line.startsWith('====='))
    .join('\n')
    .replace(/^--- (.*)\t\n/m, '--- $1\n')
    .replace(/^\+\+\+ (.*)\t\n/m, '+++ $1\n');
}

/**
 * A test case's rendered files against its fixture folder, as PKO's TemplateTestValidator words it: unknown
 * fixture files first, then each mismatching file by its path in the package (not in the fixture folder), the
 * diff trimmed; a file missing from the fixtures is named by its full fixture path.
 */
function compareFixtures(
  caseName: string,
  fixtureDir: string,
  expected: FileMap,
  actual: ReadonlyMap<string, string>,
): string[] {
  const violations: string[] = [];
  for (const file of [...expected.keys()].sort()) {
    if (!actual.has(file))
      violations.push(`file ${file} should not exist, filtered or empty after template render`);
  }
  for (const [file, text] of [...actual].sort(([a], [b]) => a.localeCompare(b))) {
    const fixture = expected.get(file);
    if (fixture === undefined) {
      violations.push(`file ${fixtureDir}/${file} not found in fixtures folder`);
      continue;
    }
    const want = fileText(fixture);
    if (want !== text)
      violations.push(
        `File mismatch against fixture in ${file}: Testcase "${caseName}"\n${unifiedDiff(basename(file), want, text).trim()}`,
      );
  }
  return violations;
}

type TemplateCase = NonNullable<NonNullable<PackageManifest['test']>['template']>[number];

/** A test case's environment as PKO gives it: the case's own, else the zero environment (or the caller's). */
function caseEnvironment(testCase: TemplateCase, fallback: Environment | undefined): Environment {
  const env = testCase.context?.environment;
  if (env === undefined) return fallback ?? { kubernetes: { version: '' } };
  const kubernetes = env['kubernetes'];
  const version =
    typeof kubernetes === 'object' && kubernetes !== null && 'version' in kubernetes
      ? kubernetes.version
      : '';
  return { ...env, kubernetes: { version: typeof version === 'string' ? version : '' } };
}

function caseInput(
  component: PackageComponent,
  testCase: TemplateCase,
  options: ValidateOptions,
): RenderInput {
  const meta = testCase.context?.package?.metadata;
  const namespace = meta?.namespace ?? '';
  return {
    component,
    scope: namespace === '' ? 'Cluster' : 'Namespaced',
    package: {
      metadata: {
        name: meta?.name ?? '',
        namespace,
        ...metadataMaps(cleanMap(meta?.labels), cleanMap(meta?.annotations)),
      },
      image: testCase.context?.package?.image ?? '',
    },
    config: testCase.context?.config ?? {},
    environment: caseEnvironment(testCase, options.environment),
    staticImages: true,
    skipScopeCheck: true,
    // PKO's template tests check no constraints either: the test case's environment is not a cluster.
    skipConstraints: true,
  };
}

async function runCase(
  component: PackageComponent,
  testCase: TemplateCase,
  engines: PackageEngines,
  options: ValidateOptions,
  write: Map<string, string>,
): Promise<string | undefined> {
  const caseName = testCase.name ?? '';
  try {
    const rendered = await renderPackage(caseInput(component, testCase, options), engines);
    const dir = `${prefixOf(component)}.test-fixtures/${caseName}`;
    const actual = new Map([...rendered.fixtureFiles].filter(([p, t]) => isYamlPath(p) && t.trim() !== ''));
    const rejected = await kubeconformFiles(component, options, actual);
    if (rejected.length > 0) return rejected.join('\n');
    const expected = options.fixtures.get(dir);
    if (expected === undefined) {
      for (const [file, text] of actual) write.set(`${dir}/${file}`, text);
      return undefined;
    }
    const base = options.folder === undefined || options.folder === '.' ? '' : `${options.folder}/`;
    const problems = compareFixtures(caseName, `${base}${dir}`, expected, actual);
    return problems.length > 0 ? problems.join('\n') : undefined;
  } catch (error) {
    return violationsOf(error).join('\n');
  }
}

function metadataMaps(
  labels: Record<string, string> | undefined,
  annotations: Record<string, string> | undefined,
): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  return {
    ...(labels !== undefined ? { labels } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

/** A test case's metadata map; absent stays absent (templates tell the two apart, see render.ts). */
function cleanMap(
  value: Readonly<Record<string, string | undefined>> | undefined,
): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Static files of a package without test cases: parsed and object-validated (no templates rendered). */
export function validateStatic(component: PackageComponent): string[] {
  const files = new Map([...component.files].filter(([p]) => !p.endsWith('.gotmpl') && !p.endsWith('.hbs')));
  const parsed = parseObjects(files);
  if (parsed.violations.length > 0) return parsed.violations.map((v) => formatViolation(v));
  const phases = (component.manifest.spec?.phases ?? []).map((p) => p.name);
  return validateObjects(parsed.objects, phases).map((v) => formatViolation(v));
}

/**
 * PKO's `ValidateEachComponent`: components first, then the root; the first component that fails ends the
 * check, its error prefixed `component "<name>": ` once.
 */
async function eachComponent(
  pkg: LoadedPackage,
  check: (component: PackageComponent) => Promise<string | undefined> | string | undefined,
): Promise<string | undefined> {
  for (const component of pkg.components.values()) {
    const error = await check(component);
    if (error !== undefined) return label(component, error);
  }
  return check(pkg.root);
}

/** Manifest and lock field errors of one component, as Kubernetes' aggregate (`[a, b]` for several). */
function manifestErrors(component: PackageComponent): string | undefined {
  const errors = [
    ...validateManifest(component.manifest),
    ...(component.lock === undefined ? [] : validateLock(component.lock)),
  ];
  return errors.length > 0 ? aggregate(errors) : undefined;
}

export interface PackageCheckOptions {
  /** `tree` also checks the scope it renders in (PKO's PackageScopeValidator). */
  readonly scope?: 'Namespaced' | 'Cluster';
}

/**
 * PKO's DefaultPackageValidators (docs/pko-compatibility.md §1.3, §1.4, §1.12) in its order, each reporting at most one
 * error: manifest and lock fields (every component), lock-file consistency of the root, and — when the root has
 * no template test cases — its static files, which PKO prefixes `loading package from files: `.
 */
export async function packageChecks(
  pkg: LoadedPackage,
  options: PackageCheckOptions = {},
): Promise<string[]> {
  const errors: string[] = [];
  const manifest = await eachComponent(pkg, manifestErrors);
  if (manifest !== undefined) errors.push(manifest);
  const lock = lockConsistency(pkg.root.manifest, pkg.root.lock, '')[0];
  if (lock !== undefined) errors.push(formatViolation(lock));
  if ((pkg.root.manifest.test?.template ?? []).length === 0) {
    const problems = validateStatic(pkg.root);
    if (problems.length > 0) errors.push(`loading package from files: ${problems.join('\n')}`);
  }
  if (options.scope !== undefined && !(pkg.root.manifest.spec?.scopes ?? []).includes(options.scope))
    errors.push(formatViolation({ reason: 'Package unsupported scope', path: 'manifest.yaml' }));
  return errors;
}

async function templateTests(
  component: PackageComponent,
  engines: PackageEngines,
  options: ValidateOptions,
  write: Map<string, string>,
): Promise<string | undefined> {
  for (const testCase of component.manifest.test?.template ?? []) {
    const error = await runCase(component, testCase, engines, options, write);
    if (error !== undefined) return error;
  }
  const statics = new Map(
    [...component.files].filter(([p]) => isYamlPath(p)).map(([p, b]) => [p, new TextDecoder().decode(b)]),
  );
  const rejected = await kubeconformFiles(component, options, statics);
  return rejected.length > 0 ? rejected.join('\n') : undefined;
}

/** `test.kubeconform` over files (path → text), when the manifest asks for it and a schema loader is given. */
async function kubeconformFiles(
  component: PackageComponent,
  options: ValidateOptions,
  files: ReadonlyMap<string, string>,
): Promise<string[]> {
  const kc =
    options.schemaLoader === undefined
      ? undefined
      : Kubeconform.forManifest(component.manifest, options.schemaLoader);
  if (kc === undefined) return [];
  for (const [path, text] of files) {
    const rejected = await kc.validateFile(path, text);
    if (rejected.length > 0) return rejected;
  }
  return [];
}

/**
 * Validate a package as PKO's `validate` does (never throws for problems with the package itself): its default
 * validators, then the template tests of every component (components first; the first failing test case ends
 * a component's check). Gantry adds one stricter check: a component without test cases has its static files
 * validated too (PKO only checks the root's, docs/pko-compatibility.md §11).
 */
export async function validatePackage(
  pkg: LoadedPackage,
  engines: PackageEngines,
  options: ValidateOptions,
): Promise<ValidateResult> {
  const write = new Map<string, string>();
  const violations = (await packageChecks(pkg)).map((e) =>
    e.startsWith('loading package from files: ') ? e.slice('loading package from files: '.length) : e,
  );
  const tests = await eachComponent(pkg, (c) => templateTests(c, engines, options, write));
  if (tests !== undefined) violations.push(tests);
  if (violations.length === 0) {
    const stricter = await eachComponent(pkg, (c) =>
      c.name === '' || (c.manifest.test?.template ?? []).length > 0
        ? undefined
        : nonEmpty(validateStatic(c).join('\n')),
    );
    if (stricter !== undefined) violations.push(stricter);
  }
  return { violations, fixturesToWrite: violations.length > 0 ? new Map() : write };
}

function nonEmpty(text: string): string | undefined {
  return text === '' ? undefined : text;
}
