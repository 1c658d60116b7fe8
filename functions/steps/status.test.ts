import { describe, expect, it } from 'vitest';
import { Conditions } from './status.js';

describe('step conditions', () => {
  it('keep a message built from thousands of objects within what the CRD accepts, head and tail shown', () => {
    const failures = Array.from({ length: 2000 }, (_, i) => ` ConfigMap ns/cm-${i}: gate is not open`).join(
      ', ',
    );
    const message = `Phase "only" failed: ${failures}`;
    expect(message.length).toBeGreaterThan(32768);
    const c = new Conditions([], 3, new Date('2026-01-01T00:00:00Z'));
    c.set('Available', 'False', 'ProbeFailure', message);
    const stored = c.get('Available');
    expect(stored?.message.length).toBeLessThanOrEqual(4096);
    expect(stored?.message.startsWith('Phase "only" failed:  ConfigMap ns/cm-0: gate is not open')).toBe(
      true,
    );
    expect(stored?.message.endsWith('ConfigMap ns/cm-1999: gate is not open')).toBe(true);
    expect(stored?.message).toContain('characters elided');
    expect(stored?.observedGeneration).toBe(3);
  });
});
