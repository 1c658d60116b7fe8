import { describe, expect, it } from 'vitest';
import { goBool, goDurationMs } from './pko-knobs.js';

describe("PKO's flag value syntax", () => {
  it('reads Go durations as time.ParseDuration does', () => {
    expect(goDurationMs('30s')).toBe(30_000);
    expect(goDurationMs('1m30s')).toBe(90_000);
    expect(goDurationMs('1.5h')).toBe(5_400_000);
    expect(goDurationMs('500ms')).toBe(500);
    expect(goDurationMs('0')).toBe(0);
    expect(goDurationMs('30')).toBeUndefined();
    expect(goDurationMs('1d')).toBeUndefined();
    expect(goDurationMs('')).toBeUndefined();
  });

  it('reads Go booleans as strconv.ParseBool does', () => {
    expect(['1', 't', 'TRUE', 'true', 'True'].map(goBool)).toEqual([true, true, true, true, true]);
    expect(['0', 'f', 'FALSE', 'false', 'False'].map(goBool)).toEqual([false, false, false, false, false]);
    expect(goBool('yes')).toBeUndefined();
  });
});
