import { describe, expect, it } from 'vitest';
import { clusterEnvironment, environmentIn } from './environment.js';

const clusterVersion = {
  apiVersion: 'config.openshift.io/v1',
  kind: 'ClusterVersion',
  metadata: { name: 'version' },
  status: {
    history: [
      { state: 'Partial', version: '4.16.1' },
      { state: 'Completed', version: '4.15.3' },
      { state: 'Completed', version: '4.14.9' },
    ],
  },
};

describe('the environment, as PKO v1.19.0 probes it', () => {
  it('is the Kubernetes version alone on a plain cluster (a Proxy without OpenShift is not read)', () => {
    expect(
      clusterEnvironment({
        kubernetesVersion: 'v1.37.2',
        proxy: { status: { httpProxy: 'http://p:3128' } },
        hyperShift: false,
      }),
    ).toEqual({ kubernetes: { version: 'v1.37.2' } });
  });

  it('takes the OpenShift version from the newest completed update, the managed data and the proxy status', () => {
    expect(
      clusterEnvironment({
        kubernetesVersion: 'v1.30.4',
        clusterVersion,
        managedConfigMap: { metadata: { name: 'osd-cluster-metadata' }, data: { product: 'rosa' } },
        proxy: {
          spec: { httpProxy: 'ignored' },
          status: { httpProxy: 'http://p:3128', noProxy: '.cluster.local' },
        },
        hyperShift: false,
      }),
    ).toEqual({
      kubernetes: { version: 'v1.30.4' },
      openShift: { version: '4.15.3', managed: { data: { product: 'rosa' } } },
      proxy: { httpProxy: 'http://p:3128', noProxy: '.cluster.local' },
    });
  });

  it('says version "" before any update completed, data null for an empty ConfigMap, and no proxy when it sets nothing', () => {
    expect(
      clusterEnvironment({
        kubernetesVersion: 'v1.30.4',
        clusterVersion: { status: { history: [{ state: 'Partial', version: '4.16.0' }] } },
        managedConfigMap: { metadata: { name: 'osd-cluster-metadata' } },
        proxy: { status: { httpProxy: '', httpsProxy: '' } },
        hyperShift: false,
      }),
    ).toEqual({ kubernetes: { version: 'v1.30.4' }, openShift: { version: '', managed: { data: null } } });
  });

  it('fills hyperShift.hostedCluster for a hosted control-plane namespace only', () => {
    const cluster = clusterEnvironment({ kubernetesVersion: 'v1.37.2', hyperShift: true });
    expect(cluster).toEqual({ kubernetes: { version: 'v1.37.2' }, hyperShift: { hostedCluster: null } });
    const hostedClusters = [
      { metadata: { name: 'other', namespace: 'clusters' } },
      {
        metadata: { name: 'my.banana', namespace: 'clusters', labels: { a: 'b' } },
        spec: { nodeSelector: { role: 'infra' } },
      },
    ];
    expect(environmentIn(cluster, 'clusters-my-banana', hostedClusters)).toEqual({
      kubernetes: { version: 'v1.37.2' },
      hyperShift: {
        hostedCluster: {
          metadata: { name: 'my.banana', namespace: 'clusters', labels: { a: 'b' }, annotations: null },
          hostedClusterNamespace: 'clusters-my-banana',
          nodeSelector: { role: 'infra' },
        },
      },
    });
    expect(environmentIn(cluster, 'elsewhere', hostedClusters)).toBe(cluster);
    expect(environmentIn(cluster, '', hostedClusters)).toBe(cluster);
  });
});
