/**
 * A watch from a resourceVersion the API server's watch cache no longer holds: kube-apiserver answers 200 and then
 * an ERROR event carrying 410 Expired (as after an etcd compaction or a restart). The client turns it into the
 * Gone error a runner relists on, instead of handing the ERROR event on as if it were an object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createEngine, type Engine } from '../../functions/hosts/engine.js';
import { KubeApiError } from '../../shared/kube-errors.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ kubeconfig: inject('kube').kubeconfigPath, env: {} });
});
afterAll(() => {
  engine.close();
});

describe('a watch from an expired resourceVersion', () => {
  it('rejects with Gone (410) and delivers no event', async () => {
    const events: string[] = [];
    const abort = new AbortController();
    const watching = engine.client.watch(
      { path: '/api/v1/configmaps', resourceVersion: '1', timeoutSeconds: 10, signal: abort.signal },
      (type) => events.push(type),
    );
    try {
      const error: unknown = await watching.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(KubeApiError);
      expect(error).toMatchObject({
        code: 410,
        reason: 'Gone',
        message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/) as unknown,
      });
      expect(events).toEqual([]);
    } finally {
      abort.abort();
    }
  });
});
