/**
 * @module cli/commands/host-flags
 * What the host commands share: `gantry run` and `gantry serve` flag parsing (durations, overrides, the serving
 * flags, the events config), the step printer, and waiting for a signal.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { serviceAccountNameProblem, type ImpersonationPolicy } from '../../shared/identity.js';
import { parseOverrideList } from '../../shared/oci/reference.js';
import type { KubeObject } from '../../shared/ports.js';
import { eventsAuthSchema, type EventsAuth } from '../../shared/triggers/events-auth.js';
import { parseShard, type Shard } from '../../shared/triggers/index.js';
import { webhookConfigurations } from '../../shared/triggers/webhook-config.js';
import { admissionAuth, type AdmissionAuth } from '../../webhooks/admission-auth.js';
import type { EngineOptions } from '../../functions/hosts/engine.js';
import type { StepRecord } from '../../functions/steps/run-step.js';
import type { CliIO } from '../command.js';
import { UsageError } from '../package-input.js';

export function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number.parseInt(value, 10);
  if (!/^\d+$/.test(value) || n <= 0)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export function overrides(value: string | undefined, flag: string): { from: string; to: string }[] {
  if (value === undefined) return [];
  const parsed = parseOverrideList(value);
  if (!parsed.ok) throw new UsageError(`--${flag}: ${parsed.error}`);
  return parsed.value;
}

/** A step record as one line: readable on a terminal, JSON (pino, loaded only then) otherwise. */
export async function stepPrinter(io: CliIO): Promise<(r: StepRecord) => void> {
  if (io.isTTY) {
    return (r) => {
      const ns = r.key.namespace === '' ? '' : `${r.key.namespace}/`;
      const wait =
        r.requeueAfterMs !== undefined ? ` (again in ${(r.requeueAfterMs / 1000).toFixed(1)} s)` : '';
      const error = r.error !== undefined ? `: ${r.error}` : '';
      io.stdout(
        `${r.key.kind} ${ns}${r.key.name}: ${r.step} ${r.outcome} in ${r.durationMs} ms${wait}${error}\n`,
      );
    };
  }
  const { default: pino } = await import('pino');
  const logger = pino(
    { base: undefined },
    {
      write: (line: string) => {
        io.stdout(line);
      },
    },
  );
  return (r) => {
    logger.info(
      {
        key: `${r.key.kind}/${r.key.namespace === '' ? '' : `${r.key.namespace}/`}${r.key.name}`,
        step: r.step,
        outcome: r.outcome,
        durationMs: r.durationMs,
        ...(r.requeueAfterMs !== undefined ? { requeueAfterMs: r.requeueAfterMs } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
      },
      'step',
    );
  };
}

/** A duration flag: `500ms`, `10s`, `5m`, `1h` or plain seconds. */
export function durationMs(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (m === null)
    throw new UsageError(`--${flag} must be a duration such as 10s, 5m or 500ms, got "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  const ms = Math.round(Number(m[1]) * unit);
  if (ms <= 0) throw new UsageError(`--${flag} must be positive, got "${value}"`);
  return ms;
}

function address(value: string | undefined): { host: string; port: number } {
  const text = value ?? '127.0.0.1:8443';
  const colon = text.lastIndexOf(':');
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--addr must be HOST:PORT, got "${text}"`);
  return { host: text.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}

const eventsConfigSchema = z.object({ sources: eventsAuthSchema }).strict();

/** Read `--events-config`: `sources: {distribution: {token: …}, github: {hmacSecret: …}, knative: {none: true}}`. */
export async function readEventsConfig(path: string | undefined): Promise<EventsAuth> {
  if (path === undefined) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--events-config ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = eventsConfigSchema.safeParse(parseYaml(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `--events-config ${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data.sources;
}

async function tlsFiles(values: {
  'tls-cert'?: string;
  'tls-key'?: string;
  'dev-cert'?: string;
  'plain-http'?: boolean;
}): Promise<{ cert: string; key: string; ca?: string } | undefined> {
  if (values['plain-http'] === true) {
    if (values['tls-cert'] !== undefined || values['dev-cert'] !== undefined)
      throw new UsageError('--plain-http excludes --tls-cert and --dev-cert');
    return undefined;
  }
  if (values['dev-cert'] !== undefined) {
    if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined)
      throw new UsageError('--dev-cert and --tls-cert/--tls-key exclude each other');
    await mkdir(values['dev-cert'], { recursive: true, mode: 0o700 });
    const { makeServingCertificates } = await import('../../devenv/certs.js');
    const files = await makeServingCertificates(values['dev-cert']);
    return {
      cert: await readFile(files.serverCert, 'utf8'),
      key: await readFile(files.serverKey, 'utf8'),
      ca: await readFile(files.caCert, 'utf8'),
    };
  }
  if (values['tls-cert'] === undefined || values['tls-key'] === undefined)
    throw new UsageError(
      'serving needs TLS: --tls-cert FILE --tls-key FILE, or --dev-cert DIR (--plain-http only behind a TLS proxy)',
    );
  return { cert: await readFile(values['tls-cert'], 'utf8'), key: await readFile(values['tls-key'], 'utf8') };
}

function booleanFlag(value: string | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--${flag} must be true or false, got "${value}"`);
}

export function shardFlag(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  const shard = parseShard(value);
  if (typeof shard === 'string') throw new UsageError(shard);
  return shard;
}

async function readFlagFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * `--admission-client-ca FILE [--admission-client-names a,b]` and/or `--admission-token-file FILE` (one token per
 * line): how the API server authenticates itself to the admission webhooks (its AdmissionConfiguration's
 * kubeConfigFile). A client CA needs TLS.
 */
async function admissionAuthFlags(
  values: ServeFlagValues,
  tls: boolean,
): Promise<{ auth: AdmissionAuth | undefined; clientCA?: string }> {
  const caFile = values['admission-client-ca'];
  const tokenFile = values['admission-token-file'];
  if (values['admission-client-names'] !== undefined && caFile === undefined)
    throw new UsageError('--admission-client-names needs --admission-client-ca');
  if (caFile !== undefined && !tls)
    throw new UsageError('--admission-client-ca needs TLS on this listener (not --plain-http)');
  if (caFile === undefined && tokenFile === undefined) return { auth: undefined };
  const clientCA = caFile !== undefined ? await readFlagFile(caFile, 'admission-client-ca') : undefined;
  if (clientCA !== undefined && !clientCA.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`--admission-client-ca ${caFile ?? ''}: no PEM certificate in the file`);
  const tokens =
    tokenFile !== undefined ? (await readFlagFile(tokenFile, 'admission-token-file')).split('\n') : [];
  try {
    const auth = admissionAuth({
      clientCertificate: clientCA !== undefined,
      clientNames: (values['admission-client-names'] ?? '').split(',').filter((n) => n !== ''),
      tokens,
    });
    if (tokenFile !== undefined && auth.tokenDigests.length === 0)
      throw new UsageError(`--admission-token-file ${tokenFile}: no token in the file`);
    return { auth, ...(clientCA !== undefined ? { clientCA } : {}) };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--admission-token-file: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The flags `gantry serve` and `gantry run --serve` share. */
export const SERVE_FLAGS = {
  addr: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'dev-cert': { type: 'string' },
  'plain-http': { type: 'boolean' },
  'register-webhooks': { type: 'boolean' },
  'admission-fetch': { type: 'string' },
  'admission-budget': { type: 'string' },
  'events-config': { type: 'string' },
  shard: { type: 'string' },
  'drain-period': { type: 'string' },
  'admission-client-ca': { type: 'string' },
  'admission-client-names': { type: 'string' },
  'admission-token-file': { type: 'string' },
} as const;

export interface ServeFlagValues {
  addr?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'dev-cert'?: string;
  'plain-http'?: boolean;
  'register-webhooks'?: boolean;
  'admission-fetch'?: string;
  'admission-budget'?: string;
  'events-config'?: string;
  shard?: string;
  'drain-period'?: string;
  'admission-client-ca'?: string;
  'admission-client-names'?: string;
  'admission-token-file'?: string;
}

export interface ServeSettings {
  readonly host: string;
  readonly port: number;
  readonly tls: { cert: string; key: string; clientCA?: string } | undefined;
  readonly admissionAuth: AdmissionAuth | undefined;
  readonly ca: string | undefined;
  readonly admissionBudgetMs: number;
  readonly eventsAuth: EventsAuth;
  readonly shard: Shard | undefined;
  readonly register: boolean;
  /** On SIGTERM: readiness fails at once, requests are served this long more, then the listener closes. */
  readonly drainMs: number;
}

/** Parse the shared serving flags (certificates made or read here). */
export async function serveSettings(values: ServeFlagValues): Promise<ServeSettings> {
  const { host, port } = address(values.addr);
  const fetch = booleanFlag(values['admission-fetch'], 'admission-fetch', true);
  const budgetMs = durationMs(values['admission-budget'], 'admission-budget', 2_000);
  const shard = shardFlag(values.shard);
  const eventsAuth = await readEventsConfig(values['events-config']);
  const register = values['register-webhooks'] === true;
  if (register && values['dev-cert'] === undefined)
    throw new UsageError('--register-webhooks needs --dev-cert (the CA the API server must trust)');
  const files = await tlsFiles(values);
  const auth = await admissionAuthFlags(values, files !== undefined);
  return {
    host,
    port,
    tls:
      files === undefined
        ? undefined
        : {
            cert: files.cert,
            key: files.key,
            ...(auth.clientCA !== undefined ? { clientCA: auth.clientCA } : {}),
          },
    admissionAuth: auth.auth,
    ca: files?.ca,
    admissionBudgetMs: fetch ? budgetMs : 0,
    eventsAuth,
    shard,
    register,
    drainMs: durationMs(values['drain-period'], 'drain-period', 10_000),
  };
}

/** The URL the API server reaches this host at, and the webhook configurations when asked to register them. */
export async function announce(
  settings: ServeSettings,
  port: number,
  apply: (object: KubeObject) => Promise<unknown>,
  io: CliIO,
): Promise<void> {
  const scheme = settings.tls === undefined ? 'http' : 'https';
  const url = `${scheme}://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`;
  if (settings.register)
    for (const object of webhookConfigurations({ url }, settings.ca)) await apply(object);
  io.stderr(`serving on ${url}${settings.register ? ' (webhooks registered)' : ''}\n`);
}

/** Resolves on SIGTERM or SIGINT. */
export async function untilSignal(): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => {
      resolve();
    });
    process.once('SIGINT', () => {
      resolve();
    });
  });
}

/** The flags of every host command (`gantry run`, `gantry serve`) that say whose rights package objects get. */
export const IMPERSONATION_FLAGS = {
  'default-service-account': { type: 'string' },
  'require-impersonation': { type: 'boolean' },
} as const;

/** `--default-service-account NAME`, `--require-impersonation`. */
export function impersonationFlags(values: {
  'default-service-account'?: string;
  'require-impersonation'?: boolean;
}): ImpersonationPolicy {
  const name = values['default-service-account'];
  const problem = name === undefined ? undefined : serviceAccountNameProblem(name);
  if (problem !== undefined)
    throw new UsageError(`--default-service-account ${JSON.stringify(name)}: ${problem}`);
  return {
    required: values['require-impersonation'] === true,
    ...(name !== undefined ? { defaultServiceAccount: name } : {}),
  };
}

/** The engine options every host command takes from its flags. */
export async function engineFlags(
  values: {
    kubeconfig?: string;
    'image-prefix-overrides'?: string;
    'registry-host-overrides'?: string;
    'default-service-account'?: string;
    'require-impersonation'?: boolean;
  },
  io: CliIO,
): Promise<EngineOptions> {
  return {
    ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
    impersonation: impersonationFlags(values),
    prefixOverrides: overrides(values['image-prefix-overrides'], 'image-prefix-overrides'),
    registryHostOverrides: new Map(
      overrides(values['registry-host-overrides'], 'registry-host-overrides').map((o) => [o.from, o.to]),
    ),
    record: await stepPrinter(io),
    env: io.env ?? {},
  };
}
