/**
 * @module packages/repository
 * PKO's package repository index (`kind: Repository` followed by one `kind: RepositoryEntry` per package image),
 * the file `kubectl package repo` writes and `repositories:` of a manifest names. Parsing reads it as PKO's
 * loader does (documents split at `---` lines, the first one the Repository, every entry validated and added in
 * turn); serialising writes it as PKO's exporter does (`---` before every document, keys sorted, lists not
 * indented, `versions` newest first with a `v`). PKO writes the entries in Go map order, which changes from run to
 * run; Gantry writes them by package name, then newest version first.
 */
import { Document, parseDocument as parseYamlDocument, visit } from 'yaml';
import { z } from 'zod';
import { TerminalError } from '../errors.js';
import { compareVersions, parseVersion, versionText, type SemVersion } from './pko-semver.js';
import { parseYaml } from './yaml.js';

export const MANIFESTS_API_VERSION = 'manifests.package-operator.run/v1alpha1';
const GROUP = 'manifests.package-operator.run';

/** A manifest constraint as an entry records it (the package's `spec.constraints`). */
export type RepositoryConstraint = Readonly<Record<string, unknown>>;

/** One package image of a repository. */
export interface RepositoryEntry {
  /** The package's name (its manifest's `metadata.name`). */
  readonly name: string;
  /** The image repository without tag or digest, e.g. `quay.io/acme/app`. */
  readonly image: string;
  /** The image's manifest digest, hex only (no `sha256:`), as PKO records it. */
  readonly digest: string;
  /** The versions this image carries, `v`-prefixed, newest first. */
  readonly versions: readonly string[];
  /** The package's manifest constraints (platform, platformVersion, uniqueInScope). */
  readonly constraints?: readonly RepositoryConstraint[];
}

export interface RepositoryIndex {
  readonly name: string;
  /** RFC 3339 seconds, e.g. `2026-12-02T10:39:06Z`; PKO writes the time of writing when it has none. */
  readonly creationTimestamp?: string;
  readonly entries: readonly RepositoryEntry[];
}

/** A repository index that cannot be read or changed (bad file, duplicate version, unknown digest): not retried. */
export class RepositoryError extends TerminalError {}

/** Bounds on an index read from a file or an image (untrusted). */
export const REPOSITORY_LIMITS = {
  maxBytes: 16 * 1024 * 1024,
  maxEntries: 10_000,
  /** Versions of one entry, and of all entries together. */
  maxVersions: 1_000,
  maxTotalVersions: 20_000,
} as const;

const typeMeta = z.object({ apiVersion: z.string().optional(), kind: z.string().optional() });

const repositoryDoc = z.object({
  metadata: z.object({ name: z.string().optional(), creationTimestamp: z.string().nullish() }).nullish(),
});

const entryDoc = z.object({
  data: z
    .object({
      image: z.string().optional(),
      digest: z.string().optional(),
      versions: z.array(z.string()).max(REPOSITORY_LIMITS.maxVersions).nullish(),
      constraints: z.array(z.record(z.string(), z.unknown())).nullish(),
      name: z.string().optional(),
    })
    .nullish(),
});

function zodText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Go's `schema.GroupKind.String()`: `Kind.group`, or `Kind` for the core group. */
function groupKind(apiVersion: string | undefined, kind: string | undefined): string {
  const slash = (apiVersion ?? '').indexOf('/');
  const group = slash < 0 ? '' : (apiVersion ?? '').slice(0, slash);
  return group === '' ? (kind ?? '') : `${kind ?? ''}.${group}`;
}

function parseDocument<T>(text: string, kind: string, schema: z.ZodType<T>): T {
  const parsed = parseYaml(text);
  if (!parsed.ok) throw new RepositoryError(`Invalid YAML: ${parsed.error}`);
  const meta = typeMeta.safeParse(parsed.value ?? {});
  if (!meta.success) throw new RepositoryError(`Invalid YAML: ${zodText(meta.error)}`);
  const gk = groupKind(meta.data.apiVersion, meta.data.kind);
  if (gk !== `${kind}.${GROUP}`)
    throw new RepositoryError(`unknown GVK: GroupKind must be ${kind}.${GROUP}, is: ${gk}`);
  const version = (meta.data.apiVersion ?? '').split('/')[1] ?? '';
  if (version !== 'v1alpha1')
    throw new RepositoryError(`unknown GVK: unknown version ${version}, supported versions: v1alpha1`);
  const doc = schema.safeParse(parsed.value);
  if (!doc.success) throw new RepositoryError(`Invalid YAML: ${zodText(doc.error)}`);
  return doc.data;
}

