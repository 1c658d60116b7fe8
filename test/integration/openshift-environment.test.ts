/**
 * `.environment` and platform constraints as PKO v1.19.0 has them, on the real control plane: OpenShift's
 * `config.openshift.io` CRDs come from the openshift/api Go module at the version PKO's go.mod names. Without them a
 * package constrained to OpenShift is refused with PKO's message; with a ClusterVersion, the managed-OpenShift
 * ConfigMap and a cluster Proxy it installs, and its template sees the OpenShift version, the managed data and the
 * proxy. HyperShift is detected by its HostedCluster API, and a hosted control-plane namespace gets its HostedCluster.
 * Each engine probes the cluster once a minute (as PKO), so every part starts a new one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';
import {
  conditionsReach,
  eventually,
  getOrUndefined,
  manifest,
  pkgRef,
  pushPackage,
  startEngine,
  type TestEngine,
} from './setup/engine.js';
import { CONFIG_V1, createWithStatus, installOpenShiftCrds, removeOpenShiftCrds } from './setup/openshift.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const admin = testClient();
let ns: string;
let engine: TestEngine | undefined;

const CONSTRAINTS = `  constraints:
    - platform: [OpenShift]
    - platformVersion: {name: OpenShift, range: ">=4.14"}
`;

const TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .package.metadata.name }}-env
  annotations:
    package-operator.run/phase: deploy
data:
  openShift: {{ .environment.openShift | toJson | quote }}
  proxy: {{ .environment.proxy | toJson | quote }}
`;

async function pushConstrained(name: string, constraints: string): Promise<string> {
  return pushPackage(name, {
    'manifest.yaml': manifest(name, ['deploy'], constraints),
    'cm.yaml.gotmpl': TEMPLATE,
  });
}

async function createPackage(name: string, image: string, namespace = ns): Promise<void> {
  const r = await admin.create(`/apis/package-operator.run/v1alpha1/namespaces/${namespace}/packages`, {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: { name, namespace },
    spec: { image },
  });
  expect(r.status).toBe(201);
}

beforeAll(async () => {
  ns = await createNamespace(admin, 'openshift-env');
});

afterAll(async () => {
  await engine?.stop();
  await admin.delete(`${CONFIG_V1}/clusterversions/version`);
  await admin.delete(`${CONFIG_V1}/proxies/cluster`);
  await admin.delete('/api/v1/namespaces/openshift-config');
  await removeOpenShiftCrds(admin);
  await deleteNamespace(admin, ns);
});

describe('PKO v1.19.0 environment: OpenShift, managed OpenShift and the cluster proxy', () => {
  it('refuses a package constrained to OpenShift where OpenShift is not', async () => {
    engine = await startEngine();
    const image = await pushConstrained('os-refused', CONSTRAINTS);
    await createPackage('os-refused', image);
    await conditionsReach(engine.engine.client, pkgRef(ns, 'os-refused'), {
      Invalid: {
        status: 'True',
        reason: 'ConstraintsFailed',
        message: 'Constraints not met: OpenShift platform',
      },
    });
    await engine.stop();
    engine = undefined;
  });

  it('installs it on OpenShift, and its template sees the OpenShift version, the managed data and the proxy', async () => {
    await installOpenShiftCrds(admin);
    const time = '2026-01-01T00:00:00Z';
    await createWithStatus(
      admin,
      `${CONFIG_V1}/clusterversions`,
      {
        apiVersion: 'config.openshift.io/v1',
        kind: 'ClusterVersion',
        metadata: { name: 'version' },
        spec: { clusterID: '6b5f9c4e-0f5c-4d8e-9a39-0d6c7d7d0f00' },
      },
      {
        desired: { image: 'quay.io/openshift-release-dev/ocp-release@sha256:1', version: '4.16.2' },
        history: [
          {
            state: 'Partial',
            version: '4.16.2',
            image: 'x',
            startedTime: time,
            completionTime: null,
            verified: true,
          },
          {
            state: 'Completed',
            version: '4.15.3',
            image: 'y',
            startedTime: time,
            completionTime: time,
            verified: true,
          },
        ],
        observedGeneration: 1,
        versionHash: 'h',
        availableUpdates: null,
      },
    );
    await createWithStatus(
      admin,
      `${CONFIG_V1}/proxies`,
      { apiVersion: 'config.openshift.io/v1', kind: 'Proxy', metadata: { name: 'cluster' }, spec: {} },
      { httpProxy: 'http://proxy.example:3128', noProxy: '.cluster.local,.svc' },
    );
    expect(
      (await admin.create('/api/v1/namespaces', { metadata: { name: 'openshift-config' } })).status,
    ).toBe(201);
    const cm = await admin.create('/api/v1/namespaces/openshift-config/configmaps', {
      metadata: { name: 'osd-cluster-metadata' },
      data: { product: 'rosa' },
    });
    expect(cm.status).toBe(201);

    engine = await startEngine();
    const kube = engine.engine.client;
    const image = await pushConstrained('os-ok', CONSTRAINTS);
    await createPackage('os-ok', image);
    await conditionsReach(kube, pkgRef(ns, 'os-ok'), {
      Available: { status: 'True', reason: 'Available', message: 'Latest Revision is Available.' },
    });
    const data = await eventually('the environment ConfigMap', async () => {
      const object = await getOrUndefined(kube, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: ns,
        name: 'os-ok-env',
      });
      return object?.['data'];
    });
    expect(data).toEqual({
      openShift: '{"managed":{"data":{"product":"rosa"}},"version":"4.15.3"}',
      proxy: '{"httpProxy":"http://proxy.example:3128","noProxy":".cluster.local,.svc"}',
    });

    const newer = await pushConstrained(
      'os-too-old',
      `  constraints:\n    - platformVersion: {name: OpenShift, range: ">=4.16"}\n`,
    );
    await createPackage('os-too-old', newer);
    await conditionsReach(kube, pkgRef(ns, 'os-too-old'), {
      Invalid: {
        status: 'True',
        reason: 'ConstraintsFailed',
        message: 'Constraints not met: OpenShift 4.15.3 does not meet constraint >=4.16',
      },
    });
  });

  it('detects HyperShift by its HostedCluster API and gives a hosted control-plane namespace its HostedCluster', async () => {
    await engine?.stop();
    // HyperShift's CRD lives in its own repository: a structural stand-in of the same group, version and kind.
    const crd = await admin.create(CRDS, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'hostedclusters.hypershift.openshift.io' },
      spec: {
        group: 'hypershift.openshift.io',
        scope: 'Namespaced',
        names: {
          kind: 'HostedCluster',
          plural: 'hostedclusters',
          singular: 'hostedcluster',
          listKind: 'HostedClusterList',
        },
        versions: [
          {
            name: 'v1beta1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    expect(crd.status).toBe(201);
    await eventually('HostedClusters served', async () =>
      (await admin.get(`/apis/hypershift.openshift.io/v1beta1/namespaces/${ns}/hostedclusters`)).status ===
      200
        ? true
        : undefined,
    );
    const hc = await admin.create(`/apis/hypershift.openshift.io/v1beta1/namespaces/${ns}/hostedclusters`, {
      apiVersion: 'hypershift.openshift.io/v1beta1',
      kind: 'HostedCluster',
      metadata: { name: 'my.hc', namespace: ns, labels: { team: 'a' } },
      spec: { nodeSelector: { role: 'infra' } },
    });
    expect(hc.status).toBe(201);
    const controlPlane = `${ns}-my-hc`;
    expect((await admin.create('/api/v1/namespaces', { metadata: { name: controlPlane } })).status).toBe(201);
    try {
      engine = await startEngine();
      const kube = engine.engine.client;
      const image = await pushPackage('hs', {
        'manifest.yaml': manifest('hs', ['deploy']),
        'cm.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: hs-env
  annotations:
    package-operator.run/phase: deploy
data:
  hyperShift: {{ .environment.hyperShift | toJson | quote }}
`,
      });
      await createPackage('hs', image, controlPlane);
      await createPackage('hs', image, ns);
      const dataIn = async (namespace: string): Promise<unknown> =>
        eventually(`the ConfigMap in ${namespace}`, async () => {
          const object = await getOrUndefined(kube, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            namespace,
            name: 'hs-env',
          });
          return object?.['data'];
        });
      expect(await dataIn(controlPlane)).toEqual({
        hyperShift: `{"hostedCluster":{"hostedClusterNamespace":"${controlPlane}","metadata":{"annotations":null,"labels":{"team":"a"},"name":"my.hc","namespace":"${ns}"},"nodeSelector":{"role":"infra"}}}`,
      });
      expect(await dataIn(ns)).toEqual({ hyperShift: '{"hostedCluster":null}' });
    } finally {
      await admin.delete(`${CRDS}/hostedclusters.hypershift.openshift.io`);
      await deleteNamespace(admin, controlPlane);
    }
  });
});
