/**
 * @module hypershift/fleet-view
 * `gantry fleet status`: the view of a HostedClusterPackage's rollout, one row per HostedCluster its selector
 * matches (cluster, partition, the Package's revision, Available / Progressing for its generation, whether it has
 * the template's spec) and a progress line (updated/total, available, paused, the stop on failure's message), as a
 * kubectl-like table or JSON. Pure.
 */
import { z } from 'zod';
import { isRecord } from '../api/objects.js';
import { hostedClusterNamespace } from '../packages/environment.js';
import { matchesSelector } from '../probing/selector.js';
import { canonicalJson } from '../render/hash.js';
import { comparablePackageSpec, REASON_ROLLOUT_STOPPED, type HostedClusterPackage } from './fleet-rollout.js';

export interface FleetRow {
  /** `<namespace>/<name>` of the HostedCluster. */
  readonly cluster: string;
  /** The partition label's value (`*` without it); undefined without `spec.partition`. */
  readonly partition?: string;
  /** Whether the HostedCluster has a Package of the HostedClusterPackage. */
  readonly hasPackage: boolean;
  /** The Package's `status.revision`. */
  readonly revision?: number;
  /** `Available` / `Progressing` for the Package's generation: True, False or Unknown. */
  readonly available: string;
  readonly progressing: string;
  /** The Package has the template's spec. */
  readonly updated: boolean;
}

export interface FleetView {
  readonly name: string;
  readonly progress: {
    readonly updated: number;
    readonly total: number;
    readonly available: number;
    readonly paused: number;
    /** The stop on failure's message (Progressing `RolloutStopped`), when the rollout is stopped. */
    readonly stopped?: string;
  };
  readonly rows: readonly FleetRow[];
}

const stringMap = z.record(z.string(), z.string());
const conditionsSchema = z
  .array(
    z
      .object({
        type: z.string(),
        status: z.string(),
        reason: z.string().optional(),
        message: z.string().optional(),
        observedGeneration: z.number().optional(),
      })
      .loose(),
  )
  .optional();

const hostedClusterSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string(), labels: stringMap.optional() }).loose(),
});

const packageSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string(), generation: z.number().optional() }).loose(),
  spec: z.unknown().optional(),
  status: z.object({ revision: z.number().optional(), conditions: conditionsSchema }).loose().optional(),
});
type Pkg = z.infer<typeof packageSchema>;

/** A condition's status for the object's generation; Unknown when absent or of an older generation. */
function conditionStatus(pkg: Pkg, type: string): string {
  const c = (pkg.status?.conditions ?? []).find((x) => x.type === type);
  if (c === undefined || (c.observedGeneration ?? 0) !== (pkg.metadata.generation ?? 0)) return 'Unknown';
  return c.status;
}

function rowOf(
  hcpkg: HostedClusterPackage,
  hc: z.infer<typeof hostedClusterSchema>,
  pkg: Pkg | undefined,
): FleetRow {
  const labelKey = hcpkg.spec.partition?.labelKey;
  const label = labelKey === undefined ? undefined : hc.metadata.labels?.[labelKey];
  const template = canonicalJson(comparablePackageSpec(hcpkg.spec.template.spec));
  const revision = pkg?.status?.revision;
  return {
    cluster: `${hc.metadata.namespace}/${hc.metadata.name}`,
    ...(labelKey !== undefined ? { partition: label === undefined || label === '' ? '*' : label } : {}),
    hasPackage: pkg !== undefined,
    ...(revision !== undefined ? { revision } : {}),
    available: pkg === undefined ? 'Unknown' : conditionStatus(pkg, 'Available'),
    progressing: pkg === undefined ? 'Unknown' : conditionStatus(pkg, 'Progressing'),
    updated: pkg !== undefined && canonicalJson(comparablePackageSpec(pkg.spec)) === template,
  };
}

/** The message of the HostedClusterPackage's Progressing condition when the rollout stopped on failures. */
function stoppedMessage(raw: unknown): string | undefined {
  const status = isRecord(raw) ? raw['status'] : undefined;
  const parsed = conditionsSchema.safeParse(isRecord(status) ? status['conditions'] : undefined);
  const c = (parsed.success ? (parsed.data ?? []) : []).find((x) => x.type === 'Progressing');
  return c?.reason === REASON_ROLLOUT_STOPPED ? (c.message ?? '') : undefined;
}

/**
 * The view of one HostedClusterPackage (`raw` is its object, `hcpkg` the same parsed) over the HostedClusters and
 * the Packages named after it: one row per HostedCluster its selector matches, sorted by cluster.
 */
export function fleetView(
  raw: unknown,
  hcpkg: HostedClusterPackage,
  hostedClusters: readonly unknown[],
  packages: readonly unknown[],
): FleetView {
  const byNamespace = new Map<string, Pkg>();
  for (const p of packages) {
    const parsed = packageSchema.safeParse(p);
    if (parsed.success && parsed.data.metadata.name === hcpkg.metadata.name)
      byNamespace.set(parsed.data.metadata.namespace, parsed.data);
  }
  const rows: FleetRow[] = [];
  let paused = 0;
  for (const h of hostedClusters) {
    const parsed = hostedClusterSchema.safeParse(h);
    if (!parsed.success) continue;
    const hc = parsed.data;
    if (!matchesSelector(hcpkg.spec.hostedClusterSelector ?? {}, hc.metadata.labels ?? {})) continue;
    const pkg = byNamespace.get(hostedClusterNamespace(hc.metadata.namespace, hc.metadata.name));
    if (pkg !== undefined && conditionStatus(pkg, 'Paused') === 'True') paused += 1;
    rows.push(rowOf(hcpkg, hc, pkg));
  }
  rows.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const stopped = stoppedMessage(raw);
  return {
    name: hcpkg.metadata.name,
    progress: {
      updated: rows.filter((r) => r.updated).length,
      total: rows.length,
      available: rows.filter((r) => r.available === 'True').length,
      paused,
      ...(stopped !== undefined ? { stopped } : {}),
    },
    rows,
  };
}

/** The progress line of a view. */
export function progressLine(view: FleetView): string {
  const p = view.progress;
  const stopped = p.stopped !== undefined ? `, stopped: ${p.stopped}` : '';
  return `HostedClusterPackage ${view.name}: ${p.updated}/${p.total} updated, ${p.available} available, ${p.paused} paused${stopped}`;
}

/** Columns padded as kubectl prints them (three spaces between columns). */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
      .join('')
      .trimEnd();
  return [header, ...rows].map(line).join('\n');
}

/** The kubectl-like text of the views: per HostedClusterPackage its progress line and its table. */
export function fleetTable(views: readonly FleetView[]): string {
  if (views.length === 0) return 'No HostedClusterPackages found.\n';
  return views
    .map((view) => {
      const partitions = view.rows.some((r) => r.partition !== undefined);
      const header = [
        'CLUSTER',
        ...(partitions ? ['PARTITION'] : []),
        'REVISION',
        'AVAILABLE',
        'PROGRESSING',
        'UPDATED',
      ];
      const rows = view.rows.map((r) => [
        r.cluster,
        ...(partitions ? [r.partition ?? '*'] : []),
        r.hasPackage ? String(r.revision ?? '-') : '<no package>',
        r.available,
        r.progressing,
        r.updated ? 'yes' : 'no',
      ]);
      const body = rows.length === 0 ? 'No HostedClusters selected.' : table(header, rows);
      return `${progressLine(view)}\n${body}\n`;
    })
    .join('\n');
}
