/**
 * Taking over from a running PKO, and handing back: PKO v1.19.0's own manager installs a set of packages on the
 * test control plane; it is stopped and Gantry's engine started: Gantry writes none of the managed objects, makes
 * no new revision and leaves every condition as PKO left it. Gantry then upgrades one package and changes the config
 * of another; it is stopped and PKO started again: PKO carries on without churn. Needs PKO's manager (see
 * test/pko-manager.ts); without it the test is skipped and says so.
 */
import { createServer } from 'node:net';
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../shared/api/constants.js';
import { isRecord } from '../../shared/api/objects.js';
import type { KubeApi, KubeObject } from '../../shared/ports.js';
import { locatePkoManager, startPkoManager, type PkoManager } from '../pko-manager.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';
import {
  conditions,
  configMap,
  eventually,
  manifest,
  pushPackage,
  startEngine,
  type TestEngine,
} from './setup/engine.js';

const located = locatePkoManager();
if ('missing' in located) console.warn(`\n!!! ${located.missing} !!!\n`);

const TEMPLATED_MANIFEST = manifest(
  'greeter',
  ['deploy'],
  `  config:
    openAPIV3Schema:
      type: object
      properties:
        greeting: {type: string, default: hello}
`,
);
const TEMPLATED_CM = `apiVersion: v1
kind: ConfigMap
metadata:
  name: "{{ .package.metadata.name }}-greeting"
  annotations:
    package-operator.run/phase: deploy
data:
  text: "{{ .config.greeting }} from {{ .package.metadata.name }}"
`;

