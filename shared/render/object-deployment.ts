/**
 * @module render/object-deployment
 * RenderedPackage → the (Cluster)ObjectDeployment and its (Cluster)ObjectSlices exactly as Package Operator
 * builds them (docs/pko-compatibility.md §2.5, §5.1) and as the API server stores them (§11: CRD defaults applied).
 * Deterministic: the same input gives byte-identical output.
 */
import {
  ANNOTATION_CHANGE_CAUSE,
  ANNOTATION_PACKAGE_CONFIG,
  ANNOTATION_PACKAGE_SOURCE_IMAGE,
  API_VERSION,
  LABEL_INSTANCE,
  LABEL_PACKAGE,
  LABEL_SLICE_OWNER,
} from '../api/constants.js';
import type { ObjectSetObject, ObjectSetProbe, OwnerReference } from '../api/generated/crds.js';
import type { ManifestProbe, RenderedPackage } from '../packages/render.js';
import { goJson } from '../pko-hash/go-json.js';
import { sliceHash } from '../pko-hash/index.js';
import { canonicalJson } from './hash.js';

export type ChunkingStrategy = 'NoOp' | 'EachObject' | 'BinpackNextFit';

/** 1 MiB bins (docs/pko-compatibility.md §5.1). */
export const SLICE_BIN_BYTES = 1_048_576;

export interface BuildOptions {
  readonly packageKind: 'Package' | 'ClusterPackage';
  readonly name: string;
  /** '' for a ClusterPackage. */
  readonly namespace: string;
  /** `spec.image` after prefix overrides. */
  readonly image: string;
  /** The user's `spec.config` as given (undefined ⇒ `null`). */
  readonly rawConfig: unknown;
  /** `packages.package-operator.run/chunking-strategy`; unknown values ⇒ BinpackNextFit. */
  readonly chunkingStrategy?: string;
  /** The owning (Cluster)Package, for the controller owner reference. */
  readonly owner?: { readonly uid: string };
  /** Change cause; defaults to `Installing <manifest name> package.` (a new ObjectDeployment). */
  readonly changeCause?: string;
  /** More annotations (Gantry's own, e.g. what `rollout undo` needs to recover a revision). */
  readonly extraAnnotations?: Readonly<Record<string, string>>;
}

export interface BuiltDeployment {
  readonly objectDeployment: Record<string, unknown>;
  readonly slices: readonly Record<string, unknown>[];
}

function strategyOf(value: string | undefined): ChunkingStrategy {
  return value === 'NoOp' || value === 'EachObject' ? value : 'BinpackNextFit';
}

/**
 * An optional list as PKO's JSON encoding writes it (`omitempty`): absent when empty, so no `availabilityProbes: []`
 * or `conditionMappings: []` reaches the API server or `gantry render`.
 */
function listField<K extends string, T>(key: K, list: T[] | undefined): { [P in K]?: T[] } {
  const out: { [P in K]?: T[] } = {};
  if (list !== undefined && list.length > 0) out[key] = list;
  return out;
}

/** CRD defaults the API server applies to an ObjectSetObject. */
function withObjectDefaults(o: ObjectSetObject): ObjectSetObject {
  return {
    object: o.object,
    collisionProtection: o.collisionProtection ?? 'Prevent',
    ...listField('conditionMappings', o.conditionMappings),
  };
}

type ManifestSelector = NonNullable<ManifestProbe['selector']['selector']>;

function labelSelector(s: ManifestSelector): NonNullable<ObjectSetProbe['selector']['selector']> {
  return {
    ...(s.matchLabels !== undefined && Object.keys(s.matchLabels).length > 0
      ? { matchLabels: s.matchLabels }
      : {}),
    ...listField(
      'matchExpressions',
      s.matchExpressions?.map((e) => ({
        key: e.key ?? '',
        operator: e.operator ?? '',
        ...listField('values', e.values),
      })),
    ),
  };
}

