/**
 * (Cluster)ObjectTemplate end to end against the real control plane: sources read and watched, items through
 * kubectl's JSONPath, the Go template rendered, the output created with a controller reference and kept in
 * sync within seconds of a source change, PKO's conditions for bad sources and templates (nothing applied
 * lost), and the classic use: a ClusterObjectTemplate that configures a Package from a ConfigMap and a Secret.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import {
  conditions,
  configMap,
  eventually,
  getOrUndefined,
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

const API = 'package-operator.run/v1alpha1';
const INVALID = 'package-operator.run/Invalid';

const cmRef = (ns: string, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name,
});
const otRef = (ns: string, name: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ObjectTemplate',
  namespace: ns,
  name,
});
const cotRef = (name: string): ObjectRef => ({
  apiVersion: API,
  kind: 'ClusterObjectTemplate',
  namespace: '',
  name,
});

async function exists(ref: ObjectRef): Promise<KubeObject | undefined> {
  return getOrUndefined(kube, ref);
}

function dataOf(object: KubeObject | undefined): unknown {
  return object?.['data'];
}

function statusOf(object: KubeObject): Record<string, unknown> {
  const s = object['status'];
  return typeof s === 'object' && s !== null ? { ...s } : {};
}

async function createConfigMap(ns: string, name: string, data: Record<string, string>): Promise<void> {
  await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });
}

async function createSecret(ns: string, name: string, data: Record<string, string>): Promise<void> {
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    stringData: data,
  });
}

function sorted(data: unknown): string {
  return typeof data === 'object' && data !== null
    ? JSON.stringify(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)))
    : JSON.stringify(data);
}

/** Wait for the output ConfigMap to hold exactly `data` (the error names what it held last). */
async function outputData(
  ref: ObjectRef,
  data: Record<string, string>,
  timeoutMs = 60_000,
): Promise<KubeObject> {
  let last: unknown;
  try {
    return await eventually(
      `${ref.name} data ${JSON.stringify(data)}`,
      async () => {
        const o = await exists(ref);
        last = dataOf(o);
        return sorted(last) === sorted(data) ? o : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; last: ${JSON.stringify(last)}`,
    );
  }
}

async function invalidOf(
  ref: ObjectRef,
): Promise<{ status: string; reason: string; message: string } | undefined> {
  return conditions(await kube.get(ref))[INVALID];
}

const OUTPUT_TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: out
  labels:
    made-by: template
data:
  host: {{ .config.db.host | quote }}
  replicas: "{{ .config.replicas }}"
  replicasKind: {{ kindOf .config.replicas | quote }}
  password: {{ (b64decMap .config.secret).password | quote }}
  names: {{ .config.names | toJson | quote }}
  kube: {{ hasPrefix "v1." .environment.kubernetes.version | quote }}
`;

function sources(ns: string): unknown[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'db',
      items: [
        { key: '.data.host', destination: '.db.host' },
        { key: '{.metadata.labels.tier}', destination: '.tier' },
      ],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      namespace: ns,
      items: [
        { key: 'spec.replicas', destination: '.replicas' },
        { key: '{.spec.template.spec.containers[*].name}', destination: '.names' },
      ],
    },
    { apiVersion: 'v1', kind: 'Secret', name: 'creds', items: [{ key: '.data', destination: '.secret' }] },
  ];
}

async function createSources(ns: string): Promise<void> {
  await kube.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'db', namespace: ns, labels: { tier: 'backend' } },
    data: { host: 'db-1.local' },
  });
  await createSecret(ns, 'creds', { password: 'hunter2' });
  await kube.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'app', image: 'registry.k8s.io/pause:3.10' },
            { name: 'sidecar', image: 'registry.k8s.io/pause:3.10' },
          ],
        },
      },
    },
  });
}