async function pushAll(): Promise<Record<string, string>> {
  const plain = await pushPackage('mig-plain', {
    'manifest.yaml': manifest('plain', ['config', 'deploy']),
    'a.yaml': configMap('plain-a', 'config', { a: '1' }),
    'b.yaml': configMap('plain-b', 'deploy', { b: '2' }),
  });
  const plainV2 = await pushPackage(
    'mig-plain',
    {
      'manifest.yaml': manifest('plain', ['config', 'deploy']),
      'a.yaml': configMap('plain-a', 'config', { a: '1' }),
      'b.yaml': configMap('plain-b', 'deploy', { b: 'two' }),
    },
    'v2',
  );
  const templated = await pushPackage('mig-templated', {
    'manifest.yaml': TEMPLATED_MANIFEST,
    'cm.yaml.gotmpl': TEMPLATED_CM,
  });
  const multi = await pushPackage('mig-multi', {
    'manifest.yaml': manifest('multi', ['deploy'], '  components: {}\n'),
    'components/backend/manifest.yaml': manifest('backend', ['deploy']),
    'components/backend/cm.yaml': configMap('backend', 'deploy', { part: 'backend' }),
  });
  const sliced = await pushPackage('mig-sliced', {
    'manifest.yaml': manifest('sliced', ['deploy']),
    ...Object.fromEntries(
      [1, 2, 3].map((i) => [`cm${i}.yaml`, configMap(`sliced-${i}`, 'deploy', { i: String(i) })]),
    ),
  });
  const slicedV2 = await pushPackage(
    'mig-sliced',
    {
      'manifest.yaml': manifest('sliced', ['deploy']),
      ...Object.fromEntries(
        [1, 2, 3].map((i) => [`cm${i}.yaml`, configMap(`sliced-${i}`, 'deploy', { i: String(i * 10) })]),
      ),
    },
    'v2',
  );
  const guarded = await pushPackage('mig-guarded', {
    'manifest.yaml': manifest('guarded', ['deploy']),
    'cm.yaml': configMap(
      'guarded',
      'deploy',
      { g: '1' },
      { 'package-operator.run/collision-protection': 'IfNoController' },
    ),
  });
  const cluster = await pushPackage('mig-cluster', {
    'manifest.yaml': manifest('clustered', ['namespace', 'deploy'], '', '[Cluster]'),
    'ns.yaml.gotmpl': `apiVersion: v1
kind: Namespace
metadata:
  name: "{{ .package.metadata.name }}"
  annotations:
    package-operator.run/phase: namespace
`,
    'cm.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: clustered
  namespace: "{{ .package.metadata.name }}"
  annotations:
    package-operator.run/phase: deploy
data:
  c: "1"
`,
  });
  const paused = await pushPackage('mig-paused', {
    'manifest.yaml': manifest('paused', ['deploy']),
    'cm.yaml': configMap('paused', 'deploy', { p: '1' }),
  });
  return { plain, plainV2, templated, multi, sliced, slicedV2, guarded, cluster, paused };
}

function pkg(ns: string, name: string, spec: Record<string, unknown>, annotations = {}): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'Package',
    metadata: { name, namespace: ns, annotations },
    spec,
  };
}

/** What must not change across a hand-over. */
interface Snapshot {
  /** Managed objects: kind/namespace/name → resourceVersion. */
  readonly objects: Record<string, string>;
  /** Gantry/PKO objects: kind/namespace/name → conditions without timestamps, and revision. */
  readonly states: Record<string, unknown>;
  /** Gantry/PKO objects, ObjectSlices too: kind/namespace/name → the object. */
  readonly api: Record<string, KubeObject>;
  /** (Cluster)Packages: kind/namespace/name → status.unpackedHash. */
  readonly unpacked: Record<string, unknown>;
}

const NAMESPACED = ['Package', 'ObjectDeployment', 'ObjectSet', 'ObjectTemplate'];
const CLUSTERED = ['ClusterPackage', 'ClusterObjectDeployment', 'ClusterObjectSet'];
const SLICES = ['ObjectSlice', 'ClusterObjectSlice'];

function statusOf(object: KubeObject): Record<string, unknown> {
  const status = object['status'];
  return isRecord(status) ? status : {};
}

function stateOf(object: KubeObject): unknown {
  return { conditions: conditions(object), revision: statusOf(object)['revision'] };
}

/**
 * What PKO's manager writes on a Gantry/PKO object that Gantry left exactly as PKO wants it: each of its controllers
 * ends a reconcile with a full status update of its Go struct, which drops the status fields Gantry keeps beside
 * PKO's (`progress`, `resolvedImage`), and writes `controllerOf` without the `version` Gantry fills in.
 * Everything else must be as Gantry left it (the resourceVersion and managedFields move with any write).
 */
function withoutPkoRewrites(object: KubeObject): unknown {
  const metadata = Object.fromEntries(
    Object.entries(object.metadata).filter(([k]) => k !== 'resourceVersion' && k !== 'managedFields'),
  );
  const { progress: _p, resolvedImage: _r, ...status } = statusOf(object);
  const controllerOf: unknown = status['controllerOf'];
  const refs = Array.isArray(controllerOf) ? controllerOf.filter(isRecord) : [];
  return {
    ...object,
    metadata,
    status: {
      ...status,
      ...(Array.isArray(controllerOf) ? { controllerOf: refs.map((r) => ({ ...r, version: '' })) } : {}),
    },
  };
}

/** The keys whose values differ between two records (added and removed keys too), sorted. */
function changed(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

async function snapshot(
  kube: KubeApi,
  namespaces: readonly string[],
  clusterName: string,
): Promise<Snapshot> {
  const objects: Record<string, string> = {};
  const states: Record<string, unknown> = {};
  const api: Record<string, KubeObject> = {};
  const unpacked: Record<string, unknown> = {};
  const record = (key: string, o: KubeObject): void => {
    api[key] = o;
    if (o.kind === 'Package' || o.kind === 'ClusterPackage') unpacked[key] = statusOf(o)['unpackedHash'];
    if (!SLICES.includes(o.kind)) states[key] = stateOf(o);
  };
  for (const ns of [...namespaces, clusterName]) {
    for (const cm of await kube.list('v1', 'ConfigMap', ns)) {
      if (cm.metadata.name === 'kube-root-ca.crt' || cm.metadata.name === 'source') continue;
      objects[`ConfigMap/${ns}/${cm.metadata.name}`] = cm.metadata.resourceVersion ?? '';
    }
  }
  for (const ns of namespaces)
    for (const kind of [...NAMESPACED, 'ObjectSlice'])
      for (const o of await kube.list(API_VERSION, kind, ns)) record(`${kind}/${ns}/${o.metadata.name}`, o);
  for (const kind of [...CLUSTERED, 'ClusterObjectSlice'])
    for (const o of await kube.list(API_VERSION, kind, ''))
      if (o.metadata.name.startsWith(clusterName)) record(`${kind}//${o.metadata.name}`, o);
  return { objects, states, api, unpacked };
}

/** Every Package and ClusterPackage Available, not Progressing; every ObjectTemplate's output there. */
async function allSettled(
  kube: KubeApi,
  ns: string,
  clusterName: string,
  names: readonly string[],
): Promise<void> {
  await eventually(
    'every package Available and not Progressing',
    async () => {
      const pkgs = [
        ...(await kube.list(API_VERSION, 'Package', ns)),
        ...(await kube.list(API_VERSION, 'ClusterPackage', '')).filter(
          (p) => p.metadata.name === clusterName,
        ),
      ];
      const waiting = pkgs.filter((p) => {
        const c = conditions(p);
        return !(c['Available']?.status === 'True' && c['Progressing']?.status === 'False');
      });
      if (waiting.length > 0 || pkgs.length < names.length + 1)
        throw new Error(
          `${pkgs.length} packages; waiting for ${waiting.map((p) => `${p.metadata.name} ${JSON.stringify(conditions(p))}`).join('; ')}`,
        );
      return true;
    },
    150_000,
  );
}

/** `name{label names}` of every `package_operator_*` series in a Prometheus text exposition. */
function pkoSeriesShapes(text: string): string[] {
  const shapes = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^(package_operator_\w+)(?:\{(.*)\})? /.exec(line);
    if (m === null) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="(?:[^"\\]|\\.)*"/g)].map((l) => l[1] ?? '').sort();
    shapes.add(`${m[1] ?? ''}{${labels.join(',')}}`);
  }
  return [...shapes].sort();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** Until the engine has had nothing running and nothing due within a second for three seconds. */
