/**
 * @module ports
 * Interfaces the outside world implements. Pure code in shared/, webhooks/ and functions/steps/ depends
 * on these only; adapters in functions/adapters/ implement them; hosts and the CLI wire them together.
 */
import type { Environment } from './packages/environment.js';
import type { FileMap } from './packages/files.js';

/** The time, through a port, so pure code stays deterministic in tests. */
export interface Clock {
  now(): Date;
}

/** Which of PKO's function sets a template gets (docs/pko-compatibility.md §1.10 and §5.2). */
export type TemplateFunctionSet = 'package' | 'objectTemplate';

/** One Go `text/template` render: every template parsed into one set, then the named ones executed. */
export interface GoTemplateRequest {
  /** Every `.gotmpl` file (helpers included), path relative to the package root -> source text. */
  readonly templates: ReadonlyMap<string, string>;
  /** The paths (keys of `templates`) to execute, in order. */
  readonly execute: readonly string[];
  /** The template context (`.package`, `.config`, …), JSON-safe. */
  readonly context: unknown;
  /** Every file of the package, for `getFile` / `getFileGlob` (package set only). */
  readonly files: FileMap;
  /** Evaluates a boolean CEL expression for the `cel` template function; throws on error. */
  readonly cel?: (expression: string) => boolean;
  /**
   * The variables `cel` evaluates over (`config`, `images`, …, `cond`): an engine in another thread cannot call
   * `cel` and evaluates the expression itself from these.
   */
  readonly celVariables?: Readonly<Record<string, unknown>>;
  readonly functionSet: TemplateFunctionSet;
}

/** Go `text/template` + sprig (PKO's allow-list), compiled to WASM and loaded lazily by an adapter. */
export interface GoTemplateEngine {
  /** Path -> rendered text for every executed template. Throws TemplateError with Go's own message. */
  render(request: GoTemplateRequest): Promise<ReadonlyMap<string, string>>;
}

/** The handlebars engine (`.hbs`), when it runs elsewhere (a worker thread); the pure renderer otherwise. */
export interface HandlebarsEngine {
  /** Path -> rendered text for every executed template. Throws TemplateError naming the file. */
  render(request: {
    readonly templates: ReadonlyMap<string, string>;
    readonly execute: readonly string[];
    readonly context: unknown;
  }): Promise<ReadonlyMap<string, string>>;
}

/** A package fetched from where `spec.image` points. */
export interface PulledPackage {
  /** The package files (for images: the files under `package/`, made relative). */
  readonly files: FileMap;
  /** Image config labels (empty for tarballs). */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * What was fetched, exactly: `registry/repo@sha256:…` for images, `https://…@sha256:…` for tarballs,
   * `s3://bucket/key?versionId=…` or `s3://bucket/key#etag=…` for S3 objects.
   */
  readonly resolved: string;
  /** Content identity: the manifest or tarball digest, or the S3 version id / ETag. */
  readonly digest: string;
}

/** Fetches packages: OCI registries, `s3://bucket/key` and `https://…@sha256:…` tarballs. */
export interface ImageSource {
  /** Fetch and unpack the package at `reference`. Throws TerminalError or RetryableError. */
  pull(reference: string, options?: { readonly signal?: AbortSignal }): Promise<PulledPackage>;
  /** The manifest digest a reference names now (a tag resolved), without fetching layers. */
  resolveDigest(reference: string, options?: { readonly signal?: AbortSignal }): Promise<string>;
  /** The tags of an OCI repository (`registry/path`, no tag), at most `max` of them. */
  listTags(repository: string, options: ListTagsOptions): Promise<TagList>;
  /** Every file of an OCI image's layers (not a package: a repository index, an OLM bundle), uncached. */
  pullImageFiles(reference: string): Promise<{ readonly files: FileMap; readonly digest: string }>;
}

export interface ListTagsOptions {
  readonly max: number;
  readonly signal?: AbortSignal;
}

/** A repository's tags; `truncated` when it has more than were read. */
export interface TagList {
  readonly tags: readonly string[];
  readonly truncated: boolean;
}

