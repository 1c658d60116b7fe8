/**
 * @module steps/repository
 * The PackageRepository step (`list`): list the repository's tags, keep one PackageRevision per semver version
 * (created Draft, owned by the repository), validate a few new or stale ones per pass (the package loads, passes
 * `validate` and its template tests, and its config schema accepts the config of every Package that follows it),
 * mark versions whose tag is gone DeletionProposed, then move or propose versions to the Packages that follow it.
 * Every cost is bounded per pass (tags read, digests resolved, packages validated); what is left runs at once in
 * the next pass. Runs again after the repository's interval, or at once on a registry push of its image.
 */
import semver from 'semver';
import { z } from 'zod';
import { GANTRY_API_VERSION } from '../../shared/api/constants.js';
import { isRecord, refOf } from '../../shared/api/objects.js';
import { parseResource } from '../../shared/api/resources.js';
import {
  CONDITION_READY,
  CONDITION_VALIDATED,
  intervalMs,
  LABEL_PACKAGE_NAME,
  LABEL_REPOSITORY,
  MAX_TAGS,
  newRevision,
  packageNameOf,
  parseFollow,
  repositorySpecSchema,
  sourceOf,
  versionsOfIndex,
  versionsOfTags,
  type Follow,
  type RepositorySpec,
  type RevisionSpec,
  type VersionSource,
} from '../../shared/catalog/model.js';
import { REPOSITORY_IMAGE_PATH } from '../../shared/oci/image.js';
import { parseRepositoryIndex } from '../../shared/packages/repository.js';
import { decideFollow, followPatch, lifecycleFor, proposedAfter } from '../../shared/catalog/follow.js';
import {
  candidateOf,
  catalogConditionSchema,
  revisionSchema,
  validatedOf,
  type Revision,
} from '../../shared/catalog/revision.js';
import { errorMessage, RetryableError, TerminalError } from '../../shared/errors.js';
import { isKubeReason } from '../../shared/kube-errors.js';
import { renderPackage } from '../../shared/packages/render.js';
import { loadPackage, selectComponent, type LoadedPackage } from '../../shared/packages/structure.js';
import { validatePackage } from '../../shared/packages/validate.js';
import type { KubeObject } from '../../shared/ports.js';
import { canonicalJson } from '../../shared/render/hash.js';
import { createHash } from 'node:crypto';
import { Conditions } from './status.js';
import type { StepDeps, StepResult } from './types.js';

/** New versions whose digest is resolved per pass, and revisions validated per pass. */
const RESOLVES_PER_PASS = 20;
const VALIDATIONS_PER_PASS = 3;
/** A listed tag whose digest could not be read is tried again after this long. */
const UNRESOLVED_RETRY_MS = 5_000;
/** A validation message is kept to this many characters. */
const MAX_MESSAGE = 2048;

const repositorySchema = z
  .object({
    apiVersion: z.string(),
    kind: z.literal('PackageRepository'),
    metadata: z
      .object({
        name: z.string(),
        namespace: z.string(),
        uid: z.string(),
        generation: z.number().default(0),
        resourceVersion: z.string().optional(),
      })
      .loose(),
    spec: repositorySpecSchema,
    status: z
      .object({ conditions: z.array(catalogConditionSchema).optional() })
      .loose()
      .optional(),
  })
  .loose();
type Repository = z.infer<typeof repositorySchema>;

/** A Package that follows this repository, with its parsed annotations. */
interface Follower {
  readonly object: KubeObject;
  readonly follow: Follow;
}

/** The digest-pinned image of a version. */
async function pinned(spec: RepositorySpec, source: VersionSource, deps: StepDeps): Promise<string> {
  if ('image' in source) return source.image;
  return `${spec.image ?? ''}@${await deps.images.resolveDigest(`${spec.image ?? ''}:${source.tag}`)}`;
}

/** The repository's versions, from its tags or from its PKO Repository index image. */
async function listVersions(
  spec: RepositorySpec,
  deps: StepDeps,
): Promise<{ readonly versions: Map<string, VersionSource>; readonly truncated: boolean }> {
  if (spec.image !== undefined) {
    const listed = await deps.images.listTags(spec.image, { max: MAX_TAGS });
    return { versions: versionsOfTags(listed.tags), truncated: listed.truncated };
  }
  const { files } = await deps.images.pullImageFiles(spec.index ?? '');
  const bytes = files.get(REPOSITORY_IMAGE_PATH);
  if (bytes === undefined)
    throw new TerminalError(`the image holds no ${REPOSITORY_IMAGE_PATH}: not a repository index image`);
  const index = parseRepositoryIndex(new TextDecoder().decode(bytes));
  return { versions: versionsOfIndex(index, packageNameOf(spec)), truncated: false };
}

