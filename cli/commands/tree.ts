/**
 * @module cli/commands/tree
 * `gantry tree <folder>`: the phases and objects a package renders to, in PKO's tree format byte for byte
 * (pko-behaviour §7, §11). Unlike PKO, `--component` really selects the component.
 */
import type { Command } from '../command.js';
import { renderFromFlags, treeOptions, TREE_FLAGS_HELP } from './render-input.js';
import type { RenderedPackage } from '../../shared/packages/index.js';

const usage = `Print the phases and objects a package folder renders to.

Usage:
  gantry tree <folder> [flags]

${TREE_FLAGS_HELP}
Examples:
  gantry tree examples/simple
  gantry tree examples/templated --config-testcase production
  gantry tree examples/multi --component backend
`;

function gvk(apiVersion: string, kind: string): string {
  return `${apiVersion.includes('/') ? apiVersion : `/${apiVersion}`}, Kind=${kind}`;
}

function objectLine(o: RenderedPackage['phases'][number]['objects'][number]): string {
  const meta = o.object.metadata ?? {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  return `${gvk(o.object.apiVersion, o.object.kind)} ${ns}/${name}`;
}

/** PKO's tree output. */
export function formatTree(rendered: RenderedPackage, header: string): string {
  const lines = [rendered.manifest.metadata?.name ?? '', header];
  // PKO prints only the phases that hold objects (its ObjectSet template drops empty phases).
  const phases = rendered.phases.filter((phase) => phase.objects.length > 0);
  phases.forEach((phase, i) => {
    const last = i === phases.length - 1;
    lines.push(`└── Phase ${phase.name}`);
    for (const o of phase.objects) lines.push(last ? `    └── ${objectLine(o)}` : `│   ├── ${objectLine(o)}`);
  });
  return `${lines.join('\n')}\n`;
}

export const treeCommand: Command = {
  usage,
  async run(argv, io) {
    const { rendered, scope, metadata } = await renderFromFlags(argv, io, treeOptions, 'tree');
    const header =
      scope === 'Cluster'
        ? `ClusterPackage /${metadata.name}`
        : `Package ${metadata.namespace}/${metadata.name}`;
    io.stdout(formatTree(rendered, header));
    return 0;
  },
};