/** A Kubernetes object as JSON, with the metadata every object has. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: KubeMeta;
  readonly [field: string]: unknown;
}

export interface KubeOwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface KubeMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
  readonly ownerReferences?: readonly KubeOwnerReference[];
}

/** Where an object lives: enough to address it. `namespace` is '' for cluster-scoped objects. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** What discovery says of a kind. */
export interface ResourceInfo {
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface ListOptions {
  readonly labelSelector?: string;
  /** Only metadata (PartialObjectMetadataList): cheaper when only owners and annotations matter. */
  readonly metadataOnly?: boolean;
}

export interface GetOptions {
  readonly fresh?: boolean;
}

export interface DeletePreconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

/**
 * The Kubernetes API as the steps use it (raw JSON, no client-side schema). Errors are typed
 * (shared/kube-errors.ts): NotFound, Conflict, AlreadyExists, Invalid, Forbidden, Gone, TooManyRequests.
 */
export interface KubeApi {
  /** Discovery: the resource of a kind; undefined when the server does not serve it. */
  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  /**
   * The object; `fresh`: from the API server even where a watching host could answer from its cache (a decision
   * that no resourceVersion guards, such as creating a child, must not rest on a lagging cache).
   */
  get(ref: ObjectRef, options?: GetOptions): Promise<KubeObject>;
  list(apiVersion: string, kind: string, namespace: string, options?: ListOptions): Promise<KubeObject[]>;
  /** Server-side apply with field manager `package-operator`. */
  apply(
    object: KubeObject,
    options?: { readonly force?: boolean; readonly dryRun?: boolean },
  ): Promise<KubeObject>;
  create(object: KubeObject): Promise<KubeObject>;
  /** PUT of the whole object (resourceVersion-guarded when it carries one). */
  update(object: KubeObject): Promise<KubeObject>;
  /** PUT of the status subresource, guarded by the object's resourceVersion. */
  updateStatus(object: KubeObject): Promise<KubeObject>;
  /** JSON merge patch. */
  mergePatch(ref: ObjectRef, patch: unknown): Promise<KubeObject>;
  delete(
    ref: ObjectRef,
    options?: { readonly preconditions?: DeletePreconditions; readonly propagationPolicy?: string },
  ): Promise<void>;
  /** The server's version (`gitVersion`), for `.environment.kubernetes.version`. */
  serverVersion(): Promise<string>;
}

/**
 * What a watching host already knows of the cluster (its watches' latest objects), so steps read without a request.
 * Every write a step makes from what it read stays guarded by the resourceVersion it read: a stale answer costs a
 * conflict and a retry, never a wrong write.
 */
export interface ObjectCache {
  /**
   * The object as last seen: `undefined` when no synced watch covers its kind and namespace (ask the API server);
   * `null` when one does and has not seen it (absent, or not selected by the watch: a create then tells).
   */
  lookup(ref: ObjectRef): KubeObject | null | undefined;
  /** The covered objects of a kind in a namespace ('' = all) that match a selector; undefined when not covered. */
  list(apiVersion: string, kind: string, namespace: string, labelSelector?: string): KubeObject[] | undefined;
  /**
   * How long ago the API server answered this host with this version of the object (a write's or a GET's answer),
   * once the host's request of it under way is answered; undefined when it did not (a watch brought it, or another
   * version is current).
   */
  answeredAgoMs?(ref: ObjectRef, resourceVersion: string): Promise<number | undefined>;
}

/** `.environment` as PKO's environment manager probes it (Kubernetes, OpenShift, proxy, HyperShift). */
export interface EnvironmentSource {
  /** The environment of an object in `namespace` ('' for cluster-scoped ones). Throws RetryableError. */
  environment(namespace: string): Promise<Environment>;
}

/**
 * The host's impersonation: its policy (shared/identity.ts) and a client per identity. `as(user)` sends every
 * request with `Impersonate-User: user`, so the API server authorizes it as that user; cheap (shares connections).
 */
export interface Impersonation {
  readonly defaultServiceAccount?: string;
  readonly required: boolean;
  as(user: string): KubeApi;
}
