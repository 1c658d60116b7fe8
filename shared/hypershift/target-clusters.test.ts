import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import { owns, shardOf } from '../triggers/index.js';
import {
  clusterShardKey,
  hostedClusterCandidates,
  tickShardKey,
  hostedClusterOfNamespace,
  kubeconfigOfSecret,
  targetHostedClusterOf,
} from './target-clusters.js';

const hc = (
  name: string,
  extra: Record<string, unknown> = {},
  status?: Record<string, unknown>,
): KubeObject => ({
  apiVersion: 'hypershift.openshift.io/v1beta1',
  kind: 'HostedCluster',
  metadata: { name, namespace: 'clusters', uid: `${name}-uid`, ...extra },
  ...(status !== undefined ? { status } : {}),
});

const secret = (data?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'x-admin-kubeconfig' },
  ...(data !== undefined ? { data } : {}),
});

describe('the hosted clusters a many-clusters runner applies into', () => {
  it('reads a HostedCluster: its control-plane namespace (dots as dashes) and its admin kubeconfig Secret', () => {
    expect(
      targetHostedClusterOf(hc('my.cluster', {}, { kubeconfig: { name: 'my.cluster-admin-kubeconfig' } })),
    ).toEqual({
      id: 'clusters/my.cluster',
      namespace: 'clusters',
      name: 'my.cluster',
      uid: 'my.cluster-uid',
      controlPlaneNamespace: 'clusters-my-cluster',
      secretName: 'my.cluster-admin-kubeconfig',
      deleting: false,
    });
    expect(targetHostedClusterOf(hc('a', { deletionTimestamp: '2026-01-01T00:00:00Z' }))).toMatchObject({
      deleting: true,
    });
    expect(targetHostedClusterOf(hc('a'))?.secretName).toBeUndefined();
    expect(targetHostedClusterOf({ apiVersion: 'v1', kind: 'X', metadata: { name: 'x' } })).toBeUndefined();
  });

  it('finds the HostedCluster of a control-plane namespace, never one being deleted', () => {
    const a = targetHostedClusterOf(hc('a'));
    const b = targetHostedClusterOf(hc('b', { deletionTimestamp: '2026-01-01T00:00:00Z' }));
    const clusters = [a, b].flatMap((c) => (c !== undefined ? [c] : []));
    expect(hostedClusterOfNamespace(clusters, 'clusters-a')?.id).toBe('clusters/a');
    expect(hostedClusterOfNamespace(clusters, 'clusters-b')).toBeUndefined();
    expect(hostedClusterOfNamespace(clusters, 'other')).toBeUndefined();
  });

  it('reads the kubeconfig of the Secret with a fingerprint, and says what is wrong without the content', () => {
    const text = 'apiVersion: v1\nkind: Config\n';
    const ok = kubeconfigOfSecret(secret({ kubeconfig: Buffer.from(text).toString('base64') }), 'clusters/x');
    expect('text' in ok ? ok.text : undefined).toBe(text);
    expect('fingerprint' in ok ? ok.fingerprint : '').toMatch(/^[0-9a-f]{64}$/);
    const other = kubeconfigOfSecret(
      secret({ kubeconfig: Buffer.from(`${text}#\n`).toString('base64') }),
      'c/x',
    );
    expect('fingerprint' in other && 'fingerprint' in ok && other.fingerprint !== ok.fingerprint).toBe(true);
    expect(kubeconfigOfSecret(secret(), 'clusters/x')).toEqual({
      error: 'Secret clusters/x has no key "kubeconfig"',
    });
    expect(kubeconfigOfSecret(secret({ kubeconfig: 'not base64!' }), 'clusters/x')).toEqual({
      error: 'Secret clusters/x: key "kubeconfig" is not base64',
    });
  });

  it('shards by cluster: every phase of one control-plane namespace on the same replica', () => {
    const keys = ['set-a', 'set-b', 'other-config', 'x'].map((name) =>
      clusterShardKey(
        { namespace: 'clusters-a' },
        JSON.stringify(['v', 'ObjectSetPhase', 'clusters-a', name]),
      ),
    );
    expect(new Set(keys).size).toBe(1);
    for (let count = 2; count <= 7; count++) {
      const shard = { index: shardOf(keys[0] ?? '', count), count };
      expect(keys.every((k) => owns(shard, k))).toBe(true);
    }
    // Namespaces spread over the shards; cluster-scoped objects keep their own key.
    const spread = new Set(
      Array.from({ length: 40 }, (_, i) => shardOf(clusterShardKey({ namespace: `clusters-c${i}` }, ''), 4)),
    );
    expect(spread.size).toBe(4);
    expect(clusterShardKey({ namespace: '' }, 'k')).toBe('k');
  });
});

describe('what a watch-less host looks up and shards', () => {
  it('splits a control-plane namespace into the HostedClusters it may belong to, shortest namespace first', () => {
    expect(hostedClusterCandidates('clusters-my-cluster')).toEqual([
      { namespace: 'clusters', name: 'my-cluster' },
      { namespace: 'clusters-my', name: 'cluster' },
    ]);
    expect(hostedClusterCandidates('nodash')).toEqual([]);
    expect(hostedClusterCandidates('-x')).toEqual([]);
    expect(hostedClusterCandidates('x-')).toEqual([]);
  });

  it("keys an ObjectSetPhase of a remote class by its namespace for the tick's shard, anything else by its key", () => {
    const phase = (phaseClass?: string): KubeObject => ({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectSetPhase',
      metadata: {
        name: 'p',
        namespace: 'clusters-a',
        ...(phaseClass !== undefined ? { labels: { 'package-operator.run/phase-class': phaseClass } } : {}),
      },
    });
    expect(tickShardKey(phase('hosted-cluster'), 'k', ['hosted-cluster'])).toBe('namespace/clusters-a');
    expect(tickShardKey(phase('default'), 'k', ['hosted-cluster'])).toBe('k');
    expect(tickShardKey(phase(), 'k', ['hosted-cluster'])).toBe('k');
    expect(tickShardKey({ ...phase('hosted-cluster'), kind: 'ObjectSet' }, 'k', ['hosted-cluster'])).toBe(
      'k',
    );
    // The same key the runner's shard gives the phases of that namespace.
    expect(tickShardKey(phase('hosted-cluster'), 'k', ['hosted-cluster'])).toBe(
      clusterShardKey({ namespace: 'clusters-a' }, 'k'),
    );
  });
});
