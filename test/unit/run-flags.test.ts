/** `gantry run` flags refused before anything starts (no cluster needed). */
import { describe, expect, it } from 'vitest';
import { runGantry } from '../run-cli.js';

describe('gantry run --phase-class', () => {
  it.each([',', 'a,,b', ''])('refuses an empty class name in %j', async (value) => {
    const r = await runGantry(['run', '--phase-class', value], { cwd: '/' });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: --phase-class must list class names, got "${value}"\n`,
    });
  });

  it('is documented in the help', async () => {
    const r = await runGantry(['run', '--help'], { cwd: '/' });
    expect(r.stdout).toContain(
      '--phase-class LIST                ObjectSetPhase classes to reconcile, comma-separated (default "default");',
    );
  });
});
