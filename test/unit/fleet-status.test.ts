/**
 * `gantry fleet status` on the in-memory API server: the views of HostedClusterPackages over HostedClusters and
 * their Packages, the kubectl-like table and the JSON.
 */
import { describe, expect, it } from 'vitest';
import { fleetViews } from '../../cli/commands/fleet.js';
import { fleetTable } from '../../shared/hypershift/fleet-view.js';
import { FakeKube } from '../fakes/kube.js';

const API = 'package-operator.run/v1alpha1';
const NEW = { image: 'registry.example/app:v2' };
const OLD = { image: 'registry.example/app:v1' };

function hostedCluster(kube: FakeKube, name: string, labels: Record<string, string>): void {
  kube.put({
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { name, namespace: 'clusters', uid: `${name}-uid`, labels },
    status: { conditions: [{ type: 'Available', status: 'True' }] },
  });
}

function pkg(
  kube: FakeKube,
  namespace: string,
  spec: Record<string, unknown>,
  conditions: Record<string, string>,
  revision?: number,
): void {
  kube.put({
    apiVersion: API,
    kind: 'Package',
    metadata: { name: 'app', namespace, generation: 3 },
    spec,
    status: {
      ...(revision !== undefined ? { revision } : {}),
      conditions: Object.entries(conditions).map(([type, status]) => ({
        type,
        status,
        observedGeneration: 3,
      })),
    },
  });
}

function fleet(): FakeKube {
  const kube = new FakeKube();
  hostedCluster(kube, 'alpha', { fleet: 'yes', wave: 'canary' });
  hostedCluster(kube, 'bravo.x', { fleet: 'yes', wave: 'main' });
  hostedCluster(kube, 'charlie', { fleet: 'yes' });
  hostedCluster(kube, 'other', {});
  pkg(kube, 'clusters-alpha', NEW, { Available: 'False', Progressing: 'False', Unpacked: 'False' }, 2);
  pkg(
    kube,
    'clusters-bravo-x',
    { ...OLD, paused: true },
    { Available: 'True', Progressing: 'False', Paused: 'True' },
    1,
  );
  kube.put({
    apiVersion: API,
    kind: 'HostedClusterPackage',
    metadata: {
      name: 'app',
      uid: 'hcpkg-uid',
      generation: 2,
      annotations: { 'gantry.run/max-failed-clusters': '0' },
    },
    spec: {
      hostedClusterSelector: { matchLabels: { fleet: 'yes' } },
      strategy: { rollingUpgrade: { maxUnavailable: 1 } },
      partition: { labelKey: 'wave', order: { static: ['canary', 'main', '*'] } },
      template: { spec: { ...NEW, paused: false } },
    },
    status: {
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'RolloutStopped',
          message:
            '1 updated packages failed, more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  });
  kube.put({
    apiVersion: API,
    kind: 'HostedClusterPackage',
    metadata: { name: 'base', uid: 'base-uid', generation: 1 },
    spec: { template: { spec: OLD } },
  });
  return kube;
}

describe('gantry fleet status', () => {
  it('prints per HostedClusterPackage its progress line and a row per selected HostedCluster (its Package: the one named after it)', async () => {
    const out = fleetTable(await fleetViews(fleet(), undefined));
    expect(out).toBe(
      [
        'HostedClusterPackage app: 1/3 updated, 1 available, 1 paused, stopped: 1 updated packages failed, more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
        'CLUSTER            PARTITION   REVISION       AVAILABLE   PROGRESSING   UPDATED',
        'clusters/alpha     canary      2              False       False         yes',
        'clusters/bravo.x   main        1              True        False         no',
        'clusters/charlie   *           <no package>   Unknown     Unknown       no',
        '',
        'HostedClusterPackage base: 0/4 updated, 0 available, 0 paused',
        'CLUSTER            REVISION       AVAILABLE   PROGRESSING   UPDATED',
        'clusters/alpha     <no package>   Unknown     Unknown       no',
        'clusters/bravo.x   <no package>   Unknown     Unknown       no',
        'clusters/charlie   <no package>   Unknown     Unknown       no',
        'clusters/other     <no package>   Unknown     Unknown       no',
        '',
      ].join('\n'),
    );
  });

  it('shows one HostedClusterPackage by name, as JSON too; an unknown name is an error', async () => {
    const kube = fleet();
    const views = await fleetViews(kube, 'app');
    expect(views.map((v) => v.name)).toEqual(['app']);
    expect(JSON.parse(JSON.stringify(views))).toEqual([
      {
        name: 'app',
        progress: {
          updated: 1,
          total: 3,
          available: 1,
          paused: 1,
          stopped:
            '1 updated packages failed, more than the 0 allowed by gantry.run/max-failed-clusters: rollout stopped.',
        },
        rows: [
          {
            cluster: 'clusters/alpha',
            partition: 'canary',
            hasPackage: true,
            revision: 2,
            available: 'False',
            progressing: 'False',
            updated: true,
          },
          {
            cluster: 'clusters/bravo.x',
            partition: 'main',
            hasPackage: true,
            revision: 1,
            available: 'True',
            progressing: 'False',
            updated: false,
          },
          {
            cluster: 'clusters/charlie',
            partition: '*',
            hasPackage: false,
            available: 'Unknown',
            progressing: 'Unknown',
            updated: false,
          },
        ],
      },
    ]);
    await expect(fleetViews(kube, 'missing')).rejects.toThrow('hostedclusterpackage "missing" not found');
    expect(fleetTable([])).toBe('No HostedClusterPackages found.\n');
  });
});
