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
import {
  goBool,
  goDurationMs,
  HOSTED_CLUSTER_FLAGS,
  REFUSED_FLAGS,
  refusal,
} from '../../shared/pko-knobs.js';
import { parseAffinity, parseTolerations } from '../../shared/hypershift/hosted-cluster.js';
import type { KubeObject } from '../../shared/ports.js';
import { eventsAuthSchema, type EventsAuth } from '../../shared/triggers/events-auth.js';
import { parseShard, type Shard } from '../../shared/triggers/index.js';
import { webhookConfigurations } from '../../shared/triggers/webhook-config.js';
import { admissionAuth, type AdmissionAuth } from '../../webhooks/admission-auth.js';
import { engineEnv, type EngineEnvOptions } from '../../functions/config.js';
import type { EngineOptions } from '../../functions/hosts/engine.js';
import type { StepRecord } from '../../functions/steps/run-step.js';
import type { CliIO } from '../command.js';
import { UsageError } from '../package-input.js';
import type { ConsoleMountOptions } from '../../functions/hosts/console/mount.js';
import { versionText } from '../version.js';

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

/** What PKO's log level -1 (warnings) still shows: steps that failed. */
const FAILED_OUTCOMES: ReadonlySet<string> = new Set(['failed', 'status-write-failed']);

/**
 * A step record as one line: readable on a terminal, JSON (pino, loaded only then) otherwise. PKO's log level: below
 * 0 only failed steps are printed, 0 and above every step.
 */
export async function stepPrinter(io: CliIO, logLevel = 0): Promise<(r: StepRecord) => void> {
  const print = await linePrinter(io);
  return (r) => {
    if (logLevel >= 0 || FAILED_OUTCOMES.has(r.outcome)) print(r);
  };
}

async function linePrinter(io: CliIO): Promise<(r: StepRecord) => void> {
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
  console: { type: 'boolean' },
  'console-actions': { type: 'boolean' },
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
  console?: boolean;
  'console-actions'?: boolean;
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
  /** `--console`: mount the web console at /console/ (with `--console-actions`: actions for who may take them). */
  readonly console: { readonly allowActions: boolean } | undefined;
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
  if (values['console-actions'] === true && values.console !== true)
    throw new UsageError('--console-actions needs --console');
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
    console: values.console === true ? { allowActions: values['console-actions'] === true } : undefined,
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

/** The help of PKO's manager flags, in `gantry run --help` and `gantry serve --help`. */
export const PKO_FLAGS_HELP = `PKO's manager flags (same meaning; see the README's "PKO's knobs"):
  --version                         print the version and exit
  --health-probe-bind-address ADDR  /healthz and /readyz on a listener of their own (default: off; 0: off)
  --service-account-namespace NS    whose ServiceAccount's imagePullSecrets authenticate pulls (PKO_SERVICE_ACCOUNT_NAMESPACE)
  --service-account-name NAME       ... and that ServiceAccount (PKO_SERVICE_ACCOUNT_NAME)
  --package-hash-modifier N         an integer mixed into each Package's unpackedHash (PKO_PACKAGE_HASH_MODIFIER)
  --log-level N                     -1: only failed steps; 0 (default) and above: every step (LOG_LEVEL)
  --object-template-resource-retry-interval D            an ObjectTemplate with a missing source runs again after D (30s)
  --object-template-optional-resource-retry-interval D   ... with a missing optional source (60s)
  --package-operator-package-image IMAGE  (gantry run only) for every Available HyperShift HostedCluster, the Package
                                    remote-phase of IMAGE (component remote-phase) in its control-plane namespace
                                    (PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE; default: off)
  --sub-component-affinity JSON     (gantry run only) ... with this affinity in its config (PKO_SUB_COMPONENT_AFFINITY)
  --sub-component-tolerations JSON  (gantry run only) ... and these tolerations (PKO_SUB_COMPONENT_TOLERATIONS)
  Refused, with the reason: --enable-leader-election[=true], --pprof-addr, --self-bootstrap, --self-bootstrap-config
`;

/** PKO's manager flags that `gantry run` and `gantry serve` take besides their own (see the README's table). */
export const PKO_FLAGS = {
  'service-account-namespace': { type: 'string' },
  'service-account-name': { type: 'string' },
  'package-hash-modifier': { type: 'string' },
  'log-level': { type: 'string' },
  'health-probe-bind-address': { type: 'string' },
  'object-template-resource-retry-interval': { type: 'string' },
  'object-template-optional-resource-retry-interval': { type: 'string' },
  version: { type: 'boolean' },
  'enable-leader-election': { type: 'string' },
  'pprof-addr': { type: 'string' },
  'package-operator-package-image': { type: 'string' },
  'sub-component-affinity': { type: 'string' },
  'sub-component-tolerations': { type: 'string' },
  'self-bootstrap': { type: 'string' },
  'self-bootstrap-config': { type: 'string' },
} as const;

export interface PkoFlagValues {
  'service-account-namespace'?: string;
  'service-account-name'?: string;
  'package-hash-modifier'?: string;
  'log-level'?: string;
  'health-probe-bind-address'?: string;
  'object-template-resource-retry-interval'?: string;
  'object-template-optional-resource-retry-interval'?: string;
  version?: boolean;
  'enable-leader-election'?: string;
  'pprof-addr'?: string;
  'package-operator-package-image'?: string;
  'sub-component-affinity'?: string;
  'sub-component-tolerations'?: string;
  'self-bootstrap'?: string;
  'self-bootstrap-config'?: string;
}

/** Go's boolean flag forms: `--enable-leader-election` alone is `--enable-leader-election=true`. */
export function goBoolArgs(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '--enable-leader-election' ? '--enable-leader-election=true' : a));
}

