/**
 * No lost push: a registry push that moves a Package's tag drops its `unpackedHash` (so the next step pulls the new
 * digest) even when another writer changes the Package's status between the LIST the trigger read and its write.
 * The concurrent writer runs at the moment the tag is resolved (the image source is the test's seam), against the
 * real API server, so the first status write is a real 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createEngine, type Engine } from '../../functions/hosts/engine.js';
import { WorkQueue } from '../../functions/hosts/queue.js';
import { TriggerCore } from '../../functions/hosts/triggers.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const admin = testClient();
let engine: Engine;
let ns: string;
const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;

beforeAll(async () => {
  engine = await createEngine({ kubeconfig: inject('kube').kubeconfigPath, env: {} });
  ns = await createNamespace(admin, 'push-reset');
});

afterAll(async () => {
  engine.close();
  await deleteNamespace(admin, ns);
});

describe('the unpackedHash reset of a registry push', () => {
  it('re-reads and retries when a concurrent status writer wins the first write', async () => {
    const kube = engine.client;
    const ref: ObjectRef = {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      namespace: ns,
      name: 'p',
    };
    const created = await kube.create({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: 'p', namespace: ns },
      spec: { image: 'registry.example/team/app:stable' },
    });
    await kube.updateStatus({
      ...created,
      status: { unpackedHash: 'h1', resolvedImage: `registry.example/team/app@${OLD}`, revision: 1 },
    });
    const ran: string[] = [];
    const concurrentWrites: string[] = [];
    const triggers = new TriggerCore({
      deps: {
        ...engine.deps,
        images: {
          pull: () => Promise.reject(new Error('not in this test')),
          listTags: () => Promise.reject(new Error('no tag listing in this test')),
          pullImageFiles: () => Promise.reject(new Error('no image files in this test')),
          resolveDigest: async () => {
            // Another writer (a step of the Package) writes its status after the trigger's LIST.
            const live = await kube.get(ref);
            const written = await kube.updateStatus({
              ...live,
              status: { ...(live['status'] as Record<string, unknown>), revision: 2 },
            });
            concurrentWrites.push(written.metadata.resourceVersion ?? '');
            return NEW;
          },
        },
      },
      concurrency: 1,
      namespace: ns,
      fullResyncMs: 3_600_000,
      admissionBudgetMs: 0,
      log: () => undefined,
      queue: new WorkQueue({
        concurrency: 1,
        ratePerSecond: 1000,
        run: (key) => {
          ran.push(key);
          return Promise.resolve(undefined);
        },
      }),
    });
    expect(
      await triggers.registryPush([{ registry: 'registry.example', repository: 'team/app', tag: 'stable' }]),
    ).toBe(1);
    await triggers.settled();
    expect(concurrentWrites).toHaveLength(1);
    const after: KubeObject = await kube.get(ref);
    // The hash is gone, and the concurrent writer's change is kept.
    expect(after['status']).toEqual({ resolvedImage: `registry.example/team/app@${OLD}`, revision: 2 });
    await new Promise((r) => setTimeout(r, 50));
    expect(ran).toEqual([JSON.stringify([ref.apiVersion, ref.kind, ns, 'p'])]);
  });
});