describe('ObjectTemplate', () => {
  it('renders its sources into one object with a controller reference, and keeps it in sync within 5 s', async () => {
    const ns = await namespace('ot-sync');
    await createSources(ns);
    await kube.create({
      apiVersion: API,
      kind: 'ObjectTemplate',
      metadata: { name: 'tmpl', namespace: ns },
      spec: { template: OUTPUT_TEMPLATE, sources: sources(ns) },
    });
    const out = await outputData(cmRef(ns, 'out'), {
      host: 'db-1.local',
      replicas: '3',
      replicasKind: 'float64',
      password: 'hunter2',
      names: '["app","sidecar"]',
      kube: 'true',
    });
    const ot = await eventually('controllerOf', async () => {
      const o = await kube.get(otRef(ns, 'tmpl'));
      return statusOf(o)['controllerOf'] !== undefined ? o : undefined;
    });
    expect(out.metadata.labels).toEqual({ 'made-by': 'template', 'package-operator.run/cache': 'True' });
    expect(out.metadata.ownerReferences).toEqual([
      {
        apiVersion: API,
        kind: 'ObjectTemplate',
        name: 'tmpl',
        uid: ot.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(ot.metadata.finalizers).toEqual(['package-operator.run/cached']);
    expect(statusOf(ot)['controllerOf']).toEqual({
      kind: 'ConfigMap',
      group: '',
      version: 'v1',
      name: 'out',
      namespace: ns,
    });
    expect(conditions(ot)[INVALID]).toBeUndefined();
    for (const source of [cmRef(ns, 'db'), { ...cmRef(ns, 'creds'), kind: 'Secret' }])
      expect((await kube.get(source)).metadata.labels?.['package-operator.run/cache']).toBe('True');

    const started = Date.now();
    await kube.mergePatch(cmRef(ns, 'db'), { data: { host: 'db-2.local' } });
    await outputData(
      cmRef(ns, 'out'),
      {
        host: 'db-2.local',
        replicas: '3',
        replicasKind: 'float64',
        password: 'hunter2',
        names: '["app","sidecar"]',
        kube: 'true',
      },
      5_000,
    );
    expect(Date.now() - started).toBeLessThan(5_000);

    // A change by hand to the output is put back on the next step (a source event here).
    await kube.mergePatch(cmRef(ns, 'out'), { data: { host: 'by-hand' } });
    await kube.mergePatch(
      { ...cmRef(ns, 'creds'), kind: 'Secret' },
      { stringData: { password: 'swordfish' } },
    );
    const synced = await outputData(
      cmRef(ns, 'out'),
      {
        host: 'db-2.local',
        replicas: '3',
        replicasKind: 'float64',
        password: 'swordfish',
        names: '["app","sidecar"]',
        kube: 'true',
      },
      5_000,
    );
    expect(synced.metadata.labels?.['made-by']).toBe('template');
  });

  it('an optional Secret that appears later: rendered without it first, with it after the 60 s retry', async () => {
    const ns = await namespace('ot-optional');
    await createConfigMap(ns, 'base', { greeting: 'hello' });
    await kube.create({
      apiVersion: API,
      kind: 'ObjectTemplate',
      metadata: { name: 'opt', namespace: ns },
      spec: {
        template: `apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
data:
  greeting: {{ .config.greeting | quote }}
  token: {{ if hasKey .config "token" }}{{ .config.token | b64dec | quote }}{{ else }}"none"{{ end }}
`,
        sources: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'base',
            items: [{ key: '.data.greeting', destination: '.greeting' }],
          },
          {
            apiVersion: 'v1',
            kind: 'Secret',
            name: 'token',
            optional: true,
            items: [{ key: '.data.token', destination: '.token' }],
          },
        ],
      },
    });
    await outputData(cmRef(ns, 'greeting'), { greeting: 'hello', token: 'none' });
    const ot = await kube.get(otRef(ns, 'opt'));
    expect(conditions(ot)[INVALID]).toBeUndefined();
    const progress = statusOf(ot)['progress'] as { step: string; nextAttemptTime: string };
    expect(progress.step).toBe('template');
    const due = Date.parse(progress.nextAttemptTime) - Date.now();
    expect(due).toBeGreaterThan(40_000);
    expect(due).toBeLessThanOrEqual(61_000);

    await createSecret(ns, 'token', { token: 's3cret' });
    await outputData(cmRef(ns, 'greeting'), { greeting: 'hello', token: 's3cret' }, 75_000);
  });

  it('a required source that is missing: SourceError with the NotFound message, retried after 30 s', async () => {
    const ns = await namespace('ot-missing');
    await kube.create({
      apiVersion: API,
      kind: 'ObjectTemplate',
      metadata: { name: 'miss', namespace: ns },
      spec: {
        template:
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  v: {{ .config.v | quote }}\n',
        sources: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'later',
            items: [{ key: '.data.v', destination: '.v' }],
          },
        ],
      },
    });
    const c = await eventually('SourceError', async () => invalidOf(otRef(ns, 'miss')));
    expect(c).toEqual({
      status: 'True',
      reason: 'SourceError',
      message: `for source ConfigMap ${ns}/later: configmaps "later" not found`,
    });
    const progress = statusOf(await kube.get(otRef(ns, 'miss')))['progress'] as { nextAttemptTime: string };
    expect(Date.parse(progress.nextAttemptTime) - Date.now()).toBeGreaterThan(20_000);
    await createConfigMap(ns, 'later', { v: 'here' });
    await outputData(cmRef(ns, 'm'), { v: 'here' }, 45_000);
    // The step applies the output, then writes the status that drops Invalid.
    await eventually('Invalid dropped', async () =>
      (await invalidOf(otRef(ns, 'miss'))) === undefined ? true : undefined,
    );
  });
});

