/**
 * @module packages/dependencies
 * `spec.dependencies` resolved against `spec.repositories` into the lock's `spec.dependencies`, as PKO v1.19.0's
 * `kubectl package update` does with its SAT solver (deppy). The problem PKO builds has one shape: every version of
 * every repository package is a candidate; a dependency needs one candidate of its package (`<name>.<repository>`)
 * whose version is in its range; a package is installed in one version only; a candidate whose platform
 * constraints do not cover the manifest's is prohibited. Packages never constrain each other, so each package is
 * solved on its own: the newest version (deppy tries candidates newest first, dependency by dependency) that every
 * dependency on the package accepts. When none exists the error lists the constraints that conflict, in deppy's
 * words (`constraints not satisfiable:` and one line each).
 */
import { z } from 'zod';
import type { PackageManifest } from '../api/generated/packagemanifest.js';
import { TerminalError } from '../errors.js';
import {
  ANY_VERSION,
  compareVersions,
  parseConstraint,
  parseVersion,
  rangeCovers,
  satisfies,
  versionText,
  type SemConstraint,
  type SemVersion,
} from './pko-semver.js';
import { packageFqdn, type RepositoryEntry, type RepositoryIndex } from './repository.js';

/** One resolved dependency, as the lock file records it. */
export interface LockDependency {
  readonly name: string;
  readonly image: string;
  /** Hex digest, as the repository entry has it. */
  readonly digest: string;
  /** The chosen version, without `v`. */
  readonly version: string;
}

/** The dependencies cannot be resolved (bad range, inconsistent repository, no solution): not retried. */
export class DependencyError extends TerminalError {}

/** The parts of a manifest constraint the solver reads (the rest are checked in the cluster). */
const platformConstraint = z.object({
  platform: z.array(z.string()).nullish(),
  platformVersion: z.object({ name: z.string().optional(), range: z.string().optional() }).nullish(),
});
type PlatformConstraint = z.infer<typeof platformConstraint>;

function platformConstraints(constraints: readonly unknown[] | undefined): PlatformConstraint[] {
  return (constraints ?? []).map((c) => {
    const parsed = platformConstraint.safeParse(c);
    return parsed.success ? parsed.data : {};
  });
}

interface Candidate {
  readonly id: string;
  readonly fqdn: string;
  readonly entry: RepositoryEntry;
  readonly version: SemVersion;
  /** Why deppy would prohibit this candidate (its platform constraints), if it would. */
  readonly prohibited?: string;
}

interface Dependency {
  readonly name: string;
  readonly fqdn: string;
  readonly range: SemConstraint;
  /** The candidates the range accepts, newest first. */
  readonly accepted: readonly Candidate[];
  readonly accepts: ReadonlySet<Candidate>;
}

/** At most this many conflict lines are listed (a repository may hold thousands of versions). */
const MAX_CONFLICT_LINES = 100;

const INCONSISTENT = 'package repository inconsistent';

/** PKO's `platformsFromConstraints`: platform name → the versions allowed (any, when only the platform is listed). */
function platformsOf(raw: readonly unknown[] | undefined): Map<string, SemConstraint> {
  const constraints = platformConstraints(raw);
  const sets: string[][] = [];
  constraints.forEach((c, n) => {
    const names = (c.platform ?? []).map(String);
    if (names.includes(''))
      throw new DependencyError(`${INCONSISTENT}:  constraint #${n} has empty platform type in allow list`);
    if (names.length > 0) sets.push(names);
  });
  const allowed = new Map<string, SemConstraint>();
  for (const name of [...new Set(sets.flat())].sort())
    if (sets.every((s) => s.includes(name))) allowed.set(name, ANY_VERSION);
  constraints.forEach((c, n) => {
    if (c.platformVersion === undefined || c.platformVersion === null) return;
    const name = c.platformVersion.name ?? '';
    if (name === '')
      throw new DependencyError(
        `${INCONSISTENT}: constraint #${n} has empty platform type for version range`,
      );
    const range = parseConstraint(c.platformVersion.range ?? '');
    if (!range.ok)
      throw new DependencyError(`${INCONSISTENT}: constraint #${n} has invalid range: ${range.error}`);
    allowed.set(name, range.value);
  });
  return allowed;
}