/** A version as an entry records it (`v` + PKO's text); the error is PKO's parser's. */
function entryVersion(text: string): { key: string; version: SemVersion } {
  const parsed = parseVersion(text.startsWith('v') ? text.slice(1) : text);
  if (!parsed.ok) throw new RepositoryError(parsed.error);
  return { key: `v${versionText(parsed.value)}`, version: parsed.value };
}

function requiredFields(entry: RepositoryEntry): string[] {
  const missing: string[] = [];
  if (entry.image === '') missing.push('data.image: Required value');
  if (entry.digest === '') missing.push('data.digest: Required value');
  if (entry.versions.length === 0) missing.push('data.versions: Required value');
  if (entry.name === '') missing.push('data.name: Required value');
  return missing;
}

/**
 * Add an entry as PKO's package index does: required fields checked, every version (`1.2.3` or `v1.2.3`) parsed
 * and new among the package's versions (`package "x" version "v1.2.3" already exists`), the versions stored
 * `v`-prefixed and newest first. An entry with a digest the package already has replaces it (its versions are
 * still taken, as in PKO).
 */
export function addRepositoryEntry(index: RepositoryIndex, entry: RepositoryEntry): RepositoryIndex {
  const missing = requiredFields(entry);
  if (missing.length > 0)
    throw new RepositoryError(missing.length === 1 ? (missing[0] ?? '') : `[${missing.join(', ')}]`);
  if (index.entries.length >= REPOSITORY_LIMITS.maxEntries)
    throw new RepositoryError(`a repository holds at most ${REPOSITORY_LIMITS.maxEntries} entries`);
  const total = index.entries.reduce((n, e) => n + e.versions.length, entry.versions.length);
  if (entry.versions.length > REPOSITORY_LIMITS.maxVersions || total > REPOSITORY_LIMITS.maxTotalVersions)
    throw new RepositoryError(
      `a repository entry holds at most ${REPOSITORY_LIMITS.maxVersions} versions, a repository ${REPOSITORY_LIMITS.maxTotalVersions}`,
    );
  const taken = new Set(index.entries.filter((e) => e.name === entry.name).flatMap((e) => e.versions));
  const parsed: { key: string; version: SemVersion }[] = [];
  for (const text of entry.versions) {
    const key = text.startsWith('v') ? text : `v${text}`;
    if (taken.has(key)) throw new RepositoryError(`package "${entry.name}" version "${key}" already exists`);
    const v = entryVersion(text);
    taken.add(key);
    parsed.push(v);
  }
  const versions = parsed.sort((a, b) => compareVersions(b.version, a.version)).map((v) => v.key);
  const added: RepositoryEntry = {
    name: entry.name,
    image: entry.image,
    digest: entry.digest,
    versions,
    ...(entry.constraints !== undefined && entry.constraints.length > 0
      ? { constraints: entry.constraints }
      : {}),
  };
  const others = index.entries.filter((e) => !(e.name === entry.name && e.digest === entry.digest));
  return { ...index, entries: [...others, added] };
}

/**
 * Remove the entry of a package with a digest, as PKO's `repo remove`: nothing happens when the repository has no
 * such package; a package without that digest is `package "x" digest "<hex>" not found`.
 */
export function removeRepositoryEntry(index: RepositoryIndex, name: string, digest: string): RepositoryIndex {
  if (!index.entries.some((e) => e.name === name)) return index;
  if (!index.entries.some((e) => e.name === name && e.digest === digest))
    throw new RepositoryError(`package "${name}" digest "${digest}" not found`);
  return { ...index, entries: index.entries.filter((e) => !(e.name === name && e.digest === digest)) };
}

/** Split as PKO's loader does: at every `---\n`, pieces that are blank once trimmed dropped. */
function documentsOf(text: string): string[] {
  return text.split('---\n').filter((chunk) => chunk.trim() !== '');
}

