/**
 * @module cli/commands/build
 * `gantry build <folder> --tag T [--output f.tar] [--label k=v]`: validate the package (generating missing
 * template-test fixtures, as PKO does) and write a PKO-compatible package image as an OCI image-layout tarball
 * (docs/pko-compatibility.md §1.1, §7), and push it to the tags' registries (`--push`) or to S3 (`--push s3://bucket/key`,
 * the image's single layer: a tar.gz with the files under `package/`).
 */
import { createSchemaLoader } from '../../functions/adapters/schema-loader.js';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readFixtures, writeFixtures } from '../../functions/adapters/package-folder.js';
import { buildPackageImage, imageLayoutTarball } from '../../shared/oci/image.js';
import { parseReference } from '../../shared/oci/reference.js';
import { errorMessage } from '../../shared/errors.js';
import { withRepositoryHost } from '../../shared/oci/repository-host.js';
import {
  loadPackage,
  validatePackage,
  ViolationError,
  type LoadedPackage,
  type RawPackage,
} from '../../shared/packages/index.js';
import type { CliIO, Command } from '../command.js';
import { environmentFor, packageEngines, readPackageArgument, UsageError } from '../package-input.js';
import { cliPackageSource } from '../sources.js';

const usage = `Build a package image from a package folder.

Usage:
  gantry build <folder> [flags]

The image has one layer with the package files under package/ and an image config with os linux,
architecture amd64 and the given labels, as PKO's \`kubectl package build\` makes it. The package is
validated first (missing template-test fixtures are generated), and every digest its lock files pin must still
exist on its registry (PKO_REPOSITORY_HOST=host[:port] checks them on that registry instead).

Flags:
  -t, --tag REF              image reference to tag the image with (repeatable)
  -o, --output FILE          write the image to FILE as an OCI image-layout tarball (also loadable by docker load)
  -l, --label KEY=VALUE      image config label (repeatable, value must not be empty)
      --output-format FMT    human (default): "Package built successfully!"; digest: only the manifest digest
      --push [s3://B/KEY]    push the image to the registries of its tags; with an s3:// location, also upload
                             the package (a tar.gz, files under package/) to that S3 object (repeatable)
      --insecure             allow plain http to the registries of the tags
      --skip-lock-check      do not check that the lock's digests still exist (offline builds; beyond PKO)
  -h, --help                 help for build

Examples:
  gantry build examples/templated --tag registry.example.com/packages/templated:v1 --output templated.tar
  gantry build examples/simple -t localhost:5001/simple:v1 -o simple.tar --output-format digest
  gantry build examples/simple -t localhost:5001/simple:v1 --push --insecure
  gantry build examples/simple --push s3://packages/simple/v1.tar.gz

Registry credentials come from $DOCKER_CONFIG/config.json (default ~/.docker/config.json), S3 credentials
and endpoint from the AWS environment (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_S3, AWS_REGION, …).
`;

/** Take \`--push s3://…\` / \`--push=s3://…\` out of argv (parseArgs knows --push only as a switch). */
function splitS3Pushes(argv: readonly string[]): { args: string[]; s3: string[] } {
  const args: string[] = [];
  const s3: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const next = argv[i + 1];
    if (a === '--push' && next?.startsWith('s3://') === true) {
      s3.push(next);
      args.push('--push');
      i++;
    } else if (a.startsWith('--push=s3://')) {
      s3.push(a.slice('--push='.length));
      args.push('--push');
    } else args.push(a);
  }
  return { args, s3 };
}

function parseLabels(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const at = l.indexOf('=');
    if (at <= 0 || at === l.length - 1)
      throw new UsageError(`invalid label "${l}": expected KEY=VALUE with a non-empty key and value`);
    out[l.slice(0, at)] = l.slice(at + 1);
  }
  return out;
}

/** The images a package's lock files pin: name, image as locked, digest. */
function lockedImages(pkg: LoadedPackage): { name: string; image: string; digest: string }[] {
  return [pkg.root, ...pkg.components.values()]
    .flatMap((c) => c.lock?.spec?.images ?? [])
    .map((i) => ({ name: i.name ?? '', image: i.image ?? '', digest: i.digest ?? '' }));
}

/**
 * PKO's lock digest lookup: every digest a lock file pins must still exist on its registry (on
 * `PKO_REPOSITORY_HOST` when set), or the package is not built.
 */
