/**
 * The engine over a package's life: upgrades with handover and archival, bad config and missing images
 * reported and recovered, drift put back, pause, ordered teardown (blocked by a foreign finalizer), orphaning,
 * and a ClusterPackage that creates its namespace.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isNotFound } from '../../shared/kube-errors.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import {
  conditions,
  configMap,
  eventually,
  manifest,
  pkgRef,
  pushPackage,
  useEngine,
} from './setup/engine.js';

const suite = useEngine();
const { admin, namespace } = suite;
let kube: KubeApi;
beforeAll(() => {
  kube = suite.kube();
});

const cm = (ns: string, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name,
});

async function exists(ref: ObjectRef): Promise<KubeObject | undefined> {
  try {
    return await kube.get(ref);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function condition(
  ref: ObjectRef,
  type: string,
  status: string,
  reason?: string,
): Promise<Record<string, { status: string; reason: string; message: string }>> {
  return eventually(`${ref.kind} ${ref.name} ${type}=${status}${reason ?? ''}`, async () => {
    const c = conditions(await kube.get(ref));
    return c[type]?.status === status && (reason === undefined || c[type].reason === reason) ? c : undefined;
  });
}

/** A change by hand (another field manager than Gantry's, as kubectl would make it). */
async function handEdit(ref: ObjectRef, patch: unknown): Promise<void> {
  const path = ref.apiVersion === 'v1' ? `/api/v1/namespaces/${ref.namespace}/configmaps/${ref.name}` : '';
  const r = await admin.request(
    'PATCH',
    `${path}?fieldManager=kubectl-edit`,
    patch,
    'application/merge-patch+json',
  );
  if (r.status !== 200) throw new Error(`hand edit of ${ref.name}: ${r.status} ${r.text}`);
}

async function objectSets(ns: string, cluster = false): Promise<KubeObject[]> {
  return (
    await kube.list(
      'package-operator.run/v1alpha1',
      cluster ? 'ClusterObjectSet' : 'ObjectSet',
      cluster ? '' : ns,
    )
  ).sort(
    (a, b) => (a['spec'] as { revision: number }).revision - (b['spec'] as { revision: number }).revision,
  );
}

