/** PKO's environment probe over the KubeApi port: once a minute, a failed probe not kept, HostedClusters per call. */
import { describe, expect, it } from 'vitest';
import type { ResourceInfo } from '../../shared/ports.js';
import { FakeKube } from '../fakes/kube.js';
import { EnvironmentProbe } from '../../functions/adapters/kube/environment.js';

/** A cluster that serves HyperShift's HostedCluster API when `hyperShift` is set. */
class Cluster extends FakeKube {
  public hyperShift = false;
  public gets = 0;

  public override resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    if (this.hyperShift && apiVersion === 'hypershift.openshift.io/v1beta1' && kind === 'HostedCluster')
      return Promise.resolve({ plural: 'hostedclusters', namespaced: true });
    return super.resource(apiVersion, kind);
  }

  public override get(...args: Parameters<FakeKube['get']>): ReturnType<FakeKube['get']> {
    this.gets += 1;
    return super.get(...args);
  }
}

const clusterVersion = {
  apiVersion: 'config.openshift.io/v1',
  kind: 'ClusterVersion',
  metadata: { name: 'version' },
  status: { history: [{ state: 'Completed', version: '4.15.3' }] },
};

describe('the environment probe', () => {
  it('probes the cluster at most once a minute, and sees a change after that', async () => {
    const kube = new Cluster();
    let now = 0;
    const probe = new EnvironmentProbe(kube, { now: () => now });
    expect(await probe.environment('ns')).toEqual({ kubernetes: { version: 'v1.37.2' } });
    kube.put(clusterVersion);
    now = 59_999;
    expect(await probe.environment('ns')).toEqual({ kubernetes: { version: 'v1.37.2' } });
    expect(kube.gets).toBe(1);
    now = 60_000;
    expect(await probe.environment('ns')).toEqual({
      kubernetes: { version: 'v1.37.2' },
      openShift: { version: '4.15.3' },
    });
  });

  it('keeps no failed probe: the next call probes again', async () => {
    const kube = new Cluster();
    const probe = new EnvironmentProbe(kube, { now: () => 0 });
    kube.failNext('get', new Error('the API server is down'));
    await expect(probe.environment('')).rejects.toThrow('the API server is down');
    expect(await probe.environment('')).toEqual({ kubernetes: { version: 'v1.37.2' } });
  });

  it("lists HostedClusters on every call for a namespaced object, only where HyperShift's API is served", async () => {
    const kube = new Cluster();
    kube.hyperShift = true;
    const probe = new EnvironmentProbe(kube, { now: () => 0 });
    expect(await probe.environment('clusters-hc')).toEqual({
      kubernetes: { version: 'v1.37.2' },
      hyperShift: { hostedCluster: null },
    });
    kube.put({
      apiVersion: 'hypershift.openshift.io/v1beta1',
      kind: 'HostedCluster',
      metadata: { name: 'hc', namespace: 'clusters' },
    });
    expect(await probe.environment('clusters-hc')).toEqual({
      kubernetes: { version: 'v1.37.2' },
      hyperShift: {
        hostedCluster: {
          metadata: { name: 'hc', namespace: 'clusters', labels: null, annotations: null },
          hostedClusterNamespace: 'clusters-hc',
        },
      },
    });
    expect(await probe.environment('')).toEqual({
      kubernetes: { version: 'v1.37.2' },
      hyperShift: { hostedCluster: null },
    });
  });
});