/** Refuse PKO's flags that ask for something Gantry does not do; an empty value (PKO's default: off) passes. */
export function refusePkoFlags(values: PkoFlagValues, accepted: readonly string[] = []): void {
  for (const [flag, reason] of Object.entries(REFUSED_FLAGS)) {
    if (accepted.includes(flag)) continue;
    const value: unknown = Object.entries(values).find(([k]) => k === flag)?.[1];
    if (typeof value !== 'string' || value === '') continue;
    if (flag === 'enable-leader-election') {
      const on = goBool(value);
      if (on === undefined)
        throw new UsageError(`--enable-leader-election must be true or false, got "${value}"`);
      if (!on) continue;
    }
    throw new UsageError(refusal(`--${flag}`, reason));
  }
}

function goDurationFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = goDurationMs(value);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--${flag} must be a positive Go duration such as 30s or 1m30s, got "${value}"`);
  return ms;
}

function integerFlag(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && !/^-?\d+$/.test(value))
    throw new UsageError(`--${flag} must be an integer, got "${value}"`);
  return value;
}

/** PKO's ObjectTemplate retry intervals; an interval not given keeps PKO's default (30 s, 60 s). */
function objectTemplateRetry(values: PkoFlagValues): { source?: number; optional?: number } {
  const source = goDurationFlag(
    values['object-template-resource-retry-interval'],
    'object-template-resource-retry-interval',
  );
  const optional = goDurationFlag(
    values['object-template-optional-resource-retry-interval'],
    'object-template-optional-resource-retry-interval',
  );
  return { ...(source !== undefined ? { source } : {}), ...(optional !== undefined ? { optional } : {}) };
}

/** A flag whose value must be JSON of a shape (`parse`): the value, or a usage error saying what it must be. */
function jsonFlag(
  value: string | undefined,
  flag: string,
  parse: (text: string) => { ok: boolean },
  what: string,
): string | undefined {
  if (value !== undefined && value !== '' && !parse(value).ok)
    throw new UsageError(`--${flag} must be ${what}, got "${value}"`);
  return value;
}

/** PKO's flags that stand for its environment variables: the flag wins, as PKO's flags default to the variables. */
function flagEnv(values: PkoFlagValues): Record<string, string> {
  const pairs: [string, string | undefined][] = [
    ['PKO_SERVICE_ACCOUNT_NAMESPACE', values['service-account-namespace']],
    ['PKO_SERVICE_ACCOUNT_NAME', values['service-account-name']],
    ['PKO_PACKAGE_HASH_MODIFIER', integerFlag(values['package-hash-modifier'], 'package-hash-modifier')],
    ['LOG_LEVEL', integerFlag(values['log-level'], 'log-level')],
    ['PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE', values['package-operator-package-image']],
    [
      'PKO_SUB_COMPONENT_AFFINITY',
      jsonFlag(
        values['sub-component-affinity'],
        'sub-component-affinity',
        parseAffinity,
        'a JSON object (a Kubernetes Affinity)',
      ),
    ],
    [
      'PKO_SUB_COMPONENT_TOLERATIONS',
      jsonFlag(
        values['sub-component-tolerations'],
        'sub-component-tolerations',
        parseTolerations,
        'a JSON array (Kubernetes Tolerations)',
      ),
    ],
  ];
  return Object.fromEntries(pairs.filter((p): p is [string, string] => p[1] !== undefined));
}

/** `--version` on a host command: print and stop, as PKO's manager does. */
export function printedVersion(values: PkoFlagValues, io: CliIO): boolean {
  if (values.version !== true) return false;
  io.stdout(versionText());
  return true;
}

/** A listener address flag of PKO's: `0` (or empty) turns it off, as controller-runtime. */
export function listenerAddress(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === '0' ? undefined : value;
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

/** The engine options every host command takes from its flags (PKO's among them). */
export async function engineFlags(
  values: {
    kubeconfig?: string;
    'image-prefix-overrides'?: string;
    'registry-host-overrides'?: string;
    'default-service-account'?: string;
    'require-impersonation'?: boolean;
  } & PkoFlagValues,
  io: CliIO,
  host: EngineEnvOptions = {},
): Promise<EngineOptions> {
  refusePkoFlags(values, host.hostedClusters === true ? HOSTED_CLUSTER_FLAGS : []);
  const env = { ...(io.env ?? {}), ...flagEnv(values) };
  const parsedEnv = engineEnv(env, host);
  const prefix = values['image-prefix-overrides'];
  const hosts = values['registry-host-overrides'];
  return {
    ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
    ...(prefix !== undefined ? { prefixOverrides: overrides(prefix, 'image-prefix-overrides') } : {}),
    ...(hosts !== undefined
      ? {
          registryHostOverrides: new Map(
            overrides(hosts, 'registry-host-overrides').map((o) => [o.from, o.to]),
          ),
        }
      : {}),
    objectTemplateRetryMs: objectTemplateRetry(values),
    impersonation: impersonationFlags(values),
    record: await stepPrinter(io, parsedEnv.logLevel ?? 0),
    parsedEnv,
    env,
  };
}

/** The console a serving host mounts (`--console`), its actions those of `gantry pause|rollout undo|approve`. */
export async function mountedConsole(settings: ServeSettings): Promise<ConsoleMountOptions | undefined> {
  if (settings.console === undefined) return undefined;
  const { consoleActions } = await import('./console.js');
  return { actions: consoleActions, allowActions: settings.console.allowActions };
}

/** The class PKO's remote-phase manager serves by default (its `--class`). */
export const HOSTED_CLUSTER_CLASS = 'hosted-cluster';

/** `--phase-class a,b`: the ObjectSetPhase classes a host serves (default `default`, or `hosted-cluster` if remote). */
export function phaseClasses(value: string | undefined, remote: boolean): string[] {
  if (value === undefined) return [remote ? HOSTED_CLUSTER_CLASS : 'default'];
  const classes = value.split(',').map((c) => c.trim());
  if (classes.some((c) => c === ''))
    throw new UsageError(`--phase-class must list class names, got "${value}"`);
  return classes;
}

/** The flags of a host serving the remote phases of many hosted clusters (`gantry run`, `gantry serve`). */
export const HOSTED_CLUSTERS_FLAGS = {
  'phase-class': { type: 'string' },
  'hosted-clusters': { type: 'boolean' },
  'hosted-cluster-clients': { type: 'string' },
  'hosted-cluster-connections': { type: 'string' },
} as const;

/** `--hosted-clusters` and its bounds. */
export function hostedClusterTargets(values: {
  readonly 'hosted-clusters'?: boolean | undefined;
  readonly 'hosted-cluster-clients'?: string | undefined;
  readonly 'hosted-cluster-connections'?: string | undefined;
}): { hostedClusterTargets?: { maxClusters: number; maxSockets: number } } {
  const many = values['hosted-clusters'] === true;
  if (
    !many &&
    (values['hosted-cluster-clients'] !== undefined || values['hosted-cluster-connections'] !== undefined)
  )
    throw new UsageError('--hosted-cluster-clients and --hosted-cluster-connections need --hosted-clusters');
  if (!many) return {};
  return {
    hostedClusterTargets: {
      maxClusters: positiveInt(values['hosted-cluster-clients'], 'hosted-cluster-clients', 64),
      maxSockets: positiveInt(values['hosted-cluster-connections'], 'hosted-cluster-connections', 4),
    },
  };
}
