/**
 * @module cli/commands/validate
 * `gantry validate <folder>`: every component validated; template test cases rendered against their
 * fixtures (missing fixtures are generated). Prints `Package validated successfully!` (docs/pko-compatibility.md §7).
 */
import { createSchemaLoader } from '../../functions/adapters/schema-loader.js';
import { normalize, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readFixtures, writeFixtures } from '../../functions/adapters/package-folder.js';
import { loadPackage, validatePackage, ViolationError } from '../../shared/packages/index.js';
import type { Command } from '../command.js';
import {
  environmentFor,
  oneArgument,
  packageEngines,
  readPackageArgument,
  SOURCE_FLAGS_HELP,
} from '../package-input.js';

const usage = `Validate a package folder: manifests, lock file, objects, templates and template test fixtures.

Usage:
  gantry validate <folder> [flags]
  gantry validate --pull <image|s3://…|https://…@sha256:…> [--insecure]

Every component of a multi-component package is validated. Template test cases (manifest test.template)
are rendered and compared with <folder>/.test-fixtures/<case>/; missing fixture folders are generated.
With --pull the package is fetched first; an image has no fixtures, so its test cases are only rendered.

Flags:
  --kubernetes-version V     the .environment.kubernetes.version of test cases without an environment
                             (default: "", as in PKO's template tests)
${SOURCE_FLAGS_HELP}  -h, --help                 help for validate

Examples:
  gantry validate examples/templated
  gantry validate --pull registry.example.com/packages/templated:v1
  gantry validate --pull --insecure localhost:5001/simple@sha256:3f1c…
`;

/** Go's filepath.Clean of a relative folder argument, without a trailing slash. */
function cleanPath(folder: string): string {
  const clean = normalize(folder);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

export const validateCommand: Command = {
  usage,
  async run(argv, io) {
    const { positionals, values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'kubernetes-version': { type: 'string' },
        pull: { type: 'boolean' },
        insecure: { type: 'boolean' },
      },
    });
    const folder = oneArgument(positionals);
    const pulled = values.pull === true;
    const raw = pulled
      ? await (await import('../sources.js')).pullPackageArgument(io, folder, values.insecure === true)
      : await readPackageArgument(io.cwd, folder);
    const dir = resolve(io.cwd, folder ?? '.');
    let pkg;
    try {
      pkg = loadPackage(raw);
    } catch (error) {
      // PKO's structural loader errors carry no `loading package from files:` (docs/pko-compatibility.md §7).
      if (error instanceof ViolationError)
        throw new Error(`validating package: ${error.message}`, { cause: error });
      throw error;
    }
    const result = await validatePackage(pkg, packageEngines(), {
      schemaLoader: createSchemaLoader(),
      fixtures: pulled ? new Map() : await readFixtures(dir),
      ...(values['kubernetes-version'] !== undefined
        ? { environment: environmentFor(values['kubernetes-version']) }
        : {}),
      ...(folder !== undefined && !pulled ? { folder: cleanPath(folder) } : {}),
    });
    if (result.violations.length > 0) {
      throw new Error(`validating package: loading package from files: ${result.violations.join('\n')}`);
    }
    if (!pulled) await writeFixtures(dir, result.fixturesToWrite);
    // Without a trailing newline, as PKO prints it.
    io.stdout('Package validated successfully!');
    return 0;
  },
};
