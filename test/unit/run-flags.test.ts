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

describe('gantry run and gantry serve --default-service-account', () => {
  it.each(['run', 'serve'])('%s refuses a name that cannot be a ServiceAccount’s', async (command) => {
    const r = await runGantry(
      [command, '--default-service-account', 'Tenant_1', ...(command === 'serve' ? ['--plain-http'] : [])],
      { cwd: '/' },
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: --default-service-account "Tenant_1": a ServiceAccount name must be a lowercase RFC 1123 subdomain of at most 253 characters\n',
    });
  });

  it('is documented in the help of both', async () => {
    const run = await runGantry(['run', '--help'], { cwd: '/' });
    expect(run.stdout).toContain(
      '--default-service-account NAME    manage the objects of a namespaced Package (ObjectSet, ObjectTemplate) as the',
    );
    expect(run.stdout).toContain(
      '--require-impersonation           a namespaced object that names no ServiceAccount (and no default) is not applied',
    );
    const serve = await runGantry(['serve', '--help'], { cwd: '/' });
    expect(serve.stdout).toContain('--default-service-account NAME, --require-impersonation');
  });
});
