/**
 * @module cli/commands/build
 * `gantry build <folder> --tag T [--output f.tar] [--label k=v]`: validate the package (generating missing
 * template-test fixtures, as PKO does) and write a PKO-compatible package image as an OCI image-layout tarball
 * (pko-behaviour §1.1, §7). Pushing to a registry comes with the package-sources work (issue 5).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readFixtures, writeFixtures } from '../../functions/adapters/package-folder.js';
import { buildPackageImage, imageLayoutTarball } from '../../shared/oci/image.js';
import { parseReference } from '../../shared/oci/reference.js';
import { loadPackage, validatePackage, ViolationError } from '../../shared/packages/index.js';
import type { Command } from '../command.js';
import { environmentFor, packageEngines, readPackageArgument, UsageError } from '../package-input.js';

const usage = `Build a package image from a package folder.

Usage:
  gantry build <folder> [flags]

The image has one layer with the package files under package/ and an image config with os linux,
architecture amd64 and the given labels, as PKO's \`kubectl package build\` makes it. The package is
validated first (missing template-test fixtures are generated).

Flags:
  -t, --tag REF              image reference to tag the image with (repeatable)
  -o, --output FILE          write the image to FILE as an OCI image-layout tarball (also loadable by docker load)
  -l, --label KEY=VALUE      image config label (repeatable, value must not be empty)
      --output-format FMT    human (default): "Package built successfully!"; digest: only the manifest digest
      --push                 push the tags to their registry (not available yet: comes with package sources)
  -h, --help                 help for build

Examples:
  gantry build examples/templated --tag registry.example.com/packages/templated:v1 --output templated.tar
  gantry build examples/simple -t localhost:5001/simple:v1 -o simple.tar --output-format digest
`;

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

export const buildCommand: Command = {
  name: 'build',
  summary: 'Build a package image (OCI tarball) from a package folder',
  usage,
  async run(argv, io) {
    const { positionals, values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        tag: { type: 'string', short: 't', multiple: true },
        output: { type: 'string', short: 'o' },
        label: { type: 'string', short: 'l', multiple: true },
        'output-format': { type: 'string' },
        push: { type: 'boolean' },
        insecure: { type: 'boolean' },
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
    if ((values.output !== undefined || values.push === true) && tags.length === 0) {
      throw new UsageError('output or push is requested but no tags are set');
    }
    if (values.push === true)
      throw new UsageError(
        '--push is not available yet: pushing to registries comes with package sources (issue 5)',
      );
    const labels = parseLabels(values.label ?? []);
    const folder = positionals[0];
    const raw = await readPackageArgument(io.cwd, folder);
    const dir = resolve(io.cwd, folder ?? '.');
    try {
      const pkg = loadPackage(raw);
      const result = await validatePackage(pkg, packageEngines(), {
        fixtures: await readFixtures(dir),
        environment: environmentFor(values['kubernetes-version']),
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
    const image = await buildPackageImage(raw.files, labels);
    if (values.output !== undefined)
      await writeFile(resolve(io.cwd, values.output), await imageLayoutTarball(image, tags));
    io.stdout(format === 'digest' ? `${image.manifest.digest}\n` : 'Package built successfully!');
    return 0;
  },
};
