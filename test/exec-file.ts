/** Run an executable to its end: exit code, stdout and stderr (a failure to start is exit code -1). */
import { execFile } from 'node:child_process';
import type { CliResult } from './run-cli.js';

export function execToEnd(
  file: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { ...options, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
