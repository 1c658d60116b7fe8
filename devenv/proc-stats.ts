/**
 * @module devenv/proc-stats
 * What a process used so far, read from /proc (Linux): CPU seconds and resident memory. The benches report these
 * for the controllers and the control plane they measure.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process used so far: /proc/<pid>/stat fields 14 and 15; 0 once it is gone. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (stat === '') return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** VmHWM (peak RSS) and VmRSS of a process, bytes; 0 once it is gone. */
export async function memory(pid: number | undefined): Promise<{ peak: number; now: number }> {
  if (pid === undefined) return { peak: 0, now: 0 };
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { peak: kb('VmHWM') * 1024, now: kb('VmRSS') * 1024 };
}
