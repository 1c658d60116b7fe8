import { describe, expect, it } from 'vitest';
import {
  identityAnnotationPatch,
  identityOf,
  type IdentitySubject,
  type ImpersonationPolicy,
} from './identity.js';

function subject(namespace: string, annotations: Record<string, string> = {}): IdentitySubject {
  return {
    kind: namespace === '' ? 'ClusterObjectSet' : 'ObjectSet',
    metadata: { name: 'web-1', ...(namespace !== '' ? { namespace } : {}), annotations },
  };
}

const OPEN: ImpersonationPolicy = { required: false };
const REQUIRED: ImpersonationPolicy = { required: true };
const DEFAULTED: ImpersonationPolicy = { required: true, defaultServiceAccount: 'gantry-tenant' };
const NAMED = { 'gantry.run/service-account': 'deployer' };

describe('identityOf', () => {
  it.each<[string, IdentitySubject, ImpersonationPolicy | undefined, unknown]>([
    ['no policy, no annotation: the engine', subject('shop'), undefined, { kind: 'engine' }],
    ['open host, no annotation: the engine (as before)', subject('shop'), OPEN, { kind: 'engine' }],
    [
      'the annotation names a ServiceAccount of the object’s namespace',
      subject('shop', NAMED),
      OPEN,
      {
        kind: 'serviceAccount',
        namespace: 'shop',
        name: 'deployer',
        user: 'system:serviceaccount:shop:deployer',
      },
    ],
    [
      'the annotation wins over the host default',
      subject('shop', NAMED),
      DEFAULTED,
      {
        kind: 'serviceAccount',
        namespace: 'shop',
        name: 'deployer',
        user: 'system:serviceaccount:shop:deployer',
      },
    ],
    [
      'the host default, in the object’s namespace',
      subject('shop'),
      DEFAULTED,
      {
        kind: 'serviceAccount',
        namespace: 'shop',
        name: 'gantry-tenant',
        user: 'system:serviceaccount:shop:gantry-tenant',
      },
    ],
    [
      'required without annotation or default: refused, naming the annotation',
      subject('shop'),
      REQUIRED,
      {
        kind: 'refused',
        message:
          'ObjectSet shop/web-1: this host requires impersonation and has no default ServiceAccount: set the annotation gantry.run/service-account (on the Package) to a ServiceAccount of namespace "shop"',
      },
    ],
    [
      'an annotation that cannot be a ServiceAccount name: refused',
      subject('shop', { 'gantry.run/service-account': 'kube-system:admin' }),
      DEFAULTED,
      {
        kind: 'refused',
        message:
          'ObjectSet shop/web-1: annotation gantry.run/service-account: Invalid value: "kube-system:admin": a ServiceAccount name must be a lowercase RFC 1123 subdomain of at most 253 characters',
      },
    ],
    ['cluster-scoped: the engine even when required', subject('', NAMED), REQUIRED, { kind: 'engine' }],
    ['cluster-scoped: the engine even with a default', subject(''), DEFAULTED, { kind: 'engine' }],
  ])('%s', (_name, s, policy, expected) => {
    expect(identityOf(s, policy)).toEqual(expected);
  });

  it('never echoes more than 253 characters of a bad annotation', () => {
    const identity = identityOf(subject('shop', { 'gantry.run/service-account': 'X'.repeat(5000) }), OPEN);
    expect(identity).toEqual({
      kind: 'refused',
      message: `ObjectSet shop/web-1: annotation gantry.run/service-account: Invalid value: "${'X'.repeat(253)}": a ServiceAccount name must be a lowercase RFC 1123 subdomain of at most 253 characters`,
    });
  });
});

describe('identityAnnotationPatch', () => {
  it.each<[string, Record<string, string> | undefined, Record<string, string> | undefined, unknown]>([
    ['both without', undefined, { a: 'b' }, undefined],
    ['both the same', NAMED, { ...NAMED, a: 'b' }, undefined],
    ['set on the parent', NAMED, {}, { 'gantry.run/service-account': 'deployer' }],
    [
      'changed on the parent',
      { 'gantry.run/service-account': 'other' },
      NAMED,
      { 'gantry.run/service-account': 'other' },
    ],
    ['removed from the parent', {}, NAMED, { 'gantry.run/service-account': null }],
  ])('%s', (_name, parent, child, expected) => {
    expect(identityAnnotationPatch(parent, child)).toEqual(expected);
  });
});
