import { describe, expect, it } from 'vitest';
import type { PackageManifest } from '../api/generated/packagemanifest.js';

type Constraints = NonNullable<PackageManifest['spec']>['constraints'];
import { resolveDependencies } from './dependencies.js';
import { parseConstraint, parseVersion, satisfies } from './pko-semver.js';
import type { RepositoryIndex } from './repository.js';

const D1 = '1'.repeat(64);
const D2 = '2'.repeat(64);
const D3 = '3'.repeat(64);

/** The repository of the parity runs: simple 1.0.0 and 1.1.0 in one image, 2.0.0 in another; db 3.0.0. */
const repo: RepositoryIndex = {
  name: 'myrepo',
  entries: [
    { name: 'simple', image: 'r.io/simple', digest: D2, versions: ['v2.0.0'] },
    { name: 'simple', image: 'r.io/simple', digest: D1, versions: ['v1.1.0', 'v1.0.0'] },
    { name: 'db', image: 'r.io/db', digest: D3, versions: ['v3.0.0'] },
  ],
};

function manifest(
  deps: [name: string, pkg: string, range?: string][],
  constraints?: Constraints,
): PackageManifest {
  return {
    apiVersion: 'manifests.package-operator.run/v1alpha1',
    kind: 'PackageManifest',
    metadata: { name: 'app' },
    spec: {
      scopes: ['Namespaced'],
      phases: [{ name: 'deploy' }],
      ...(constraints !== undefined ? { constraints } : {}),
      dependencies: deps.map(([name, pkg, range]) => ({
        image: { name, package: pkg, ...(range !== undefined ? { range } : {}) },
      })),
    },
  };
}

const lock = (name: string, digest: string, version: string, image = 'r.io/simple') => ({
  name,
  image,
  digest,
  version,
});

describe('resolveDependencies (PKO’s choices, checked against kubectl-package v1.19.0)', () => {
  it('overlapping ranges on one package get the newest version both accept', () => {
    expect(
      resolveDependencies(
        manifest([
          ['first', 'simple.myrepo', '>=1.0.0 <2.0.0'],
          ['second', 'simple.myrepo', '>=1.1.0'],
        ]),
        [repo],
      ),
    ).toEqual([lock('first', D1, '1.1.0'), lock('second', D1, '1.1.0')]);
  });

  it('each package gets its newest version; the lock is ordered by package@version, then manifest order', () => {
    expect(
      resolveDependencies(
        manifest([
          ['z', 'simple.myrepo'],
          ['database', 'db.myrepo', '^3'],
          ['a', 'simple.myrepo', '<=1.1.0'],
        ]),
        [repo],
      ),
    ).toEqual([lock('database', D3, '3.0.0', 'r.io/db'), lock('z', D1, '1.1.0'), lock('a', D1, '1.1.0')]);
  });

  it('PKO’s ~1.0 spans the whole major version', () => {
    expect(resolveDependencies(manifest([['a', 'simple.myrepo', '~1.0']]), [repo])).toEqual([
      lock('a', D1, '1.1.0'),
    ]);
  });

  it('conflicting ranges fail naming both constraints and the conflicts between their versions', () => {
    expect(() =>
      resolveDependencies(
        manifest([
          ['first', 'simple.myrepo', '>=1.0.0 <2.0.0'],
          ['second', 'simple.myrepo', '>=2.0.0'],
        ]),
        [repo],
      ),
    ).toThrow(
      [
        'solving package deps: constraints not satisfiable:',
        'dependency simple@1.0.0 for package app conflicts with dependency simple@2.0.0 for package app',
        'dependency simple@1.1.0 for package app conflicts with dependency simple@2.0.0 for package app',
        'package app requires at least one of dependency simple@2.0.0 for package app',
        'package app is mandatory',
        'package app requires at least one of dependency simple@1.1.0 for package app, dependency simple@1.0.0 for package app',
      ].join('\n'),
    );
  });

  it('a range no version meets, and a package no repository has, are named', () => {
    expect(() => resolveDependencies(manifest([['a', 'simple.myrepo', '>=3.0.0']]), [repo])).toThrow(
      'solving package deps: constraints not satisfiable:\npackage app requires package simple.myrepo with version constraint >=3.0.0 but no available version out of [2.0.0 1.1.0 1.0.0] satisfies this\npackage app is mandatory',
    );
    expect(() => resolveDependencies(manifest([['a', 'simple.other']]), [repo])).toThrow(
      'solving package deps: constraints not satisfiable:\npackage app requires package simple.other which has no candidates\npackage app is mandatory',
    );
  });

  it('a range without an operator is PKO’s parse error, unprefixed', () => {
    expect(() => resolveDependencies(manifest([['a', 'simple.myrepo', '1.x || 2.x']]), [repo])).toThrow(
      'col 5: OR col 5: range closed without operator',
    );
  });

  it('a candidate whose platform range does not cover the manifest’s is skipped', () => {
    const platformRepo: RepositoryIndex = {
      name: 'myrepo',
      entries: [
        {
          ...repo.entries[0]!,
          constraints: [{ platformVersion: { name: 'Kubernetes', range: '>=1.35.0' } }],
        },
        {
          ...repo.entries[1]!,
          constraints: [{ platformVersion: { name: 'Kubernetes', range: '>=1.20.0' } }],
        },
      ],
    };
    const m = manifest(
      [['a', 'simple.myrepo']],
      [{ platformVersion: { name: 'Kubernetes', range: '>=1.30.0' } }],
    );
    expect(resolveDependencies(m, [platformRepo])).toEqual([lock('a', D1, '1.1.0')]);
  });

  it('no dependencies resolve to none', () => {
    expect(resolveDependencies(manifest([]), [repo])).toEqual([]);
  });
});