const configured = {
  'manifest.yaml': manifest(
    'configured',
    ['config', 'app'],
    `  config:
    openAPIV3Schema:
      type: object
      properties:
        replicas: {type: integer, minimum: 1, default: 1}
        color: {type: string, default: blue}
`,
  ),
  'config.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    package-operator.run/phase: config
data:
  color: {{ .config.color | quote }}
  replicas: "{{ .config.replicas }}"
`,
  'app.yaml': configMap('app', 'app', { kind: 'app' }),
};

describe('upgrades', () => {
  it('a config change makes revision 2, hands the objects over and archives revision 1; a rollback makes revision 3', async () => {
    const ns = await namespace('life-upgrade');
    const image = await pushPackage('configured', configured);
    await kube.create({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'cfg', namespace: ns },
      spec: { image, config: { color: 'red' } },
    });
    await condition(pkgRef(ns, 'cfg'), 'Available', 'True');
    await kube.mergePatch(pkgRef(ns, 'cfg'), { spec: { config: { color: 'green' } } });
    await eventually('revision 2 available and revision 1 archived', async () => {
      const sets = await objectSets(ns);
      const [first, second] = sets;
      if (sets.length !== 2 || first === undefined || second === undefined) return undefined;
      const archived = conditions(first)['Archived'];
      return archived?.status === 'True' && conditions(second)['Available']?.status === 'True'
        ? true
        : undefined;
    });
    const [first, second] = await objectSets(ns);
    expect((first!['spec'] as { lifecycleState: string }).lifecycleState).toBe('Archived');
    expect(conditions(first!)['Archived']).toEqual({ status: 'True', reason: 'Archived', message: '' });
    expect(conditions(first!)['Available']).toBeUndefined();
    // PKO keeps its metrics finalizer on an archived revision (it drops it when the revision is deleted).
    expect(first!.metadata.finalizers ?? []).toEqual(['package-operator.run/metrics']);
    expect((second!['spec'] as { previous: unknown; revision: number }).previous).toEqual([
      { name: first!.metadata.name },
    ]);
    expect((second!['spec'] as { revision: number }).revision).toBe(2);
    const settings = await kube.get(cm(ns, 'settings'));
    expect(settings['data']).toEqual({ color: 'green', replicas: '1' });
    expect(settings.metadata.annotations?.['package-operator.run/revision']).toBe('2');
    expect(settings.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: second!.metadata.uid, controller: true }),
    ]);
    const od = await kube.get({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectDeployment',
      namespace: ns,
      name: 'cfg',
    });
    expect(od.metadata.annotations?.['kubernetes.io/change-cause']).toBe('Package config changed.');
    const pc = await condition(pkgRef(ns, 'cfg'), 'Available', 'True');
    expect(pc['Progressing']?.reason).toBe('Idle');
    expect(((await kube.get(pkgRef(ns, 'cfg')))['status'] as { revision: number }).revision).toBe(2);

    // Rollback to the first config: a new revision (3), never a revived archived one.
    await kube.mergePatch(pkgRef(ns, 'cfg'), { spec: { config: { color: 'red' } } });
    await eventually('revision 3', async () => {
      const sets = await objectSets(ns);
      const last = sets.at(-1);
      return last !== undefined &&
        (last['spec'] as { revision: number }).revision === 3 &&
        conditions(last)['Available']?.status === 'True'
        ? true
        : undefined;
    });
    expect((await kube.get(cm(ns, 'settings')))['data']).toEqual({ color: 'red', replicas: '1' });
  });
});

describe('bad input is reported on the Package and recovered from', () => {
  it('a config the schema refuses: Invalid=True LoadError with the field path, cleared by a fix', async () => {
    const ns = await namespace('life-invalid');
    const image = await pushPackage('configured-invalid', configured);
    await kube.create({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'bad', namespace: ns },
      spec: { image, config: { replicas: 0 } },
    });
    const c = await condition(pkgRef(ns, 'bad'), 'Invalid', 'True');
    expect(c['Invalid']).toEqual({
      status: 'True',
      reason: 'LoadError',
      message:
        'spec.config.replicas: Invalid value: 0: replicas in body should be greater than or equal to 1',
    });
    expect(
      await exists({
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'ObjectDeployment',
        namespace: ns,
        name: 'bad',
      }),
    ).toBeUndefined();
    await kube.mergePatch(pkgRef(ns, 'bad'), { spec: { config: { replicas: 2 } } });
    const fixed = await condition(pkgRef(ns, 'bad'), 'Available', 'True');
    expect(fixed['Invalid']).toBeUndefined();
    expect((await kube.get(cm(ns, 'settings')))['data']).toEqual({ color: 'blue', replicas: '2' });
  });

  it('a missing image: Unpacked=False ImagePullBackOff with the registry error; recovered when it is pushed', async () => {
    const ns = await namespace('life-missing');
    const image = (await pushPackage('configured-later', configured, 'v1')).replace(/:v1$/, ':v2');
    await kube.create({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'later', namespace: ns },
      spec: { image },
    });
    const c = await condition(pkgRef(ns, 'later'), 'Unpacked', 'False');
    expect(c['Unpacked']?.reason).toBe('ImagePullBackOff');
    // PKO: `GET http://…/manifests/v1: MANIFEST_UNKNOWN: manifest unknown; <the registry's detail>`; the detail is
    // the registry's own text, which is never echoed.
    const [host, ...path] = image.replace(/:v2$/, '').split('/');
    expect(c['Unpacked']?.message).toBe(
      `not found: GET http://${host ?? ''}/v2/${path.join('/')}/manifests/v2: MANIFEST_UNKNOWN: manifest unknown`,
    );
    const progress = (
      (await kube.get(pkgRef(ns, 'later')))['status'] as {
        progress: { step: string; attempt: number; nextAttemptTime: string };
      }
    ).progress;
    expect(progress.step).toBe('unpack');
    expect(progress.attempt).toBeGreaterThanOrEqual(1);
    expect(Date.parse(progress.nextAttemptTime)).toBeGreaterThan(Date.now() - 1000);
    await pushPackage('configured-later', configured, 'v2');
    // The retry is due 10 s after the first failure (PKO's initial back-off).
    await eventually(
      'the package after the push',
      async () => {
        const c2 = conditions(await kube.get(pkgRef(ns, 'later')));
        return c2['Available']?.status === 'True' ? c2 : undefined;
      },
      60_000,
    );
  });
});

