import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import { decideAdoption, desiredObject, specObjectOf, staticPreflight, type PhaseOwner } from './index.js';
import {
  annotationOwners,
  controllerRef,
  controllingPhaseOf,
  formatAnnotationOwners,
  isOwner,
  ownershipFor,
  releasePatch,
} from './owners.js';

const OWNERS = 'package-operator.run/owners';

/** An ObjectSetPhase of the management cluster owning objects of a target cluster. */
const owner: PhaseOwner = {
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'ObjectSetPhase',
  name: 'web-abc-hosted',
  namespace: 'clusters-a',
  uid: 'new',
  revision: 2,
  labels: {},
  previousUids: new Set(['old']),
  strategy: 'annotation',
};

const entry = (uid: string, controller: boolean, name = 'x'): Record<string, unknown> => ({
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'ObjectSetPhase',
  name,
  namespace: 'clusters-a',
  uid,
  ...(controller ? { controller: true } : {}),
});

function withOwners(...entries: unknown[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'cm',
      namespace: 'clusters-a',
      resourceVersion: '7',
      annotations: { [OWNERS]: JSON.stringify(entries) },
    },
  };
}

describe('the owners annotation (PKO annotation owner strategy)', () => {
  it('reads PKO JSON, with or without namespace and controller', () => {
    const meta = {
      annotations: {
        [OWNERS]:
          '[{"apiVersion":"a/v1","kind":"K","name":"n","uid":"1"},{"apiVersion":"a/v1","kind":"K","name":"m","namespace":"ns","uid":"2","controller":true}]',
      },
    };
    expect(annotationOwners(meta)).toEqual([
      { apiVersion: 'a/v1', kind: 'K', name: 'n', namespace: '', uid: '1' },
      { apiVersion: 'a/v1', kind: 'K', name: 'm', namespace: 'ns', uid: '2', controller: true },
    ]);
    expect(controllerRef(meta, 'annotation')?.uid).toBe('2');
    // The native strategy does not look at the annotation.
    expect(controllerRef(meta, 'native')).toBeUndefined();
  });

  it.each([['not json'], ['{"a":1}'], ['[{"kind":"K"}]'], ['']])('takes %j as no owners', (text) => {
    expect(annotationOwners({ annotations: { [OWNERS]: text } })).toEqual([]);
  });

  it("writes Go's field order and omits a false controller", () => {
    expect(
      formatAnnotationOwners([
        { apiVersion: 'a/v1', kind: 'K', name: 'n', namespace: '', uid: '1' },
        { apiVersion: 'a/v1', kind: 'K', name: 'm', namespace: 'ns', uid: '2', controller: true },
      ]),
    ).toBe(
      '[{"apiVersion":"a/v1","kind":"K","name":"n","namespace":"","uid":"1"},{"apiVersion":"a/v1","kind":"K","name":"m","namespace":"ns","uid":"2","controller":true}]',
    );
  });

  it('a new object gets the owner as controller in the annotation and no owner references', () => {
    const spec = specObjectOf('hosted', {
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } },
    })!;
    const d = desiredObject(spec, owner, true, ownershipFor(undefined, owner));
    expect(d.metadata).toEqual({
      name: 'cm',
      namespace: 'clusters-a',
      labels: { 'package-operator.run/cache': 'True' },
      annotations: {
        'package-operator.run/revision': '2',
        [OWNERS]:
          '[{"apiVersion":"package-operator.run/v1alpha1","kind":"ObjectSetPhase","name":"web-abc-hosted","namespace":"clusters-a","uid":"new","controller":true}]',
      },
    });
  });

  it('adoption releases the old controller, drops previous revisions and keeps the object owner references', () => {
    const existing = {
      ...withOwners(entry('foreign', true), entry('old', false)),
    };
    const o = ownershipFor(
      { ...existing.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'n' }] },
      owner,
    );
    expect(o.ownerReferences).toBeUndefined();
    expect(JSON.parse(o.ownersAnnotation ?? '')).toEqual([
      entry('foreign', false),
      { ...entry('new', true, 'web-abc-hosted') },
    ]);
  });

  it('decides adoption from the annotation, not from owner references', () => {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'clusters-a', name: 'cm' };
    expect(decideAdoption(withOwners(entry('new', true)), ref, 'Prevent', owner, false)).toEqual({
      kind: 'controlled',
    });
    expect(decideAdoption(withOwners(entry('old', true)), ref, 'Prevent', owner, false)).toEqual({
      kind: 'adopt',
    });
    expect(decideAdoption(withOwners(entry('foreign', true)), ref, 'Prevent', owner, false)).toEqual({
      kind: 'refuse',
      message: 'refusing adoption, object /v1, Kind=ConfigMap clusters-a/cm not owned by previous revision',
    });
    // A native controller reference means nothing to the annotation strategy: the object has no controller.
    const native: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        namespace: 'clusters-a',
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'new', controller: true }],
      },
    };
    expect(decideAdoption(native, ref, 'IfNoController', owner, false)).toEqual({ kind: 'adopt' });
  });

  it('has no namespace-escalation preflight (the namespace is the other cluster’s)', () => {
    const elsewhere = specObjectOf('hosted', {
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'other' } },
    })!;
    expect(staticPreflight(elsewhere, owner, true)).toBeUndefined();
    expect(staticPreflight(elsewhere, owner, false)).toBeUndefined();
    expect(staticPreflight(elsewhere, { ...owner, strategy: 'native' }, true)).toBe(
      'Must stay within the same namespace.',
    );
  });

  it('a plain owner lets go: its entry removed, the cache label too when no controller is left', () => {
    const plain = withOwners(entry('foreign', true), entry('new', false, 'web-abc-hosted'));
    expect(isOwner(plain.metadata, owner)).toBe(true);
    expect(releasePatch(plain.metadata, owner, 'package-operator.run/cache')).toEqual({
      annotations: { [OWNERS]: JSON.stringify([entry('foreign', true)]) },
      resourceVersion: '7',
    });
    const alone = withOwners(entry('new', false, 'web-abc-hosted'));
    expect(releasePatch(alone.metadata, owner, 'package-operator.run/cache')).toEqual({
      labels: { 'package-operator.run/cache': null },
      annotations: { [OWNERS]: '[]' },
      resourceVersion: '7',
    });
    // Same UID under another name is another object (boxcutter compares group, kind, name and UID).
    expect(isOwner(withOwners(entry('new', true, 'other')).metadata, owner)).toBe(false);
  });
});

describe('the phase an object of a target cluster belongs to', () => {
  it('is the controller of the owners annotation when it is a (Cluster)ObjectSetPhase of PKO', () => {
    expect(
      controllingPhaseOf(withOwners(entry('x', false), entry('new', true, 'set-hosted')).metadata),
    ).toEqual({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectSetPhase',
      namespace: 'clusters-a',
      name: 'set-hosted',
    });
    expect(
      controllingPhaseOf(
        withOwners({ ...entry('c', true, 'cluster-set-hosted'), kind: 'ClusterObjectSetPhase' }).metadata,
      ),
    ).toEqual({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ClusterObjectSetPhase',
      namespace: '',
      name: 'cluster-set-hosted',
    });
  });

  it('is none without a controller, for other kinds or groups', () => {
    expect(controllingPhaseOf(withOwners(entry('x', false)).metadata)).toBeUndefined();
    expect(
      controllingPhaseOf(withOwners({ ...entry('x', true), kind: 'ObjectSet' }).metadata),
    ).toBeUndefined();
    expect(
      controllingPhaseOf(withOwners({ ...entry('x', true), apiVersion: 'example.com/v1' }).metadata),
    ).toBeUndefined();
    expect(controllingPhaseOf({})).toBeUndefined();
  });
});
