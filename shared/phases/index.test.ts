import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import {
  collisionMessage,
  decideAdoption,
  desiredObject,
  ownerReferencesFor,
  specObjectOf,
  staticPreflight,
  type PhaseOwner,
} from './index.js';

const owner: PhaseOwner = {
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'ObjectSet',
  name: 'web-abc',
  namespace: 'shop',
  uid: 'new',
  revision: 2,
  labels: { 'package-operator.run/instance': 'web', 'package-operator.run/package': 'pkg', other: 'x' },
  previousUids: new Set(['old']),
};
const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cm' };
const spec = specObjectOf('p', {
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } },
})!;

function existing(meta: Partial<KubeObject['metadata']>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'shop', ...meta } };
}
const ctrl = (
  uid: string,
): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean } => ({
  apiVersion: 'x/v1',
  kind: 'X',
  name: 'x',
  uid,
  controller: true,
});

describe('adoption table (docs/pko-compatibility.md §4.4.1)', () => {
  it.each([
    ['already ours', existing({ ownerReferences: [ctrl('new')] }), 'Prevent', { kind: 'controlled' }],
    [
      'a newer revision has it',
      existing({ annotations: { 'package-operator.run/revision': '3' } }),
      'None',
      { kind: 'skip' },
    ],
    [
      'None takes it from anyone',
      existing({ ownerReferences: [ctrl('foreign')] }),
      'None',
      { kind: 'adopt' },
    ],
    ['IfNoController takes an unowned one', existing({}), 'IfNoController', { kind: 'adopt' }],
    [
      'Prevent hands over from the previous revision',
      existing({ ownerReferences: [ctrl('old')], annotations: { 'package-operator.run/revision': '1' } }),
      'Prevent',
      { kind: 'adopt' },
    ],
    [
      'a package-operator labelled object counts as None',
      existing({
        labels: { 'package-operator.run/package': 'package-operator' },
        ownerReferences: [ctrl('foreign')],
      }),
      'Prevent',
      { kind: 'adopt' },
    ],
  ] as const)('%s', (_name, object, protection, decision) => {
    expect(decideAdoption(object, ref, protection, owner, false)).toEqual(decision);
  });

  it('Prevent refuses an unowned object, with PKO message', () => {
    const d = decideAdoption(existing({}), ref, 'Prevent', owner, false);
    expect(d).toEqual({
      kind: 'refuse',
      message: 'refusing adoption, object /v1, Kind=ConfigMap shop/cm not owned by previous revision',
    });
    expect(collisionMessage(spec, d.kind === 'refuse' ? d.message : '')).toBe(
      'object /cm kind:ConfigMap: refusing adoption, object /v1, Kind=ConfigMap shop/cm not owned by previous revision',
    );
  });

  it('IfNoController falls back to Prevent when another controller has it', () => {
    expect(
      decideAdoption(existing({ ownerReferences: [ctrl('foreign')] }), ref, 'IfNoController', owner, false)
        .kind,
    ).toBe('refuse');
  });

  it('a previous revision with the same revision number is a collision', () => {
    const d = decideAdoption(
      existing({ ownerReferences: [ctrl('old')], annotations: { 'package-operator.run/revision': '2' } }),
      ref,
      'Prevent',
      owner,
      false,
    );
    expect(d).toEqual({
      kind: 'refuse',
      message: 'refusing adoption, revision collision on /v1, Kind=ConfigMap shop/cm',
    });
  });

  it('PKO_FORCE_ADOPTION adopts anything', () => {
    expect(
      decideAdoption(existing({ ownerReferences: [ctrl('foreign')] }), ref, 'Prevent', owner, true).kind,
    ).toBe('adopt');
  });
});

describe('desired object (§4.4)', () => {
  it('defaults the namespace, adds the cache label, the owner labels and the revision annotation', () => {
    const d = desiredObject(spec, owner, true, ownerReferencesFor([], owner));
    expect(d.metadata).toEqual({
      name: 'cm',
      namespace: 'shop',
      labels: {
        'package-operator.run/cache': 'True',
        'package-operator.run/instance': 'web',
        'package-operator.run/package': 'pkg',
      },
      annotations: { 'package-operator.run/revision': '2' },
      ownerReferences: [
        {
          apiVersion: 'package-operator.run/v1alpha1',
          kind: 'ObjectSet',
          name: 'web-abc',
          uid: 'new',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(d['data']).toEqual({ a: '1' });
  });

  it('keeps foreign owners as plain owners and drops previous revisions', () => {
    const refs = ownerReferencesFor([ctrl('foreign'), { ...ctrl('old'), controller: false }], owner);
    expect(refs.map((r) => [r.uid, r.controller])).toEqual([
      ['foreign', false],
      ['new', true],
    ]);
  });
});

describe('static preflight (§4.3)', () => {
  it('refuses owner references, other namespaces and cluster-scoped kinds in a namespaced ObjectSet', () => {
    const withOwner = specObjectOf('p', {
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', ownerReferences: [ctrl('z')] } },
    })!;
    const elsewhere = specObjectOf('p', {
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'other' } },
    })!;
    expect(staticPreflight(withOwner, owner, true)).toBe('Object must not have a owner reference.');
    expect(staticPreflight(elsewhere, owner, true)).toBe('Must stay within the same namespace.');
    expect(staticPreflight(spec, owner, false)).toBe(
      'Must be namespaced scoped when part of an non-cluster-scoped API.',
    );
    expect(staticPreflight(elsewhere, { ...owner, namespace: '' }, true)).toBeUndefined();
  });
});
