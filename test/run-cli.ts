/**
 * Run the `gantry` CLI in-process for tests: stdout, stderr and the exit code, with a chosen working folder and
 * environment (HOME points nowhere by default, so no Docker config of the machine leaks in).
 */
import type { CliIO } from '../cli/command.js';
import { main } from '../cli/main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function* bytesOf(text: string): AsyncIterable<Uint8Array> {
  yield await Promise.resolve(new TextEncoder().encode(text));
}

export async function runGantry(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: Record<string, string>; readonly stdin?: string },
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: options.cwd,
    isTTY: false,
    env: { HOME: '/nonexistent', ...options.env },
    ...(options.stdin !== undefined ? { stdin: () => bytesOf(options.stdin ?? '') } : {}),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
