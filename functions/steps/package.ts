/**
 * @module steps/package
 * The (Cluster)Package steps (docs/pko-compatibility.md §2): `unpack` (pull the image, digest-verified), `render` (admit
 * config, render, build and server-side-apply the ObjectDeployment and its ObjectSlices, garbage-collect
 * unreferenced slices) and `status` (mirror the ObjectDeployment's conditions). Unlike PKO, every validation
 * failure is persisted as `Invalid=True` and not retried until the spec changes.
 */
import {
  ANNOTATION_CHANGE_CAUSE,
  ANNOTATION_CHUNKING_STRATEGY,
  ANNOTATION_PACKAGE_CONFIG,
  ANNOTATION_PACKAGE_SOURCE_IMAGE,
  ANNOTATION_SERVICE_ACCOUNT,
  API_VERSION,
  FINALIZER_METRICS,
  LABEL_INSTANCE,
  LABEL_PACKAGE,
  LABEL_SLICE_OWNER,
} from '../../shared/api/constants.js';
import {
  objectDeploymentSchema,
  objectSetSchema,
  packageSchema,
  parseResource,
  type ApiObjectDeployment,
  type ApiPackage,
} from '../../shared/api/resources.js';
import { errorMessage, TerminalError } from '../../shared/errors.js';
import { getOrUndefined, isNotFound } from '../../shared/kube-errors.js';
import { applyPrefixOverrides } from '../../shared/packages/images.js';
import { renderPackage, type RenderedPackage } from '../../shared/packages/render.js';
import { loadPackage, selectComponent } from '../../shared/packages/structure.js';
import { selectorString } from '../../shared/probing/selector.js';
import type { PackageManifest } from '../../shared/api/generated/packagemanifest.js';
import type { KubeObject, ObjectRef, PulledPackage } from '../../shared/ports.js';
import { packageSpecHash } from '../../shared/pko-hash/index.js';
import { canonicalJson } from '../../shared/render/hash.js';
import {
  buildObjectDeployment,
  reuseSlices,
  type BuiltDeployment,
} from '../../shared/render/object-deployment.js';
import { parseKubeObject, refOf } from '../../shared/api/objects.js';
import {
  ANNOTATION_CHANGE_CAUSE_FOR,
  ANNOTATION_PACKAGE_COMPONENT,
  ANNOTATION_PACKAGE_IMAGE,
  changeCauseKey,
} from '../../shared/rollout/history.js';
import { Conditions, backoffMs, ensureFinalizer, removeFinalizer } from './status.js';
import { inStep, StepError, type StepDeps, type StepResult } from './types.js';

const PULL_BACKOFF_BASE_MS = 10_000;
const PULL_BACKOFF_CAP_MS = 300_000;

export const MSG_UNPACKED = 'Unpack job succeeded';
export const MSG_ALREADY_UNPACKED = 'Package already unpacked';

/**
 * `unpackedHash`: PKO's own (SHA-256 of its Go `PackageSpec` as the API server serves it, with the hash modifier
 * and the image prefix overrides), so PKO taking back a Package that Gantry unpacked does not unpack it again.
 */
export function specHash(raw: KubeObject, deps: Pick<StepDeps, 'hashModifier' | 'prefixOverrides'>): string {
  return packageSpecHash(raw['spec'], deps.hashModifier, deps.prefixOverrides);
}

function odRef(pkg: ApiPackage): ObjectRef {
  return {
    apiVersion: API_VERSION,
    kind: pkg.kind === 'ClusterPackage' ? 'ClusterObjectDeployment' : 'ObjectDeployment',
    namespace: pkg.metadata.namespace ?? '',
    name: pkg.metadata.name,
  };
}

/**
 * PKO's change cause for an update (§2.5); a change cause written on the Package for exactly this spec (by
 * `gantry rollout undo`) wins.
 */
