/**
 * @module cli/commands
 * Every `gantry` sub-command, in the order `gantry --help` lists them: name, one-line summary and a lazy `load()`.
 * A command module is imported only when that command runs (or prints its `--help`), so offline commands never
 * pay for the Kubernetes client or the AWS SDK, and `gantry --help` imports no command at all (issue 13).
 * Add a command by adding a line here.
 */
import type { CommandEntry } from '../command.js';

export const commands: readonly CommandEntry[] = [
  {
    name: 'validate',
    summary: 'Validate a package folder (manifests, objects, templates, test fixtures)',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  {
    name: 'tree',
    summary: 'Show the phases and objects a package renders to',
    load: async () => (await import('./tree.js')).treeCommand,
  },
  {
    name: 'render',
    summary: 'Print the ObjectDeployment (and ObjectSlices) a package renders to',
    load: async () => (await import('./render.js')).renderCommand,
  },
  {
    name: 'build',
    summary: 'Build a package image (OCI tarball) from a package folder',
    load: async () => (await import('./build.js')).buildCommand,
  },
  {
    name: 'kickstart',
    summary: 'Start a new package folder from Kubernetes manifests or an OLM bundle image',
    load: async () => (await import('./kickstart.js')).kickstartCommand,
  },
  {
    name: 'update',
    summary: 'Resolve image tags to digests and dependencies to versions into manifest.lock.yaml',
    load: async () => (await import('./update.js')).updateCommand,
  },
  {
    name: 'repository',
    aliases: ['repo'],
    summary: 'Manage package repositories: init, add, remove, push, pull (alias: repo)',
    load: async () => (await import('./repository.js')).repositoryCommand,
  },
  {
    name: 'rollout',
    summary: 'Rollout history of a package or object deployment, and undo to an earlier revision',
    load: async () => (await import('./rollout.js')).rolloutCommand,
  },
  {
    name: 'pause',
    summary: 'Pause the reconciliation of a (Cluster)Package and its objects',
    load: async () => (await import('./pause.js')).pauseCmd,
  },
  {
    name: 'unpause',
    summary: 'Unpause the reconciliation of a (Cluster)Package and its objects',
    load: async () => (await import('./pause.js')).unpauseCmd,
  },
  {
    name: 'versions',
    summary: 'List the versions of the package a Package follows (catalog), with their validation',
    load: async () => (await import('./catalog.js')).versionsCommand,
  },
  {
    name: 'approve',
    summary: 'Roll a following Package out to its proposed catalog version',
    load: async () => (await import('./catalog.js')).approveCommand,
  },
  {
    name: 'reject',
    summary: 'Drop the catalog version proposed to a following Package',
    load: async () => (await import('./catalog.js')).rejectCommand,
  },
  {
    name: 'clustertree',
    summary: 'Show the phases and objects of the live ObjectSet of a (Cluster)Package',
    load: async () => (await import('./clustertree.js')).clustertreeCommand,
  },
  {
    name: 'diff',
    summary: 'Show what an upgrade of a (Cluster)Package would change (server-side dry-run, unified diff)',
    load: async () => (await import('./diff.js')).diffCommand,
  },
  {
    name: 'fleet',
    summary: 'Show the rollout of HostedClusterPackages per hosted cluster (fleet status)',
    load: async () => (await import('./fleet.js')).fleetCommand,
  },
  {
    name: 'console',
    summary: 'Serve the web console on loopback: Packages, phases, revisions, diffs and Events, live',
    load: async () => (await import('./console.js')).consoleCommand,
  },
  {
    name: 'run',
    summary: 'Run the engine: reconcile Packages, ObjectDeployments and ObjectSets on a cluster',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'serve',
    summary: 'Serve the admission webhooks and event endpoints (no watch) and run the steps they trigger',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'version',
    summary: "Print Gantry's version, the PKO release it follows and the API versions it serves",
    load: async () => (await import('./version.js')).versionCommand,
  },
  {
    name: 'demo',
    summary: 'Install the templated example on a local control plane and watch it become Available',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'dev',
    summary: 'Start, inspect or stop a real local Kubernetes control plane',
    load: async () => (await import('./dev.js')).devCommand,
  },
];
