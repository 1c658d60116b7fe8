import { describe, expect, it } from 'vitest';
import { EventLane } from './event-lane.js';

/** A write that finishes when `release` is called, recording its name when it starts. */
function gated(name: string, started: string[]): { write: () => Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    write: async () => {
      started.push(name);
      await done;
    },
    release: () => {
      release();
    },
  };
}

describe('event lane', () => {
  it('writes in order, at most inFlight at once', async () => {
    const started: string[] = [];
    const lane = new EventLane({ inFlight: 2 });
    const writes = ['a', 'b', 'c', 'd'].map((n) => gated(n, started));
    for (const w of writes) lane.add(w.write);
    expect(started).toEqual(['a', 'b']);
    writes[0]?.release();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    for (const w of writes) w.release();
    await lane.drain(1_000);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect(lane.depth).toBe(0);
  });

  it('drops the newest writes of a flood beyond maxPending and counts them', async () => {
    const started: string[] = [];
    const counted: number[] = [];
    const lane = new EventLane({ inFlight: 1, maxPending: 3, onDropped: (n) => counted.push(n) });
    const writes = Array.from({ length: 10_000 }, (_, i) => gated(String(i), started));
    const accepted = writes.map((w) => lane.add(w.write));
    // One in flight, three waiting: the other 9,996 are dropped, never queued.
    expect(accepted.filter(Boolean)).toHaveLength(4);
    expect(lane.dropped).toBe(9_996);
    expect(counted.at(-1)).toBe(9_996);
    expect(lane.depth).toBe(4);
    for (const w of writes) w.release();
    await lane.drain(1_000);
    expect(started).toEqual(['0', '1', '2', '3']);
  });

  it('a failing write neither throws nor stops the lane', async () => {
    const lane = new EventLane({ inFlight: 1 });
    const done: string[] = [];
    lane.add(() => Promise.reject(new Error('forbidden')));
    lane.add(() => {
      done.push('next');
      return Promise.resolve();
    });
    await lane.drain(1_000);
    expect(done).toEqual(['next']);
  });

  it('drain gives up after its timeout and drops what is still waiting', async () => {
    const started: string[] = [];
    const lane = new EventLane({ inFlight: 1 });
    const stuck = gated('stuck', started);
    lane.add(stuck.write);
    lane.add(() => {
      started.push('never');
      return Promise.resolve();
    });
    await lane.drain(20);
    stuck.release();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['stuck']);
  });
});