/** Followers of `repo`'s package in its namespace. */
async function followersOf(repo: Repository, deps: StepDeps): Promise<Follower[]> {
  const packages = await deps.kube.list('package-operator.run/v1alpha1', 'Package', repo.metadata.namespace);
  const name = packageNameOf(repo.spec);
  const out: Follower[] = [];
  for (const object of packages) {
    const follow = parseFollow(object.metadata.annotations);
    if (follow === undefined || 'error' in follow || follow.repository !== repo.metadata.name) continue;
    if (follow.packageName !== undefined && follow.packageName !== name) continue;
    out.push({ object, follow });
  }
  return out;
}

/** A digest of what the followers' configs are: a revision validated for other configs is validated again. */
function followersKey(followers: readonly Follower[]): string {
  const configs = followers
    .map((f) => {
      const spec = isRecord(f.object['spec']) ? f.object['spec'] : {};
      return {
        name: f.object.metadata.name,
        component: spec['component'] ?? '',
        config: spec['config'] ?? {},
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return createHash('sha256').update(canonicalJson(configs)).digest('hex').slice(0, 16);
}

/** Why the package would not render for a follower (its config, its component, the cluster's environment). */
async function renderProblem(
  pkg: LoadedPackage,
  image: string,
  follower: KubeObject,
  deps: StepDeps,
): Promise<string | undefined> {
  const spec = isRecord(follower['spec']) ? follower['spec'] : {};
  const namespace = follower.metadata.namespace ?? '';
  try {
    await renderPackage(
      {
        component: selectComponent(pkg, typeof spec['component'] === 'string' ? spec['component'] : ''),
        scope: 'Namespaced',
        package: {
          metadata: {
            name: follower.metadata.name,
            namespace,
            labels: follower.metadata.labels ?? {},
            annotations: follower.metadata.annotations ?? {},
          },
          image,
        },
        config: spec['config'],
        environment: await deps.environment.environment(namespace),
        imagePrefixOverrides: deps.prefixOverrides,
      },
      deps.engines,
    );
    return undefined;
  } catch (error) {
    if (error instanceof RetryableError) throw error;
    return errorMessage(error);
  }
}

/** Why the revision's package is not fit to be proposed; undefined when it is. */
async function validationProblem(
  spec: RevisionSpec,
  followers: readonly Follower[],
  deps: StepDeps,
): Promise<string | undefined> {
  const pulled = await deps.images.pull(spec.image);
  let pkg;
  try {
    pkg = loadPackage({ files: pulled.files, labels: pulled.labels });
  } catch (error) {
    return errorMessage(error);
  }
  const result = await validatePackage(pkg, deps.engines, { fixtures: new Map() });
  if (result.violations.length > 0) return result.violations.join('\n');
  for (const f of followers) {
    const problem = await renderProblem(pkg, spec.image, f.object, deps);
    if (problem !== undefined) return `Package ${f.object.metadata.name} would not render: ${problem}`;
  }
  return undefined;
}

/** Validate one revision and write its outcome (Validated, lifecycle); a retryable pull failure leaves it Draft. */
async function validate(
  rev: Revision,
  followers: readonly Follower[],
  key: string,
  deps: StepDeps,
): Promise<void> {
  let problem: string | undefined;
  try {
    problem = await validationProblem(rev.spec, followers, deps);
  } catch (error) {
    if (error instanceof RetryableError) throw error;
    problem = errorMessage(error);
  }
  const previous = validatedOf(rev);
  const conditions = new Conditions(previous === undefined ? [] : [previous], 0, deps.clock.now());
  if (problem === undefined)
    conditions.set(
      CONDITION_VALIDATED,
      'True',
      'Validated',
      'validate, template tests and follower configs passed',
    );
  else conditions.set(CONDITION_VALIDATED, 'False', 'ValidationFailed', problem.slice(0, MAX_MESSAGE));
  const lifecycle =
    problem !== undefined ? 'Draft' : rev.spec.lifecycle === 'Proposed' ? 'Proposed' : 'Published';
  const { status: _old, ...rest } = rev;
  let current: KubeObject = rest;
  if (rev.spec.lifecycle !== lifecycle)
    current = await deps.kube.update({ ...rest, spec: { ...rev.spec, lifecycle } });
  await deps.kube.updateStatus({
    ...current,
    status: { conditions: conditions.toJSON(), validatedFor: key },
  });
}

function needsValidation(rev: Revision, key: string): boolean {
  if (rev.spec.lifecycle === 'DeletionProposed') return false;
  return validatedOf(rev) === undefined || rev.status?.validatedFor !== key;
}

/** What a sync left: versions not reached this pass, and tags whose digest could not be read yet. */
interface SyncLeft {
  readonly left: number;
  readonly unresolved: number;
  /** Revisions created or changed: the list read before the sync is stale. */
  readonly wrote: number;
}

/** The PackageRevision of a version, created unless it exists; false when the tag's digest cannot be read yet. */
async function createRevision(
  repo: Repository,
  version: string,
  source: VersionSource,
  deps: StepDeps,
): Promise<boolean> {
  let image: string;
  try {
    image = await pinned(repo.spec, source, deps);
  } catch {
    // A registry may list a tag a moment before it serves its manifest: that tag is tried again shortly.
    return false;
  }
  try {
    await deps.kube.create(newRevision(repo.metadata, packageNameOf(repo.spec), version, image));
  } catch (error) {
    if (!isKubeReason(error, 'AlreadyExists')) throw error;
  }
  return true;
}

/** Create revisions for new versions (bounded per pass); mark the ones whose tag is gone. */
async function syncRevisions(
  repo: Repository,
  versions: ReadonlyMap<string, VersionSource>,
  existing: readonly Revision[],
  deps: StepDeps,
): Promise<SyncLeft> {
  const known = new Set(existing.map((r) => r.spec.version));
  const missing = [...versions].filter(([v]) => !known.has(v));
  let unresolved = 0;
  let wrote = 0;
  for (const [version, source] of missing.slice(0, RESOLVES_PER_PASS))
    if (await createRevision(repo, version, source, deps)) wrote += 1;
    else unresolved += 1;
  for (const rev of existing) {
    if (versions.has(rev.spec.version) || rev.spec.lifecycle === 'DeletionProposed') continue;
    const { status: _status, ...rest } = rev;
    await deps.kube.update({ ...rest, spec: { ...rev.spec, lifecycle: 'DeletionProposed' } });
    wrote += 1;
  }
  return { left: Math.max(0, missing.length - RESOLVES_PER_PASS), unresolved, wrote };
}

async function revisionsOf(repo: Repository, deps: StepDeps): Promise<Revision[]> {
  const list = await deps.kube.list(GANTRY_API_VERSION, 'PackageRevision', repo.metadata.namespace, {
    labelSelector: `${LABEL_REPOSITORY}=${repo.metadata.name},${LABEL_PACKAGE_NAME}=${packageNameOf(repo.spec)}`,
  });
  return list.map((o) => parseResource(revisionSchema, o));
}

/** Carry out the follow decision of every follower (a resourceVersion-guarded merge patch each). */
async function follow(
  followers: readonly Follower[],
  revisions: readonly Revision[],
  deps: StepDeps,
): Promise<void> {
  const candidates = revisions.map(candidateOf);
  const proposed = new Set<string>();
  for (const f of followers) {
    const spec = isRecord(f.object['spec']) ? f.object['spec'] : {};
    const image = typeof spec['image'] === 'string' ? spec['image'] : '';
    const decision = decideFollow(f.follow, image, candidates);
    const version = proposedAfter(f.follow, decision);
    if (version !== undefined) proposed.add(version);
    const patch = followPatch(decision);
    if (patch === undefined) continue;
    const meta = isRecord(patch['metadata']) ? patch['metadata'] : {};
    await deps.kube.mergePatch(refOf(f.object), {
      ...patch,
      metadata: { ...meta, resourceVersion: f.object.metadata.resourceVersion },
    });
  }
  await markProposed(revisions, proposed, deps);
}

/** Revisions some Package waits to approve are `Proposed`; the others validated ones `Published`. */
async function markProposed(
  revisions: readonly Revision[],
  proposed: ReadonlySet<string>,
  deps: StepDeps,
): Promise<void> {
  for (const rev of revisions) {
    const lifecycle = lifecycleFor(rev.spec.lifecycle, proposed.has(rev.spec.version));
    if (lifecycle === rev.spec.lifecycle) continue;
    const { status: _status, ...rest } = rev;
    await deps.kube.update({ ...rest, spec: { ...rev.spec, lifecycle } });
  }
}

function invalid(raw: KubeObject, issue: z.core.$ZodIssue | undefined, now: Date): StepResult {
  const message = `spec.${(issue?.path ?? []).slice(1).map(String).join('.')}: ${issue?.message ?? 'invalid'}`;
  const conditions = new Conditions([], raw.metadata.generation ?? 0, now).set(
    CONDITION_READY,
    'False',
    'Invalid',
    message,
  );
  return { step: 'list', outcome: 'failed', status: { conditions: conditions.toJSON() }, error: message };
}

/** The registry could not be listed: Ready=False with the request and its status (never the answer's body). */
function listFailed(raw: KubeObject, repo: Repository, conditions: Conditions, error: unknown): StepResult {
  const message = `listing ${sourceOf(repo.spec)}: ${errorMessage(error)}`;
  conditions.set(CONDITION_READY, 'False', 'ListFailed', message);
  return {
    step: 'list',
    outcome: 'waiting',
    status: { ...(isRecord(raw['status']) ? raw['status'] : {}), conditions: conditions.toJSON() },
    requeueAfterMs: error instanceof RetryableError ? error.retryAfterMs : intervalMs(repo.spec),
    error: message,
  };
}

/** Revisions in step with the tags, a few validated, followers moved or proposed to; whether work is left. */
async function catalogPass(
  repo: Repository,
  versions: ReadonlyMap<string, VersionSource>,
  deps: StepDeps,
): Promise<{ readonly againMs: number | undefined; readonly followers: number }> {
  const before = await revisionsOf(repo, deps);
  const sync = await syncRevisions(repo, versions, before, deps);
  const followers = await followersOf(repo, deps);
  const key = followersKey(followers);
  // A pass that found nothing new reads the revisions once (the steady state every interval and push).
  let revisions = sync.wrote > 0 ? await revisionsOf(repo, deps) : before;
  const stale = revisions
    .filter((r) => needsValidation(r, key))
    .sort((a, b) => semver.rcompare(a.spec.version, b.spec.version));
  for (const rev of stale.slice(0, VALIDATIONS_PER_PASS)) await validate(rev, followers, key, deps);
  if (stale.length > 0) revisions = await revisionsOf(repo, deps);
  await follow(followers, revisions, deps);
  const more = sync.left > 0 || stale.length > VALIDATIONS_PER_PASS;
  return {
    againMs: more ? 0 : sync.unresolved > 0 ? UNRESOLVED_RETRY_MS : undefined,
    followers: followers.length,
  };
}

/** Run the step of a PackageRepository. */
export async function reconcilePackageRepository(raw: KubeObject, deps: StepDeps): Promise<StepResult> {
  const now = deps.clock.now();
  const parsed = repositorySchema.safeParse(raw);
  if (!parsed.success) return invalid(raw, parsed.error.issues[0], now);
  const repo = parsed.data;
  const generation = repo.metadata.generation;
  const conditions = new Conditions(
    repo.status?.conditions?.map((c) => ({ lastTransitionTime: '', ...c })),
    generation,
    now,
  );
  let listed;
  try {
    listed = await listVersions(repo.spec, deps);
  } catch (error) {
    return listFailed(raw, repo, conditions, error);
  }
  const versions = listed.versions;
  const pass = await catalogPass(repo, versions, deps);
  const newest = [...versions.keys()][0];
  const cut = listed.truncated ? ` (only the first ${MAX_TAGS} tags were read)` : '';
  const message = `${versions.size} versions${newest !== undefined ? `, newest ${newest}` : ''}${cut}; ${pass.followers} following Packages`;
  conditions.set(CONDITION_READY, 'True', 'Listed', message);
  return {
    step: 'list',
    outcome: pass.againMs !== undefined ? 'progressing' : 'done',
    status: {
      conditions: conditions.toJSON(),
      packageName: packageNameOf(repo.spec),
      ...(newest !== undefined ? { latestVersion: newest } : {}),
      versionCount: versions.size,
      observedGeneration: generation,
    },
    requeueAfterMs: pass.againMs ?? intervalMs(repo.spec),
  };
}
