/**
 * `gantry dev up | status | down` against the real binaries: a second, detached control plane that outlives the
 * command, is reused by a second `up`, and leaves nothing running or listening after `down`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { CliIO } from '../../cli/command.js';
import { pidAlive, portIsFree, processIdentity } from '../../devenv/process.js';

const dir = mkdtempSync(join(tmpdir(), 'gantry-dev-test-'));
process.env['GANTRY_DEV_DIR'] = dir;

async function gantry(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: process.cwd(),
    isTTY: false,
  };
  const code = await main(['dev', ...args], io);
  return { code, stdout, stderr };
}

afterAll(async () => {
  await gantry('down');
  rmSync(dir, { recursive: true, force: true });
});

describe('gantry dev', () => {
  it('starts, reports, reuses and stops a local control plane', { timeout: 240_000 }, async () => {
    expect((await gantry('status')).code).toBe(1);
    const up = await gantry('up');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(
      /^Local control plane ready in \d+\.\d s \(plain mode\)\.\nkubeconfig: .*\/run\/kubeconfig\nkubectl: {4}(\/.*\/kubectl)\n$/,
    );
    // The kubectl it prints was built with the environment and runs against it.
    const kubectl = /\nkubectl: {4}(\S+)\n/.exec(up.stdout)?.[1] ?? '';
    expect(existsSync(kubectl)).toBe(true);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
      processes: { name: string; pid: number }[];
      ports: number[];
    };
    expect(state.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver']);
    const status = await gantry('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/\nkube-apiserver {10} pid \d+ +running\n/);
    expect((await gantry('status', '--kubeconfig')).stdout).toBe(`${join(dir, 'run', 'kubeconfig')}\n`);
    const again = await gantry('up');
    expect(again.stdout).toContain('A local control plane is already running (plain mode).');
    // Asking for full mode while plain mode runs starts over in full mode (what `gantry demo` needs).
    const full = await gantry('up', '--full');
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(
      /^A local control plane is running in plain mode; restarting it in full mode \(its objects are lost\)\.\nLocal control plane ready in \d+\.\d s \(full mode\)\.\n/,
    );
    for (const p of state.processes) expect(pidAlive(p.pid)).toBe(false);
    const fullState = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
      processes: { name: string; pid: number }[];
      ports: number[];
    };
    expect(fullState.processes.map((p) => p.name)).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
    ]);
    const down = await gantry('down');
    expect(down).toEqual({
      code: 0,
      stdout: 'Stopped etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok.\n',
      stderr: '',
    });
    for (const p of fullState.processes) expect(pidAlive(p.pid)).toBe(false);
    for (const port of fullState.ports) expect(await portIsFree(port)).toBe(true);
    expect((await gantry('status')).code).toBe(1);
  });

  it('down signals only the processes it started and removes only the folder it created', async () => {
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = stranger.pid ?? 0;
    try {
      const identity = processIdentity(pid);
      expect(identity?.cmdline).toBe('sleep\u000060');
      const other = mkdtempSync(join(tmpdir(), 'gantry-not-ours-'));
      writeFileSync(join(other, 'precious.txt'), 'keep me');
      mkdirSync(dir, { recursive: true });
      const state = {
        server: 'https://127.0.0.1:1',
        kubeconfigPath: join(dir, 'run', 'kubeconfig'),
        dir: other,
        full: false,
        ports: [],
        processes: [
          // the pid was reused by another process after a reboot: same pid, another start time
          { name: 'etcd', pid, logFile: 'etcd.log', identity: { ...identity, startTime: '1' } },
          // a state file without identities (written by an older Gantry): nothing to prove it is ours
          { name: 'kube-apiserver', pid, logFile: 'kube-apiserver.log' },
        ],
      };
      writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
      const down = await gantry('down');
      expect(down.code).toBe(0);
      expect(down.stderr).toBe(
        `warning: not stopping etcd (pid ${pid}): it is no longer the process Gantry started\n` +
          `warning: not stopping kube-apiserver (pid ${pid}): it is no longer the process Gantry started\n` +
          `warning: not removing ${other}: Gantry did not create it\n`,
      );
      expect(pidAlive(pid)).toBe(true);
      expect(readFileSync(join(other, 'precious.txt'), 'utf8')).toBe('keep me');
      expect(existsSync(join(dir, 'state.json'))).toBe(false);
      rmSync(other, { recursive: true, force: true });
    } finally {
      stranger.kill();
    }
  });

  it('refuses an unknown action', async () => {
    expect(await gantry('sideways')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: expected one of up, down, status; got "sideways"\n',
    });
  });
});
