/**
 * Table tests of the ObjectSet step and of runStep's decisions over the shared in-memory FakeKube: the cases the
 * integration suite cannot reach cheaply (a create that loses a race, an apply whose object changed since the
 * read, a cache that lags, slices, finalizers, a step that throws, a malformed embedded object), and the
 * registry trigger's reset against a concurrent status writer.
 */
import { describe, expect, it } from 'vitest';
import { runStep, type RunStepDeps, type StepRecord } from '../../functions/steps/run-step.js';
import { reconcileObjectSet } from '../../functions/steps/objectset.js';
import { KubeUnavailableError } from '../../shared/kube-errors.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import { fakeStepDeps } from '../fakes/deps.js';
import { FakeKube } from '../fakes/kube.js';
import { WorkQueue } from '../../functions/hosts/queue.js';
import { TriggerCore } from '../../functions/hosts/triggers.js';

const API = 'package-operator.run/v1alpha1';
const SET: ObjectRef = { apiVersion: API, kind: 'ObjectSet', namespace: 'ns', name: 'set' };
const CM: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'cm' };

function deps(kube: FakeKube, records: StepRecord[] = []): RunStepDeps {
  return fakeStepDeps(kube, { record: (r) => records.push(r) });
}

function configMap(protection?: string): Record<string, unknown> {
  return {
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { owner: 'package' } },
    ...(protection !== undefined ? { collisionProtection: protection } : {}),
  };
}

function objectSet(kube: FakeKube, phases: unknown[], metadata: Record<string, unknown> = {}): KubeObject {
  return kube.put({
    apiVersion: API,
    kind: 'ObjectSet',
    metadata: {
      name: 'set',
      namespace: 'ns',
      generation: 1,
      finalizers: ['package-operator.run/cached', 'package-operator.run/metrics'],
      ...metadata,
    },
    spec: { revision: 1, lifecycleState: 'Active', phases },
  });
}

function someonesConfigMap(kube: FakeKube): void {
  kube.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'ns' },
    data: { owner: 'someone' },
  });
}

function available(kube: FakeKube): unknown {
  const status = kube.objects.get(`${API}|ObjectSet|ns|set`)?.['status'] as {
    conditions?: { type: string }[];
  };
  return status.conditions?.find((c) => c.type === 'Available');
}

const COLLISION =
  'object /cm kind:ConfigMap: refusing adoption, object /v1, Kind=ConfigMap ns/cm not owned by previous revision';

