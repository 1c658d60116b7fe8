/**
 * @module cli/commands/render-input
 * Flags shared by `tree` and `render`, and the render they drive.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  loadPackage,
  renderPackage,
  selectComponent,
  ViolationError,
  type PackageMetadata,
  type RenderedPackage,
} from '../../shared/packages/index.js';
import type { CliIO } from '../command.js';
import {
  environmentFor,
  packageEngines,
  readConfigFile,
  readPackageArgument,
  testCaseContext,
  UsageError,
} from '../package-input.js';
import { pullPackageArgument } from '../sources.js';

export const TREE_FLAGS_HELP = `Flags:
  --cluster                  render as a ClusterPackage (also when the package namespace is empty)
  --config-path FILE         the package config, a YAML file
  --config-testcase NAME     take package metadata and config from this template test case
                             (default: the first test case, else package namespace/name without config)
  --component NAME           render this component of a multi-component package
  --kubernetes-version V     the .environment.kubernetes.version templates see (default v1.37.2)
  --pull                     the argument is a package location, not a folder: an image reference
                             (registry/repo:tag or @sha256:…), s3://bucket/key or https://…/pkg.tar.gz@sha256:…
  --insecure                 allow plain http to the registry (or tarball host) the command names
  -h, --help                 help
`;

export const treeOptions = {
  cluster: { type: 'boolean' },
  'config-path': { type: 'string' },
  'config-testcase': { type: 'string' },
  component: { type: 'string' },
  'kubernetes-version': { type: 'string' },
  pull: { type: 'boolean' },
  insecure: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export const renderOptions = {
  ...treeOptions,
  namespace: { type: 'string', short: 'n' },
  name: { type: 'string' },
  output: { type: 'string', short: 'o' },
  image: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export interface RenderFlagsResult {
  readonly rendered: RenderedPackage;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly metadata: PackageMetadata;
  readonly config: unknown;
  readonly image: string;
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
}

/** Parse the flags, load the package, choose metadata and config, render. */
export async function renderFromFlags(
  argv: readonly string[],
  io: CliIO,
  options: typeof renderOptions | typeof treeOptions,
): Promise<RenderFlagsResult> {
  const { positionals, values } = parseArgs({ args: [...argv], allowPositionals: true, options });
  const v: Readonly<Record<string, string | boolean | undefined>> = Object.fromEntries(
    Object.entries(values).map(([k, x]) => [
      k,
      typeof x === 'string' || typeof x === 'boolean' ? x : undefined,
    ]),
  );
  if (v['config-path'] !== undefined && v['config-testcase'] !== undefined)
    throw new UsageError('[config-path config-testcase] were all set');
  const raw =
    v['pull'] === true
      ? await pullPackageArgument(io, positionals[0], v['insecure'] === true)
      : await readPackageArgument(io.cwd, positionals[0]);
  try {
    const pkg = loadPackage(raw);
    const component = selectComponent(pkg, typeof v['component'] === 'string' ? v['component'] : undefined);
    const chosen = testCaseContext(
      component.manifest,
      typeof v['config-testcase'] === 'string' ? v['config-testcase'] : undefined,
    );
    const namespace =
      typeof v['namespace'] === 'string'
        ? v['namespace']
        : v['cluster'] === true
          ? ''
          : chosen.metadata.namespace;
    const metadata: PackageMetadata = {
      ...chosen.metadata,
      namespace,
      ...(typeof v['name'] === 'string' ? { name: v['name'] } : {}),
    };
    const scope = v['cluster'] === true || namespace === '' ? 'Cluster' : 'Namespaced';
    const config =
      typeof v['config-path'] === 'string' ? await readConfigFile(io.cwd, v['config-path']) : chosen.config;
    const pulledFrom = v['pull'] === true ? positionals[0] : undefined;
    const image = typeof v['image'] === 'string' ? v['image'] : (pulledFrom ?? chosen.image);
    const rendered = await renderPackage(
      {
        component,
        scope,
        package: { metadata, image },
        config,
        environment: environmentFor(
          typeof v['kubernetes-version'] === 'string' ? v['kubernetes-version'] : undefined,
        ),
        staticImages: component.lock === undefined,
      },
      packageEngines(),
    );
    return { rendered, scope, metadata, config, image, values: v };
  } catch (error) {
    if (error instanceof ViolationError)
      throw new Error(`loading package from files: ${error.message}`, { cause: error });
    throw error;
  }
}
