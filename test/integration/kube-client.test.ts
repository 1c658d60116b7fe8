/**
 * The engine's Kubernetes client against the real API server: watches never take connections from the request
 * pool, so a host watching more kinds than the pool has sockets still makes its requests (before the fix, every
 * GET waited forever behind the watches once a runner watched 16 kinds).
 */
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
import { CORE_V1_KINDS } from '../../functions/adapters/kube/discovery.js';
import { loadConnection } from '../../functions/adapters/kube/kubeconfig.js';

describe('RawKubeClient', () => {
  it('answers a GET while more watches run than the request pool has sockets', async () => {
    const client = new RawKubeClient(loadConnection(inject('kube').kubeconfigPath), { maxSockets: 2 });
    const abort = new AbortController();
    try {
      const paths = [
        '/api/v1/configmaps',
        '/api/v1/secrets',
        '/api/v1/serviceaccounts',
        '/api/v1/namespaces',
      ];
      const watches = paths.map(async (path) =>
        client
          .watch({ path, resourceVersion: '0', timeoutSeconds: 60, signal: abort.signal }, () => undefined)
          .catch(() => undefined),
      );
      // Give the watches their connections first.
      await new Promise((r) => setTimeout(r, 500));
      const answered = await Promise.race([
        client.serverVersion().then(() => 'answered'),
        new Promise<string>((r) =>
          setTimeout(() => {
            r('waited 10 s');
          }, 10_000),
        ),
      ]);
      expect(answered).toBe('answered');
      abort.abort();
      await Promise.all(watches);
    } finally {
      abort.abort();
      client.close();
    }
  });

  it('with aggregatedDiscovery, finds kinds of every group in one request; a group the server lacks is a miss', async () => {
    const requests: string[] = [];
    const client = new RawKubeClient(loadConnection(inject('kube').kubeconfigPath), {
      aggregatedDiscovery: true,
      observe: (verb, code) => requests.push(`${verb} ${code}`),
    });
    try {
      const [pkg, cpkg, repo, hc] = await Promise.all([
        client.resource('package-operator.run/v1alpha1', 'Package'),
        client.resource('package-operator.run/v1alpha1', 'ClusterPackage'),
        client.resource('gantry.run/v1alpha1', 'PackageRepository'),
        client.resource('hypershift.openshift.io/v1beta1', 'HostedCluster'),
      ]);
      expect(pkg).toEqual({ plural: 'packages', namespaced: true });
      expect(cpkg).toEqual({ plural: 'clusterpackages', namespaced: false });
      expect(repo).toEqual({ plural: 'packagerepositories', namespaced: true });
      expect(hc).toBeUndefined();
      expect(await client.resource('apps/v1', 'Deployment')).toEqual({
        plural: 'deployments',
        namespaced: true,
      });
      expect(requests).toHaveLength(1);
      // The core group's kinds are known without asking; one it does not list is asked of /api/v1.
      expect(await client.resource('v1', 'ConfigMap')).toEqual({ plural: 'configmaps', namespaced: true });
      expect(requests).toHaveLength(1);
      expect(await client.resource('v1', 'ComponentStatus')).toEqual({
        plural: 'componentstatuses',
        namespaced: false,
      });
      expect(requests).toHaveLength(2);
    } finally {
      client.close();
    }
  });

  it("knows the core group's kinds as this API server serves them", async () => {
    const client = new RawKubeClient(loadConnection(inject('kube').kubeconfigPath));
    try {
      const served = z
        .object({
          resources: z.array(z.object({ name: z.string(), kind: z.string(), namespaced: z.boolean() })),
        })
        .parse(JSON.parse((await client.raw('GET', '/api/v1')).text));
      const byKind = new Map(
        served.resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, r] as const),
      );
      for (const [kind, info] of CORE_V1_KINDS)
        expect({ kind, plural: byKind.get(kind)?.name, namespaced: byKind.get(kind)?.namespaced }).toEqual({
          kind,
          ...info,
        });
    } finally {
      client.close();
    }
  });
});
