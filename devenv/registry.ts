/**
 * @module devenv/registry
 * The CNCF distribution registry (v3, built from its Go module) on a free loopback port with our own config:
 * filesystem storage in a temporary folder, optional htpasswd basic auth, optional notifications endpoint
 * (the registry's own "image pushed" events).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { ensureBinaries } from './binaries.js';
import { freePort, startDetached, startProcess, waitFor, type ManagedProcess } from './process.js';

export interface RegistryOptions {
  /** Require basic auth with this user. */
  readonly htpasswd?: { readonly user: string; readonly password: string };
  /** POST the registry's notifications (manifest and blob pushes) to this URL. */
  readonly notifyUrl?: string;
  /** Headers sent with each notification (e.g. `Authorization: Bearer …`). */
  readonly notifyHeaders?: Readonly<Record<string, string>>;
  /** Extra environment of the registry process (e.g. `SSL_CERT_FILE` to trust a test CA for notifications). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
  /** Keep running after this process exits (`gantry dev up --with-registry`). */
  readonly detached?: boolean;
  /** Folder for config and data (default: a new temporary folder, removed on stop). */
  readonly dir?: string;
}

export interface Registry {
  /** `127.0.0.1:<port>`, for image references. */
  readonly host: string;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const { registry: binary } = await ensureBinaries(['registry'], options.log);
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'gantry-registry-')));
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
  };
  if (options.htpasswd !== undefined) {
    const hash = bcrypt.hashSync(options.htpasswd.password, 10);
    await writeFile(join(dir, 'htpasswd'), `${options.htpasswd.user}:${hash}\n`);
    config['auth'] = { htpasswd: { realm: 'gantry-test', path: join(dir, 'htpasswd') } };
  }
  if (options.notifyUrl !== undefined) {
    config['notifications'] = {
      endpoints: [
        {
          name: 'gantry',
          url: options.notifyUrl,
          timeout: '2s',
          threshold: 1,
          backoff: '1s',
          ...(options.notifyHeaders !== undefined
            ? { headers: Object.fromEntries(Object.entries(options.notifyHeaders).map(([k, v]) => [k, [v]])) }
            : {}),
        },
      ],
    };
  }
  await writeFile(join(dir, 'config.yml'), stringify(config));
  const start = options.detached === true ? startDetached : startProcess;
  const process = start(
    'registry',
    binary,
    ['serve', join(dir, 'config.yml')],
    join(dir, 'registry.log'),
    options.env ?? {},
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'registry /v2/',
    async () => [200, 401].includes((await fetch(`${url}/v2/`)).status),
    30_000,
    [process],
  );
  return {
    port,
    host: `127.0.0.1:${port}`,
    url,
    process,
    async stop(): Promise<void> {
      await process.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
