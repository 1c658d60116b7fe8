import { describe, expect, it } from 'vitest';
import { findCondition, isConditionTrue, removeCondition, setCondition } from './conditions.js';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00.000Z');

describe('conditions', () => {
  it('adds a condition with a second-precision transition time', () => {
    const list = setCondition(
      undefined,
      { type: 'Available', status: 'True', reason: 'Available', message: 'ok', observedGeneration: 2 },
      t0,
    );
    expect(list).toEqual([
      {
        type: 'Available',
        status: 'True',
        reason: 'Available',
        message: 'ok',
        observedGeneration: 2,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('keeps lastTransitionTime when the status does not change, updates it when it does', () => {
    const a = setCondition(
      undefined,
      { type: 'Unpacked', status: 'False', reason: 'ImagePullBackOff', message: 'x' },
      t0,
    );
    const b = setCondition(
      a,
      { type: 'Unpacked', status: 'False', reason: 'ImagePullBackOff', message: 'y' },
      t1,
    );
    expect(b[0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(b[0]!.message).toBe('y');
    const c = setCondition(
      b,
      { type: 'Unpacked', status: 'True', reason: 'UnpackSuccess', message: 'Unpack job succeeded' },
      t1,
    );
    expect(c[0]!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(a[0]!.message).toBe('x');
  });

  it('finds, tests and removes', () => {
    const list = setCondition(
      undefined,
      { type: 'Invalid', status: 'True', reason: 'LoadError', message: 'm' },
      t0,
    );
    expect(findCondition(list, 'Invalid')?.reason).toBe('LoadError');
    expect(isConditionTrue(list, 'Invalid')).toBe(true);
    expect(isConditionTrue(list, 'Available')).toBe(false);
    expect(removeCondition(list, 'Invalid')).toEqual([]);
  });
});
