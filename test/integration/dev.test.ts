/**
 * `gantry dev up | status | down` against the real binaries: a second, detached control plane that outlives the
 * command, is reused by a second `up`, and leaves nothing running or listening after `down`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { CliIO } from '../../cli/command.js';
import { pidAlive, portIsFree } from '../../devenv/process.js';

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
      /^Local control plane ready in \d+\.\d s \(plain mode\)\.\nkubeconfig: .*\/run\/kubeconfig\n$/,
    );
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
    const down = await gantry('down');
    expect(down).toEqual({ code: 0, stdout: 'Stopped etcd, kube-apiserver.\n', stderr: '' });
    for (const p of state.processes) expect(pidAlive(p.pid)).toBe(false);
    for (const port of state.ports) expect(await portIsFree(port)).toBe(true);
    expect((await gantry('status')).code).toBe(1);
  });

  it('refuses an unknown action', async () => {
    expect(await gantry('sideways')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: expected one of up, down, status; got "sideways"\n',
    });
  });
});
