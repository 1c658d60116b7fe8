import { describe, expect, it } from 'vitest';
import { OwnWrites } from '../../functions/hosts/own-writes.js';

describe('OwnWrites', () => {
  it('an object at a version this process wrote is its own; at any other version it is not', () => {
    const w = new OwnWrites();
    w.remember('p', '10');
    expect(w.isOwn('p', '10')).toBe(true);
    expect(w.isOwn('p', '11')).toBe(false);
    expect(w.isOwn('q', '10')).toBe(false);
    expect(w.isOwn('p', undefined)).toBe(false);
  });

  it('keeps the last four versions of an object (a step may write it more than once)', () => {
    const w = new OwnWrites();
    for (const rv of ['1', '2', '3', '4', '5']) w.remember('p', rv);
    expect(['1', '2', '3', '4', '5'].map((rv) => w.isOwn('p', rv))).toEqual([false, true, true, true, true]);
  });

  it('an event held while a key ran settles as no change when it was the step’s own write, even if it came first', () => {
    const w = new OwnWrites();
    w.hold('p', 'p', '20'); // the watch event of the status write, before the write's response
    w.remember('p', '20'); // the write's response
    expect(w.settle('p')).toBe(false);
  });

  it('an event held while a key ran that shows someone else’s write runs the key again, once', () => {
    const w = new OwnWrites();
    w.hold('p', 'p', '20');
    w.remember('p', '21');
    expect(w.settle('p')).toBe(true);
    expect(w.settle('p')).toBe(false);
  });

  it('the newest event held per object decides: an own write after a foreign one settles as no change', () => {
    const w = new OwnWrites();
    w.hold('od', 'cm', '30'); // someone edits the ConfigMap
    w.hold('od', 'cm', '31'); // the step puts it back
    w.remember('cm', '31');
    expect(w.settle('od')).toBe(false);
  });

  it('is bounded: beyond its limit it forgets everything rather than grow', () => {
    const w = new OwnWrites({ maxObjects: 3 });
    for (const key of ['a', 'b', 'c']) w.remember(key, '1');
    expect(w.size).toBe(3);
    w.remember('d', '1');
    expect(w.size).toBe(1);
    expect(w.isOwn('a', '1')).toBe(false);
    expect(w.isOwn('d', '1')).toBe(true);
  });
});
