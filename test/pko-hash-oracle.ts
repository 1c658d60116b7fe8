/**
 * PKO's own hash code, run on JSON inputs (scripts/pko-hash-oracle): found at
 * `~/.cache/gantry/bin/pko-hash-oracle` (or `PKO_HASH_ORACLE`), else built there from PKO's source
 * (`~/.cache/gantry/pko-src`, made by scripts/build-pko.sh, or `PKO_SOURCE`) with the machine's Go. Without Go or
 * PKO's source it is missing, and the parity checks that need it skip and say why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { isExecutableFile } from './pko-cli.js';

export type OracleLocation = { readonly path: string } | { readonly missing: string };

const BUILD_SCRIPT = join(import.meta.dirname, '..', 'scripts', 'pko-hash-oracle', 'build.sh');

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // no Go toolchain on PATH
  }
}

/** The oracle, built when it is not there yet and can be; or why it cannot be had. */
export function locatePkoHashOracle(env: NodeJS.ProcessEnv = process.env): OracleLocation {
  const given = env['PKO_HASH_ORACLE'];
  const path =
    given !== undefined && given !== ''
      ? given
      : join(homedir(), '.cache', 'gantry', 'bin', 'pko-hash-oracle');
  if (isExecutableFile(path)) return { path };
  const source = env['PKO_SOURCE'] ?? join(homedir(), '.cache', 'gantry', 'pko-src');
  const missing = (why: string): OracleLocation => ({
    missing: `PKO's hash oracle is not at ${path} and cannot be built: ${why}; the PKO hash parity checks are SKIPPED`,
  });
  if (!existsSync(join(source, 'internal', 'utils', 'hash.go')))
    return missing(`no PKO source at ${source} (scripts/build-pko.sh extracts it)`);
  if (!hasGo()) return missing('no Go toolchain');
  execFileSync('sh', [BUILD_SCRIPT, source], { stdio: 'ignore', timeout: 600_000 });
  return isExecutableFile(path) ? { path } : missing(`${BUILD_SCRIPT} did not produce it`);
}

const answers = z.array(
  z.object({
    spew: z.string().optional(),
    hash: z.string().optional(),
    sizes: z.array(z.number()).optional(),
    error: z.string().optional(),
  }),
);
export type OracleAnswer = z.infer<typeof answers>[number];

/** PKO's answers for a list of cases (the oracle's input format). */
export function askPkoHashOracle(path: string, cases: readonly unknown[]): OracleAnswer[] {
  const out = execFileSync(path, { input: JSON.stringify(cases), maxBuffer: 64 * 1024 * 1024 });
  return answers.parse(JSON.parse(out.toString('utf8')));
}
