import { describe, expect, it } from 'vitest';
import { heapUsedAfterCollection } from './heap.js';
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

  it('a key with precedence goes ahead of work that waits, by at most its precedence', async () => {
    const runs: string[] = [];
    const gate = deferred();
    const q = new WorkQueue({
      concurrency: 1,
      ratePerSecond: 1_000_000,
      precedenceMs: (key) => (key.startsWith('set') ? 60_000 : key.startsWith('od') ? 30_000 : 0),
      run: async (key) => {
        runs.push(key);
        if (key === 'pkg-0') await gate.promise;
        return undefined;
      },
    });
    for (let i = 0; i < 4; i++) q.add(`pkg-${i}`);
    await new Promise((r) => setTimeout(r, 10));
    // pkg-0 runs; pkg-1..3 wait. Its ObjectDeployment and ObjectSet go ahead of them, deepest first.
    q.add('od-0');
    q.add('set-0');
    gate.resolve();
    await new Promise((r) => setTimeout(r, 30));
    expect(runs.slice(0, 3)).toEqual(['pkg-0', 'set-0', 'od-0']);
    expect(runs.slice(3).sort()).toEqual(['pkg-1', 'pkg-2', 'pkg-3']);
    // A requeue after a delay has no precedence: it waits its delay.
    runs.length = 0;
    q.add('set-1', 50);
    q.add('pkg-9');
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toEqual(['pkg-9']);
    await new Promise((r) => setTimeout(r, 60));
    expect(runs).toEqual(['pkg-9', 'set-1']);
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

describe('work queue under floods', () => {
  const idle = (): Promise<number | undefined> => Promise.resolve(undefined);

  it('adds 20,000 keys due later in well under a second (the due map was sorted on every add)', async () => {
    const q = new WorkQueue({ concurrency: 1, ratePerSecond: 1000, run: idle });
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) q.add(`k${i}`, 60_000 + ((i * 7919) % 10_000));
    expect(performance.now() - started).toBeLessThan(500);
    expect(q.depth).toBe(20_000);
    await q.stop();
  });

  it('runs keys in due order, an earlier due time winning over a later one', async () => {
    const runs: string[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      ratePerSecond: 1000,
      run: (key) => {
        runs.push(key);
        return Promise.resolve(undefined);
      },
    });
    q.add('c', 60);
    q.add('a', 20);
    q.add('b', 40);
    q.add('c', 10); // earlier now
    q.add('a', 500); // later: ignored
    await new Promise((r) => setTimeout(r, 150));
    expect(runs).toEqual(['c', 'a', 'b']);
    await q.stop();
  });

  it('runs 300 keys with random due times in due order (the heap keeps its order through pops and pushes)', async () => {
    let dueOf = new Map<string, number>();
    const runs: number[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      ratePerSecond: 100_000,
      run: (key) => {
        runs.push(dueOf.get(key) ?? -1);
        return Promise.resolve(undefined);
      },
    });
    for (let i = 0; i < 300; i++) q.add(`k${i}`, 5 + ((i * 7919) % 97));
    // The queue's own due times (taken before anything can run: adding is synchronous).
    dueOf = new Map(q.snapshot().due);
    expect(dueOf.size).toBe(300);
    for (let waited = 0; runs.length < 300 && waited < 5_000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    expect(runs).toHaveLength(300);
    expect(runs).toEqual([...runs].sort((a, b) => a - b));
    await q.stop();
  });

  it('a waiting key costs at most 80 bytes of heap besides its string (no object per entry)', async () => {
    const q = new WorkQueue({ concurrency: 1, ratePerSecond: 1, run: idle });
    const keys = Array.from(
      { length: 50_000 },
      (_, i) => `["package-operator.run/v1alpha1","ObjectSet","ns","k-${i}"]`,
    );
    const before = heapUsedAfterCollection();
    for (const key of keys) q.add(key, 60_000);
    const perKey = (heapUsedAfterCollection() - before) / keys.length;
    expect(q.depth).toBe(50_000);
    expect(perKey).toBeLessThan(80); // a [time, key] pair and a boxed time per key took 125 bytes
    await q.stop();
  });

  it('refuses new keys beyond maxKeys, counts them, and takes keys it already holds', async () => {
    const refused: string[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      ratePerSecond: 1000,
      run: idle,
      maxKeys: 3,
      onRefused: (key) => refused.push(key),
    });
    expect(['a', 'b', 'c', 'd'].map((k) => q.add(k, 60_000))).toEqual([true, true, true, false]);
    expect([q.full, q.depth, refused]).toEqual([true, 3, ['d']]);
    expect(q.add('a', 10_000)).toBe(true);
    await q.stop();
  });
});
