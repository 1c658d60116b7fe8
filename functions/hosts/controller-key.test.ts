/**
 * One object, one queue key: the key admission dispatches for a child's controller is the key the runner and the
 * triggers queue for it (both through controllerKeyOf), for every pair of a reconciled controller kind and a
 * Gantry child kind.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION, GROUP, KINDS, RECONCILED_KINDS, type KindName } from '../../shared/api/constants.js';
import type { KubeObject } from '../../shared/ports.js';
import { controllerKeyOf } from '../../shared/triggers/index.js';
import { triggered, type AdmissionRequest } from '../../webhooks/admission.js';
import { keyOf } from './triggers.js';

function child(kind: KindName, controller: string): KubeObject {
  const namespaced = KINDS[kind].namespaced;
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name: 'child',
      ...(namespaced ? { namespace: 'ns' } : {}),
      ownerReferences: [
        { apiVersion: API_VERSION, kind: controller, name: 'boss', uid: 'u1', controller: true },
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'plain', uid: 'u2' },
      ],
    },
  };
}

function review(kind: KindName, object: unknown): AdmissionRequest {
  return {
    uid: 'r',
    kind: { group: GROUP, version: 'v1alpha1', kind },
    operation: 'UPDATE',
    userInfo: { username: 'someone' },
    ...(KINDS[kind].namespaced ? { namespace: 'ns' } : {}),
    name: 'child',
    object,
  };
}

describe('controller keys', () => {
  const kinds = Object.keys(KINDS).filter((k): k is KindName => Object.hasOwn(KINDS, k));
  const pairs = RECONCILED_KINDS.flatMap((controller) => kinds.map((kind) => [controller, kind] as const));

  it.each(pairs)('%s controlling a %s: admission, runner and triggers agree', (controller, kind) => {
    const object = child(kind, controller);
    const admission = triggered(kind, review(kind, object)).filter(([, reason]) => reason === 'owner');
    const queued = controllerKeyOf(object);
    expect(queued).toBeDefined();
    expect(admission.map(([ref]) => keyOf(ref))).toEqual([keyOf(queued!)]);
    expect(queued!.namespace).toBe(KINDS[controller].namespaced && KINDS[kind].namespaced ? 'ns' : '');
  });

  it('a ClusterObjectTemplate controlling a namespaced Package is keyed without a namespace', () => {
    const object = child('Package', 'ClusterObjectTemplate');
    expect(triggered('Package', review('Package', object))).toEqual([
      [{ apiVersion: API_VERSION, kind: 'Package', namespace: 'ns', name: 'child' }, 'update'],
      [{ apiVersion: API_VERSION, kind: 'ClusterObjectTemplate', namespace: '', name: 'boss' }, 'owner'],
    ]);
  });

  it('a controller that is not a reconciled Gantry kind has no key', () => {
    expect(controllerKeyOf(child('Package', 'ObjectSlice'))).toBeUndefined();
    expect(
      controllerKeyOf({
        metadata: {
          name: 'x',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u', controller: true },
          ],
        },
      }),
    ).toBeUndefined();
  });
});
