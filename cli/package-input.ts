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
  DEFAULT_TEMPLATE_WORKER_LIMITS,
} from '../functions/adapters/templates/index.js';
import { readPackageFolder } from '../functions/adapters/package-folder.js';
import type { PackageManifest } from '../shared/api/generated/packagemanifest.js';
import { errorMessage, GantryError } from '../shared/errors.js';
import { parseYaml } from '../shared/packages/yaml.js';
import type { Environment, PackageEngines, PackageMetadata, RawPackage } from '../shared/packages/index.js';

/** The flags of a command that takes a package location (cli/sources.ts pulls it, loaded only then). */
export const SOURCE_FLAGS_HELP = `  --pull                     the argument is a package location, not a folder: an image reference
                             (registry/repo:tag or @sha256:…), s3://bucket/key or https://…/pkg.tar.gz@sha256:…
  --insecure                 allow plain http to the registry (or tarball host) the command names
`;

/** The Kubernetes version offline rendering assumes unless `--kubernetes-version` says otherwise. */
export const DEFAULT_KUBERNETES_VERSION = 'v1.37.2';

let engines: PackageEngines | undefined;

/**
 * The template engines, created once per process: both render in one worker thread with a deadline and a
 * memory cap (the Go engine loads lazily in it on first use).
 */
export function packageEngines(): PackageEngines {
  if (engines === undefined) {
    // The CLI renders once and exits: the Go engine compiles with V8's baseline compiler only (half the start-up).
    const worker = new TemplateWorker(DEFAULT_TEMPLATE_WORKER_LIMITS, { compiler: 'baseline' });
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

/** cobra's `ExactArgs(1)`: the one positional argument, or PKO's usage error. */
export function oneArgument(positionals: readonly string[]): string | undefined {
  if (positionals.length > 1) throw new UsageError(`accepts 1 arg(s), received ${positionals.length}`);
  return positionals[0];
}

/** Read the package folder named on the command line. */
export async function readPackageArgument(cwd: string, folder: string | undefined): Promise<RawPackage> {
  if (folder === undefined) throw new UsageError('accepts 1 arg(s), received 0');
  return readPackageFolder(resolve(cwd, folder));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMissingFile(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

/**
 * `--config-path`: a YAML (or JSON) file holding the package config, read as PKO's tree reads it; its errors
 * carry PKO's words (`getting config: read config from file: open x.yaml: no such file or directory`).
 */
export async function readConfigFile(cwd: string, path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    const reason = isMissingFile(error) ? 'no such file or directory' : errorMessage(error);
    throw new UsageError(`getting config: read config from file: open ${path}: ${reason}`, { cause: error });
  }
  const parsed = parseYaml(text);
  const prefix = `getting config: unmarshal config from file ${path}: `;
  if (!parsed.ok) throw new UsageError(`${prefix}error converting YAML to JSON: ${parsed.error}`);
  if (parsed.value === null || parsed.value === undefined) return {};
  if (!isRecord(parsed.value)) {
    const type = Array.isArray(parsed.value)
      ? 'array'
      : typeof parsed.value === 'boolean'
        ? 'bool'
        : typeof parsed.value;
    throw new UsageError(
      `${prefix}error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${type} into Go value of type map[string]interface {}`,
    );
  }
  return parsed.value;
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
type LooseMap = Readonly<Record<string, string | undefined>> | undefined;

/** Absent maps stay absent: templates see them as PKO's typed empty maps (shared/packages/render.ts). */
function metadataMaps(
  labels: LooseMap,
  annotations: LooseMap,
): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  const clean = (m: NonNullable<LooseMap>): Record<string, string> =>
    Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => e[1] !== undefined));
  return {
    ...(labels !== undefined ? { labels: clean(labels) } : {}),
    ...(annotations !== undefined ? { annotations: clean(annotations) } : {}),
  };
}

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
  return {
    metadata: {
      name: meta?.name ?? '',
      namespace: meta?.namespace ?? '',
      ...metadataMaps(meta?.labels, meta?.annotations),
    },
    config: chosen.context?.config ?? {},
    image: chosen.context?.package?.image ?? '',
  };
}

export function environmentFor(version: string | undefined): Environment {
  return { kubernetes: { version: version ?? DEFAULT_KUBERNETES_VERSION } };
}
