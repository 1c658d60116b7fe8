import { describe, expect, it } from 'vitest';
import { statusWorthWriting } from './progress.js';

const available = [{ type: 'Available', status: 'True', reason: 'Available' }];

describe('status worth writing', () => {
  it('skips a status whose only change is the name of the step that ran last', () => {
    const stored = { conditions: available, progress: { step: 'render', observedGeneration: 1 } };
    expect(
      statusWorthWriting(stored, {
        conditions: available,
        progress: { step: 'status', observedGeneration: 1 },
      }),
    ).toBe(false);
    expect(
      statusWorthWriting(stored, {
        conditions: available,
        progress: { step: 'apply-phase', phase: 'b', observedGeneration: 1 },
      }),
    ).toBe(false);
    expect(statusWorthWriting(stored, stored)).toBe(false);
  });

  it('writes anything else: conditions, other fields, a new generation, a failure or wait and its end, a first progress', () => {
    const stored = { conditions: available, progress: { step: 'render', observedGeneration: 1 } };
    const p = { step: 'status', observedGeneration: 1 };
    expect(statusWorthWriting(stored, { conditions: [], progress: p })).toBe(true);
    expect(statusWorthWriting(stored, { conditions: available, revision: 2, progress: p })).toBe(true);
    expect(
      statusWorthWriting(stored, { conditions: available, progress: { ...p, observedGeneration: 2 } }),
    ).toBe(true);
    expect(statusWorthWriting(stored, { conditions: available, progress: { ...p, attempt: 1 } })).toBe(true);
    const failing = {
      conditions: available,
      progress: { step: 'unpack', attempt: 2, lastError: 'x', observedGeneration: 1 },
    };
    expect(statusWorthWriting(failing, { conditions: available, progress: p })).toBe(true);
    expect(statusWorthWriting({ conditions: available }, { conditions: available, progress: p })).toBe(true);
    expect(statusWorthWriting(undefined, { progress: p })).toBe(true);
  });
});
