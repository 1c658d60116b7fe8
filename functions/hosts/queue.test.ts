import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('work queue', () => {
  it('runs a key once while it is triggered many times, and again after a trigger during its run', async () => {
    const runs: string[] = [];
    const gate = deferred();
    const q = new WorkQueue({
      concurrency: 2,
      ratePerSecond: 1000,
      run: async (key) => {
        runs.push(key);
        if (runs.length === 1) await gate.promise;
        return undefined;
      },
    });
    q.add('a');
    q.add('a');
    await new Promise((r) => setTimeout(r, 10));
    q.add('a');
    gate.resolve();
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toEqual(['a', 'a']);
    await q.stop();
  });

  it('stop waits for the steps in flight and then resolves', async () => {
    const gate = deferred();
    let finished = false;
    const q = new WorkQueue({
      concurrency: 1,
      ratePerSecond: 1000,
      run: async () => {
        await gate.promise;
        finished = true;
        return undefined;
      },
    });
    q.add('k');
    await new Promise((r) => setTimeout(r, 10));
    const stopped = q.stop();
    setTimeout(() => {
      gate.resolve();
    }, 20);
    await stopped;
    expect(finished).toBe(true);
  });

  it('requeues after the delay a step returns', async () => {
    const at: number[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      ratePerSecond: 1000,
      run: () => {
        at.push(Date.now());
        return Promise.resolve(at.length === 1 ? 50 : undefined);
      },
    });
    q.add('k');
    await new Promise((r) => setTimeout(r, 120));
    expect(at).toHaveLength(2);
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(45);
    await q.stop();
  });
});