/** PKO's `containsScopePlatforms`, with its message (arguments and trailing space as PKO has them). */
function prohibition(
  id: string,
  own: Map<string, SemConstraint>,
  scope: Map<string, SemConstraint>,
): string | undefined {
  for (const [name, wanted] of scope) {
    const ours = own.get(name);
    if (ours === undefined) return `support for platform "${name}" is required but ${id} does not support it`;
    if (!rangeCovers(ours, wanted))
      return `support for platform "${id}" within range "${name}" is required but ${ours.text} supports only "${wanted.text}" `;
  }
  return undefined;
}

/** A version without its build metadata (versions equal for PKO are equal here). */
function compareKey(v: SemVersion): string {
  return versionText({ ...v, build: [] });
}

/** Every version of every entry of every repository, newest first, then by package. */
function candidatesOf(
  pkg: string,
  repositories: ReadonlyMap<string, RepositoryIndex>,
  scope: Map<string, SemConstraint>,
): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const [repository, index] of repositories) {
    for (const entry of index.entries) {
      const platforms = platformsOf(entry.constraints);
      for (const text of entry.versions) {
        const parsed = parseVersion(text.replace(/^v/, ''));
        if (!parsed.ok) throw new DependencyError(parsed.error);
        const fqdn = packageFqdn(entry, repository);
        const version = parsed.value;
        if (seen.has(`${fqdn}@${compareKey(version)}`))
          throw new DependencyError(
            `${INCONSISTENT} version ${versionText(version)} of package ${fqdn} exists multiple times in repository entry`,
          );
        seen.add(`${fqdn}@${compareKey(version)}`);
        const id = `dependency ${entry.name}@${versionText(version)} for package ${pkg}`;
        if (seen.has(id))
          throw new DependencyError(
            `installation data structure is invalid: identifier "${id}" defined multiple times`,
          );
        seen.add(id);
        const prohibited = prohibition(id, platforms, scope);
        out.push({ id, fqdn, entry, version, ...(prohibited !== undefined ? { prohibited } : {}) });
      }
    }
  }
  return out.sort(
    (a, b) => compareVersions(b.version, a.version) || (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0),
  );
}

function requiresLine(scope: string, dep: Dependency): string {
  return `${scope} requires at least one of ${dep.accepted.map((c) => c.id).join(', ')}`;
}

/**
 * deppy's lines in the order its SAT solver reports them for these problems (checked against PKO's CLI): the
 * conflicts and prohibitions sorted, a dependency with one candidate, `is mandatory`, the other dependencies.
 */
function ordered(scope: string, lines: readonly string[], deps: readonly Dependency[]): string[] {
  const bySize = [...deps].sort((a, b) => a.accepted.length - b.accepted.length);
  return [
    ...[...lines].sort(),
    ...bySize.filter((d) => d.accepted.length === 1).map((d) => requiresLine(scope, d)),
    `${scope} is mandatory`,
    ...bySize.filter((d) => d.accepted.length !== 1).map((d) => requiresLine(scope, d)),
  ];
}

/** Every pair of different candidates, one of each list, lazily. */
function* pairsOf(xs: readonly Candidate[], ys: readonly Candidate[]): Generator<[Candidate, Candidate]> {
  for (const x of xs) for (const y of ys) if (x !== y) yield [x, y];
}

