/**
 * The engine's Kubernetes client against the real API server: watches never take connections from the request
 * pool, so a host watching more kinds than the pool has sockets still makes its requests (before the fix, every
 * GET waited forever behind the watches once a runner watched 16 kinds).
 */
import { describe, expect, inject, it } from 'vitest';
import { RawKubeClient } from '../../functions/adapters/kube/client.js';
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
});
