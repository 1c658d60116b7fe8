/**
 * @module cli/commands/render
 * `gantry render <folder>`: the (Cluster)ObjectDeployment and (Cluster)ObjectSlices Gantry would apply for a
 * (Cluster)Package of this package, as the API server will store them (CRD defaults applied).
 */
import { stringify } from 'yaml';
import { buildObjectDeployment } from '../../shared/render/object-deployment.js';
import type { Command } from '../command.js';
import { UsageError } from '../package-input.js';
import { renderFromFlags, renderOptions, TREE_FLAGS_HELP } from './render-input.js';

const usage = `Print the (Cluster)ObjectDeployment and ObjectSlices a (Cluster)Package of this package produces.

Usage:
  gantry render <folder> [flags]

${TREE_FLAGS_HELP.replace(
  'Flags:\n',
  `Flags:
  -n, --namespace NS         the Package's namespace (default: from the test case, else "namespace")
  --name NAME                the Package's name (default: from the test case, else "name")
  --image REF                the Package's spec.image, recorded in package-source-image
  -o, --output yaml|json     output format (default yaml: one document per object)
`,
)}
Examples:
  gantry render examples/simple -n shop --name web
  gantry render examples/templated --config-path prod.yaml -o json
`;

export const renderCommand: Command = {
  usage,
  async run(argv, io) {
    const { rendered, scope, metadata, config, image, values } = await renderFromFlags(
      argv,
      io,
      renderOptions,
    );
    const output = values['output'] ?? 'yaml';
    if (output !== 'yaml' && output !== 'json')
      throw new UsageError(`invalid output format: "${String(output)}"`);
    const built = buildObjectDeployment(rendered, {
      packageKind: scope === 'Cluster' ? 'ClusterPackage' : 'Package',
      name: metadata.name,
      namespace: scope === 'Cluster' ? '' : metadata.namespace,
      image,
      rawConfig: config,
    });
    const objects = [built.objectDeployment, ...built.slices];
    if (output === 'json')
      io.stdout(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`);
    else
      io.stdout(
        objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join(''),
      );
    return 0;
  },
};