/** CRD defaults for probes: condition status "True". */
export function withProbeDefaults(probe: ManifestProbe): ObjectSetProbe {
  return {
    probes: probe.probes.map((p) => ({
      ...(p.cel !== undefined ? { cel: { message: p.cel.message ?? '', rule: p.cel.rule ?? '' } } : {}),
      ...(p.condition !== undefined
        ? { condition: { status: p.condition.status ?? 'True', type: p.condition.type ?? '' } }
        : {}),
      ...(p.fieldsEqual !== undefined
        ? { fieldsEqual: { fieldA: p.fieldsEqual.fieldA ?? '', fieldB: p.fieldsEqual.fieldB ?? '' } }
        : {}),
    })),
    selector: {
      // Required by the CRD (as in PKO); manifest validation refuses a probe without it, so '' never reaches a
      // cluster.
      kind: { group: probe.selector.kind?.group ?? '', kind: probe.selector.kind?.kind ?? '' },
      ...(probe.selector.selector !== undefined ? { selector: labelSelector(probe.selector.selector) } : {}),
    },
  };
}

const encoder = new TextEncoder();

/**
 * What PKO's chunker counts for an object: `json.Marshal(obj.Object)` of the `unstructured.Unstructured` value,
 * which (its MarshalJSON has a pointer receiver) Go writes as `{"Object":<the object>}`.
 */
export function chunkSize(object: Readonly<Record<string, unknown>>): number {
  return encoder.encode(`{"Object":${goJson(object)}}`).length;
}

/** Next-fit bins of at most SLICE_BIN_BYTES, each object counted as PKO counts it. */
export function binpackNextFit(objects: readonly ObjectSetObject[]): ObjectSetObject[][] {
  const bins: ObjectSetObject[][] = [];
  let current: ObjectSetObject[] = [];
  let size = 0;
  for (const o of objects) {
    const bytes = chunkSize(o.object);
    if (current.length > 0 && size + bytes > SLICE_BIN_BYTES) {
      bins.push(current);
      current = [];
      size = 0;
    }
    current.push(o);
    size += bytes;
  }
  if (current.length > 0) bins.push(current);
  return bins;
}

function chunk(
  objects: readonly ObjectSetObject[],
  strategy: ChunkingStrategy,
): ObjectSetObject[][] | undefined {
  if (strategy === 'NoOp' || objects.length === 0) return undefined;
  if (strategy === 'EachObject') return objects.map((o) => [o]);
  const bins = binpackNextFit(objects);
  return bins.length <= 1 ? undefined : bins;
}

function ownerRef(opts: BuildOptions): OwnerReference[] | undefined {
  if (opts.owner === undefined) return undefined;
  return [
    {
      apiVersion: API_VERSION,
      kind: opts.packageKind,
      name: opts.name,
      uid: opts.owner.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
}

function metadata(name: string, namespace: string, rest: Record<string, unknown>): Record<string, unknown> {
  return { name, ...(namespace !== '' ? { namespace } : {}), ...rest };
}

/** Build the ObjectDeployment and its slices for a rendered package. */
export function buildObjectDeployment(rendered: RenderedPackage, opts: BuildOptions): BuiltDeployment {
  const cluster = opts.packageKind === 'ClusterPackage';
  const manifestName = rendered.manifest.metadata?.name ?? '';
  const labels = { [LABEL_PACKAGE]: manifestName, [LABEL_INSTANCE]: opts.name };
  const strategy = strategyOf(opts.chunkingStrategy);
  const slices: Record<string, unknown>[] = [];
  const phases = rendered.phases
    .filter((p) => p.objects.length > 0)
    .map((p) => {
      const bins = chunk(p.objects, strategy);
      const base = { name: p.name, ...(p.class !== undefined ? { class: p.class } : {}) };
      if (bins === undefined) return { ...base, objects: p.objects.map(withObjectDefaults) };
      const names = bins.map((bin) => {
        // Named as PKO names it: by its objects as rendered, before the API's defaults.
        const slice = {
          apiVersion: API_VERSION,
          kind: cluster ? 'ClusterObjectSlice' : 'ObjectSlice',
          metadata: metadata(`${opts.name}-${sliceHash(bin)}`, opts.namespace, {
            labels: { [LABEL_SLICE_OWNER]: opts.name },
          }),
          objects: bin.map(withObjectDefaults),
        };
        slices.push(slice);
        return slice.metadata['name'];
      });
      return { ...base, slices: names };
    });
  const owners = ownerRef(opts);
  const objectDeployment = {
    apiVersion: API_VERSION,
    kind: cluster ? 'ClusterObjectDeployment' : 'ObjectDeployment',
    metadata: metadata(opts.name, opts.namespace, {
      labels,
      annotations: {
        [ANNOTATION_CHANGE_CAUSE]: opts.changeCause ?? `Installing ${manifestName} package.`,
        [ANNOTATION_PACKAGE_CONFIG]:
          opts.rawConfig === undefined || opts.rawConfig === null ? 'null' : canonicalJson(opts.rawConfig),
        [ANNOTATION_PACKAGE_SOURCE_IMAGE]: opts.image,
        ...opts.extraAnnotations,
      },
      ...(owners !== undefined ? { ownerReferences: owners } : {}),
    }),
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...listField('availabilityProbes', rendered.availabilityProbes.map(withProbeDefaults)),
          ...listField('phases', phases),
        },
      },
    },
  };
  return { objectDeployment, slices };
}