function changeCause(
  pkg: ApiPackage,
  existing: ApiObjectDeployment | undefined,
  image: string,
  config: string,
  manifestName: string,
): string {
  const own = pkg.metadata.annotations ?? {};
  const given = own[ANNOTATION_CHANGE_CAUSE];
  if (given !== undefined && own[ANNOTATION_CHANGE_CAUSE_FOR] === changeCauseKey(pkg.spec)) return given;
  if (existing === undefined) return `Installing ${manifestName} package.`;
  const a = existing.metadata.annotations ?? {};
  const imageChanged = a[ANNOTATION_PACKAGE_SOURCE_IMAGE] !== image;
  const configChanged = a[ANNOTATION_PACKAGE_CONFIG] !== config;
  if (imageChanged && configChanged) return 'Package source image and config changed.';
  if (imageChanged) return 'Package source image changed.';
  if (configChanged) return 'Package config changed.';
  return a[ANNOTATION_CHANGE_CAUSE] ?? `Installing ${manifestName} package.`;
}

/**
 * What `gantry rollout undo` needs besides PKO's annotations to set a Package back to a revision: the image as
 * the Package names it (when prefix overrides rewrote it) and the component it selects; and the ServiceAccount
 * the Package's objects are managed as, which the ObjectDeployment passes on to its ObjectSets.
 */
function revisionAnnotations(pkg: ApiPackage, image: string): Record<string, string> {
  const serviceAccount = pkg.metadata.annotations?.[ANNOTATION_SERVICE_ACCOUNT];
  return {
    ...(serviceAccount !== undefined ? { [ANNOTATION_SERVICE_ACCOUNT]: serviceAccount } : {}),
    ...(image !== pkg.spec.image ? { [ANNOTATION_PACKAGE_IMAGE]: pkg.spec.image } : {}),
    ...(pkg.spec.component !== undefined && pkg.spec.component !== ''
      ? { [ANNOTATION_PACKAGE_COMPONENT]: pkg.spec.component }
      : {}),
  };
}

/**
 * For a manifest with a `uniqueInScope` constraint: whether another (Cluster)Package in the same scope already
 * uses it, seen from the ObjectDeployments of the scope (each carries its manifest's name and its Package's name in
 * PKO's labels). PKO looks for a label on Packages that it never sets, so it never finds one; Gantry enforces it.
 */
async function usedElsewhere(
  pkg: ApiPackage,
  manifest: PackageManifest,
  deps: Pick<StepDeps, 'kube'>,
): Promise<boolean> {
  if (!(manifest.spec?.constraints ?? []).some((c) => c.uniqueInScope !== undefined)) return false;
  const cluster = pkg.kind === 'ClusterPackage';
  const deployments = await deps.kube.list(
    API_VERSION,
    cluster ? 'ClusterObjectDeployment' : 'ObjectDeployment',
    cluster ? '' : (pkg.metadata.namespace ?? ''),
    { labelSelector: `${LABEL_PACKAGE}=${manifest.metadata?.name ?? ''}`, metadataOnly: true },
  );
  return deployments.some((od) => od.metadata.labels?.[LABEL_INSTANCE] !== pkg.metadata.name);
}

/** What a render of a Package gives: the rendered package and the ObjectDeployment (and slices) built from it. */
export interface PackageRender {
  readonly rendered: RenderedPackage;
  readonly built: BuiltDeployment;
}

/**
 * Render a pulled package for a (Cluster)Package and build its ObjectDeployment, exactly as the `render` step
 * applies it (also used by `gantry diff` to show what an upgrade would change before it is made).
 */
