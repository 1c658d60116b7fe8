/**
 * @module cli/commands/render-input
 * Flags shared by `tree` and `render`, and the render they drive.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorMessage } from '../../shared/errors.js';
import {
  admit,
  loadPackage,
  loadRootComponent,
  packageChecks,
  renderPackage,
  selectComponent,
  ViolationError,
  type PackageMetadata,
  type RenderedPackage,
} from '../../shared/packages/index.js';
import type { CliIO } from '../command.js';
import {
  environmentFor,
  oneArgument,
  packageEngines,
  readConfigFile,
  readPackageArgument,
  testCaseContext,
  UsageError,
} from '../package-input.js';

export const TREE_FLAGS_HELP = `Flags:
  --cluster                  render as a ClusterPackage (also when the package namespace is empty)
  --config-path FILE         the package config, a YAML file
  --config-testcase NAME     take package metadata and config from this template test case
                             (default: the first test case, else package namespace/name without config)
  --component NAME           render this component of a multi-component package
  --kubernetes-version V     the .environment.kubernetes.version templates see (default: v1.37.2 for
                             render; "" for tree, as PKO's tree renders with an empty environment)
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

/** Where in PKO's `tree` pipeline an error happened, for its error prefix (docs/pko-compatibility.md §7). */
type Stage = 'structure' | 'config' | 'checks' | 'render';

class StageError extends Error {
  public constructor(
    public readonly stage: Stage,
    cause: unknown,
  ) {
    super(errorMessage(cause), { cause });
  }
}

async function atStage<T>(stage: Stage, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ViolationError) throw new StageError(stage, error);
    throw error;
  }
}

/** `tree` prints PKO's prefixes; `render` (Gantry's own command) says `loading package from files:`. */
function stageMessage(mode: 'tree' | 'render', error: StageError): string {
  if (mode === 'render') return `loading package from files: ${error.message}`;
  return error.stage === 'config'
    ? `rendering package: ${error.message}`
    : `rendering package: parsing package contents: ${error.message}`;
}

/** Parse the flags, load the package, choose metadata and config, render. */
export async function renderFromFlags(
  argv: readonly string[],
  io: CliIO,
  options: typeof renderOptions | typeof treeOptions,
  mode: 'tree' | 'render' = 'render',
): Promise<RenderFlagsResult> {
  try {
    return await renderStages(argv, io, options, mode);
  } catch (error) {
    if (error instanceof StageError) throw new Error(stageMessage(mode, error), { cause: error });
    throw error;
  }
}

function flagValues(
  values: Readonly<Record<string, unknown>>,
): Readonly<Record<string, string | boolean | undefined>> {
  return Object.fromEntries(
    Object.entries(values).map(([k, x]) => [
      k,
      typeof x === 'string' || typeof x === 'boolean' ? x : undefined,
    ]),
  );
}

function stringFlag(
  v: Readonly<Record<string, string | boolean | undefined>>,
  name: string,
): string | undefined {
  const value = v[name];
  return typeof value === 'string' ? value : undefined;
}

/** `--config-path`; `tree` says its errors as PKO's does (`rendering package: getting config: …`). */
async function configFile(
  cwd: string,
  path: string,
  mode: 'tree' | 'render',
): Promise<Record<string, unknown>> {
  try {
    return await readConfigFile(cwd, path);
  } catch (error) {
    if (mode === 'tree' && error instanceof UsageError)
      throw new UsageError(`rendering package: ${error.message}`, { cause: error });
    throw error;
  }
}

async function renderStages(
  argv: readonly string[],
  io: CliIO,
  options: typeof renderOptions | typeof treeOptions,
  mode: 'tree' | 'render',
): Promise<RenderFlagsResult> {
  const { positionals, values } = parseArgs({ args: [...argv], allowPositionals: true, options });
  const v = flagValues(values);
  if (v['config-path'] !== undefined && v['config-testcase'] !== undefined)
    throw new UsageError('[config-path config-testcase] were all set');
  const argument = oneArgument(positionals);
  const raw =
    v['pull'] === true
      ? await (await import('../sources.js')).pullPackageArgument(io, argument, v['insecure'] === true)
      : await readPackageArgument(io.cwd, argument);
  const componentName = stringFlag(v, 'component');
  // PKO's tree loads the root component only (its `--component` is ignored); Gantry's honours the flag.
  const pkg = await atStage('structure', () =>
    mode === 'tree' && componentName === undefined ? loadRootComponent(raw) : loadPackage(raw),
  );
  const component = await atStage('structure', () => selectComponent(pkg, componentName));
  const chosen = testCaseContext(component.manifest, stringFlag(v, 'config-testcase'));
  const namespace = stringFlag(v, 'namespace') ?? (v['cluster'] === true ? '' : chosen.metadata.namespace);
  // A test case without a package name renders with "" in PKO's tree; `render` names its objects `name` then.
  const name =
    stringFlag(v, 'name') ?? (mode === 'render' && chosen.metadata.name === '' ? 'name' : undefined);
  const metadata: PackageMetadata = {
    ...chosen.metadata,
    namespace,
    ...(name !== undefined ? { name } : {}),
  };
  const scope = v['cluster'] === true || namespace === '' ? 'Cluster' : 'Namespaced';
  const configPath = stringFlag(v, 'config-path');
  const config = configPath !== undefined ? await configFile(io.cwd, configPath, mode) : chosen.config;
  const pulledFrom = v['pull'] === true ? positionals[0] : undefined;
  const image = stringFlag(v, 'image') ?? pulledFrom ?? chosen.image;
  if (mode === 'tree') {
    await atStage('config', () => admit(component.manifest, config, component.name));
    const problems = await packageChecks({ ...pkg, root: component, components: new Map() }, { scope });
    if (problems.length > 0)
      throw new StageError('checks', new ViolationError({ reason: problems.join('\n') }));
  }
  const kubernetesVersion = stringFlag(v, 'kubernetes-version');
  const rendered = await atStage('render', () =>
    renderPackage(
      {
        component,
        scope,
        package: { metadata, image },
        config,
        environment:
          mode === 'tree' && kubernetesVersion === undefined
            ? { kubernetes: { version: '' } }
            : environmentFor(kubernetesVersion),
        // `tree` renders every image as PKO's static test image, as PKO's does.
        staticImages: mode === 'tree' || component.lock === undefined,
        ...(mode === 'tree' ? { skipScopeCheck: true, skipConstraints: true } : {}),
      },
      packageEngines(),
    ),
  );
  return { rendered, scope, metadata, config, image, values: v };
}
