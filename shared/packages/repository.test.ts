import { describe, expect, it } from 'vitest';
import {
  addRepositoryEntry,
  parseRepositoryIndex,
  removeRepositoryEntry,
  serializeRepositoryIndex,
  stampedIndex,
  type RepositoryIndex,
} from './repository.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

/** A file as PKO v1.19.0's `kubectl package repo init` + `add` wrote it (one entry, so no map-order question). */
const PKO_FILE = `---
apiVersion: manifests.package-operator.run/v1alpha1
kind: Repository
metadata:
  creationTimestamp: "2026-12-02T10:39:06Z"
  name: myrepo
---
apiVersion: manifests.package-operator.run/v1alpha1
data:
  constraints:
  - platformVersion:
      name: Kubernetes
      range: '>=1.29'
  - platform:
    - Kubernetes
  digest: ${A}
  image: quay.io/acme/app
  name: app
  versions:
  - v1.1.0
  - v1.0.0
kind: RepositoryEntry
metadata:
  name: app.${A}
`;

describe('parseRepositoryIndex / serializeRepositoryIndex', () => {
  it('reads PKO’s file into name, entries (package name, image, digest, versions, constraints) and writes it back byte for byte', () => {
    const index = parseRepositoryIndex(PKO_FILE);
    expect(index).toEqual({
      name: 'myrepo',
      creationTimestamp: '2026-12-02T10:39:06Z',
      entries: [
        {
          name: 'app',
          image: 'quay.io/acme/app',
          digest: A,
          versions: ['v1.1.0', 'v1.0.0'],
          constraints: [
            { platformVersion: { name: 'Kubernetes', range: '>=1.29' } },
            { platform: ['Kubernetes'] },
          ],
        },
      ],
    });
    expect(serializeRepositoryIndex(index)).toBe(PKO_FILE);
  });

  it('writes a new repository as PKO’s init does, with the time of writing', () => {
    const index = stampedIndex({ name: 'fresh', entries: [] }, new Date('2026-12-02T10:39:06.789Z'));
    expect(serializeRepositoryIndex(index)).toBe(
      '---\napiVersion: manifests.package-operator.run/v1alpha1\nkind: Repository\nmetadata:\n' +
        '  creationTimestamp: "2026-12-02T10:39:06Z"\n  name: fresh\n',
    );
  });

  it('orders entries by package, newest version first (PKO writes Go map order)', () => {
    let index: RepositoryIndex = { name: 'r', creationTimestamp: '2026-01-01T00:00:00Z', entries: [] };
    index = addRepositoryEntry(index, { name: 'zeta', image: 'r.io/z', digest: A, versions: ['1.0.0'] });
    index = addRepositoryEntry(index, { name: 'app', image: 'r.io/a', digest: A, versions: ['1.0.0'] });
    index = addRepositoryEntry(index, { name: 'app', image: 'r.io/a', digest: B, versions: ['2.0.0'] });
    const names = [...serializeRepositoryIndex(index).matchAll(/^ {2}name: (r|\w+\.\w+)$/gm)].map(
      (m) => m[1],
    );
    expect(names).toEqual(['r', `app.${B}`, `app.${A}`, `zeta.${A}`]);
  });

  it.each([
    [
      'a document of another kind',
      'apiVersion: v1\nkind: ConfigMap\n',
      'unknown GVK: GroupKind must be Repository.manifests.package-operator.run, is: ConfigMap',
    ],
    [
      'an unknown version',
      'apiVersion: manifests.package-operator.run/v2\nkind: Repository\n',
      'unknown GVK: unknown version v2, supported versions: v1alpha1',
    ],
    [
      'an entry without its fields',
      `${PKO_FILE}---\napiVersion: manifests.package-operator.run/v1alpha1\nkind: RepositoryEntry\ndata: {image: "", versions: []}\n`,
      '[data.image: Required value, data.digest: Required value, data.versions: Required value, data.name: Required value]',
    ],
    [
      'an entry with a short version',
      `${PKO_FILE}---\napiVersion: manifests.package-operator.run/v1alpha1\nkind: RepositoryEntry\ndata: {image: x, digest: ${B}, name: app, versions: ["1.0"]}\n`,
      'col 4: missing patch',
    ],
    [
      'a version twice',
      `${PKO_FILE}---\napiVersion: manifests.package-operator.run/v1alpha1\nkind: RepositoryEntry\ndata: {image: x, digest: ${B}, name: app, versions: [v1.0.0]}\n`,
      'package "app" version "v1.0.0" already exists',
    ],
    [
      'versions that are not a list',
      'apiVersion: manifests.package-operator.run/v1alpha1\nkind: Repository\n---\napiVersion: manifests.package-operator.run/v1alpha1\nkind: RepositoryEntry\ndata: {versions: 3}\n',
      'Invalid YAML: data.versions: Invalid input: expected array, received number',
    ],
  ])('refuses %s with PKO’s message', (_name, text, message) => {
    expect(() => parseRepositoryIndex(text)).toThrow(message);
  });
});

describe('addRepositoryEntry / removeRepositoryEntry', () => {
  const base: RepositoryIndex = parseRepositoryIndex(PKO_FILE);

  it('stores versions v-prefixed, newest first', () => {
    const next = addRepositoryEntry(base, {
      name: 'app',
      image: 'quay.io/acme/app',
      digest: B,
      versions: ['2.0.0', '10.0.0', '2.0.0-rc.1'],
    });
    expect(next.entries[1]?.versions).toEqual(['v10.0.0', 'v2.0.0', 'v2.0.0-rc.1']);
  });

  it('replaces the entry of a digest the package already has, keeping only the new versions (as PKO)', () => {
    const next = addRepositoryEntry(base, {
      name: 'app',
      image: 'quay.io/acme/app',
      digest: A,
      versions: ['1.2.0'],
    });
    expect(next.entries).toEqual([
      { name: 'app', image: 'quay.io/acme/app', digest: A, versions: ['v1.2.0'] },
    ]);
  });

  it('removes by package and digest; an unknown package is no change, an unknown digest an error', () => {
    expect(removeRepositoryEntry(base, 'app', A).entries).toEqual([]);
    expect(removeRepositoryEntry(base, 'other', A)).toBe(base);
    expect(() => removeRepositoryEntry(base, 'app', B)).toThrow(`package "app" digest "${B}" not found`);
  });
});
