import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{shared,webhooks,functions,cli,examples}/**/*.test.ts', 'test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // Parity with PKO's own CLI; skipped (and says why) where PKO's CLI is not built (CI).
        test: {
          name: 'parity',
          include: ['test/parity/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/setup/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        // The README's main job on an empty Gantry cache (slow: links every binary). Runs after the other
        // projects, so its builds never compete with their timings.
        test: {
          name: 'firstrun',
          include: ['test/firstrun/**/*.test.ts'],
          testTimeout: 1_500_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
