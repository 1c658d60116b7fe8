/**
 * @module packages/validate
 * `gantry validate`: every component's manifest and lock checked, and either its template test cases
 * rendered and compared with `.test-fixtures/<case>/` (generated when missing), or — without test cases —
 * its static files rendered with an empty context and object-validated (pko-behaviour §1.12, §7, §11).
 */
import { createTwoFilesPatch } from 'diff';
import type { PackageManifest } from '../api/generated/packagemanifest.js';
import { errorMessage } from '../errors.js';
import { fileText, type FileMap } from './files.js';
import { lockConsistency, validateLock, validateManifest } from './manifest-validation.js';
import { parseObjects, validateObjects } from './objects.js';
import { renderPackage, type Environment, type PackageEngines, type RenderInput } from './render.js';
import type { LoadedPackage, PackageComponent } from './structure.js';
import { formatViolation, ViolationError, type ViolationFields } from './violation.js';
import { isYamlPath } from './yaml.js';

export interface ValidateResult {
  /** Formatted violations; empty when the package is valid. */
  readonly violations: readonly string[];
  /** Fixture files to write (path relative to the package root → content), for test cases without fixtures. */
  readonly fixturesToWrite: ReadonlyMap<string, string>;
}

export interface ValidateOptions {
  /** Fixture folders that exist: `<component prefix>.test-fixtures/<case>` → files in it. */
  readonly fixtures: ReadonlyMap<string, FileMap>;
  readonly environment: Environment;
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

function compareFixtures(
  caseName: string,
  dir: string,
  expected: FileMap,
  actual: ReadonlyMap<string, string>,
): string[] {
  const violations: string[] = [];
  for (const [file, text] of [...actual].sort(([a], [b]) => a.localeCompare(b))) {
    const fixture = expected.get(file);
    if (fixture === undefined) {
      violations.push(`file ${file} not found in fixtures folder`);
      continue;
    }
    const want = fileText(fixture);
    if (want !== text)
      violations.push(
        `File mismatch against fixture in ${dir}/${file}: Testcase "${caseName}"\n${unifiedDiff(file, want, text)}`,
      );
  }
  for (const file of [...expected.keys()].sort()) {
    if (!actual.has(file))
      violations.push(`file ${file} should not exist, filtered or empty after template render`);
  }
  return violations;
}

type TemplateCase = NonNullable<NonNullable<PackageManifest['test']>['template']>[number];

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
        labels: cleanMap(meta?.labels),
        annotations: cleanMap(meta?.annotations),
      },
      image: testCase.context?.package?.image ?? '',
    },
    config: testCase.context?.config ?? {},
    environment: { ...options.environment, ...(testCase.context?.environment ?? {}) },
    staticImages: true,
    skipScopeCheck: true,
  };
}

async function runCase(
  component: PackageComponent,
  testCase: TemplateCase,
  engines: PackageEngines,
  options: ValidateOptions,
  write: Map<string, string>,
): Promise<string[]> {
  const caseName = testCase.name ?? '';
  try {
    const rendered = await renderPackage(caseInput(component, testCase, options), engines);
    const dir = `${prefixOf(component)}.test-fixtures/${caseName}`;
    const actual = new Map([...rendered.fixtureFiles].filter(([p, t]) => isYamlPath(p) && t.trim() !== ''));
    const expected = options.fixtures.get(dir);
    if (expected === undefined) {
      for (const [file, text] of actual) write.set(`${dir}/${file}`, text);
      return [];
    }
    return compareFixtures(caseName, dir, expected, actual);
  } catch (error) {
    return violationsOf(error);
  }
}

function cleanMap(value: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/** Static files of a package without test cases: parsed and object-validated (no templates rendered). */
function validateStatic(component: PackageComponent): string[] {
  const files = new Map([...component.files].filter(([p]) => !p.endsWith('.gotmpl') && !p.endsWith('.hbs')));
  const parsed = parseObjects(files);
  const phases = (component.manifest.spec?.phases ?? []).map((p) => p.name);
  return [...parsed.violations, ...validateObjects(parsed.objects, phases)].map((v) => formatViolation(v));
}

async function validateComponent(
  component: PackageComponent,
  engines: PackageEngines,
  options: ValidateOptions,
  write: Map<string, string>,
): Promise<string[]> {
  const errors = [
    ...validateManifest(component.manifest),
    ...(component.lock === undefined ? [] : validateLock(component.lock)),
  ];
  const lock: ViolationFields[] = lockConsistency(component.manifest, component.lock, '');
  const out = [...errors, ...lock.map((v) => formatViolation(v))];
  if (out.length > 0) return out.map((m) => label(component, m));
  const cases = component.manifest.test?.template ?? [];
  if (cases.length === 0) return validateStatic(component).map((m) => label(component, m));
  const results: string[] = [];
  for (const testCase of cases)
    results.push(...(await runCase(component, testCase, engines, options, write)));
  return results.map((m) => label(component, m));
}

/** Validate every component of a package; never throws for problems with the package itself. */
export async function validatePackage(
  pkg: LoadedPackage,
  engines: PackageEngines,
  options: ValidateOptions,
): Promise<ValidateResult> {
  const write = new Map<string, string>();
  const violations: string[] = [];
  for (const component of [pkg.root, ...pkg.components.values()]) {
    violations.push(...(await validateComponent(component, engines, options, write)));
  }
  return { violations, fixturesToWrite: violations.length > 0 ? new Map() : write };
}
