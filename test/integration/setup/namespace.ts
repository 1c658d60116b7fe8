/**
 * @module test/integration/setup/namespace
 * A namespace of its own for each integration test file, deleted afterwards.
 */
import { inject } from 'vitest';
import { KubeClient } from '../../../devenv/kube.js';

/** A client for the control plane of this test run. */
export function testClient(): KubeClient {
  const kube = inject('kube');
  return new KubeClient({
    server: kube.server,
    caFile: kube.caFile,
    certFile: kube.certFile,
    keyFile: kube.keyFile,
  });
}

/** Create a fresh namespace `<prefix>-<random>`; returns its name. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  const r = await client.create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (r.status !== 201) throw new Error(`creating namespace ${name}: ${r.status} ${r.text}`);
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(`/api/v1/namespaces/${name}`);
}