export async function renderForPackage(
  pkg: ApiPackage,
  pulled: PulledPackage,
  existing: ApiObjectDeployment | undefined,
  deps: Pick<StepDeps, 'kube' | 'environment' | 'engines' | 'prefixOverrides'>,
): Promise<PackageRender> {
  const component = selectComponent(
    loadPackage({ files: pulled.files, labels: pulled.labels }),
    pkg.spec.component,
  );
  const cluster = pkg.kind === 'ClusterPackage';
  const manifestUsedElsewhere = await usedElsewhere(pkg, component.manifest, deps);
  const rendered = await renderPackage(
    {
      component,
      scope: cluster ? 'Cluster' : 'Namespaced',
      package: {
        metadata: {
          name: pkg.metadata.name,
          namespace: pkg.metadata.namespace ?? '',
          labels: pkg.metadata.labels ?? {},
          annotations: pkg.metadata.annotations ?? {},
        },
        image: pkg.spec.image,
      },
      config: pkg.spec.config,
      environment: await deps.environment.environment(pkg.metadata.namespace ?? ''),
      imagePrefixOverrides: deps.prefixOverrides,
      manifestUsedElsewhere,
    },
    deps.engines,
  );
  const image = applyPrefixOverrides(pkg.spec.image, deps.prefixOverrides);
  const rawConfig = pkg.spec.config === undefined ? 'null' : canonicalJson(pkg.spec.config);
  const built = buildObjectDeployment(rendered, {
    packageKind: pkg.kind,
    name: pkg.metadata.name,
    namespace: pkg.metadata.namespace ?? '',
    image,
    rawConfig: pkg.spec.config,
    ...(pkg.metadata.annotations?.[ANNOTATION_CHUNKING_STRATEGY] !== undefined
      ? { chunkingStrategy: pkg.metadata.annotations[ANNOTATION_CHUNKING_STRATEGY] }
      : {}),
    owner: { uid: pkg.metadata.uid },
    changeCause: changeCause(pkg, existing, image, rawConfig, rendered.manifest.metadata?.name ?? ''),
    extraAnnotations: revisionAnnotations(pkg, image),
  });
  return { rendered, built };
}