/** The constraints that rule out every version of one package (deppy's unsatisfiable core, for this problem). */
function conflictLines(scope: string, group: readonly Dependency[]): string[] {
  const valid = (d: Dependency): Candidate[] => d.accepted.filter((c) => c.prohibited === undefined);
  const empty = group.find((d) => valid(d).length === 0);
  if (empty !== undefined)
    return ordered(
      scope,
      empty.accepted.map((c) => c.prohibited ?? ''),
      [empty],
    );
  let pair: Dependency[] = [...group];
  outer: for (const [i, a] of group.entries())
    for (const b of group.slice(i + 1))
      if (!valid(a).some((c) => b.accepts.has(c) && c.prohibited === undefined)) {
        pair = [a, b];
        break outer;
      }
  const conflicts = new Set<string>();
  // Only the first pairs are listed: two ranges over thousands of versions would make millions of lines.
  const depPairs = pair.flatMap((a, i) =>
    pair.slice(i + 1).map((b): [Candidate[], Candidate[]] => [valid(a), valid(b)]),
  );
  let total = 0;
  let listed = 0;
  for (const [xs, ys] of depPairs) {
    const shared = new Set(ys);
    total += xs.length * ys.length - xs.filter((x) => shared.has(x)).length;
    for (const [x, y] of pairsOf(xs, ys)) {
      if (listed >= MAX_CONFLICT_LINES) break;
      listed += 1;
      const [lower, higher] = compareVersions(x.version, y.version) < 0 ? [x, y] : [y, x];
      conflicts.add(`${lower.id} conflicts with ${higher.id}`);
    }
  }
  if (total > listed) conflicts.add(`… and ${total - listed} more conflicts`);
  return ordered(scope, [...conflicts], pair);
}

function unsatisfiable(lines: readonly string[]): DependencyError {
  return new DependencyError(`solving package deps: constraints not satisfiable:\n${lines.join('\n')}`);
}

/** The manifest's dependencies, each with the candidates its range accepts; a range error is PKO's text. */
function dependenciesOf(manifest: PackageManifest, candidates: readonly Candidate[]): Dependency[] {
  return (manifest.spec?.dependencies ?? []).map((d) => {
    const fqdn = d.image?.package ?? '';
    const text = d.image?.range ?? '';
    const parsed = text === '' ? { ok: true as const, value: ANY_VERSION } : parseConstraint(text);
    if (!parsed.ok) throw new DependencyError(parsed.error);
    const range = parsed.value;
    const accepted = candidates.filter((c) => c.fqdn === fqdn && satisfies(range, c.version));
    return { name: d.image?.name ?? '', fqdn, range, accepted, accepts: new Set(accepted) };
  });
}

/** A dependency no candidate can meet: deppy's message for it. */
function unmet(scope: string, dep: Dependency, candidates: readonly Candidate[]): DependencyError {
  const discarded = candidates.filter((c) => c.fqdn === dep.fqdn).map((c) => versionText(c.version));
  const line =
    discarded.length > 0
      ? `${scope} requires package ${dep.fqdn} with version constraint ${dep.range.text} but no available version out of [${discarded.join(' ')}] satisfies this`
      : `${scope} requires package ${dep.fqdn} which has no candidates`;
  return unsatisfiable([line, `${scope} is mandatory`]);
}

/**
 * Resolve a manifest's dependencies against its repositories (in `spec.repositories` order; a later repository
 * of the same name replaces an earlier one, as in PKO). Returns the lock's dependencies in PKO's order: by
 * candidate (`dependency <package>@<version> for package <manifest>`, as text), then manifest order.
 */
export function resolveDependencies(
  manifest: PackageManifest,
  repositories: readonly RepositoryIndex[],
): LockDependency[] {
  const pkg = manifest.metadata?.name ?? '';
  const scopeId = `package ${pkg}`;
  const scope = platformsOf(manifest.spec?.constraints);
  const byName = new Map<string, RepositoryIndex>();
  for (const r of repositories) byName.set(r.name, r);
  const candidates = candidatesOf(pkg, byName, scope);
  const deps = dependenciesOf(manifest, candidates);
  const missing = deps.find((d) => d.accepted.length === 0);
  if (missing !== undefined) throw unmet(scopeId, missing, candidates);
  const chosen: Candidate[] = [];
  for (const fqdn of [...new Set(deps.map((d) => d.fqdn))]) {
    const group = deps.filter((d) => d.fqdn === fqdn);
    const [lead, ...rest] = group;
    const pick = lead?.accepted.find(
      (c) => c.prohibited === undefined && rest.every((d) => d.accepts.has(c)),
    );
    if (pick === undefined) throw unsatisfiable(conflictLines(scopeId, group));
    chosen.push(pick);
  }
  chosen.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return chosen.flatMap((c) =>
    deps
      .filter((d) => d.fqdn === c.fqdn)
      .map((d) => ({
        name: d.name,
        image: c.entry.image,
        digest: c.entry.digest,
        version: versionText(c.version),
      })),
  );
}
