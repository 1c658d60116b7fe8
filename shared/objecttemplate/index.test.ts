import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import {
  conditionsToCopy,
  controlledRefOf,
  copyItems,
  desiredOutput,
  outputForCreate,
  outputForUpdate,
  parseOutput,
  preflight,
  sourceErrorMessage,
  templateErrorMessage,
} from './index.js';

const namespaced = { plural: 'configmaps', namespaced: true };
const clusterScoped = { plural: 'namespaces', namespaced: false };
const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: '', name: 'cfg' };
const owner = {
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'ObjectTemplate',
  name: 't',
  namespace: 'ns',
  uid: 'u1',
};

describe('preflight of a source or output', () => {
  it('a kind the server does not serve', () => {
    expect(preflight({ ...cm, apiVersion: 'example.com/v1', kind: 'Nope' }, owner, undefined)).toBe(
      'Nope /cfg: example.com/v1, Kind=Nope not registered on the api server.',
    );
  });

  it('namespaced template: same namespace, namespaced kinds only', () => {
    expect(preflight(cm, owner, namespaced)).toBeUndefined();
    expect(preflight({ ...cm, namespace: 'ns' }, owner, namespaced)).toBeUndefined();
    expect(preflight({ ...cm, namespace: 'other' }, owner, namespaced)).toBe(
      'ConfigMap other/cfg: Must stay within the same namespace.',
    );
    expect(preflight({ ...cm, kind: 'Namespace' }, owner, clusterScoped)).toBe(
      'Namespace /cfg: Must be namespaced scoped when part of an non-cluster-scoped API.',
    );
  });

  it('cluster template: a namespaced kind needs a namespace; owner references are refused', () => {
    const cluster = { ...owner, namespace: '' };
    expect(preflight(cm, cluster, namespaced)).toBe(
      "ConfigMap /cfg: Object doesn't have a namespace and no default is provided.",
    );
    expect(preflight({ ...cm, namespace: 'any' }, cluster, namespaced)).toBeUndefined();
    expect(preflight({ ...cm, namespace: 'any', ownerReferences: [{}] }, cluster, namespaced)).toBe(
      'ConfigMap any/cfg: Object must not have a owner reference.',
    );
  });
});

describe('messages', () => {
  it('SourceError and TemplateError as PKO words them', () => {
    expect(sourceErrorMessage({ kind: 'Secret', namespace: 'ns', name: 's' }, 'secrets "s" not found')).toBe(
      'for source Secret ns/s: secrets "s" not found',
    );
    expect(
      templateErrorMessage(
        'template: :6:25: executing "" at <.config.password>: map has no entry for key "password"',
      ),
    ).toBe('template: :6:25: at <.config.password>: map has no entry for key "password"');
  });
});

describe('items into .config', () => {
  const source = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: 'cfg',
    items: [
      { key: '.data.a', destination: '.x.a' },
      { key: '{.data.n}', destination: '.n' },
    ],
  };
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg' },
    data: { a: 'A', n: 2 },
  };

  it('copies each key to its destination', () => {
    const config: Record<string, unknown> = {};
    expect(copyItems(source, object, config)).toEqual({ ok: true, value: undefined });
    expect(config).toEqual({ x: { a: 'A' }, n: 2 });
  });

  it('stops at the first bad item', () => {
    const config: Record<string, unknown> = {};
    const bad = { ...source, items: [{ key: '.data.missing', destination: '.m' }, ...source.items] };
    expect(copyItems(bad, object, config)).toEqual({ ok: false, error: 'missing is not found' });
    expect(config).toEqual({});
  });
});

describe('the rendered object', () => {
  it('exactly one document', () => {
    expect(parseOutput('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\n')).toEqual({
      ok: true,
      value: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'out' } },
    });
    expect(parseOutput('\n---\n')).toEqual({
      ok: false,
      error: 'rendered template must contain exactly one object, found none',
    });
    expect(parseOutput('a: 1\n---\nb: 2\n')).toEqual({
      ok: false,
      error: 'rendered template must contain exactly one object, found 2 documents',
    });
    expect(parseOutput('kind: ConfigMap\n')).toEqual({
      ok: false,
      error: 'rendered object must have apiVersion, kind and metadata.name',
    });
    const r = parseOutput('a: [1\n');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.startsWith('unmarshalling yaml of rendered template: ')).toBe(true);
  });

  it('namespace forced, cache label added, status dropped; created with a controller reference', () => {
    const rendered: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'out', labels: { a: 'b' } },
      status: { x: 1 },
      data: { k: 'v' },
    };
    const desired = desiredOutput(rendered, owner);
    expect(desired).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'out', namespace: 'ns', labels: { a: 'b', 'package-operator.run/cache': 'True' } },
      data: { k: 'v' },
    });
    expect(outputForCreate(desired, owner).metadata.ownerReferences).toEqual([
      {
        apiVersion: owner.apiVersion,
        kind: 'ObjectTemplate',
        name: 't',
        uid: 'u1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(desiredOutput(rendered, { ...owner, namespace: '' }).metadata.namespace).toBeUndefined();
  });

  it('an update keeps owners, finalizers and resourceVersion; labels and annotations merged, template wins', () => {
    const existing: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'out',
        namespace: 'ns',
        resourceVersion: '7',
        labels: { keep: 'me', a: 'old' },
        annotations: { note: 'x' },
        finalizers: ['f'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'x' }],
      },
      data: { old: 'gone' },
    };
    const desired: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'out', namespace: 'ns', labels: { a: 'new' } },
      data: { k: 'v' },
    };
    expect(outputForUpdate(desired, existing)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'out',
        namespace: 'ns',
        resourceVersion: '7',
        labels: { keep: 'me', a: 'new' },
        annotations: { note: 'x' },
        finalizers: ['f'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'x' }],
      },
      data: { k: 'v' },
    });
    expect(controlledRefOf(existing)).toEqual({
      kind: 'ConfigMap',
      group: '',
      version: 'v1',
      name: 'out',
      namespace: 'ns',
    });
  });
});

describe('conditions copied from the output', () => {
  const object = (status: unknown): KubeObject => ({
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: { name: 'p', generation: 3 },
    status,
  });

  it('only those observed at the object generation', () => {
    expect(
      conditionsToCopy(
        object({
          conditions: [
            { type: 'Available', status: 'True', reason: 'Available', message: 'ok', observedGeneration: 3 },
            { type: 'Old', status: 'True', reason: 'R', message: '', observedGeneration: 2 },
          ],
        }),
      ),
    ).toEqual([
      { type: 'Available', status: 'True', reason: 'Available', message: 'ok', lastTransitionTime: '' },
    ]);
  });

  it('none when the status as a whole lags the generation, or there is none', () => {
    expect(
      conditionsToCopy(
        object({ observedGeneration: 2, conditions: [{ type: 'A', status: 'True', observedGeneration: 3 }] }),
      ),
    ).toEqual([]);
    expect(conditionsToCopy(object(undefined))).toEqual([]);
  });
});
