/**
 * @module cli/commands/update
 * `gantry update <folder>`: resolve every `spec.images[].image` of the package (and of each component) to the
 * digest its registry serves now and its `spec.dependencies` against its `spec.repositories`, and write
 * `manifest.lock.yaml` next to the manifest (docs/pko-compatibility.md §7).
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../../shared/errors.js';
import { withRepositoryHost } from '../../shared/oci/repository-host.js';
import { loadPackage, ViolationError, type PackageComponent } from '../../shared/packages/index.js';
import { resolveDependencies, type LockDependency } from '../../shared/packages/dependencies.js';
import { lockFileText, lockUpToDate, manifestImages, type LockImage } from '../../shared/packages/lock.js';
import { PLAIN_HTTP_RULES } from '../../shared/oci/network.js';
import type { RepositoryIndex } from '../../shared/packages/repository.js';
import type { PackageManifest } from '../../shared/api/generated/packagemanifest.js';
import { pullRepositoryImage, readRepositoryFile } from '../repositories.js';
import type { CliIO, Command } from '../command.js';
import { readPackageArgument } from '../package-input.js';
import { cliPackageSource } from '../sources.js';

const usage = `Resolve the package's images to digests and write manifest.lock.yaml.

Usage:
  gantry update <folder> [flags]

Every spec.images[].image of the manifest (and of each component's manifest) is resolved to the digest
its registry serves now (a HEAD on the manifest), and written to manifest.lock.yaml beside the manifest.
spec.dependencies are resolved against spec.repositories (files relative to the working folder, or
repository images) to the newest versions their ranges allow, into the lock's spec.dependencies.
Templates see the locked, digest-pinned references as .images.<name> and .dependencies.<name>. Nothing is
written when the lock already holds the same images and dependencies, or when anything fails.

Flags:
  --insecure                 allow plain http to the registries of the images
  -h, --help                 help for update

Registry credentials come from $DOCKER_CONFIG/config.json (default ~/.docker/config.json).
PKO_REPOSITORY_HOST=host[:port] resolves every image on that registry instead (the lock keeps the image as named).

Examples:
  gantry update examples/templated
`;

async function resolveImages(
  images: readonly { name: string; image: string }[],
  resolveDigest: (image: string) => Promise<string>,
  repositoryHost: string,
): Promise<LockImage[]> {
  const out: LockImage[] = [];
  for (const { name, image } of images) {
    const fail = (what: string, error: unknown): Error =>
      new Error(
        `generating lock data: resolving lock image for "${image}": ${what}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    const overridden = withRepositoryHost(image, repositoryHost);
    if (!overridden.ok) throw fail('resolving image URL', overridden.error);
    try {
      out.push({ name, image, digest: await resolveDigest(overridden.value) });
    } catch (error) {
      throw fail('resolving image digest', error);
    }
  }
  return out;
}

/** The repositories a manifest names, read in order (files relative to the working folder, as PKO opens them). */
async function repositoriesOf(io: CliIO, manifest: PackageManifest): Promise<RepositoryIndex[]> {
  const out: RepositoryIndex[] = [];
  for (const r of manifest.spec?.repositories ?? []) {
    if (r.file !== undefined && r.file !== '') out.push(await readRepositoryFile(io.cwd, r.file));
    if (r.image !== undefined && r.image !== '') {
      const source = await cliPackageSource(io, [r.image], false, new Set(PLAIN_HTTP_RULES));
      out.push(await pullRepositoryImage(source, r.image, 'pull repository image'));
    }
  }
  return out;
}

/** The component's dependencies, resolved; every error is `generating lock data: …`, as PKO's. */
async function dependenciesOf(io: CliIO, manifest: PackageManifest): Promise<LockDependency[]> {
  try {
    return resolveDependencies(manifest, await repositoriesOf(io, manifest));
  } catch (error) {
    throw new Error(`generating lock data: ${errorMessage(error)}`, { cause: error });
  }
}

export const updateCommand: Command = {
  usage,
  async run(argv, io) {
    const { positionals, values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { insecure: { type: 'boolean' } },
    });
    const folder = positionals[0];
    const raw = await readPackageArgument(io.cwd, folder);
    const dir = resolve(io.cwd, folder ?? '.');
    let components: PackageComponent[];
    try {
      const pkg = loadPackage(raw);
      components = [pkg.root, ...pkg.components.values()];
    } catch (error) {
      if (error instanceof ViolationError)
        throw new Error(`loading package from files: ${error.message}`, { cause: error });
      throw error;
    }
    const repositoryHost = io.env?.['PKO_REPOSITORY_HOST'] ?? '';
    const all = components.flatMap((c) =>
      manifestImages(c.manifest).map((i) => {
        const o = withRepositoryHost(i.image, repositoryHost);
        return o.ok ? o.value : i.image;
      }),
    );
    const source = await cliPackageSource(io, all, values.insecure === true);
    const writes: { path: string; text: string }[] = [];
    for (const component of components) {
      const images = manifestImages(component.manifest);
      const hasDependencies = (component.manifest.spec?.dependencies ?? []).length > 0;
      if (images.length === 0 && !hasDependencies && component.lock === undefined) continue;
      const locked = await resolveImages(images, (image) => source.resolveDigest(image), repositoryHost);
      const dependencies = await dependenciesOf(io, component.manifest);
      if (lockUpToDate(component.lock, locked, dependencies)) continue;
      const prefix = component.name === '' ? '' : `components/${component.name}/`;
      const name = raw.files.has(`${prefix}manifest.lock.yml`) ? 'manifest.lock.yml' : 'manifest.lock.yaml';
      writes.push({ path: join(dir, prefix, name), text: lockFileText(locked, new Date(), dependencies) });
    }
    // Resolve everything first: one image that cannot be resolved leaves every lock file as it was.
    for (const w of writes) await writeFile(w.path, w.text);
    const changed = writes.length > 0;
    io.stdout(changed ? 'Package updated successfully!\n' : 'Package is already up-to-date\n');
    return 0;
  },
};