async function checkLockDigests(io: CliIO, pkg: LoadedPackage, insecure: boolean): Promise<void> {
  const host = io.env?.['PKO_REPOSITORY_HOST'] ?? '';
  const checks = lockedImages(pkg).map(({ name, image, digest }) => {
    const fail = (message: string): Error =>
      new Error(
        `building from source: loading package from files: ${message}: image "${name}" digest error ("${digest}")`,
      );
    const overridden = withRepositoryHost(image, host);
    if (!overridden.ok) throw fail(`${overridden.error}: can't parse image "${name}" reference "${image}"`);
    const ref = parseReference(overridden.value);
    if (!ref.ok) throw fail(`${ref.error}: can't parse image "${name}" reference "${image}"`);
    const repo = `${ref.value.registry === '' ? '' : `${ref.value.registry}/`}${ref.value.repository}`;
    return { pinned: `${repo}@${digest}`, fail };
  });
  if (checks.length === 0) return;
  const source = await cliPackageSource(
    io,
    checks.map((c) => c.pinned),
    insecure,
  );
  for (const check of checks) {
    try {
      await source.resolveDigest(check.pinned);
    } catch (error) {
      throw check.fail(errorMessage(error));
    }
  }
}

/** Validate the package as `build` does: lock digests, template tests (writing missing fixtures), the rest. */
async function validateForBuild(
  io: CliIO,
  raw: RawPackage,
  dir: string,
  options: { readonly lockCheck: boolean; readonly insecure: boolean; readonly kubernetesVersion?: string },
): Promise<void> {
  try {
    const pkg = loadPackage(raw);
    if (options.lockCheck) await checkLockDigests(io, pkg, options.insecure);
    const result = await validatePackage(pkg, packageEngines(), {
      schemaLoader: createSchemaLoader(),
      fixtures: await readFixtures(dir),
      ...(options.kubernetesVersion !== undefined
        ? { environment: environmentFor(options.kubernetesVersion) }
        : {}),
    });
    if (result.violations.length > 0)
      throw new Error(`building from source: loading package from files: ${result.violations.join('\n')}`);
    await writeFixtures(dir, result.fixturesToWrite);
  } catch (error) {
    if (error instanceof ViolationError)
      throw new Error(`building from source: loading package from files: ${error.message}`, {
        cause: error,
      });
    throw error;
  }
}

export const buildCommand: Command = {
  usage,
  async run(argv, io) {
    const { args, s3 } = splitS3Pushes(argv);
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        tag: { type: 'string', short: 't', multiple: true },
        output: { type: 'string', short: 'o' },
        label: { type: 'string', short: 'l', multiple: true },
        'output-format': { type: 'string' },
        push: { type: 'boolean' },
        insecure: { type: 'boolean' },
        'skip-lock-check': { type: 'boolean' },
        'kubernetes-version': { type: 'string' },
      },
    });
    const tags = values.tag ?? [];
    const format = values['output-format'] ?? 'human';
    if (format !== 'human' && format !== 'digest') throw new UsageError(`invalid output format: "${format}"`);
    for (const tag of tags) {
      const parsed = parseReference(tag);
      if (!parsed.ok) throw new UsageError(`invalid tag specified as parameter ${tag}: ${parsed.error}`);
    }
    if ((values.output !== undefined || (values.push === true && s3.length === 0)) && tags.length === 0) {
      throw new UsageError('output or push is requested but no tags are set');
    }
    const labels = parseLabels(values.label ?? []);
    const folder = positionals[0];
    const raw = await readPackageArgument(io.cwd, folder);
    await validateForBuild(io, raw, resolve(io.cwd, folder ?? '.'), {
      lockCheck: values['skip-lock-check'] !== true,
      insecure: values.insecure === true,
      ...(values['kubernetes-version'] !== undefined
        ? { kubernetesVersion: values['kubernetes-version'] }
        : {}),
    });
    const image = await buildPackageImage(raw.files, labels);
    if (values.output !== undefined)
      await writeFile(resolve(io.cwd, values.output), await imageLayoutTarball(image, tags));
    let digest = image.manifest.digest;
    if (values.push === true) {
      const targets = [...tags, ...s3];
      const source = await cliPackageSource(io, targets, values.insecure === true);
      digest = await source.push(image, targets);
    }
    io.stdout(format === 'digest' ? `${digest}\n` : 'Package built successfully!');
    return 0;
  },
};