/** The uid of the object as the API server has it (not a cache), or undefined when it does not exist. */
async function serverUid(object: KubeObject, deps: StepDeps): Promise<string | undefined> {
  try {
    return (await deps.kube.get(refOf(object))).metadata.uid;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Render the package and apply the ObjectDeployment and its slices; returns the applied ObjectDeployment. */
async function deploy(
  pkg: ApiPackage,
  pulled: PulledPackage,
  existing: ApiObjectDeployment | undefined,
  deps: StepDeps,
): Promise<KubeObject> {
  const rendered = await renderForPackage(pkg, pulled, existing, deps);
  // The package's slices are listed once, and only when it has or had some (one LIST fewer per small package).
  const sliced = rendered.built.slices.length > 0 || referencesSlices(existing);
  const before = sliced ? await existingSlices(pkg, deps) : [];
  const { deployment: built, toWrite } =
    rendered.built.slices.length === 0
      ? { deployment: rendered.built, toWrite: [] }
      : reuseSlices(rendered.built, before);
  const od = parseKubeObject(built.objectDeployment);
  if (od === undefined) throw new TerminalError('the built ObjectDeployment has no name');
  let uid = existing?.metadata.uid;
  // The shell must never replace the template of an ObjectDeployment a cache has not seen yet: asked of the server.
  if (built.slices.length > 0 && uid === undefined) uid = await serverUid(od, deps);
  if (built.slices.length > 0 && uid === undefined) {
    const shell = await deps.kube.apply(
      {
        ...od,
        spec: {
          ...(typeof od['spec'] === 'object' ? od['spec'] : {}),
          template: { metadata: {}, spec: { phases: [] } },
        },
      },
      { force: true },
    );
    uid = shell.metadata.uid;
  }
  const sliceNames = new Set<string>();
  for (const s of built.slices) {
    const slice = parseKubeObject(s);
    if (slice !== undefined) sliceNames.add(slice.metadata.name);
  }
  for (const s of toWrite) {
    const slice = parseKubeObject(s);
    if (slice === undefined) continue;
    await deps.kube.apply(
      {
        ...slice,
        metadata: {
          ...slice.metadata,
          ownerReferences: [
            {
              apiVersion: API_VERSION,
              kind: od.kind,
              name: od.metadata.name,
              uid: uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
      },
      { force: true },
    );
  }
  const applied = await deps.kube.apply(od, { force: true });
  await collectSlices(pkg, applied, before, sliceNames, deps);
  return applied;
}

/** The ObjectDeployment's template names slices. */
function referencesSlices(od: ApiObjectDeployment | undefined): boolean {
  return (od?.spec.template.spec.phases ?? []).some((p) => (p.slices ?? []).length > 0);
}

/** This package's slices as they are (a slice that already holds the same objects is kept by its name). */
async function existingSlices(pkg: ApiPackage, deps: StepDeps): Promise<KubeObject[]> {
  const kind = pkg.kind === 'ClusterPackage' ? 'ClusterObjectSlice' : 'ObjectSlice';
  return deps.kube.list(API_VERSION, kind, pkg.metadata.namespace ?? '', {
    labelSelector: `${LABEL_SLICE_OWNER}=${pkg.metadata.name}`,
  });
}

/**
 * The slices the ObjectSets of this package's ObjectDeployment refer to: an older revision keeps its slices until
 * it is deleted (PKO's garbage collection; PKO tears an archived revision down by reading them).
 */
async function slicesOfRevisions(od: KubeObject, deps: StepDeps): Promise<Set<string>> {
  const deployment = parseResource(objectDeploymentSchema, od);
  const kind = deployment.kind === 'ClusterObjectDeployment' ? 'ClusterObjectSet' : 'ObjectSet';
  const sets = await deps.kube.list(API_VERSION, kind, deployment.metadata.namespace ?? '', {
    labelSelector: selectorString(deployment.spec.selector),
  });
  const names = new Set<string>();
  for (const set of sets)
    for (const phase of parseResource(objectSetSchema, set).spec.phases)
      for (const slice of phase.slices ?? []) names.add(slice);
  return names;
}

/**
 * Delete this package's slices (as listed before the apply) that neither the ObjectDeployment nor any of its
 * ObjectSets references.
 */
async function collectSlices(
  pkg: ApiPackage,
  od: KubeObject,
  slices: readonly KubeObject[],
  keep: ReadonlySet<string>,
  deps: StepDeps,
): Promise<void> {
  const kind = pkg.kind === 'ClusterPackage' ? 'ClusterObjectSlice' : 'ObjectSlice';
  const unreferenced = slices.filter((s) => !keep.has(s.metadata.name));
  if (unreferenced.length === 0) return;
  const referenced = await slicesOfRevisions(od, deps);
  for (const s of unreferenced)
    if (!referenced.has(s.metadata.name))
      await deps.kube.delete(
        { apiVersion: API_VERSION, kind, namespace: pkg.metadata.namespace ?? '', name: s.metadata.name },
        { preconditions: { ...(s.metadata.uid !== undefined ? { uid: s.metadata.uid } : {}) } },
      );
}

/** Mirror the ObjectDeployment's conditions (§2.6) and revision. */
function mirror(conds: Conditions, od: ApiObjectDeployment | undefined): void {
  conds.removeMapped();
  if (od === undefined) return;
  const current = (od.status.conditions ?? []).filter((c) => c.observedGeneration === od.metadata.generation);
  for (const type of ['Available', 'Progressing']) {
    const c = current.find((x) => x.type === type);
    if (c !== undefined) conds.copy(c);
  }
  const paused = current.find((c) => c.type === 'Paused');
  if (paused?.status === 'True') conds.copy(paused);
  else conds.remove('Paused');
  for (const c of current) if (c.type.includes('/')) conds.copy(c);
}

interface UnpackOutcome {
  readonly od: KubeObject | undefined;
  readonly status: Record<string, unknown>;
  readonly requeueAfterMs?: number;
  readonly step: string;
  readonly error?: string;
}

async function unpackAndRender(
  raw: KubeObject,
  pkg: ApiPackage,
  odRaw: KubeObject | undefined,
  conds: Conditions,
  deps: StepDeps,
): Promise<UnpackOutcome> {
  const hash = specHash(raw, deps);
  if (pkg.status.unpackedHash === hash && odRaw !== undefined) {
    if (conds.get('Unpacked')?.status === 'False')
      conds.set('Unpacked', 'True', 'AlreadyUnpacked', MSG_ALREADY_UNPACKED);
    return { od: odRaw, status: {}, step: 'status' };
  }
  let pulled: PulledPackage;
  const started = performance.now();
  try {
    pulled = await deps.images.pull(pkg.spec.image);
    deps.packageLoaded?.(
      {
        apiVersion: API_VERSION,
        kind: pkg.kind,
        namespace: pkg.metadata.namespace ?? '',
        name: pkg.metadata.name,
      },
      Math.round(performance.now() - started) / 1000,
    );
  } catch (error) {
    conds.set('Unpacked', 'False', 'ImagePullBackOff', errorMessage(error));
    const attempt = pkg.status.progress?.step === 'unpack' ? (pkg.status.progress.attempt ?? 0) : 0;
    const retry = !(error instanceof TerminalError);
    return {
      od: odRaw,
      status: {},
      step: 'unpack',
      error: errorMessage(error),
      ...(retry ? { requeueAfterMs: backoffMs(attempt, PULL_BACKOFF_BASE_MS, PULL_BACKOFF_CAP_MS) } : {}),
    };
  }
  const existing = odRaw === undefined ? undefined : parseResource(objectDeploymentSchema, odRaw);
  try {
    const od = await deploy(pkg, pulled, existing, deps);
    conds.remove('Invalid');
    conds.set('Unpacked', 'True', 'UnpackSuccess', MSG_UNPACKED);
    return { od, status: { unpackedHash: hash, resolvedImage: pulled.resolved }, step: 'render' };
  } catch (error) {
    if (!(error instanceof TerminalError)) throw new StepError('render', error);
    const message = errorMessage(error);
    conds.set(
      'Invalid',
      'True',
      message.startsWith('Constraints not met') ? 'ConstraintsFailed' : 'LoadError',
      message,
    );
    conds.set('Unpacked', 'True', 'UnpackSuccess', MSG_UNPACKED);
    return {
      od: odRaw,
      status: { unpackedHash: hash, resolvedImage: pulled.resolved },
      step: 'render',
      error: message,
    };
  }
}

/** One reconcile of a (Cluster)Package. */
export async function reconcilePackage(input: KubeObject, deps: StepDeps): Promise<StepResult> {
  let raw = input;
  const pkg = parseResource(packageSchema, raw);
  if (pkg.metadata.deletionTimestamp !== undefined) {
    await inStep('delete', () => removeFinalizer(deps.kube, raw, FINALIZER_METRICS));
    return { step: 'delete', outcome: 'done' };
  }
  raw = await ensureFinalizer(deps.kube, raw, FINALIZER_METRICS);
  deps.wrote?.(raw);
  const conds = new Conditions(pkg.status.conditions, pkg.metadata.generation, deps.clock.now());
  // A cache that has not seen the ObjectDeployment answers "absent" without a request: what is decided from that
  // (applying it) is an idempotent server-side apply, right also when someone created it a moment ago.
  let odRaw = await getOrUndefined(deps.kube, odRef(pkg), { cache: deps.cache });
  const paused = pkg.spec.paused === true;
  if (odRaw !== undefined && (parseResource(objectDeploymentSchema, odRaw).spec.paused === true) !== paused)
    odRaw = await deps.kube.mergePatch(odRef(pkg), { spec: { paused } });
  let outcome: UnpackOutcome = { od: odRaw, status: {}, step: 'status' };
  if (!paused) outcome = await unpackAndRender(raw, pkg, odRaw, conds, deps);
  const od = outcome.od === undefined ? undefined : parseResource(objectDeploymentSchema, outcome.od);
  mirror(conds, od);
  const status: Record<string, unknown> = {
    ...pkg.status,
    ...outcome.status,
    conditions: conds.toJSON(),
    ...(od?.status.revision !== undefined ? { revision: od.status.revision } : {}),
  };
  const available = conds.isTrue('Available');
  return {
    step: outcome.step,
    outcome: outcome.error !== undefined ? 'failed' : available ? 'done' : 'progressing',
    object: raw,
    status,
    ...(outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
  };
}
