/** `gantry run` flags refused before anything starts (no cluster needed). */
import { describe, expect, it } from 'vitest';
import { engineFlags } from '../../cli/commands/host-flags.js';
import { GANTRY_VERSION } from '../../cli/version.js';
import type { StepRecord } from '../../functions/steps/run-step.js';
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
      '--phase-class LIST                ObjectSetPhase classes to reconcile, comma-separated (default "default", or',
    );
  });
});

describe('gantry run --target-kubeconfig', () => {
  it('is documented in the help, with PKO’s flag name', async () => {
    const r = await runGantry(['run', '--help'], { cwd: '/' });
    expect(r.stdout).toContain(
      '--target-kubeconfig FILE          apply, probe and tear down the objects of the served ObjectSetPhases in the',
    );
    expect(r.stdout).toContain('--target-cluster-kubeconfig-file is the same): owners recorded in the');
  });

  it.each([
    [['--target-kubeconfig', ''], '--target-kubeconfig must name a kubeconfig file'],
    [
      ['--target-kubeconfig', '/a', '--target-cluster-kubeconfig-file', '/b'],
      '--target-kubeconfig and --target-cluster-kubeconfig-file name different files',
    ],
    [
      ['--target-kubeconfig', '/a', '--serve', '--plain-http'],
      '--target-kubeconfig cannot be combined with --serve',
    ],
  ])('refuses %j', async (args, message) => {
    expect(await runGantry(['run', ...args], { cwd: '/' })).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: ${message}\n`,
    });
  });
});

describe('gantry run --hosted-clusters', () => {
  it('is documented in the help', async () => {
    const r = await runGantry(['run', '--help'], { cwd: '/' });
    expect(r.stdout).toContain(
      '--hosted-clusters                 one runner for the phases of every HyperShift hosted cluster: an ObjectSetPhase',
    );
    expect(r.stdout).toContain('--hosted-cluster-clients M');
    expect(r.stdout).toContain('--hosted-cluster-connections N');
  });

  it.each([
    [
      ['--hosted-clusters', '--target-kubeconfig', '/a'],
      '--hosted-clusters and --target-kubeconfig cannot be combined',
    ],
    [['--hosted-clusters', '--serve', '--plain-http'], '--hosted-clusters cannot be combined with --serve'],
    [
      ['--hosted-cluster-clients', '3'],
      '--hosted-cluster-clients and --hosted-cluster-connections need --hosted-clusters',
    ],
  ])('refuses %j', async (args, message) => {
    expect(await runGantry(['run', ...args], { cwd: '/' })).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: ${message}\n`,
    });
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

const VERSION = `gantry\t0.1.0\npko\tv1.19.0\napi\tpackage-operator.run/v1alpha1\napi\tmanifests.package-operator.run/v1alpha1\nnode\t${process.version}\n`;

describe("PKO's manager flags on gantry run and gantry serve", () => {
  it.each([
    [
      ['run', '--enable-leader-election'],
      '--enable-leader-election is not supported: Gantry has no leader: every replica may run any key (each write is resourceVersion-guarded), and --shard I/N splits the keys between replicas; pass --enable-leader-election=false or leave it out',
    ],
    [
      ['serve', '--enable-leader-election=true'],
      '--enable-leader-election is not supported: Gantry has no leader: every replica may run any key (each write is resourceVersion-guarded), and --shard I/N splits the keys between replicas; pass --enable-leader-election=false or leave it out',
    ],
    [
      ['serve', '--pprof-addr', ':6060'],
      '--pprof-addr is not supported: Gantry serves no Go pprof endpoint; profile the Node.js process with node --cpu-prof or --inspect',
    ],
    [
      ['run', '--self-bootstrap', 'quay.io/package-operator/package-operator-package:v1.19.0'],
      '--self-bootstrap is not supported: Gantry does not install itself from a package image: deploy it from deploy/ (kustomize) or as the Lambda function',
    ],
    [
      ['serve', '--sub-component-tolerations', '[]'],
      '--sub-component-tolerations is not supported: only gantry run makes the Package of every HyperShift HostedCluster (it watches them); gantry serve and the Lambda host have no watches',
    ],
    [
      ['serve', '--package-operator-package-image', 'registry.example/pko:v1'],
      '--package-operator-package-image is not supported: only gantry run makes the Package of every HyperShift HostedCluster (it watches them); gantry serve and the Lambda host have no watches',
    ],
    [
      ['run', '--sub-component-tolerations', '{}'],
      '--sub-component-tolerations must be a JSON array (Kubernetes Tolerations), got "{}"',
    ],
    [
      ['run', '--sub-component-affinity', 'x'],
      '--sub-component-affinity must be a JSON object (a Kubernetes Affinity), got "x"',
    ],
    [
      ['run', '--object-template-resource-retry-interval', '30'],
      '--object-template-resource-retry-interval must be a positive Go duration such as 30s or 1m30s, got "30"',
    ],
    [['serve', '--package-hash-modifier', 'x'], '--package-hash-modifier must be an integer, got "x"'],
    [
      ['run', '--enable-leader-election=maybe'],
      '--enable-leader-election must be true or false, got "maybe"',
    ],
  ])('%j is refused with the reason', async (args, message) => {
    expect(await runGantry(args, { cwd: '/' })).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: ${message}\n`,
    });
  });

  it('accepts --enable-leader-election=false (and gets as far as the kubeconfig)', async () => {
    const r = await runGantry(
      ['run', '--enable-leader-election=false', '--pprof-addr=', '--kubeconfig', '/nonexistent/kubeconfig'],
      { cwd: '/' },
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: "Error: ENOENT: no such file or directory, open '/nonexistent/kubeconfig'\n",
    });
  });

  it('refuses a PKO environment variable Gantry does not support before connecting', async () => {
    const r = await runGantry(['serve', '--plain-http'], { cwd: '/', env: { PKO_CONFIG: '{}' } });
    expect(r.stderr).toBe(
      'Error: environment variable PKO_CONFIG is not supported: Gantry does not install itself from a package image: deploy it from deploy/ (kustomize) or as the Lambda function\n',
    );
  });

  it('prints the version: gantry version, gantry --version, gantry run --version, gantry serve --version', async () => {
    for (const args of [['version'], ['--version'], ['run', '--version'], ['serve', '--version']])
      expect([args, await runGantry(args, { cwd: '/' })]).toEqual([
        args,
        { code: 0, stdout: VERSION, stderr: '' },
      ]);
  });

  it("keeps Gantry's version equal to package.json's", async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg: unknown = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg).toMatchObject({ version: GANTRY_VERSION });
  });
});

describe("PKO's flags that stand for its environment, and LOG_LEVEL", () => {
  const record = (outcome: StepRecord['outcome']): StepRecord => ({
    key: { apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace: 'ns', name: 'p' },
    step: 'render',
    outcome,
    durationMs: 3,
  });

  it('maps the flags onto the engine (a flag wins over its variable) and prints only failed steps at -1', async () => {
    let out = '';
    const io = {
      stdout: (t: string) => (out += t),
      stderr: () => undefined,
      cwd: '/',
      isTTY: true,
      env: { PKO_SERVICE_ACCOUNT_NAME: 'from-env', LOG_LEVEL: '0' },
    };
    const options = await engineFlags(
      {
        'service-account-name': 'package-operator',
        'service-account-namespace': 'package-operator-system',
        'package-hash-modifier': '7',
        'log-level': '-1',
        'object-template-optional-resource-retry-interval': '2m',
      },
      io,
    );
    expect(options.parsedEnv).toMatchObject({
      serviceAccount: 'package-operator',
      podNamespace: 'package-operator-system',
      hashModifier: 7,
      logLevel: -1,
    });
    expect(options.objectTemplateRetryMs).toEqual({ optional: 120_000 });
    expect(options.prefixOverrides).toBeUndefined();
    options.record?.(record('done'));
    options.record?.(record('failed'));
    expect(out).toBe('Package ns/p: render failed in 3 ms\n');
  });
});

describe('gantry serve --hosted-clusters', () => {
  it('is documented in the help', async () => {
    const r = await runGantry(['serve', '--help'], { cwd: '/' });
    expect(r.stdout).toContain(
      '--hosted-clusters                 serve the phases of every HyperShift hosted cluster: an ObjectSetPhase in',
    );
    expect(r.stdout).toContain(
      '--phase-class LIST                ObjectSetPhase classes to reconcile, comma-separated (default "default", or',
    );
    expect(r.stdout).toContain('--hosted-cluster-clients M');
    expect(r.stdout).toContain('--hosted-cluster-connections N');
  });

  it.each([
    [['--phase-class', 'a,,b'], '--phase-class must list class names, got "a,,b"'],
    [
      ['--hosted-cluster-connections', '3'],
      '--hosted-cluster-clients and --hosted-cluster-connections need --hosted-clusters',
    ],
    [
      ['--hosted-clusters', '--hosted-cluster-clients', '0'],
      '--hosted-cluster-clients must be a positive integer, got "0"',
    ],
  ])('refuses %j', async (args, message) => {
    expect(await runGantry(['serve', '--plain-http', ...args], { cwd: '/' })).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: ${message}\n`,
    });
  });
});