describe('the ObjectSet step over FakeKube', () => {
  it.each([
    [
      'Prevent',
      { reason: 'CollisionDetected', message: COLLISION, status: 'False' },
      { owner: 'someone' },
      0,
    ],
    [
      'IfNoController',
      { reason: 'Available', message: 'Object is available and passes all probes.', status: 'True' },
      { owner: 'package' },
      1,
    ],
  ])(
    'an object created by someone between the read and the create, under %s',
    async (protection, condition, data, owners) => {
      const kube = new FakeKube();
      objectSet(kube, [{ name: 'only', objects: [configMap(protection)] }]);
      let raced = false;
      kube.beforeWrite = (verb, ref) => {
        // The create-only apply: someone creates the object just before it arrives.
        if (verb === 'apply' && ref.name === 'cm' && !raced) {
          raced = true;
          someonesConfigMap(kube);
        }
      };
      const result = await runStep(SET, deps(kube));
      expect(result.outcome).toBe(protection === 'Prevent' ? 'waiting' : 'done');
      expect(available(kube)).toMatchObject(condition);
      const live = await kube.get(CM);
      expect(live['data']).toEqual(data);
      expect(live.metadata.ownerReferences ?? []).toHaveLength(owners);
      expect(kube.writes.filter((w) => w.endsWith('ConfigMap/cm'))).toEqual(
        protection === 'Prevent' ? ['apply ConfigMap/cm'] : ['apply ConfigMap/cm', 'apply ConfigMap/cm'],
      );
    },
  );

  it('an object changed between the read and the apply: 409, run again at once, nothing forced', async () => {
    const kube = new FakeKube();
    objectSet(kube, [{ name: 'only', objects: [configMap('None')] }]);
    someonesConfigMap(kube);
    kube.beforeWrite = (verb, ref) => {
      if (verb === 'apply' && ref.name === 'cm')
        kube.put({ ...kube.objects.get('v1|ConfigMap|ns|cm')!, data: { owner: 'changed' } });
    };
    const records: StepRecord[] = [];
    const result = await runStep(SET, deps(kube, records));
    expect(result).toMatchObject({ outcome: 'progressing', requeueAfterMs: 0 });
    expect(records[0]).toMatchObject({ step: 'apply-phase', outcome: 'progressing' });
    expect((await kube.get(CM))['data']).toEqual({ owner: 'changed' });
  });

  it('a read that lags (says missing): the create-only apply meets a 409 and the object, ours, is applied', async () => {
    const kube = new FakeKube();
    const set = objectSet(kube, [{ name: 'only', objects: [configMap()] }]);
    kube.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        namespace: 'ns',
        ownerReferences: [
          { apiVersion: API, kind: 'ObjectSet', name: 'set', uid: set.metadata.uid!, controller: true },
        ],
      },
      data: { owner: 'old' },
    });
    // The object's first version: a lagging read sees the time before it, when it did not exist.
    kube.lag(CM);
    await runStep(SET, deps(kube));
    expect(kube.writes.filter((w) => w.endsWith('ConfigMap/cm'))).toEqual([
      'apply ConfigMap/cm',
      'apply ConfigMap/cm',
    ]);
    expect((await kube.get(CM))['data']).toEqual({ owner: 'package' });
    expect(available(kube)).toMatchObject({ status: 'True' });
  });

  it('names the kinds of its slices for a watching host, and owns each slice', async () => {
    const kube = new FakeKube();
    kube.put({
      apiVersion: API,
      kind: 'ObjectSlice',
      metadata: { name: 'slice-1', namespace: 'ns' },
      objects: [
        { object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } } },
      ],
    });
    const set = objectSet(kube, [{ name: 'only', objects: [configMap()], slices: ['slice-1'] }]);
    const result = await reconcileObjectSet(set, deps(kube));
    expect(result.managedKinds).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { apiVersion: 'v1', kind: 'Secret' },
    ]);
    const slice = await kube.get({ apiVersion: API, kind: 'ObjectSlice', namespace: 'ns', name: 'slice-1' });
    expect(slice.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ObjectSet', name: 'set', controller: false }),
    ]);
  });

  it("adds PKO's metrics finalizer to an ObjectSet without it, as PKO's manager does", async () => {
    const kube = new FakeKube();
    objectSet(kube, [{ name: 'only', objects: [configMap()] }], {
      finalizers: ['package-operator.run/cached'],
    });
    expect(await runStep(SET, deps(kube))).toMatchObject({ outcome: 'done' });
    expect((await kube.get(SET)).metadata.finalizers).toEqual([
      'package-operator.run/cached',
      'package-operator.run/metrics',
    ]);
  });

  it('deletion: its objects go first, then its finalizers, then the ObjectSet', async () => {
    const kube = new FakeKube();
    objectSet(kube, [{ name: 'only', objects: [configMap()] }]);
    await runStep(SET, deps(kube));
    await kube.delete(SET);
    expect((await kube.get(SET)).metadata.deletionTimestamp).toBe('2026-01-01T00:00:00.000Z');
    expect(await runStep(SET, deps(kube))).toMatchObject({ outcome: 'waiting' });
    await expect(kube.get(CM)).rejects.toMatchObject({ reason: 'NotFound' });
    expect(await runStep(SET, deps(kube))).toMatchObject({ outcome: 'done' });
    await expect(kube.get(SET)).rejects.toMatchObject({ reason: 'NotFound' });
    expect(kube.events.at(-1)).toMatchObject({ type: 'DELETED', object: { kind: 'ObjectSet' } });
  });

  it('a failure is recorded under the step that threw (teardown), not the previous progress step', async () => {
    const kube = new FakeKube();
    objectSet(kube, [{ name: 'only', objects: [configMap()] }]);
    await runStep(SET, deps(kube));
    await kube.delete(SET);
    kube.failNext('delete', new KubeUnavailableError('etcd is slow', 3_000));
    const records: StepRecord[] = [];
    const result = await runStep(SET, deps(kube, records));
    expect(result).toMatchObject({ outcome: 'failed', requeueAfterMs: 3_000 });
    expect(records).toEqual([
      {
        key: SET,
        step: 'teardown',
        outcome: 'failed',
        durationMs: 0,
        requeueAfterMs: 3_000,
        error: 'etcd is slow',
      },
    ]);
  });

  it('a malformed slice is terminal: failed, no requeue, the problem named', async () => {
    const kube = new FakeKube();
    kube.put({
      apiVersion: API,
      kind: 'ObjectSlice',
      metadata: { name: 'bad', namespace: 'ns' },
      objects: 'x',
    });
    objectSet(kube, [{ name: 'only', slices: ['bad'] }]);
    const records: StepRecord[] = [];
    const result = await runStep(SET, deps(kube, records));
    expect(result.outcome).toBe('failed');
    expect(result.requeueAfterMs).toBeUndefined();
    expect(records[0]).toMatchObject({
      step: 'apply-phase',
      outcome: 'failed',
      error: 'ObjectSlice ns/bad is malformed: objects: Invalid input: expected array, received string',
    });
  });

  it('a status write that fails: outcome status-write-failed, the error apart', async () => {
    const kube = new FakeKube();
    objectSet(kube, [{ name: 'only', objects: [configMap()] }]);
    kube.failNext('status', new KubeUnavailableError('the server is down', 1_000));
    const records: StepRecord[] = [];
    const result = await runStep(SET, deps(kube, records));
    expect(result.outcome).toBe('status-write-failed');
    expect(records[0]).toMatchObject({
      outcome: 'status-write-failed',
      error: 'status write: the server is down',
    });
  });
});

