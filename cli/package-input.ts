/**
 * @module cli/package-input
 * Shared plumbing of the offline package commands (validate, tree, render): reading the package, the config
 * (`--config-path` / `--config-testcase`), the default package metadata, and the template engines.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  createWorkerGoTemplateEngine,
  createWorkerHandlebarsEngine,
  TemplateWorker,
} from '../functions/adapters/templates/index.js';
import { readPackageFolder } from '../functions/adapters/package-folder.js';
import type { PackageManifest } from '../shared/api/generated/packagemanifest.js';
import { GantryError } from '../shared/errors.js';
import type { Environment, PackageEngines, PackageMetadata, RawPackage } from '../shared/packages/index.js';
import { parseYaml } from '../shared/packages/yaml.js';

/** The Kubernetes version offline rendering assumes unless `--kubernetes-version` says otherwise. */
export const DEFAULT_KUBERNETES_VERSION = 'v1.37.2';

let engines: PackageEngines | undefined;

/**
 * The template engines, created once per process: both render in one worker thread with a deadline and a
 * memory cap (the Go engine loads lazily in it on first use).
 */
export function packageEngines(): PackageEngines {
  if (engines === undefined) {
    const worker = new TemplateWorker();
    engines = {
      gotmpl: createWorkerGoTemplateEngine(worker),
      handlebars: createWorkerHandlebarsEngine(worker),
    };
  }
  return engines;
}

export class UsageError extends GantryError {
  public override readonly name: string = 'UsageError';
}

/** Read the package folder named on the command line. */
export async function readPackageArgument(cwd: string, folder: string | undefined): Promise<RawPackage> {
  if (folder === undefined) throw new UsageError('accepts 1 arg(s), received 0');
  return readPackageFolder(resolve(cwd, folder));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `--config-path`: a YAML (or JSON) file holding the package config, parsed with the project's YAML 1.1
 * parser as the API server would read it (`since: 2024-01-01` stays a string, limits on size and depth).
 */
export async function readConfigFile(cwd: string, path: string): Promise<Record<string, unknown>> {
  const text = await readFile(resolve(cwd, path), 'utf8');
  const parsed = parseYaml(text);
  if (!parsed.ok) throw new UsageError(`reading config file ${path}: ${parsed.error}`);
  const value = parsed.value;
  if (value === null || value === undefined) return {};
  if (!isRecord(value))
    throw new UsageError(`reading config file ${path}: the config must be a YAML mapping`);
  return value;
}

export interface PackageContextChoice {
  readonly metadata: PackageMetadata;
  readonly config: unknown;
  readonly image: string;
}

/**
 * PKO's `tree` defaults: the named (or first) template test case's package metadata and config, else a
 * package `name` in namespace `namespace` with no config.
 */
export function testCaseContext(
  manifest: PackageManifest,
  testCase: string | undefined,
): PackageContextChoice {
  const cases = manifest.test?.template ?? [];
  const chosen = testCase === undefined ? cases[0] : cases.find((c) => c.name === testCase);
  if (testCase !== undefined && chosen === undefined)
    throw new UsageError(`test case "${testCase}" not found in manifest`);
  if (chosen === undefined)
    return { metadata: { name: 'name', namespace: 'namespace' }, config: undefined, image: '' };
  const meta = chosen.context?.package?.metadata;
  const clean = (m: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(m ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
  return {
    metadata: {
      name: meta?.name ?? 'name',
      namespace: meta?.namespace ?? '',
      labels: clean(meta?.labels),
      annotations: clean(meta?.annotations),
    },
    config: chosen.context?.config ?? {},
    image: chosen.context?.package?.image ?? '',
  };
}

export function environmentFor(version: string | undefined): Environment {
  return { kubernetes: { version: version ?? DEFAULT_KUBERNETES_VERSION } };
}