describe('bad input: a clear condition, nothing applied lost', () => {
  const good = `apiVersion: v1
kind: ConfigMap
metadata:
  name: kept
data:
  v: {{ .config.v | quote }}
`;
  const goodSources = [
    { apiVersion: 'v1', kind: 'ConfigMap', name: 'src', items: [{ key: '.data.v', destination: '.v' }] },
  ];

  it.each([
    [
      'a source of a kind the server does not serve',
      { sources: [...goodSources, { apiVersion: 'example.com/v1', kind: 'Nope', name: 'x', items: [] }] },
      'SourceError',
      'for source Nope /x: Nope /x: example.com/v1, Kind=Nope not registered on the api server.',
    ],
    [
      'a JSONPath that does not parse',
      { sources: [{ ...goodSources[0], items: [{ key: '.data[', destination: '.v' }] }] },
      'SourceError',
      'for source ConfigMap NS/src: invalid JSONPath ".data[": unclosed "[" at position 6',
    ],
    [
      'a key that is not there',
      { sources: [{ ...goodSources[0], items: [{ key: '.data.nope', destination: '.v' }] }] },
      'SourceError',
      'for source ConfigMap NS/src: nope is not found',
    ],
    [
      'a destination without a leading dot',
      { sources: [{ ...goodSources[0], items: [{ key: '.data.v', destination: 'v' }] }] },
      'SourceError',
      'for source ConfigMap NS/src: path v must be a JSONPath with a leading dot',
    ],
    [
      'a template error',
      { template: good.replace('.config.v', '.config.w') },
      'TemplateError',
      'template: :6:15: at <.config.w>: map has no entry for key "w"',
    ],
    [
      'a template that does not parse',
      { template: '{{ .config.v' },
      'TemplateError',
      'template: :1: unclosed action',
    ],
    [
      'an output of two documents',
      { template: `${good}---\n${good.replace('name: kept', 'name: other')}` },
      'TemplateError',
      'rendered template must contain exactly one object, found 2 documents',
    ],
    [
      'an output of none',
      { template: '{{ if false }}x: 1{{ end }}\n' },
      'TemplateError',
      'rendered template must contain exactly one object, found none',
    ],
    [
      'an output in another namespace',
      { template: good.replace('name: kept', 'name: kept\n  namespace: kube-system') },
      'SourceError',
      'for source ConfigMap kube-system/kept: ConfigMap kube-system/kept: Must stay within the same namespace.',
    ],
  ])('%s', async (_what, change, reason, message) => {
    const ns = await namespace('ot-bad');
    await createConfigMap(ns, 'src', { v: 'one' });
    await kube.create({
      apiVersion: API,
      kind: 'ObjectTemplate',
      metadata: { name: 't', namespace: ns },
      spec: { template: good, sources: goodSources },
    });
    const before = await outputData(cmRef(ns, 'kept'), { v: 'one' });
    // The output is applied before the step's status write records it: wait for the state asserted below.
    await eventually('controllerOf recorded', async () =>
      statusOf(await kube.get(otRef(ns, 't')))['controllerOf'] !== undefined ? true : undefined,
    );
    await kube.mergePatch(otRef(ns, 't'), { spec: change });
    const c = await eventually(`Invalid ${reason}`, async () => {
      const i = await invalidOf(otRef(ns, 't'));
      return i?.reason === reason ? i : undefined;
    });
    expect(c).toEqual({ status: 'True', reason, message: message.replace('NS/', `${ns}/`) });
    const ot = await kube.get(otRef(ns, 't'));
    expect(statusOf(ot)['controllerOf']).toEqual({
      kind: 'ConfigMap',
      group: '',
      version: 'v1',
      name: 'kept',
      namespace: ns,
    });
    const after = await kube.get(cmRef(ns, 'kept'));
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(dataOf(after)).toEqual({ v: 'one' });
    expect(await exists(cmRef(ns, 'other'))).toBeUndefined();
    expect(await exists(cmRef('kube-system', 'kept'))).toBeUndefined();
    // Fixed: the condition goes, the output follows the source again.
    await kube.update({ ...ot, spec: { template: good, sources: goodSources } });
    await kube.mergePatch(cmRef(ns, 'src'), { data: { v: 'two' } });
    await outputData(cmRef(ns, 'kept'), { v: 'two' });
    await eventually('Invalid removed', async () =>
      (await invalidOf(otRef(ns, 't'))) === undefined ? true : undefined,
    );
  });
});