describe("the registry trigger's reset over FakeKube", () => {
  it.each([
    ['no other writer', 0],
    ['a status writer between the LIST and the write', 1],
    ['three of them in a row', 3],
  ])('%s: the unpackedHash goes, the other writes stay', async (_what, rivals) => {
    const kube = new FakeKube();
    kube.put({
      apiVersion: API,
      kind: 'Package',
      metadata: { name: 'p', namespace: 'ns' },
      spec: { image: 'registry.example/app:stable' },
      status: { unpackedHash: 'h1', resolvedImage: `registry.example/app@sha256:${'a'.repeat(64)}` },
    });
    let left = rivals;
    kube.beforeWrite = (verb) => {
      if (verb !== 'status' || left === 0) return;
      left -= 1;
      const live = kube.objects.get(`${API}|Package|ns|p`)!;
      kube.put({ ...live, status: { ...(live['status'] as object), revision: rivals - left } });
    };
    const triggers = new TriggerCore({
      deps: {
        ...deps(kube),
        images: {
          pull: () => Promise.reject(new Error('no')),
          listTags: () => Promise.reject(new Error('no tag listing in this test')),
          pullImageFiles: () => Promise.reject(new Error('no image files in this test')),
          resolveDigest: () => Promise.resolve(`sha256:${'b'.repeat(64)}`),
        },
      },
      concurrency: 1,
      namespace: '',
      fullResyncMs: 3_600_000,
      admissionBudgetMs: 0,
      log: () => undefined,
      queue: new WorkQueue({ concurrency: 1, ratePerSecond: 1000, run: () => Promise.resolve(undefined) }),
    });
    expect(
      await triggers.registryPush([{ registry: 'registry.example', repository: 'app', tag: 'stable' }]),
    ).toBe(1);
    await triggers.settled();
    expect(
      (await kube.get({ apiVersion: API, kind: 'Package', namespace: 'ns', name: 'p' }))['status'],
    ).toEqual({
      resolvedImage: `registry.example/app@sha256:${'a'.repeat(64)}`,
      ...(rivals > 0 ? { revision: rivals } : {}),
    });
    expect(kube.writes.filter((w) => w.startsWith('status'))).toHaveLength(rivals + 1);
  });
});