async function gantryQuiet(engine: TestEngine): Promise<void> {
  let quietSince: number | undefined;
  await eventually(
    'the engine idle',
    () => {
      const s = engine.runner.workQueue.snapshot();
      const busy = s.running > 0 || s.due.some(([, at]) => at < Date.now() + 1_000);
      if (busy) quietSince = undefined;
      else quietSince ??= Date.now();
      return Promise.resolve(quietSince !== undefined && Date.now() - quietSince >= 3_000 ? true : undefined);
    },
    120_000,
  );
}

describe.skipIf('missing' in located)('migration between PKO v1.19.0 and Gantry', () => {
  it('PKO installs; Gantry takes over without a write; Gantry upgrades; PKO takes back without churn', async () => {
    const binary = 'path' in located ? located.path : '';
    const kubeconfig = inject('kube').kubeconfigPath;
    const admin = testClient();
    const pkoNs = await createNamespace(admin, 'pko-system');
    const ns = await createNamespace(admin, 'mig');
    const clusterName = `mig-cluster-${ns.split('-').pop() ?? ''}`;
    const images = await pushAll();
    let pko: PkoManager | undefined;
    let engine: TestEngine | undefined;
    try {
      engine = await startEngine();
      const kube = engine.engine.client;
      await engine.stop();
      engine = undefined;
      await kube.create({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'package-operator', namespace: pkoNs },
      });
      const metricsPort = await freePort();
      pko = startPkoManager(binary, kubeconfig, pkoNs, `127.0.0.1:${metricsPort}`);

      // 1. PKO installs everything.
      await kube.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'source', namespace: ns },
        data: { v: 'from-source' },
      });
      const packages = [
        pkg(ns, 'plain', { image: images['plain'] }),
        pkg(ns, 'templated', { image: images['templated'], config: { greeting: 'hi' } }),
        pkg(ns, 'multi', { image: images['multi'], component: 'backend' }),
        pkg(
          ns,
          'sliced',
          { image: images['sliced'] },
          { 'packages.package-operator.run/chunking-strategy': 'EachObject' },
        ),
        pkg(ns, 'guarded', { image: images['guarded'] }),
        pkg(ns, 'paused', { image: images['paused'] }),
      ];
      for (const p of packages) await kube.create(p);
      await kube.create({
        apiVersion: API_VERSION,
        kind: 'ClusterPackage',
        metadata: { name: clusterName },
        spec: { image: images['cluster'] },
      });
      await kube.create({
        apiVersion: API_VERSION,
        kind: 'ObjectTemplate',
        metadata: { name: 'tmpl', namespace: ns },
        spec: {
          template: `apiVersion: package-operator.run/v1alpha1
kind: Package
metadata:
  name: from-template
spec:
  image: ${images['templated']}
  config:
    greeting: {{ .config.v | quote }}
`,
          sources: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: 'source',
              items: [{ key: '.data.v', destination: '.v' }],
            },
          ],
        },
      });
      const names = [...packages.map((p) => p.metadata.name), 'from-template'];
      await allSettled(kube, ns, clusterName, names);
      await kube.mergePatch(
        { apiVersion: API_VERSION, kind: 'Package', namespace: ns, name: 'paused' },
        { spec: { paused: true } },
      );
      await eventually('the paused package Paused', async () => {
        const od = await kube.get({
          apiVersion: API_VERSION,
          kind: 'ObjectDeployment',
          namespace: ns,
          name: 'paused',
        });
        return conditions(od)['Paused']?.status === 'True' ? true : undefined;
      });
      expect(await kube.list(API_VERSION, 'ObjectSlice', ns)).not.toHaveLength(0);
      const pkoShapes = pkoSeriesShapes(
        await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      );
      await pko.stop();
      pko = undefined;
      const byPko = await snapshot(kube, [ns], clusterName);
      expect(Object.keys(byPko.objects).length).toBeGreaterThanOrEqual(9);

      // 2. Gantry takes over: nothing written, no revision, the same conditions.
      engine = await startEngine();
      await gantryQuiet(engine);
      const byGantry = await snapshot(kube, [ns], clusterName);
      expect(byGantry.objects).toEqual(byPko.objects);
      expect(byGantry.states).toEqual(byPko.states);

      // 3. Gantry upgrades two packages (one sliced: new slices) and changes another's config.
      await kube.mergePatch(
        { apiVersion: API_VERSION, kind: 'Package', namespace: ns, name: 'plain' },
        { spec: { image: images['plainV2'] } },
      );
      await kube.mergePatch(
        { apiVersion: API_VERSION, kind: 'Package', namespace: ns, name: 'sliced' },
        { spec: { image: images['slicedV2'] } },
      );
      await kube.mergePatch(
        { apiVersion: API_VERSION, kind: 'Package', namespace: ns, name: 'templated' },
        { spec: { config: { greeting: 'hey <you> & co' } } },
      );
      await eventually('the upgrade and the config change applied', async () => {
        const b = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'plain-b' });
        const g = await kube.get({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: ns,
          name: 'templated-greeting',
        });
        const s = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'sliced-2' });
        return (b['data'] as Record<string, string>)['b'] === 'two' &&
          (g['data'] as Record<string, string>)['text'] === 'hey <you> & co from templated' &&
          (s['data'] as Record<string, string>)['i'] === '20'
          ? true
          : undefined;
      });
      await allSettled(kube, ns, clusterName, names);
      await gantryQuiet(engine);
      // PKO's metrics, as PKO's manager showed them after the install: the same names and labels.
      expect(pkoSeriesShapes(await engine.engine.metrics.registry.metrics())).toEqual(pkoShapes);
      expect(pkoShapes).toHaveLength(8);
      await engine.stop();
      engine = undefined;
      const afterGantry = await snapshot(kube, [ns], clusterName);

      // 4. PKO takes back and carries on without churn: Gantry wrote PKO's own hashes (the ObjectSets' names and
      // `package-operator.run/hash`, the Packages' `unpackedHash`, the ObjectSlices' names), so PKO finds every
      // current revision, unpacks nothing again and makes no new revision or slice.
      pko = startPkoManager(binary, kubeconfig, pkoNs);
      await new Promise((r) => setTimeout(r, 20_000));
      await allSettled(kube, ns, clusterName, names);
      const afterPko = await snapshot(kube, [ns], clusterName);
      expect(changed(afterPko.objects, afterGantry.objects)).toEqual([]);
      expect(Object.keys(afterPko.objects)).toHaveLength(Object.keys(byPko.objects).length);
      expect(changed(afterPko.states, afterGantry.states)).toEqual([]);
      expect(changed(afterPko.unpacked, afterGantry.unpacked)).toEqual([]);
      // No new revision, no new or renamed slice, no re-unpack; nothing but PKO's own status rewrite.
      expect(Object.keys(afterPko.api).sort()).toEqual(Object.keys(afterGantry.api).sort());
      const rewritten = (s: Snapshot): Record<string, unknown> =>
        Object.fromEntries(Object.entries(s.api).map(([k, o]) => [k, withoutPkoRewrites(o)]));
      expect(changed(rewritten(afterPko), rewritten(afterGantry))).toEqual([]);
      const slices = (s: Snapshot): Record<string, unknown> =>
        Object.fromEntries(
          Object.entries(s.api)
            .filter(([k]) => k.startsWith('ObjectSlice/'))
            .map(([k, o]) => [k, o.metadata.resourceVersion]),
        );
      expect(slices(afterPko)).toEqual(slices(afterGantry));
      expect(Object.keys(slices(afterPko))).toHaveLength(6);
      const data = async (name: string): Promise<unknown> =>
        (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name }))['data'];
      expect(await data('plain-b')).toEqual({ b: 'two' });
      expect(await data('templated-greeting')).toEqual({ text: 'hey <you> & co from templated' });
      expect(await data('sliced-2')).toEqual({ i: '20' });
    } catch (error) {
      const lines = (pko?.log() ?? '').split('\n').filter((l) => l.includes('"error"'));
      if (lines.length > 0) console.error(`PKO's errors:\n${lines.slice(-20).join('\n')}`);
      throw error;
    } finally {
      await admin
        .request('DELETE', `/apis/${API_VERSION}/clusterpackages/${clusterName}`)
        .catch(() => undefined);
      await pko?.stop();
      await engine?.stop();
      await deleteNamespace(admin, ns);
      await deleteNamespace(admin, pkoNs);
    }
  }, 900_000);
});
