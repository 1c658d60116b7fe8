/**
 * Race-free creation: an object the phase's read did not find (or its watch cache has not seen) is created by a
 * server-side apply that cannot update (its resourceVersion is one no stored object has), so an object someone
 * creates between the read and the write is not taken over (its collision protection decides, from the object as
 * it is now); adopted and created objects end with the engine's server-side apply entry only, client-side managers
 * migrated. The moment between the read and the create is a seam of the step deps, so the race is forced, not
 * hoped for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import {
  conditionsReach,
  configMap,
  eventually,
  manifest,
  pkgRef,
  preventedCollision,
  pushPackage,
  startEngine,
  type TestEngine,
} from './setup/engine.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const admin = testClient();
const namespaces: string[] = [];
/** Objects the seam creates (as "someone else", with their field manager) the moment the engine would create them. */
const interlopers = new Map<string, { body: Record<string, unknown>; fieldManager: string }>();
const racedAt: string[] = [];
let engine: TestEngine;
let kube: KubeApi;

beforeAll(async () => {
  engine = await startEngine({}, undefined, {
    beforeCreate: async (ref: ObjectRef) => {
      const key = `${ref.namespace}/${ref.name}`;
      const interloper = interlopers.get(key);
      if (interloper === undefined) return;
      interlopers.delete(key);
      const r = await admin.create(
        `/api/v1/namespaces/${ref.namespace}/configmaps?fieldManager=${interloper.fieldManager}`,
        interloper.body,
      );
      if (r.status !== 201) throw new Error(`the interloper's create: ${r.status} ${r.text}`);
      racedAt.push(key);
    },
  });
  kube = engine.engine.client;
});

afterAll(async () => {
  await engine.stop();
  for (const ns of namespaces) await deleteNamespace(admin, ns);
});

async function namespace(prefix: string): Promise<string> {
  const ns = await createNamespace(admin, prefix);
  namespaces.push(ns);
  return ns;
}

async function createPackage(ns: string, name: string, image: string): Promise<void> {
  await kube.create({
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: { name, namespace: ns },
    spec: { image },
  });
}

function cm(ns: string, name: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name };
}

function managers(o: KubeObject): { manager: unknown; operation: unknown }[] {
  const entries = (o.metadata as { managedFields?: { manager?: string; operation?: string }[] })
    .managedFields;
  return (entries ?? []).map((e) => ({ manager: e.manager, operation: e.operation }));
}

describe('an object created between the read and the create', () => {
  it('under Prevent: CollisionDetected, nothing taken over', async () => {
    const ns = await namespace('race-prevent');
    interlopers.set(`${ns}/taken`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'taken', namespace: ns },
        data: { owner: 'someone' },
      },
      fieldManager: 'someone',
    });
    const image = await pushPackage('race-prevent', {
      'manifest.yaml': manifest('collide', ['only']),
      'cm.yaml': configMap('taken', 'only', { owner: 'package' }),
    });
    await createPackage(ns, 'collide', image);
    const live = await preventedCollision(kube, ns, 'collide', 'taken');
    expect(racedAt).toContain(`${ns}/taken`);
    expect(live['data']).toEqual({ owner: 'someone' });
    expect(live.metadata.ownerReferences).toBeUndefined();
    expect(managers(live)).toEqual([{ manager: 'someone', operation: 'Update' }]);
  });

  it("under IfNoController: adopted, the client-side manager's fields migrated to the engine's apply", async () => {
    const ns = await namespace('race-adopt');
    // What `kubectl apply` (client-side) creates: its field manager, its last-applied annotation, a key the
    // package does not have.
    const lastApplied = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'taken', namespace: ns },
      data: { owner: 'someone', extra: 'x' },
    });
    interlopers.set(`${ns}/taken`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'taken',
          namespace: ns,
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
        },
        data: { owner: 'someone', extra: 'x' },
      },
      fieldManager: 'kubectl-client-side-apply',
    });
    const image = await pushPackage('race-adopt', {
      'manifest.yaml': manifest('adopt', ['only']),
      'cm.yaml': configMap(
        'taken',
        'only',
        { owner: 'package' },
        { 'package-operator.run/collision-protection': 'IfNoController' },
      ),
      'fresh.yaml': configMap('fresh', 'only', { a: '1' }),
    });
    await createPackage(ns, 'adopt', image);
    await conditionsReach(kube, pkgRef(ns, 'adopt'), {
      Available: { status: 'True', reason: 'Available', message: 'Latest Revision is Available.' },
    });
    expect(racedAt).toContain(`${ns}/taken`);
    const [set] = await kube.list('package-operator.run/v1alpha1', 'ObjectSet', ns);
    const taken = await kube.get(cm(ns, 'taken'));
    // kubectl's fields are the engine's now: the key and the annotation the package does not set are gone.
    expect(taken['data']).toEqual({ owner: 'package' });
    expect(taken.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    expect(taken.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ObjectSet', uid: set!.metadata.uid, controller: true }),
    ]);
    expect(managers(taken)).toEqual([{ manager: 'package-operator', operation: 'Apply' }]);
    // An object the engine created (one create-only apply) carries its server-side apply entry only.
    const fresh = await eventually('fresh created', async () => kube.get(cm(ns, 'fresh')));
    expect(fresh['data']).toEqual({ a: '1' });
    expect(managers(fresh)).toEqual([{ manager: 'package-operator', operation: 'Apply' }]);
  });
});