describe('PKO’s semver', () => {
  it.each([
    ['v1.0.0', "col 2: starts with non-positive integer 'v'"],
    ['1.2', 'col 4: missing patch'],
    ['1.0.0-', 'col 6: pre release identifier empty'],
    ['a', "col 0: starts with non-positive integer 'a'"],
  ])('refuses version %s: %s', (text, error) => {
    expect(parseVersion(text)).toEqual({ ok: false, error });
  });

  it.each([
    ['>=1.0.0 <2.0.0', '1.9.9', true],
    ['>=1.0.0 <2.0.0', '2.0.0', false],
    ['^1.2', '1.9.0', true],
    ['^0.2', '0.3.0', false],
    ['=1.x', '1.5.2', true],
    ['1.0.0 - 2.x', '2.9.0', true],
    ['!=1.0.0', '1.0.0', false],
    ['>=2.0.0 || <1.0.0', '0.5.0', true],
    ['x-x', '0.0.1', true],
  ])('%s holds %s: %s', (range, version, holds) => {
    const c = parseConstraint(range);
    const v = parseVersion(version);
    if (!c.ok || !v.ok) throw new Error('parse');
    expect(satisfies(c.value, v.value)).toBe(holds);
  });
});

describe('resolveDependencies bounds', () => {
  it('lists at most 100 conflicts between two ranges over many versions, and says how many more', () => {
    const many: RepositoryIndex = {
      name: 'big',
      entries: Array.from({ length: 300 }, (_, n) => ({
        name: 'pkg',
        image: 'r.io/pkg',
        digest: n.toString(16).padStart(64, '0'),
        versions: [`v${n + 1}.0.0`],
      })),
    };
    let message = '';
    try {
      resolveDependencies(
        manifest([
          ['low', 'pkg.big', '<=150.0.0'],
          ['high', 'pkg.big', '>150.0.0'],
        ]),
        [many],
      );
    } catch (error) {
      message = error instanceof Error ? error.message : '';
    }
    const lines = message.split('\n');
    expect(lines.filter((l) => l.includes(' conflicts with '))).toHaveLength(100);
    expect(lines).toContain(`… and ${150 * 150 - 100} more conflicts`);
  });
});
