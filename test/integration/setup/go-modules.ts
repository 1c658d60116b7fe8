/**
 * @module test/integration/setup/go-modules
 * Files of a Go module as the Go module proxy serves it (`go mod download -json`): the schemas that tests validate
 * deploy/ against (Knative's and cert-manager's CRDs, AWS SAM's JSON schema) come from the projects' own releases,
 * cached in the Go module cache after the first download. Never committed.
 */
import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

function goBinary(): string {
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

/** The directory of `module@version` in the Go module cache, downloading it first when missing. */
export async function goModuleDir(module: string, version: string): Promise<string> {
  // A throw-away working directory: no go.mod of the repository (or of a parent) takes part.
  const cwd = await mkdtemp(join(tmpdir(), 'gantry-gomod-'));
  try {
    const { stdout } = await execFile(goBinary(), ['mod', 'download', '-json', `${module}@${version}`], {
      cwd,
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 10 * 60_000,
    }).catch((error: unknown) => {
      // `go mod download -json` prints its JSON (with an Error field) on stdout and exits 1.
      const out = (error as { stdout?: string }).stdout ?? '';
      if (out !== '') return { stdout: out };
      throw error;
    });
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (info.Error !== undefined) throw new Error(`go mod download ${module}@${version}: ${info.Error}`);
    if (info.Dir === undefined || !existsSync(info.Dir))
      throw new Error(`go mod download ${module}@${version}: no module directory in ${stdout}`);
    return info.Dir;
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}
