/**
 * The README's main job as a new user meets it: `gantry demo` with an empty Gantry cache (no binaries, no template
 * engine, no environment), as a process. The Go toolchain's own caches stay warm (compiling Kubernetes from nothing
 * takes ~15 minutes; what is tested here is Gantry's first run, not Go's), and the set-up is made slower than the
 * demo's --timeout on purpose (GANTRY_DEV_SETUP_DELAY_MS): the demo must still succeed, because its timeout counts
 * from the Package's creation. Every command it prints at the end is then run as printed.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const gantryBin = join(root, 'bin', 'gantry.mjs');
const cache = mkdtempSync(join(tmpdir(), 'gantry-firstrun-'));
/** Go's build cache as the machine has it (XDG_CACHE_HOME would otherwise move it into the empty folder). */
const goCache = execFileSync('go', ['env', 'GOCACHE'], { encoding: 'utf8' }).trim();
const TIMEOUT_S = 20;
const DELAY_MS = 30_000;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  XDG_CACHE_HOME: cache,
  GOCACHE: goCache,
  GANTRY_DEV_SETUP_DELAY_MS: String(DELAY_MS),
};
delete env['GANTRY_DEV_DIR'];
delete env['KUBEBUILDER_ASSETS'];
delete env['KUBECONFIG'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the start of the process to each stdout line. */
  readonly lineTimes: ReadonlyMap<string, number>;
}

function gantry(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [gantryBin, ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    const lineTimes = new Map<string, number>();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split('\n'))
        if (!lineTimes.has(line)) lineTimes.set(line, Date.now() - started);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr, lineTimes });
    });
  });
}

afterAll(() => {
  spawnSync(process.execPath, [gantryBin, 'dev', 'down'], { cwd: root, env });
  rmSync(cache, { recursive: true, force: true });
});

describe('the first run of gantry demo', () => {
  let demo: Run | undefined;

  it(
    'succeeds with an empty cache though its set-up takes longer than --timeout',
    { timeout: 1_500_000 },
    async () => {
      expect(existsSync(join(cache, 'gantry'))).toBe(false);
      demo = await gantry(['demo', '--timeout', String(TIMEOUT_S)]);
      expect(demo.stderr).toContain('First-time set-up: building 4 steps from Go modules, expected to take');
      for (const unit of [
        'kube-apiserver, kube-controller-manager, kube-scheduler, kubectl',
        'etcd',
        'kwok',
        'registry',
      ])
        expect(demo.stderr).toMatch(new RegExp(`\\[\\d/4\\] built ${unit} in \\d+`));
      expect(demo.stdout).toMatch(
        /\nPackage gantry-demo\/web is Available \(\d+\.\d s after its creation\)\.\n/,
      );
      expect(demo.code).toBe(0);
      const created = [...demo.lineTimes].find(([line]) =>
        line.startsWith('Created Package gantry-demo/web'),
      );
      expect(created).toBeDefined();
      // The set-up alone took longer than the install was allowed: the timeout did not count it.
      expect(created?.[1] ?? 0).toBeGreaterThan(Math.max(DELAY_MS, TIMEOUT_S * 1000));
    },
  );

  it('prints only commands that work as printed', { timeout: 120_000 }, async () => {
    expect(demo?.code).toBe(0);
    const text = demo?.stdout ?? '';
    const look = text.slice(text.indexOf('Look at it:\n'));
    const kubeconfig = /^ {2}export KUBECONFIG=(\S+)$/m.exec(look)?.[1] ?? '';
    expect(existsSync(kubeconfig)).toBe(true);
    const kubectlLines = [...look.matchAll(/^ {2}(\/\S+\/kubectl) (.+)$/gm)];
    expect(kubectlLines.map((m) => m[2])).toEqual([
      'get package,objectdeployment,objectset -n gantry-demo',
      'get deployment,configmap -n gantry-demo',
      'describe package web -n gantry-demo',
    ]);
    for (const [, kubectl = '', args = ''] of kubectlLines) {
      const r = spawnSync(kubectl, args.split(' '), {
        env: { ...env, KUBECONFIG: kubeconfig },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('web');
    }
    const run =
      /^Keep reconciling \(drift correction, upgrades\): npx gantry (run --kubeconfig (\S+))$/m.exec(text);
    expect(run?.[2]).toBe(kubeconfig);
    expect(/^Stop the environment: npx gantry dev down$/m.test(text)).toBe(true);
    const down = await gantry(['dev', 'down']);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe(
      'Stopped etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, registry.\n',
    );
  });
});
