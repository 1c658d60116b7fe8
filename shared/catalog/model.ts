/**
 * @module catalog/model
 * Gantry's package catalog (`gantry.run/v1alpha1`, beside PKO's API, whose CRDs stay untouched):
 * - a PackageRepository names an OCI repository; every semver tag in it is a version of one package;
 * - one PackageRevision per discovered version: package, version, digest-pinned image and a lifecycle in the words
 *   of pkgserver and porch (Draft until validated, Published once validated, DeletionProposed when its tag is gone),
 *   with a `Validated` condition;
 * - a Package follows a version range of a repository through annotations (which PKO ignores), with an approval
 *   policy: `automatic` moves it to the newest validated version in range, `manual` proposes that version and waits
 *   for `gantry approve` (an update of the Package, so only who may update the Package may approve).
 * This module holds the names, the parsers of both kinds and of the follow annotations.
 */
import semver from 'semver';
import { z } from 'zod';
import { GANTRY_API_VERSION } from '../api/constants.js';
import type { RepositoryIndex } from '../packages/repository.js';
import type { KubeObject } from '../ports.js';

export const ANNOTATION_FOLLOW_REPOSITORY = 'gantry.run/repository';
export const ANNOTATION_FOLLOW_PACKAGE = 'gantry.run/package';
export const ANNOTATION_VERSION_RANGE = 'gantry.run/version-range';
export const ANNOTATION_APPROVAL = 'gantry.run/approval';
/** Written by Gantry (and `gantry approve`): the catalog version the Package's image is. */
export const ANNOTATION_VERSION = 'gantry.run/version';
/** Written by Gantry under `manual`: the version waiting for approval. */
export const ANNOTATION_PROPOSED = 'gantry.run/proposed-version';
/** Written by `gantry approve`: checked by the validating webhook. */
export const ANNOTATION_APPROVED = 'gantry.run/approved-version';
/** Written by `gantry reject`: versions never proposed again (comma-separated, newest last). */
export const ANNOTATION_REJECTED = 'gantry.run/rejected-versions';

export const LABEL_REPOSITORY = 'gantry.run/repository';
export const LABEL_PACKAGE_NAME = 'gantry.run/package-name';

export const CONDITION_VALIDATED = 'Validated';
export const CONDITION_READY = 'Ready';

export type Lifecycle = 'Draft' | 'Proposed' | 'Published' | 'DeletionProposed';
export type Approval = 'manual' | 'automatic';

/** How many versions a repository keeps (the newest), and how many rejected versions a Package remembers. */
export const MAX_VERSIONS = 100;
export const MAX_REJECTED = 20;
/** Tags read from a registry per listing (a repository with more is cut off, and its status says so). */
export const MAX_TAGS = 1_000;
/** The re-list interval: default and the least allowed (registry push events list at once anyway). */
export const DEFAULT_INTERVAL_SECONDS = 600;
export const MIN_INTERVAL_SECONDS = 30;

