import { describe, expect, it } from 'vitest';
import { RETRY_AFTER_CAP_MS, retryDelayMs } from './retry.js';

const backoff = { baseMs: 1_000, capMs: 30_000 };

describe('retryDelayMs', () => {
  it('doubles per attempt up to the cap, the upper half random', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => retryDelayMs(n, backoff, 0))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000,
    ]);
    expect([0, 1, 5, 40].map((n) => retryDelayMs(n, backoff, 0.999_999))).toEqual([
      1_000, 2_000, 30_000, 30_000,
    ]);
    expect(retryDelayMs(2, backoff, 0.5)).toBe(3_000);
  });

  it("waits at least the server's Retry-After, bounded", () => {
    expect(retryDelayMs(0, backoff, 0, 7_000)).toBe(7_000);
    expect(retryDelayMs(5, backoff, 0.5, 7_000)).toBe(22_500);
    expect(retryDelayMs(0, backoff, 0, 10 ** 12)).toBe(RETRY_AFTER_CAP_MS);
  });

  it('odd inputs stay in range', () => {
    expect(retryDelayMs(-3, backoff, -1, -5)).toBe(500);
    expect(retryDelayMs(1, backoff, 7)).toBe(2_000);
  });
});
