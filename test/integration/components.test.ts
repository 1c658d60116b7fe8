/**
 * The components are real: Kubernetes' own API server enforces our CRD schemas, defaults and CEL rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { CliIO } from '../../cli/command.js';
import { parseAllDocuments } from 'yaml';
import { join } from 'node:path';
import type { KubeClient } from '../../devenv/kube.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

let client: KubeClient;
let ns: string;

beforeAll(async () => {
  client = testClient();
  ns = await createNamespace(client, 'components');
});

afterAll(async () => {
  await deleteNamespace(client, ns);
});

const objectSet = (name: string, namespace: string, phase: string): unknown => ({
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'ObjectSet',
  metadata: { name, namespace },
  spec: {
    revision: 1,
    phases: [
      {
        name: phase,
        objects: [
          { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } } },
        ],
      },
    ],
  },
});

describe('real control plane', () => {
  it('serves all thirteen package-operator.run kinds, HyperShift’s HostedClusterPackage included', async () => {
    const r = await client.get('/apis/package-operator.run/v1alpha1');
    const kinds = (r.body as { resources: { kind: string; name: string }[] }).resources
      .filter((x) => !x.name.includes('/'))
      .map((x) => x.kind)
      .sort();
    expect(kinds).toEqual([
      'ClusterObjectDeployment',
      'ClusterObjectSet',
      'ClusterObjectSetPhase',
      'ClusterObjectSlice',
      'ClusterObjectTemplate',
      'ClusterPackage',
      'HostedClusterPackage',
      'ObjectDeployment',
      'ObjectSet',
      'ObjectSetPhase',
      'ObjectSlice',
      'ObjectTemplate',
      'Package',
    ]);
  });

  it('rejects an ObjectSet update that changes spec.phases with "phases is immutable"', async () => {
    const path = `/apis/package-operator.run/v1alpha1/namespaces/${ns}/objectsets`;
    const created = await client.create(path, objectSet('immutable', ns, 'deploy'));
    expect(created.status).toBe(201);
    const stored = created.body as {
      metadata: { resourceVersion: string };
      spec: { lifecycleState: string; phases: { objects: { collisionProtection: string }[] }[] };
    };
    expect(stored.spec.lifecycleState).toBe('Active');
    expect(stored.spec.phases[0]!.objects[0]!.collisionProtection).toBe('Prevent');
    const changed = objectSet('immutable', ns, 'other') as { metadata: Record<string, unknown> };
    changed.metadata['resourceVersion'] = stored.metadata.resourceVersion;
    const r = await client.put(`${path}/immutable`, changed);
    expect(r.status).toBe(422);
    expect((r.body as { message: string }).message).toBe(
      'ObjectSet.package-operator.run "immutable" is invalid: spec: Invalid value: phases is immutable',
    );
  });

  it('still lets lifecycleState change on an ObjectSet', async () => {
    const path = `/apis/package-operator.run/v1alpha1/namespaces/${ns}/objectsets`;
    await client.create(path, objectSet('pausable', ns, 'deploy'));
    const r = await client.request(
      'PATCH',
      `${path}/pausable`,
      { spec: { lifecycleState: 'Paused' } },
      'application/merge-patch+json',
    );
    expect(r.status).toBe(200);
    expect((r.body as { spec: { lifecycleState: string } }).spec.lifecycleState).toBe('Paused');
  });

  it('rejects a ClusterPackage without spec.image by schema validation', async () => {
    const r = await client.create('/apis/package-operator.run/v1alpha1/clusterpackages', {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ClusterPackage',
      metadata: { name: 'no-image' },
      spec: {},
    });
    expect(r.status).toBe(422);
    expect((r.body as { message: string }).message).toBe(
      'ClusterPackage.package-operator.run "no-image" is invalid: spec.image: Required value',
    );
  });

  it('rejects an ObjectSlice whose objects change with "objects is immutable"', async () => {
    const path = `/apis/package-operator.run/v1alpha1/namespaces/${ns}/objectslices`;
    const slice = {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectSlice',
      metadata: { name: 's', namespace: ns },
      objects: [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } } }],
    };
    const created = await client.create(path, slice);
    expect(created.status).toBe(201);
    const r = await client.request(
      'PATCH',
      `${path}/s`,
      { objects: [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } } }] },
      'application/merge-patch+json',
    );
    expect(r.status).toBe(422);
    expect((r.body as { message: string }).message).toBe(
      'ObjectSlice.package-operator.run "s" is invalid: objects: Invalid value: objects is immutable',
    );
  });

  it('stores exactly what `gantry render` prints (CRD defaults already applied)', async () => {
    let out = '';
    const io: CliIO = {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      cwd: join(import.meta.dirname, '..', '..', 'examples'),
      isTTY: false,
    };
    expect(
      await main(
        [
          'render',
          'templated',
          '--config-testcase',
          'prod',
          '-n',
          ns,
          '--name',
          'web',
          '--image',
          'registry.example.com/templated:v1',
        ],
        io,
      ),
    ).toBe(0);
    const [od] = parseAllDocuments(out).map(
      (d) => d.toJS() as { spec: unknown; metadata: { labels: unknown; annotations: unknown } },
    );
    const r = await client.create(
      `/apis/package-operator.run/v1alpha1/namespaces/${ns}/objectdeployments?dryRun=All`,
      od,
    );
    expect(r.status).toBe(201);
    const stored = r.body as { spec: unknown; metadata: { labels: unknown; annotations: unknown } };
    expect(stored.spec).toEqual(od!.spec);
    expect(stored.metadata.labels).toEqual(od!.metadata.labels);
    expect(stored.metadata.annotations).toEqual(od!.metadata.annotations);
  });
});