/** A repository or package name: a DNS subdomain short enough to be a label value. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

const duration = z
  .string()
  .regex(/^(\d+h)?(\d+m)?(\d+s)?$/, 'must be a duration such as 10m, 1h or 90s')
  .refine((d) => d !== '', 'must be a duration such as 10m, 1h or 90s');

export const repositorySpecSchema = z
  .object({
    image: z
      .string()
      .min(1)
      .max(512)
      .refine(
        (i) => !/[:@][^/]*$/.test(i.split('/').slice(1).join('/')),
        'must name a repository, without a tag or digest',
      )
      .optional(),
    index: z.string().min(1).max(512).optional(),
    packageName: z.string().regex(NAME, 'must be a DNS subdomain of at most 63 characters').optional(),
    interval: duration.optional(),
  })
  .refine((s) => (s.image === undefined) !== (s.index === undefined), {
    message: 'name either image (an OCI repository) or index (a PKO Repository index image), not both',
    path: ['image'],
  })
  .refine((s) => s.index === undefined || s.packageName !== undefined, {
    message: 'name the package of the index to follow',
    path: ['packageName'],
  });
export type RepositorySpec = z.infer<typeof repositorySpecSchema>;

/** A duration (`1h30m`, `90s`) in seconds. */
export function durationSeconds(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (m === null) return DEFAULT_INTERVAL_SECONDS;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** The re-list interval of a repository, in milliseconds (default 10m, at least 30s). */
export function intervalMs(spec: RepositorySpec): number {
  const seconds = spec.interval === undefined ? DEFAULT_INTERVAL_SECONDS : durationSeconds(spec.interval);
  return Math.max(MIN_INTERVAL_SECONDS, seconds) * 1000;
}

/** The package a repository holds: `packageName`, else the last segment of its image path. */
export function packageNameOf(spec: RepositorySpec): string {
  return spec.packageName ?? spec.image?.split('/').pop() ?? '';
}

/** Where a repository's versions come from: its OCI repository, or its index image. */
export function sourceOf(spec: RepositorySpec): string {
  return spec.image ?? spec.index ?? '';
}

/** How a version is reached: a tag of the repository (resolved to a digest), or an image already pinned. */
export type VersionSource = { readonly tag: string } | { readonly image: string };

/** The semver tags of an OCI repository, newest first, at most MAX_VERSIONS (`v1.0.0` and `1.0.0`: the first seen). */
export function versionsOfTags(tags: readonly string[]): Map<string, VersionSource> {
  const byVersion = new Map<string, VersionSource>();
  for (const tag of tags) {
    const v = versionOfTag(tag);
    if (v !== undefined && !byVersion.has(v)) byVersion.set(v, { tag });
  }
  return newestFirst(byVersion);
}

/** The versions a PKO Repository index gives one package, each pinned to its entry's image digest. */
export function versionsOfIndex(index: RepositoryIndex, packageName: string): Map<string, VersionSource> {
  const byVersion = new Map<string, VersionSource>();
  for (const entry of index.entries) {
    if (entry.name !== packageName) continue;
    for (const tag of entry.versions) {
      const v = versionOfTag(tag);
      if (v !== undefined && !byVersion.has(v))
        byVersion.set(v, { image: `${entry.image}@sha256:${entry.digest}` });
    }
  }
  return newestFirst(byVersion);
}

function newestFirst(versions: ReadonlyMap<string, VersionSource>): Map<string, VersionSource> {
  return new Map([...versions].sort(([a], [b]) => semver.rcompare(a, b)).slice(0, MAX_VERSIONS));
}

export const revisionSpecSchema = z.object({
  repository: z.string(),
  packageName: z.string(),
  version: z.string(),
  image: z.string(),
  lifecycle: z.enum(['Draft', 'Proposed', 'Published', 'DeletionProposed']),
});
export type RevisionSpec = z.infer<typeof revisionSpecSchema>;

/** A tag as a catalog version: a semver version (a leading `v` allowed), else undefined. */
export function versionOfTag(tag: string): string | undefined {
  const v = semver.valid(tag.startsWith('v') ? tag.slice(1) : tag);
  return v === null ? undefined : v;
}

/** The PackageRevision's name: `<repository>.<package>.<version>`, lower case, `+` spelled `-`. */
export function revisionName(repository: string, packageName: string, version: string): string {
  return `${repository}.${packageName}.v${version}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 253);
}

/** A new PackageRevision (Draft) owned by its repository. */
export function newRevision(
  repository: { readonly name: string; readonly namespace: string; readonly uid: string },
  packageName: string,
  version: string,
  image: string,
): KubeObject {
  return {
    apiVersion: GANTRY_API_VERSION,
    kind: 'PackageRevision',
    metadata: {
      name: revisionName(repository.name, packageName, version),
      namespace: repository.namespace,
      labels: { [LABEL_REPOSITORY]: repository.name, [LABEL_PACKAGE_NAME]: packageName },
      ownerReferences: [
        {
          apiVersion: GANTRY_API_VERSION,
          kind: 'PackageRepository',
          name: repository.name,
          uid: repository.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { repository: repository.name, packageName, version, image, lifecycle: 'Draft' },
  };
}

/** What a Package's annotations say it follows. */
export interface Follow {
  readonly repository: string;
  readonly packageName?: string;
  readonly range: string;
  readonly approval: Approval;
  /** The catalog version of the Package's image (as Gantry or `gantry approve` last set it). */
  readonly version?: string;
  readonly proposed?: string;
  readonly approved?: string;
  readonly rejected: readonly string[];
}

/** The follow annotations of a Package: undefined when it follows nothing, a message when they are wrong. */
export function parseFollow(
  annotations: Readonly<Record<string, string>> | undefined,
): Follow | { readonly error: string } | undefined {
  const a = annotations ?? {};
  const repository = a[ANNOTATION_FOLLOW_REPOSITORY];
  if (repository === undefined) return undefined;
  if (!NAME.test(repository))
    return {
      error: `${ANNOTATION_FOLLOW_REPOSITORY}: "${repository.slice(0, 80)}" is not a PackageRepository name`,
    };
  const pkgName = a[ANNOTATION_FOLLOW_PACKAGE];
  if (pkgName !== undefined && pkgName !== '' && !NAME.test(pkgName))
    return { error: `${ANNOTATION_FOLLOW_PACKAGE}: "${pkgName.slice(0, 80)}" is not a package name` };
  const range = a[ANNOTATION_VERSION_RANGE] ?? '*';
  if (semver.validRange(range) === null)
    return { error: `${ANNOTATION_VERSION_RANGE}: "${range}" is not a semver range` };
  const approval = a[ANNOTATION_APPROVAL] ?? 'manual';
  if (approval !== 'manual' && approval !== 'automatic')
    return { error: `${ANNOTATION_APPROVAL}: must be "manual" or "automatic", got "${approval}"` };
  const optional = (key: string): string | undefined => {
    const v = a[key];
    return v === undefined || v === '' ? undefined : v;
  };
  const packageName = optional(ANNOTATION_FOLLOW_PACKAGE);
  const version = optional(ANNOTATION_VERSION);
  const proposed = optional(ANNOTATION_PROPOSED);
  const approved = optional(ANNOTATION_APPROVED);
  return {
    repository,
    range,
    approval,
    rejected: (a[ANNOTATION_REJECTED] ?? '').split(',').filter((v) => v !== ''),
    ...(packageName !== undefined ? { packageName } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(proposed !== undefined ? { proposed } : {}),
    ...(approved !== undefined ? { approved } : {}),
  };
}

/**
 * The PackageRepository a Package follows (annotation `gantry.run/repository`, same namespace): a change of the
 * Package by someone else runs the repository's step, so a new follower gets its proposal without waiting for
 * the repository's interval.
 */
export function followedRepository(
  object: KubeObject,
):
  | { readonly apiVersion: string; readonly kind: string; readonly namespace: string; readonly name: string }
  | undefined {
  if (object.kind !== 'Package') return undefined;
  const follow = parseFollow(object.metadata.annotations);
  if (follow === undefined || 'error' in follow) return undefined;
  return {
    apiVersion: GANTRY_API_VERSION,
    kind: 'PackageRepository',
    namespace: object.metadata.namespace ?? '',
    name: follow.repository,
  };
}
