/**
 * @module cli/commands/tree
 * `gantry tree <folder>`: the phases and objects a package renders to, in PKO's tree format byte for byte
 * (docs/pko-compatibility.md §7, §11). Unlike PKO, `--component` really selects the component.
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

/** One object of a tree: what PKO prints of it (`<gv>, Kind=<K> <ns>/<name>`). */
export interface TreeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
}

export interface TreePhase {
  readonly name: string;
  readonly objects: readonly TreeObject[];
}

function objectLine(o: TreeObject): string {
  const meta = o.metadata ?? {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  return `${gvk(o.apiVersion, o.kind)} ${ns}/${name}`;
}

/**
 * PKO's tree (gotree) under the given header lines: `└── Phase <p>` per phase that holds objects, its objects as
 * `│   ├── …` in every phase but the last and `    └── …` in the last (PKO's output, byte for byte). Shared by
 * `tree` (rendered package) and `clustertree` (live ObjectSet).
 */
export function formatPhaseTree(header: readonly string[], allPhases: readonly TreePhase[]): string {
  const lines = [...header];
  // PKO prints only the phases that hold objects (its ObjectSet template drops empty phases).
  const phases = allPhases.filter((phase) => phase.objects.length > 0);
  phases.forEach((phase, i) => {
    const last = i === phases.length - 1;
    lines.push(`└── Phase ${phase.name}`);
    for (const o of phase.objects) lines.push(last ? `    └── ${objectLine(o)}` : `│   ├── ${objectLine(o)}`);
  });
  return `${lines.join('\n')}\n`;
}

/** PKO's tree output. */
export function formatTree(rendered: RenderedPackage, header: string): string {
  return formatPhaseTree(
    [rendered.manifest.metadata?.name ?? '', header],
    rendered.phases.map((p) => ({ name: p.name, objects: p.objects.map((o) => o.object) })),
  );
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