describe('the Package step over FakeKube: uniqueInScope', () => {
  const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
  const unique: RunStepDeps['images'] = {
    pull: () =>
      Promise.resolve({
        files: new Map([
          [
            'manifest.yaml',
            enc(
              [
                'apiVersion: manifests.package-operator.run/v1alpha1',
                'kind: PackageManifest',
                'metadata: {name: only-one}',
                'spec:',
                '  scopes: [Namespaced]',
                '  phases: [{name: deploy}]',
                '  constraints: [{uniqueInScope: {}}]',
              ].join('\n'),
            ),
          ],
          [
            'cm.yaml',
            enc(
              'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, annotations: {package-operator.run/phase: deploy}}\n',
            ),
          ],
        ]),
        labels: {},
        resolved: `registry.example/only-one@sha256:${'c'.repeat(64)}`,
        digest: `sha256:${'c'.repeat(64)}`,
      }),
    listTags: () => Promise.reject(new Error('no tag listing in this test')),
    pullImageFiles: () => Promise.reject(new Error('no image files in this test')),
    resolveDigest: () => Promise.reject(new Error('not used')),
  };

  function setUp(otherInstance?: string): FakeKube {
    const kube = new FakeKube();
    kube.put({
      apiVersion: API,
      kind: 'Package',
      metadata: { name: 'second', namespace: 'ns', generation: 1, uid: 'u2' },
      spec: { image: 'registry.example/only-one:v1' },
    });
    if (otherInstance !== undefined)
      kube.put({
        apiVersion: API,
        kind: 'ObjectDeployment',
        metadata: {
          name: otherInstance,
          namespace: 'ns',
          labels: {
            'package-operator.run/package': 'only-one',
            'package-operator.run/instance': otherInstance,
          },
        },
        spec: {},
      });
    return kube;
  }
  const ref: ObjectRef = { apiVersion: API, kind: 'Package', namespace: 'ns', name: 'second' };
  const conditionsOf = (o: KubeObject): Record<string, { status: string; reason: string; message: string }> =>
    Object.fromEntries(
      (
        (o['status'] as { conditions?: { type: string; status: string; reason: string; message: string }[] })
          .conditions ?? []
      ).map((c) => [c.type, c]),
    );

  it('another Package of the namespace uses the manifest: Invalid ConstraintsFailed, nothing deployed', async () => {
    const kube = setUp('first');
    await runStep(ref, fakeStepDeps(kube, { images: unique }));
    const c = conditionsOf(await kube.get(ref));
    expect(c['Invalid']).toMatchObject({
      status: 'True',
      reason: 'ConstraintsFailed',
      message:
        'Constraints not met: package has unique constraint set but another package in the same namespace uses the same manifest',
    });
    await expect(kube.get({ ...ref, kind: 'ObjectDeployment' })).rejects.toThrow();
  });

  it('its own ObjectDeployment (an upgrade) or none at all: deployed', async () => {
    for (const kube of [setUp(), setUp('second')]) {
      // A conflict (the finalizer's write moved the resourceVersion) runs the step again, as a host does.
      for (let i = 0; i < 3; i++)
        if ((await runStep(ref, fakeStepDeps(kube, { images: unique }))).outcome !== 'conflict') break;
      expect(conditionsOf(await kube.get(ref))['Invalid']).toBeUndefined();
      const od = await kube.get({ ...ref, kind: 'ObjectDeployment' });
      expect(od.metadata.labels?.['package-operator.run/package']).toBe('only-one');
    }
  });
});
