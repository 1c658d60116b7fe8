/**
 * The reconcile engine end to end against the real control plane (full mode: Deployments become Available on
 * kwok) and the real registry: exact conditions, reasons, messages and objects, as PKO shows them.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject } from '../../shared/ports.js';
import { isNotFound } from '../../shared/kube-errors.js';
import { runGantry } from '../run-cli.js';
import { inject } from 'vitest';
import {
  conditions,
  conditionsReach,
  preventedCollision,
  configMap,
  eventually,
  manifest,
  pkgRef,
  pushPackage,
  useEngine,
} from './setup/engine.js';

const suite = useEngine();
const { namespace } = suite;
let kube: KubeApi;
beforeAll(() => {
  kube = suite.kube();
});

async function createPackage(
  ns: string,
  name: string,
  image: string,
  config?: Record<string, unknown>,
): Promise<void> {
  await kube.create({
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: { name, namespace: ns },
    spec: { image, ...(config !== undefined ? { config } : {}) },
  });
}

async function getOrNull(ref: {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}): Promise<KubeObject | null> {
  try {
    return await kube.get(ref);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

function cm(ns: string, name: string): { apiVersion: string; kind: string; namespace: string; name: string } {
  return { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name };
}

async function conditionOf(
  ref: Parameters<KubeApi['get']>[0],
  type: string,
  status: string,
): Promise<Record<string, { status: string; reason: string; message: string }>> {
  return eventually(`${ref.kind} ${ref.name} ${type}=${status}`, async () => {
    const c = conditions(await kube.get(ref));
    return c[type]?.status === status ? c : undefined;
  });
}

async function objectSets(ns: string): Promise<KubeObject[]> {
  return (await kube.list('package-operator.run/v1alpha1', 'ObjectSet', ns)).sort(
    (a, b) => (a['spec'] as { revision: number }).revision - (b['spec'] as { revision: number }).revision,
  );
}

describe('installing the templated example', () => {
  it('takes a Package to Available=True with PKO conditions, labels, annotations and owners', async () => {
    const ns = await namespace('engine-install');
    const folder = join(import.meta.dirname, '..', '..', 'examples', 'templated');
    const image = `${inject('registry').host}/engine-test/templated:v1`;
    const built = await runGantry(
      ['build', folder, '--skip-lock-check', '-t', image, '--push', '--insecure'],
      {
        cwd: folder,
      },
    );
    expect(built.code).toBe(0);
    await createPackage(ns, 'web', image, { greeting: 'hi', replicas: 2 });
    const available = { status: 'True', reason: 'Available', message: 'Latest Revision is Available.' };
    const idle = { status: 'False', reason: 'Idle', message: 'Update concluded.' };
    const c = await conditionsReach(kube, pkgRef(ns, 'web'), { Available: available, Progressing: idle });
    expect(c['Available']).toEqual(available);
    expect(c['Progressing']).toEqual(idle);
    expect(c['Unpacked']).toEqual({
      status: 'True',
      reason: 'UnpackSuccess',
      message: 'Unpack job succeeded',
    });
    expect(c['Invalid']).toBeUndefined();
    const pkg = await kube.get(pkgRef(ns, 'web'));
    expect((pkg['status'] as { revision: number }).revision).toBe(1);
    expect(pkg.metadata.finalizers).toContain('package-operator.run/metrics');

    const od = await kube.get({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectDeployment',
      namespace: ns,
      name: 'web',
    });
    expect(od.metadata.annotations?.['kubernetes.io/change-cause']).toBe('Installing templated package.');
    expect(od.metadata.annotations?.['package-operator.run/package-config']).toBe(
      '{"greeting":"hi","replicas":2}',
    );
    expect(od.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Package',
      name: 'web',
      controller: true,
    });

    const [set] = await objectSets(ns);
    expect(set).toBeDefined();
    const osc = conditions(set!);
    expect(osc['Available']).toEqual({
      status: 'True',
      reason: 'Available',
      message: 'Object is available and passes all probes.',
    });
    expect(osc['Succeeded']).toEqual({
      status: 'True',
      reason: 'RolloutSuccess',
      message: 'ObjectSet rolled out all objects successfully and was Available at least once.',
    });
    expect(osc['InTransition']).toBeUndefined();
    expect(set!.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(set!.metadata.labels).toMatchObject({
      'package-operator.run/object-deployment': 'web',
      'package-operator.run/instance': 'web',
      'package-operator.run/package': 'templated',
    });
    expect(set!.metadata.finalizers).toEqual(['package-operator.run/cached', 'package-operator.run/metrics']);
    const controllerOf = (set!['status'] as { controllerOf: unknown[] }).controllerOf;
    expect(controllerOf).toEqual(
      expect.arrayContaining([
        { kind: 'ConfigMap', group: '', version: 'v1', name: 'web-config', namespace: ns },
        { kind: 'Deployment', group: 'apps', version: 'v1', name: 'web', namespace: ns },
      ]),
    );
    const deployment = await kube.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ns,
      name: 'web',
    });
    expect(deployment.metadata.labels).toMatchObject({
      'package-operator.run/cache': 'True',
      'package-operator.run/instance': 'web',
      'package-operator.run/package': 'templated',
    });
    expect(deployment.metadata.annotations?.['package-operator.run/revision']).toBe('1');
    expect(deployment.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'ObjectSet',
        name: set!.metadata.name,
        uid: set!.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const conds = conditions(deployment);
    expect(conds['Available']?.status).toBe('True');
  });
});

describe('phases and probes', () => {
  it('holds the next phase back until the probe of the first passes', async () => {
    const ns = await namespace('engine-gate');
    const probes = `  availabilityProbes:
    - selector:
        kind: {group: "", kind: ConfigMap}
        selector: {matchLabels: {gate: "yes"}}
      probes:
        - cel:
            rule: "has(self.data.ready) && self.data.ready == 'yes'"
            message: "gate is not open"
`;
    const image = await pushPackage('gate', {
      'manifest.yaml': manifest('gate', ['first', 'second'], probes),
      'first.yaml': configMap('gate', 'first', { a: '1' }).replace(
        'metadata:\n',
        'metadata:\n  labels: {gate: "yes"}\n',
      ),
      'second.yaml': configMap('after', 'second', { b: '2' }),
    });
    await createPackage(ns, 'gate', image);
    const sets = await eventually('an ObjectSet reporting the probe', async () => {
      const [s] = await objectSets(ns);
      return s !== undefined && conditions(s)['Available']?.reason === 'ProbeFailure' ? s : undefined;
    });
    expect(conditions(sets)['Available']).toEqual({
      status: 'False',
      reason: 'ProbeFailure',
      message: `Phase "first" failed:  ConfigMap ${ns}/gate: gate is not open`,
    });
    expect(conditions(sets)['InTransition']?.reason).toBe('InTransition');
    expect(await getOrNull(cm(ns, 'after'))).toBeNull();
    // Progressing is True from the start ("Progressing to a new ObjectSet."): wait for the ObjectSet's words.
    const pc = await eventually('the Package to mirror the probe failure', async () => {
      const c = conditions(await kube.get(pkgRef(ns, 'gate')));
      return c['Progressing']?.message.startsWith('Latest Revision is Unavailable') === true ? c : undefined;
    });
    expect(pc['Progressing']?.status).toBe('True');
    expect(pc['Progressing']?.message).toBe(
      `Latest Revision is Unavailable: Phase "first" failed:  ConfigMap ${ns}/gate: gate is not open`,
    );
    expect(pc['Available']).toEqual({
      status: 'False',
      reason: 'ObjectSetUnready',
      message: 'No ObjectSet is available.',
    });

    // Another field manager opens the gate; Gantry does not own data.ready, so it is not reverted.
    await kube.mergePatch(cm(ns, 'gate'), { data: { ready: 'yes' } });
    await eventually('the second phase', async () => (await getOrNull(cm(ns, 'after'))) ?? undefined);
    await conditionOf(pkgRef(ns, 'gate'), 'Available', 'True');
  });
});

describe('collision protection', () => {
  const pkgFiles = (protection?: string): Record<string, string> => ({
    'manifest.yaml': manifest('collide', ['only']),
    'cm.yaml': configMap(
      'taken',
      'only',
      { owner: 'package' },
      protection !== undefined ? { 'package-operator.run/collision-protection': protection } : {},
    ),
  });

  it('Prevent refuses an unowned object that already exists', async () => {
    const ns = await namespace('engine-prevent');
    await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'taken', namespace: ns },
      data: { owner: 'someone' },
    });
    await createPackage(ns, 'collide', await pushPackage('collide-prevent', pkgFiles()));
    const live = await preventedCollision(kube, ns, 'collide', 'taken');
    expect(live['data']).toEqual({ owner: 'someone' });
    expect(live.metadata.ownerReferences).toBeUndefined();
  });

  it('IfNoController adopts an unowned object; None takes one from another controller', async () => {
    const ns = await namespace('engine-adopt');
    await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'taken', namespace: ns },
      data: { owner: 'someone' },
    });
    await createPackage(
      ns,
      'collide',
      await pushPackage('collide-ifnocontroller', pkgFiles('IfNoController')),
    );
    await conditionOf(pkgRef(ns, 'collide'), 'Available', 'True');
    const [set] = await objectSets(ns);
    const adopted = await kube.get(cm(ns, 'taken'));
    expect(adopted['data']).toEqual({ owner: 'package' });
    expect(adopted.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ObjectSet', uid: set!.metadata.uid, controller: true }),
    ]);

    const foreign = await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owner', namespace: ns },
    });
    const ns2 = await namespace('engine-none');
    await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'taken', namespace: ns2 },
      data: { owner: 'someone' },
    });
    const other = await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'other-owner', namespace: ns2 },
    });
    await kube.mergePatch(cm(ns2, 'taken'), {
      metadata: {
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'other-owner',
            uid: other.metadata.uid,
            controller: true,
          },
        ],
      },
    });
    expect(foreign.metadata.uid).toBeDefined();
    await createPackage(ns2, 'collide', await pushPackage('collide-none', pkgFiles('None')));
    await conditionOf(pkgRef(ns2, 'collide'), 'Available', 'True');
    const [set2] = await objectSets(ns2);
    const taken = await kube.get(cm(ns2, 'taken'));
    expect(taken.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'other-owner',
        uid: other.metadata.uid,
        controller: false,
      },
      expect.objectContaining({ kind: 'ObjectSet', uid: set2!.metadata.uid, controller: true }),
    ]);
  });
});

describe('objects the API server refuses', () => {
  it('an unregistered kind and an invalid object become PreflightError with the server words; earlier phases stay', async () => {
    const ns = await namespace('engine-preflight');
    const image = await pushPackage('preflight', {
      'manifest.yaml': manifest('preflight', ['first', 'second']),
      'ok.yaml': configMap('kept', 'first', { a: 'b' }),
      'widget.yaml':
        'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations:\n    package-operator.run/phase: second\n',
    });
    await createPackage(ns, 'pre', image);
    const [set] = await eventually('the preflight error', async () => {
      const s = await objectSets(ns);
      return s[0] !== undefined && conditions(s[0])['Available']?.reason === 'PreflightError' ? s : undefined;
    });
    expect(conditions(set!)['Available']?.message).toBe(
      'Phase "second", Widget /w: example.com/v1, Kind=Widget not registered on the api server.',
    );
    expect(await getOrNull(cm(ns, 'kept'))).not.toBeNull();

    const ns2 = await namespace('engine-invalid');
    const invalid = await pushPackage('invalid-object', {
      'manifest.yaml': manifest('invalid', ['only']),
      'd.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    package-operator.run/phase: only\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n',
    });
    await createPackage(ns2, 'inv', invalid);
    const [bad] = await eventually('the refusal', async () => {
      const s = await objectSets(ns2);
      return s[0] !== undefined && conditions(s[0])['Available']?.reason === 'PreflightError' ? s : undefined;
    });
    expect(conditions(bad!)['Available']?.message).toMatch(
      /^Phase "only", Deployment \/d: Deployment\.apps "d" is invalid: .*spec\.selector: Required value/,
    );
  });
});
