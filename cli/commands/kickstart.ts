/**
 * @module cli/commands/kickstart
 * `gantry kickstart <package-name> [-f FILE|FOLDER|GLOB|-]... [-b IMAGE] [-p VALUE,...]`: a new package folder
 * from Kubernetes manifests and/or an OLM bundle image, as PKO's `kubectl package kickstart`.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  pathExists,
  readInputPath,
  readStdin,
  writePackageFolder,
  type InputText,
  type ReadBudget,
} from '../../functions/adapters/kickstart-files.js';
import { errorMessage } from '../../shared/errors.js';
import {
  bundleObjects,
  kickstart,
  kickstartReport,
  objectsFromText,
  quoteObject,
  type ShowObject,
} from '../../shared/kickstart/index.js';
import type { CliIO, Command } from '../command.js';
import { oneArgument, UsageError } from '../package-input.js';

const usage = `Starts a new package, containing objects referenced via -f or from an OLM Bundle referenced via -b,
with the given name in a new folder <pkg_name>.

Usage:
  gantry kickstart <pkg_name> [flags]

Flags:
  -f, --filename strings      Files, folders (their *.yaml files) or globs to load objects from; "-" reads
                              stdin. Can be supplied multiple times, or comma-separated.
  -b, --olm-bundle string     OLM Bundle OCI to import. e.g. quay.io/xx/xxx:tag. Overrides the output package
                              name with the bundle's name.
  -p, --parametrize strings   Parametrize flags: namespaces, replicas, tolerations, nodeselectors, resources,
                              env, images, or all.
      --insecure              allow plain http to the bundle's registry
  -h, --help                  help for kickstart

Examples:
  gantry kickstart my-pkg -f deploy.yaml -f manifests/
  kubectl kustomize overlays/prod | gantry kickstart my-pkg -f - -p replicas,namespaces
  gantry kickstart my-operator -b quay.io/example/operator-bundle:v1.0.0
`;

const options = z.object({
  filename: z.array(z.string()).default([]),
  parametrize: z.array(z.string()).default([]),
  'olm-bundle': z.string().default(''),
  insecure: z.boolean().default(false),
});

/** pflag's StringSlice: every value may hold several, comma-separated. */
const slice = (values: readonly string[]): string[] =>
  values.flatMap((v) => v.split(',')).filter((v) => v !== '');

async function inputObjects(io: CliIO, inputs: readonly string[]): Promise<Record<string, unknown>[]> {
  const budget: ReadBudget = { total: 0 };
  const objects: Record<string, unknown>[] = [];
  for (const input of inputs) {
    if (/^https?:\/\//.test(input))
      throw new UsageError(`get input: ${input}: URLs are not read; download the file and pass its path`);
    try {
      const texts: readonly InputText[] =
        input === '-'
          ? [{ source: 'stdin', text: await readStdin(io.stdin?.(), budget) }]
          : await readInputPath(io.cwd, input, budget);
      for (const { text, inFolder } of texts) objects.push(...objectsAt(text, inFolder));
    } catch (error) {
      throw new Error(`get input: ${errorMessage(error)}`, { cause: error });
    }
  }
  return objects;
}

/** PKO's error chain; a file found in a folder is named (PKO prints its Go FileInfo struct there). */
function objectsAt(text: string, inFolder: string | undefined): Record<string, unknown>[] {
  try {
    return objectsFromText(text);
  } catch (error) {
    const where =
      inFolder === undefined ? '' : ` loading kubernetes objects from file ${JSON.stringify(inFolder)}:`;
    throw new Error(`loading kubernetes objects:${where} ${errorMessage(error)}`, { cause: error });
  }
}

async function bundle(
  io: CliIO,
  image: string,
  insecure: boolean,
): Promise<{ name: string; objects: Record<string, unknown>[] }> {
  const { cliPackageSource } = await import('../sources.js');
  const source = await cliPackageSource(io, [image], insecure);
  const { files } = await source.pullImageFiles(image);
  try {
    const { packageName, objects } = bundleObjects(files);
    return { name: packageName, objects: [...objects] };
  } catch (error) {
    throw new Error(`import olm bundle: converting OLM Bundle to static manifests: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

async function run(io: CliIO, folderName: string, values: z.infer<typeof options>): Promise<string> {
  if (folderName === '') throw new Error('create directory: mkdir : no such file or directory');
  const folder = resolve(io.cwd, folderName);
  if (await pathExists(folder)) throw new Error(`package folder already exists: ${folderName}`);
  const objects = await inputObjects(io, slice(values.filename));
  let name = folderName;
  const fetched: Record<string, unknown>[] = [];
  if (values['olm-bundle'] !== '') {
    const imported = await bundle(io, values['olm-bundle'], values.insecure);
    fetched.push(...imported.objects);
    name = imported.name;
  }
  // Objects from the bundle are named by their position in errors, never quoted (they were fetched).
  const show: ShowObject = (o) => {
    const at = fetched.indexOf(o);
    return at === -1 ? quoteObject(o) : `object ${at} of the OLM bundle`;
  };
  const result = kickstart(name, [...objects, ...fetched], slice(values.parametrize), show);
  await writePackageFolder(folder, result.files);
  return kickstartReport(name, result);
}

export const kickstartCommand: Command = {
  usage,
  async run(argv, io) {
    const { positionals, values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        parametrize: { type: 'string', short: 'p', multiple: true },
        'olm-bundle': { type: 'string', short: 'b' },
        insecure: { type: 'boolean' },
      },
    });
    const name = oneArgument(positionals);
    if (name === undefined) throw new UsageError('accepts 1 arg(s), received 0');
    const parsed = options.parse(values);
    try {
      io.stdout(await run(io, name, parsed));
    } catch (error) {
      throw new Error(`kickstarting package: ${errorMessage(error)}`, { cause: error });
    }
    return 0;
  },
};