describe('drift, pause and teardown', () => {
  const twoPhases = {
    'manifest.yaml': manifest('ordered', ['first', 'second']),
    'first.yaml': configMap('one', 'first', { num: '1' }),
    'second.yaml': configMap('two', 'second', { num: '2' }),
  };

  it('puts back an object changed or deleted by hand within 5 s; a paused package keeps the drift', async () => {
    const ns = await namespace('life-drift');
    const image = await pushPackage('ordered', twoPhases);
    await kube.create({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'o', namespace: ns },
      spec: { image },
    });
    await condition(pkgRef(ns, 'o'), 'Available', 'True');
    await kube.delete(cm(ns, 'two'));
    await eventually('"two" recreated', async () => exists(cm(ns, 'two')), 5_000);
    await handEdit(cm(ns, 'one'), { data: { num: 'changed' } });
    await eventually(
      '"one" reverted',
      async () =>
        ((await kube.get(cm(ns, 'one')))['data'] as { num: string }).num === '1' ? true : undefined,
      5_000,
    );

    await kube.mergePatch(pkgRef(ns, 'o'), { spec: { paused: true } });
    const paused = await condition(pkgRef(ns, 'o'), 'Paused', 'True');
    expect(paused['Paused']).toEqual({
      status: 'True',
      reason: 'Paused',
      message: 'Latest revision is paused: Lifecycle state set to paused.',
    });
    await handEdit(cm(ns, 'one'), { data: { num: 'drifted' } });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(((await kube.get(cm(ns, 'one')))['data'] as { num: string }).num).toBe('drifted');
    await kube.mergePatch(pkgRef(ns, 'o'), { spec: { paused: false } });
    await eventually(
      'drift reverted after unpause',
      async () =>
        ((await kube.get(cm(ns, 'one')))['data'] as { num: string }).num === '1' ? true : undefined,
      10_000,
    );
    // The Package mirrors its ObjectDeployment a step after the ObjectSet has put the object back.
    const after = await eventually('Paused gone from the Package', async () => {
      const c = conditions(await kube.get(pkgRef(ns, 'o')));
      return c['Paused'] === undefined ? c : undefined;
    });
    expect(after['Available']?.status).toBe('True');
  });

  it('deletes in reverse phase order, waiting for a foreign finalizer', async () => {
    const ns = await namespace('life-teardown');
    const image = await pushPackage('ordered-teardown', twoPhases);
    await kube.create({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 't', namespace: ns },
      spec: { image },
    });
    await condition(pkgRef(ns, 't'), 'Available', 'True');
    await handEdit(cm(ns, 'two'), { metadata: { finalizers: ['example.com/hold'] } });
    await kube.delete(pkgRef(ns, 't'));
    await eventually('"two" being deleted', async () =>
      (await kube.get(cm(ns, 'two'))).metadata.deletionTimestamp !== undefined ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await exists(cm(ns, 'one'))).toBeDefined();
    await handEdit(cm(ns, 'two'), { metadata: { finalizers: null } });
    await eventually('everything gone', async () => {
      const left = await Promise.all([exists(cm(ns, 'one')), exists(cm(ns, 'two')), exists(pkgRef(ns, 't'))]);
      return left.every((x) => x === undefined) ? true : undefined;
    });
    // The ObjectSets go too. Their finalizers are the engine's, removed by their own steps after the Package is gone.
    expect(
      await eventually('no ObjectSet left', async () =>
        (await objectSets(ns)).length === 0 ? [] : undefined,
      ),
    ).toEqual([]);
  });

  it('orphan deletion leaves the objects in place', async () => {
    const ns = await namespace('life-orphan');
    const image = await pushPackage('ordered-orphan', twoPhases);
    await kube.create({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'keep', namespace: ns },
      spec: { image },
    });
    await condition(pkgRef(ns, 'keep'), 'Available', 'True');
    const [set] = await objectSets(ns);
    const od = {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectDeployment',
      namespace: ns,
      name: 'keep',
    };
    const setRef = {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectSet',
      namespace: ns,
      name: set!.metadata.name,
    };
    // kubectl delete --cascade=orphan, from the top: each child stays behind when its parent goes.
    await kube.delete(pkgRef(ns, 'keep'), { propagationPolicy: 'Orphan' });
    await eventually('the Package gone', async () =>
      (await exists(pkgRef(ns, 'keep'))) === undefined ? true : undefined,
    );
    await kube.delete(od, { propagationPolicy: 'Orphan' });
    await eventually('the ObjectDeployment gone', async () =>
      (await exists(od)) === undefined ? true : undefined,
    );
    await kube.delete(setRef, { propagationPolicy: 'Orphan' });
    await eventually('the ObjectSet gone', async () =>
      (await exists(setRef)) === undefined ? true : undefined,
    );
    expect(await exists(cm(ns, 'one'))).toBeDefined();
    expect(await exists(cm(ns, 'two'))).toBeDefined();
  });
});

describe('cluster scope', () => {
  it('a ClusterPackage creates its namespace in its first phase', async () => {
    const ns = `life-cluster-${Math.random().toString(36).slice(2, 8)}`;
    const image = await pushPackage('cluster', {
      'manifest.yaml': manifest('cluster', ['namespace', 'config'], '', '[Cluster]'),
      'ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n  annotations:\n    package-operator.run/phase: namespace\n`,
      'cm.yaml': configMap('inside', 'config', { a: 'b' }).replace(
        'metadata:\n',
        `metadata:\n  namespace: ${ns}\n`,
      ),
    });
    await kube.create({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ClusterPackage',
      metadata: { name: ns },
      spec: { image },
    });
    const ref = {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ClusterPackage',
      namespace: '',
      name: ns,
    };
    await condition(ref, 'Available', 'True');
    expect(await exists(cm(ns, 'inside'))).toBeDefined();
    const [set] = await objectSets('', true);
    expect(set?.kind).toBe('ClusterObjectSet');
    await kube.delete(ref);
    await eventually('the ClusterPackage gone', async () =>
      (await exists(ref)) === undefined ? true : undefined,
    );
  });
});
