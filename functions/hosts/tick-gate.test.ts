import { describe, expect, it } from 'vitest';
import { TickGate } from './tick-gate.js';

describe('tick gate', () => {
  it('runs one tick for 50 concurrent pings and shares its result', async () => {
    let now = 0;
    const gate = new TickGate(1_000, () => now);
    let release = (_n: number): void => undefined;
    let lists = 0;
    const tick = async (): Promise<number> => {
      lists += 1;
      return new Promise<number>((resolve) => {
        release = resolve;
      });
    };
    const answers = Array.from({ length: 50 }, async () => gate.run(tick));
    release(7);
    expect(await Promise.all(answers)).toEqual(new Array<number>(50).fill(7));
    expect([lists, gate.count]).toEqual([1, 1]);
    now = 999;
    expect(await gate.run(tick)).toBe(0);
    expect(lists).toBe(1);
    now = 1_000;
    const later = gate.run(tick);
    release(3);
    expect(await later).toBe(3);
    expect(lists).toBe(2);
  });

  it('lets the next tick run after a failed one', async () => {
    let now = 0;
    const gate = new TickGate(10, () => now);
    await expect(gate.run(() => Promise.reject(new Error('list failed')))).rejects.toThrow('list failed');
    now = 10;
    expect(await gate.run(() => Promise.resolve(1))).toBe(1);
  });
});
