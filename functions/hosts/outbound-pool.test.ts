import { describe, expect, it } from 'vitest';
import { heapUsedAfterCollection } from './heap.js';
import { OutboundPool, PoolBusyError } from './outbound-pool.js';
import { ADMISSION_POOL } from './triggers.js';

/** A task that never answers by itself: it ends when its signal aborts. */
function hang(signal: AbortSignal): Promise<string> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => {
      reject(new Error('aborted at the deadline'));
    });
  });
}

describe('outbound pool', () => {
  it('a registry that never answers holds its per-host slots; other registries go on', async () => {
    const pool = new OutboundPool({
      concurrency: 4,
      perHost: 2,
      maxWaiting: 64,
      maxWaitingPerHost: 8,
      deadlineMs: 300,
    });
    const slow = Array.from({ length: 10 }, async () =>
      pool.run('slow.example', hang).catch((e: unknown) => e),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(pool.runningFor('slow.example')).toBe(2);
    const started = performance.now();
    const fast = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => pool.run(`fast-${i % 3}.example`, () => Promise.resolve(i))),
    );
    expect(fast).toEqual([0, 1, 2, 3, 4, 5]);
    expect(performance.now() - started).toBeLessThan(50);
    const errors = await Promise.all(slow);
    // All ten end at their deadline: the two running aborted, the eight waiting leave the line (or, started in
    // the same millisecond their deadline passes, abort at once).
    expect(performance.now() - started).toBeLessThan(400);
    const aborts = ['aborted at the deadline', 'The operation was aborted due to timeout'];
    expect(errors.filter((e) => !(e instanceof Error && aborts.includes(e.message)))).toEqual([]);
    expect(pool.runningFor('slow.example')).toBe(0);
  });

  it('refuses work beyond maxWaiting, and beyond maxWaitingPerHost for one host, at once', async () => {
    const one = new OutboundPool({
      concurrency: 4,
      perHost: 1,
      maxWaiting: 10,
      maxWaitingPerHost: 1,
      deadlineMs: 100,
    });
    const line = [one.run('a', hang), one.run('a', hang)].map(async (p) => p.catch(() => 'x'));
    await expect(one.run('a', () => Promise.resolve(1))).rejects.toEqual(
      new PoolBusyError('1 outbound requests to a are waiting already'),
    );
    expect(await one.run('b', () => Promise.resolve(2))).toBe(2);
    await Promise.all(line);
    const pool = new OutboundPool({
      concurrency: 1,
      perHost: 1,
      maxWaiting: 2,
      maxWaitingPerHost: 8,
      deadlineMs: 100,
    });
    const held = [pool.run('a', hang), pool.run('a', hang), pool.run('a', hang)].map(async (p) =>
      p.catch(() => 'x'),
    );
    await expect(pool.run('b', () => Promise.resolve(1))).rejects.toEqual(
      new PoolBusyError('2 outbound requests are waiting already'),
    );
    await Promise.all(held);
    expect(await pool.run('b', () => Promise.resolve(1))).toBe(1);
  });

  it('finished and refused work leaves nothing behind (no deadline timer outlives its task)', async () => {
    // The admission pool's shape (8 in flight, 2 per registry), with a deadline no task reaches.
    const pool = new OutboundPool({ ...ADMISSION_POOL, deadlineMs: 60_000 });
    await pool.run('warm.example', () => Promise.resolve(0));
    const before = heapUsedAfterCollection();
    for (let i = 0; i < 200; i++)
      await Promise.all(
        Array.from({ length: 100 }, async (_, j) =>
          pool.run(`host-${j % 20}.example`, () => Promise.resolve(j)).catch((e: unknown) => e),
        ),
      );
    const perTask = (heapUsedAfterCollection() - before) / 20_000;
    // AbortSignal.timeout per task (its timer, kept for the whole 60 s, even when refused) took 1,100 bytes each.
    expect(perTask).toBeLessThan(30);
  });
});
