/**
 * @module oci/auth
 * Registry credentials, pure: `WWW-Authenticate` challenges (RFC 6750 / the distribution token spec), Docker
 * `config.json` and Kubernetes `kubernetes.io/dockerconfigjson` pull secrets parsed with zod, and the lookup of
 * the credentials for a registry host (Docker Hub's historical `https://index.docker.io/v1/` key included).
 */
import { z } from 'zod';
import { DOCKER_HUB } from './reference.js';

export interface Challenge {
  readonly scheme: 'bearer' | 'basic' | 'other';
  readonly params: Readonly<Record<string, string>>;
}

/** Parse one `WWW-Authenticate` header value (first challenge). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null || header.trim() === '') return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (m === null) return undefined;
  const scheme = (m[1] ?? '').toLowerCase();
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[(p[1] ?? '').toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: scheme === 'bearer' || scheme === 'basic' ? scheme : 'other', params };
}

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  /** An OAuth2 refresh token (`identitytoken` in config.json), exchanged at the token endpoint. */
  readonly identityToken?: string;
  /** A bearer token to send as is (`registrytoken`). */
  readonly registryToken?: string;
}

const authEntry = z.object({
  auth: z.string().max(16_384).optional(),
  username: z.string().max(4096).optional(),
  password: z.string().max(16_384).optional(),
  identitytoken: z.string().max(16_384).optional(),
  registrytoken: z.string().max(16_384).optional(),
});

const dockerConfig = z.object({ auths: z.record(z.string(), authEntry).optional() });

export type DockerConfig = z.infer<typeof dockerConfig>;

/** Parse a Docker `config.json` or the `.dockerconfigjson` value of a pull secret. */
export function parseDockerConfig(
  json: unknown,
  origin: string,
): { ok: true; value: DockerConfig } | { ok: false; error: string } {
  const parsed = dockerConfig.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    error: `${origin}: not a Docker config (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`,
  };
}

/** The host of an `auths` key: `https://index.docker.io/v1/` → `index.docker.io`, `docker.io` → Docker Hub. */
function authKeyHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? '';
  return host === 'docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host.toLowerCase();
}

function decodeAuth(auth: string): { username: string; password: string } | undefined {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const at = text.indexOf(':');
  return at < 0 ? undefined : { username: text.slice(0, at), password: text.slice(at + 1) };
}

/** Credentials for `host` from any of the configs, first match wins. */
export function credentialsFor(configs: readonly DockerConfig[], host: string): Credentials | undefined {
  const wanted = authKeyHost(host);
  for (const config of configs) {
    for (const [key, entry] of Object.entries(config.auths ?? {})) {
      if (authKeyHost(key) !== wanted) continue;
      const decoded = entry.auth !== undefined && entry.auth !== '' ? decodeAuth(entry.auth) : undefined;
      const username = entry.username ?? decoded?.username;
      const password = entry.password ?? decoded?.password;
      return {
        ...(username !== undefined && username !== '' ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(entry.identitytoken !== undefined ? { identityToken: entry.identitytoken } : {}),
        ...(entry.registrytoken !== undefined ? { registryToken: entry.registrytoken } : {}),
      };
    }
  }
  return undefined;
}

/** `Authorization: Basic …` for username and password. */
export function basicAuthorization(credentials: Credentials): string | undefined {
  if (credentials.username === undefined) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}`;
}

const pullSecret = z.object({
  metadata: z.object({ name: z.string().optional() }).optional(),
  type: z.string().optional(),
  data: z.record(z.string(), z.string()).optional(),
});

/**
 * The Docker configs of pull secrets (`kubernetes.io/dockerconfigjson` with `.dockerconfigjson`, or the older
 * `kubernetes.io/dockercfg` with `.dockercfg`), as PKO reads its service account's `imagePullSecrets`.
 * Unusable secrets are reported by name, never by content.
 */
export function dockerConfigsFromSecrets(secrets: readonly unknown[]): {
  configs: DockerConfig[];
  problems: string[];
} {
  const configs: DockerConfig[] = [];
  const problems: string[] = [];
  for (const raw of secrets) {
    const secret = pullSecret.safeParse(raw);
    if (!secret.success) {
      problems.push('a pull secret is not a Secret object');
      continue;
    }
    const name = secret.data.metadata?.name ?? '<unnamed>';
    const data = secret.data.data ?? {};
    const legacy = secret.data.type === 'kubernetes.io/dockercfg';
    const value = legacy ? data['.dockercfg'] : data['.dockerconfigjson'];
    if (value === undefined) {
      problems.push(
        `pull secret ${name} has no ${legacy ? '.dockercfg' : '.dockerconfigjson'} key (type ${secret.data.type ?? 'unset'})`,
      );
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    } catch {
      problems.push(`pull secret ${name}: its Docker config is not JSON`);
      continue;
    }
    const parsed = parseDockerConfig(legacy ? { auths: json } : json, `pull secret ${name}`);
    if (parsed.ok) configs.push(parsed.value);
    else problems.push(parsed.error);
  }
  return { configs, problems };
}
