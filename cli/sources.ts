/**
 * @module cli/sources
 * The package source of a CLI run: registry credentials from the Docker config (`$DOCKER_CONFIG/config.json`
 * or `~/.docker/config.json`), S3 from the usual AWS environment (`AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`
 * for S3-compatible servers), `--insecure` allowing plain http to the hosts the command names, and a
 * progress line on stderr when it is a terminal.
 */
import { proxyFromEnv } from '../functions/config.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readDockerConfigFile } from '../functions/adapters/oci/credentials.js';
import { createPackageSource, type PackageSource } from '../functions/adapters/package-source.js';
import type { PlainHttpRule } from '../shared/oci/network.js';
import { parseLocation } from '../shared/oci/source.js';
import type { RawPackage } from '../shared/packages/index.js';
import type { CliIO } from './command.js';
import { UsageError } from './package-input.js';

/** The host a location names, for `--insecure`. */
function hostOf(location: string): string | undefined {
  const parsed = parseLocation(location, { allowHttp: true });
  if (!parsed.ok) return undefined;
  if (parsed.value.kind === 'oci') return parsed.value.ref.registry;
  if (parsed.value.kind === 'https') return new URL(parsed.value.url).host;
  return undefined;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(0)} kB`;
}

function progressReporter(
  io: CliIO,
): ((location: string, bytes: number, total: number | undefined) => void) | undefined {
  if (io.stderrIsTTY !== true) return undefined;
  const started = Date.now();
  let last = 0;
  return (location, bytes, total) => {
    const now = Date.now();
    const done = total !== undefined && bytes >= total;
    if (now - last < 200 && !done) return;
    last = now;
    const rate = bytes / Math.max((now - started) / 1000, 0.001);
    const of = total !== undefined ? ` / ${formatBytes(total)}` : '';
    io.stderr(`\r${location}: ${formatBytes(bytes)}${of} (${formatBytes(rate)}/s)${done ? '\n' : ''}`);
  };
}

/** A package source for the locations a command names (`plainHttp`: PKO's plain-http registries, for commands
 * that reach registries as go-containerregistry's defaults do). */
export async function cliPackageSource(
  io: CliIO,
  locations: readonly string[],
  insecure: boolean,
  plainHttp?: ReadonlySet<PlainHttpRule>,
): Promise<PackageSource> {
  const env = io.env ?? {};
  const configDir = env['DOCKER_CONFIG'] ?? join(env['HOME'] ?? homedir(), '.docker');
  const dockerConfig = await readDockerConfigFile(join(configDir, 'config.json'));
  const endpoint = env['AWS_ENDPOINT_URL_S3'] ?? env['AWS_ENDPOINT_URL'];
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const onProgress = progressReporter(io);
  return createPackageSource({
    proxy: proxyFromEnv(env),
    insecureHosts: insecure ? locations.map(hostOf).filter((h): h is string => h !== undefined) : [],
    ...(plainHttp !== undefined ? { plainHttp } : {}),
    dockerConfigs: dockerConfig === undefined ? [] : [dockerConfig],
    s3: {
      ...(endpoint !== undefined && endpoint !== '' ? { endpoint } : {}),
      region: env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
      ...(accessKeyId !== undefined && secretAccessKey !== undefined
        ? { credentials: { accessKeyId, secretAccessKey } }
        : {}),
    },
    ...(onProgress !== undefined ? { onProgress } : {}),
  });
}

/** `--pull <location>`: fetch the package and hand it over as a raw package. */
export async function pullPackageArgument(
  io: CliIO,
  location: string | undefined,
  insecure: boolean,
): Promise<RawPackage> {
  if (location === undefined) throw new UsageError('accepts 1 arg(s), received 0');
  const source = await cliPackageSource(io, [location], insecure);
  const pulled = await source.pull(location);
  return { files: pulled.files, labels: pulled.labels };
}
