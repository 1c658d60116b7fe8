/**
 * Full mode is real too: kube-controller-manager, kube-scheduler and kwok make a Deployment Available on a fake
 * node, and keep it Available (the node lease is renewed, so the node never turns NotReady).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../devenv/kube.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';
import { waitFor } from '../../devenv/process.js';
import { KWOK_NODE } from '../../devenv/control-plane.js';

let client: KubeClient;
let ns: string;

beforeAll(async () => {
  client = testClient();
  ns = await createNamespace(client, 'workloads');
});

afterAll(async () => {
  await deleteNamespace(client, ns);
});

interface DeploymentStatus {
  readyReplicas?: number;
  conditions?: { type: string; status: string }[];
}

async function deploymentStatus(name: string): Promise<DeploymentStatus> {
  const r = await client.get(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
  return (r.body as { status?: DeploymentStatus }).status ?? {};
}

const available = (s: DeploymentStatus): boolean =>
  s.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true;

describe('full mode', () => {
  it(
    'makes a Deployment of two replicas Available on the kwok node, and keeps it Available for two minutes',
    { timeout: 300_000 },
    async () => {
      const labels = { app: 'web' };
      const created = await client.create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }] },
          },
        },
      });
      expect(created.status).toBe(201);
      await waitFor(
        'Deployment web Available with 2 ready replicas',
        async () => {
          const s = await deploymentStatus('web');
          return available(s) && s.readyReplicas === 2;
        },
        90_000,
      );
      const pods = await client.get(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`);
      const items = (
        pods.body as {
          items: {
            spec: { nodeName?: string };
            status: { phase: string; conditions?: { type: string; status: string }[] };
          }[];
        }
      ).items;
      expect(items).toHaveLength(2);
      for (const pod of items) {
        expect(pod.spec.nodeName).toBe(KWOK_NODE);
        expect(pod.status.phase).toBe('Running');
        expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      }
      await new Promise((r) => setTimeout(r, 120_000));
      const later = await deploymentStatus('web');
      expect(available(later)).toBe(true);
      expect(later.readyReplicas).toBe(2);
    },
  );
});
