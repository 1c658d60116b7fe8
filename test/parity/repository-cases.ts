/**
 * Dependency resolution cases run through PKO's `kubectl package update` and `gantry update` (test/parity and
 * `npm run compare:pko`): a package whose `spec.dependencies` are resolved against a repository file in the
 * working folder. No registry is needed: the repository entries name images that are never pulled.
 */

const API = 'apiVersion: manifests.package-operator.run/v1alpha1';
const D1 = 'a1'.repeat(32);
const D2 = 'b2'.repeat(32);
const D3 = 'c3'.repeat(32);

function entry(name: string, digest: string, versions: readonly string[], constraints = ''): string {
  return [
    '---',
    API,
    'data:',
    ...(constraints !== '' ? [constraints] : []),
    `  digest: ${digest}`,
    `  image: registry.example.com/${name}`,
    `  name: ${name}`,
    '  versions:',
    ...versions.map((v) => `  - ${v}`),
    'kind: RepositoryEntry',
    'metadata:',
    `  name: ${name}.${digest}`,
    '',
  ].join('\n');
}

/** `repo.yaml`: simple 2.0.0 | 1.1.0 + 1.0.0 (two images), db 3.0.0 (Kubernetes >= 1.20) and 3.1.0 (>= 1.40). */
export const REPOSITORY_FILE = [
  `---\n${API}\nkind: Repository\nmetadata:\n  creationTimestamp: "2026-12-01T00:00:00Z"\n  name: myrepo\n`,
  entry('simple', D2, ['v2.0.0']),
  entry('simple', D1, ['v1.1.0', 'v1.0.0']),
  entry(
    'db',
    D3,
    ['v3.0.0'],
    "  constraints:\n  - platformVersion:\n      name: Kubernetes\n      range: '>=1.20'",
  ),
  entry(
    'db',
    'd4'.repeat(32),
    ['v3.1.0'],
    "  constraints:\n  - platformVersion:\n      name: Kubernetes\n      range: '>=1.40'",
  ),
].join('');

/**
 * A package folder (files) named `app` with these dependencies (flow mappings), optionally platform constraints,
 * resolved against `repositories` (a flow sequence's items; default the file `repo.yaml`).
 */
export function dependentPackage(
  deps: readonly string[],
  constraints: readonly string[] = [],
  repositories = '{file: repo.yaml}',
): Record<string, string> {
  return {
    'manifest.yaml': [
      API,
      'kind: PackageManifest',
      'metadata: {name: app}',
      'spec:',
      '  scopes: [Namespaced]',
      '  phases: [{name: deploy}]',
      ...(constraints.length > 0 ? ['  constraints:', ...constraints.map((c) => `    - ${c}`)] : []),
      `  repositories: [${repositories}]`,
      '  dependencies:',
      ...deps.map((d) => `    - image: ${d}`),
      '',
    ].join('\n'),
  };
}

/** A case: its name, the dependencies (flow mappings) and the manifest's constraints. */
type DependencyCase = readonly [name: string, deps: readonly string[], constraints?: readonly string[]];

export const DEPENDENCY_CASES: readonly DependencyCase[] = [
  [
    'overlapping ranges',
    [
      '{name: first, package: simple.myrepo, range: ">=1.0.0 <2.0.0"}',
      '{name: second, package: simple.myrepo, range: ">=1.1.0"}',
    ],
  ],
  [
    'two packages, lock ordered by package',
    [
      '{name: z, package: simple.myrepo}',
      '{name: database, package: db.myrepo, range: "^3"}',
      '{name: a, package: simple.myrepo, range: "<=1.1.0"}',
    ],
  ],
  ['tilde spans the major version', ['{name: a, package: simple.myrepo, range: "~1.0"}']],
  [
    'conflicting ranges',
    [
      '{name: first, package: simple.myrepo, range: ">=1.0.0 <2.0.0"}',
      '{name: second, package: simple.myrepo, range: ">=2.0.0"}',
    ],
  ],
  [
    'conflicting ranges, the narrow one first',
    [
      '{name: a, package: simple.myrepo, range: "=1.0.0"}',
      '{name: b, package: simple.myrepo, range: ">=1.1.0"}',
    ],
  ],
  ['no version in range', ['{name: a, package: simple.myrepo, range: ">=3.0.0"}']],
  ['package no repository has', ['{name: a, package: nope.myrepo}']],
  ['range without operator', ['{name: a, package: simple.myrepo, range: "1.x || 2.x"}']],
  [
    'platform range rules out the newest',
    ['{name: a, package: db.myrepo}'],
    ['platformVersion: {name: Kubernetes, range: ">=1.30"}'],
  ],
  ['platform no version supports', ['{name: a, package: db.myrepo}'], ['platform: [OpenShift]']],
];

/** Timestamps differ between two runs; everything else must not. */
export function withoutTimestamps(text: string): string {
  return text.replace(/creationTimestamp: "[^"]*"/g, 'creationTimestamp: "T"');
}

/**
 * PKO writes a repository's entries in Go map order, which changes from run to run: the same documents in any
 * order are the same file (each document is still compared byte for byte).
 */
export function sameDocuments(a: string, b: string): boolean {
  const docs = (t: string): string => withoutTimestamps(t).split('---\n').sort().join('---\n');
  return docs(a) === docs(b);
}