describe('the classic use: a ClusterObjectTemplate configures a Package', () => {
  const files = {
    'manifest.yaml': manifest(
      'greeter',
      ['deploy'],
      `  config:
    openAPIV3Schema:
      type: object
      required: [greeting, password]
      properties:
        greeting: {type: string}
        password: {type: string}
`,
    ),
    'greeting.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
  annotations:
    package-operator.run/phase: deploy
data:
  greeting: {{ .config.greeting | quote }}
  passwordLength: "{{ len .config.password }}"
`,
    'unused.yaml': configMap('unused', 'deploy', { x: 'y' }),
  };

  it('builds the Package config from a ConfigMap and a Secret; a ConfigMap change makes a new revision', async () => {
    const ns = await namespace('cot-pkg');
    const image = await pushPackage('greeter', files);
    await createConfigMap(ns, 'settings', { greeting: 'hello' });
    await createSecret(ns, 'creds', { password: 'hunter2' });
    const name = `${ns}-pkg`;
    await kube.create({
      apiVersion: API,
      kind: 'ClusterObjectTemplate',
      metadata: { name },
      spec: {
        template: `apiVersion: package-operator.run/v1alpha1
kind: Package
metadata:
  name: app
  namespace: ${ns}
spec:
  image: ${image}
  config:
    greeting: {{ .config.greeting | quote }}
    password: {{ .config.password | b64dec | quote }}
`,
        sources: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'settings',
            namespace: ns,
            items: [{ key: '.data.greeting', destination: '.greeting' }],
          },
          {
            apiVersion: 'v1',
            kind: 'Secret',
            name: 'creds',
            namespace: ns,
            items: [{ key: '.data.password', destination: '.password' }],
          },
        ],
      },
    });
    try {
      const pkg = await eventually('Package Available', async () => {
        const p = await exists(pkgRef(ns, 'app'));
        return p !== undefined && conditions(p)['Available']?.status === 'True' ? p : undefined;
      });
      expect(pkg['spec']).toEqual({ image, config: { greeting: 'hello', password: 'hunter2' } });
      expect(pkg.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ClusterObjectTemplate',
        name,
        controller: true,
      });
      expect(dataOf(await kube.get(cmRef(ns, 'greeting')))).toEqual({
        greeting: 'hello',
        passwordLength: '7',
      });
      // The Package's current conditions are reported on the template.
      const cot = await eventually('Available copied', async () => {
        const o = await kube.get(cotRef(name));
        return conditions(o)['Available']?.status === 'True' ? o : undefined;
      });
      expect(conditions(cot)['Available']).toEqual({
        status: 'True',
        reason: 'Available',
        message: 'Latest Revision is Available.',
      });
      expect(statusOf(cot)['controllerOf']).toEqual({
        kind: 'Package',
        group: 'package-operator.run',
        version: 'v1alpha1',
        name: 'app',
        namespace: ns,
      });

      await kube.mergePatch(cmRef(ns, 'settings'), { data: { greeting: 'bonjour' } });
      await eventually('revision 2 Available and idle', async () => {
        const p = await kube.get(pkgRef(ns, 'app'));
        const c = conditions(p);
        return statusOf(p)['revision'] === 2 &&
          c['Available']?.status === 'True' &&
          c['Progressing']?.reason === 'Idle'
          ? p
          : undefined;
      });
      expect(dataOf(await kube.get(cmRef(ns, 'greeting')))).toEqual({
        greeting: 'bonjour',
        passwordLength: '7',
      });
      const sets = await kube.list(API, 'ObjectSet', ns);
      expect(sets.map((s) => (s['spec'] as { revision: number }).revision).sort()).toEqual([1, 2]);
    } finally {
      await kube.delete(cotRef(name));
    }
    await eventually('template gone', async () =>
      (await exists(cotRef(name))) === undefined ? true : undefined,
    );
  });
});