/** A slice's name and the objects it holds. */
function sliceParts(slice: Record<string, unknown>): { name: string; objects: string } | undefined {
  const meta = slice['metadata'];
  const name = typeof meta === 'object' && meta !== null && 'name' in meta ? meta.name : undefined;
  return typeof name === 'string' ? { name, objects: canonicalJson(slice['objects'] ?? []) } : undefined;
}

/**
 * Keep the names of slices that already exist with the same objects, whatever named them: Gantry names a slice as
 * PKO does, but one PKO made under a collision count, or one an earlier Gantry named by its own hash, is reused by
 * content too (taking over then changes no template and makes no new revision). Returns the deployment with those
 * names, and the slices still to write.
 */
export function reuseSlices(
  built: BuiltDeployment,
  existing: readonly Record<string, unknown>[],
): { deployment: BuiltDeployment; toWrite: readonly Record<string, unknown>[] } {
  const byContent = new Map<string, Record<string, unknown>>();
  for (const s of existing) {
    const parts = sliceParts(s);
    if (parts !== undefined && !byContent.has(parts.objects)) byContent.set(parts.objects, s);
  }
  const renamed = new Map<string, string>();
  const toWrite: Record<string, unknown>[] = [];
  const slices: Record<string, unknown>[] = [];
  for (const s of built.slices) {
    const parts = sliceParts(s);
    const reuse = parts === undefined ? undefined : byContent.get(parts.objects);
    const reusedName = reuse === undefined ? undefined : sliceParts(reuse)?.name;
    if (parts !== undefined && reuse !== undefined && reusedName !== undefined) {
      renamed.set(parts.name, reusedName);
      slices.push(reuse);
    } else {
      toWrite.push(s);
      slices.push(s);
    }
  }
  if (renamed.size === 0) return { deployment: built, toWrite };
  return {
    deployment: { objectDeployment: renameSliceRefs(built.objectDeployment, renamed), slices },
    toWrite,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The deployment with `spec.template.spec.phases[].slices` renamed. */
function renameSliceRefs(
  od: Record<string, unknown>,
  renamed: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const spec = od['spec'];
  const template = isRecord(spec) ? spec['template'] : undefined;
  const tspec = isRecord(template) ? template['spec'] : undefined;
  const phases = isRecord(tspec) ? tspec['phases'] : undefined;
  if (!isRecord(spec) || !isRecord(template) || !isRecord(tspec) || !Array.isArray(phases)) return od;
  const newPhases = phases.map((p: unknown) => {
    if (!isRecord(p) || !Array.isArray(p['slices'])) return p;
    const slices: unknown[] = p['slices'];
    return { ...p, slices: slices.map((n) => (typeof n === 'string' ? (renamed.get(n) ?? n) : n)) };
  });
  return { ...od, spec: { ...spec, template: { ...template, spec: { ...tspec, phases: newPhases } } } };
}