/** Read a repository index (a file, or the one file of a repository image). */
export function parseRepositoryIndex(text: string): RepositoryIndex {
  if (text.length > REPOSITORY_LIMITS.maxBytes)
    throw new RepositoryError(
      `repository index is ${text.length} bytes (at most ${REPOSITORY_LIMITS.maxBytes})`,
    );
  const [head, ...rest] = documentsOf(text);
  if (head === undefined) return { name: '', entries: [] };
  const repo = parseDocument(head, 'Repository', repositoryDoc);
  const stamp = repo.metadata?.creationTimestamp;
  let index: RepositoryIndex = {
    name: repo.metadata?.name ?? '',
    ...(stamp !== undefined && stamp !== null ? { creationTimestamp: stamp } : {}),
    entries: [],
  };
  for (const chunk of rest) {
    const data = parseDocument(chunk, 'RepositoryEntry', entryDoc).data ?? {};
    index = addRepositoryEntry(index, {
      name: data.name ?? '',
      image: data.image ?? '',
      digest: data.digest ?? '',
      versions: data.versions ?? [],
      ...(data.constraints !== undefined && data.constraints !== null
        ? { constraints: data.constraints }
        : {}),
    });
  }
  return index;
}

/** Whether go-yaml would read a plain string as something else (number, boolean, null, time): it double-quotes those. */
function readsAsOther(text: string): boolean {
  const doc = parseYamlDocument(text, { version: '1.1' });
  return doc.errors.length === 0 && typeof doc.toJS() !== 'string';
}

/**
 * YAML as sigs.k8s.io/yaml writes it: keys sorted, lists at their key's indentation, no line folding; a string
 * that would read as another type double-quoted (`"2026-12-02T10:39:06Z"`, `""`), any other string that cannot
 * be plain single-quoted (`'>=1.29'`).
 */
export function goYamlText(value: unknown): string {
  const doc = new Document(value, { version: '1.1', sortMapEntries: true, aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && readsAsOther(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
}

function newestFirst(a: RepositoryEntry, b: RepositoryEntry): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const newest = (e: RepositoryEntry): SemVersion | undefined => {
    const v = parseVersion((e.versions[0] ?? '').replace(/^v/, ''));
    return v.ok ? v.value : undefined;
  };
  const va = newest(a);
  const vb = newest(b);
  return va === undefined || vb === undefined ? 0 : compareVersions(vb, va);
}

/** The index as PKO writes it (give it a `creationTimestamp` first: PKO writes the time of writing). */
export function serializeRepositoryIndex(index: RepositoryIndex): string {
  const metadata = {
    ...(index.creationTimestamp !== undefined ? { creationTimestamp: index.creationTimestamp } : {}),
    ...(index.name !== '' ? { name: index.name } : {}),
  };
  const docs = [{ apiVersion: MANIFESTS_API_VERSION, kind: 'Repository', metadata }];
  const entries = [...index.entries].sort(newestFirst).map((e) => ({
    apiVersion: MANIFESTS_API_VERSION,
    kind: 'RepositoryEntry',
    metadata: { name: `${e.name}.${e.digest}` },
    data: {
      image: e.image,
      digest: e.digest,
      versions: [...e.versions],
      ...(e.constraints !== undefined && e.constraints.length > 0 ? { constraints: e.constraints } : {}),
      ...(e.name !== '' ? { name: e.name } : {}),
    },
  }));
  return [...docs, ...entries].map((d) => `---\n${goYamlText(d)}`).join('');
}

/** RFC 3339 in whole seconds, as Kubernetes writes a creationTimestamp. */
export function timestampOf(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The index with a creationTimestamp (`now` when it has none), ready to be written as PKO writes it. */
export function stampedIndex(index: RepositoryIndex, now: Date): RepositoryIndex {
  return index.creationTimestamp !== undefined ? index : { ...index, creationTimestamp: timestampOf(now) };
}

/** `<package>.<repository>`: how a manifest's dependency names a package of a repository. */
export function packageFqdn(entry: RepositoryEntry, repository: string): string {
  return `${entry.name}.${repository}`;
}
