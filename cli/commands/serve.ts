/**
 * @module cli/commands/serve
 * `gantry serve`: the watch-less host (admission webhooks, `/events`, the schedule tick) over TLS.
 */
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseShard, type Shard } from '../../shared/triggers/index.js';
import { webhookConfigurations } from '../../shared/triggers/webhook-config.js';
import { eventsAuthSchema, type EventsAuth } from '../../shared/triggers/events-auth.js';
import type { CliIO, Command } from '../command.js';
import { UsageError } from '../package-input.js';
import { overrides, positiveInt, stepPrinter } from './run.js';

const usage = `Serve Gantry's admission webhooks and event endpoints over TLS; run every step they trigger.

Usage:
  gantry serve (--tls-cert FILE --tls-key FILE | --dev-cert DIR) [flags]

No watch: admission requests (/webhooks/validate, /webhooks/mutate), events (/events: Knative ApiServerSource
and PingSource CloudEvents, registry push notifications) and a schedule tick are the only triggers. Requeues are
kept in each object's status, so the tick (on this or any other instance) runs them when they are due.

Flags:
  --kubeconfig FILE                 kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  --addr HOST:PORT                  listen address (default 127.0.0.1:8443; port 0: any free port)
  --tls-cert FILE, --tls-key FILE   serving certificate and key (PEM)
  --dev-cert DIR                    make (once) a self-signed CA and a certificate for 127.0.0.1/localhost in DIR
  --register-webhooks               apply the Validating/MutatingWebhookConfigurations "gantry" pointing at this
                                    address with the dev CA (--dev-cert only; in a cluster, deploy/ does it)
  --resync-interval DURATION        schedule tick: run what is due this often (default 10s)
  --full-resync-interval DURATION   run every object this often, to correct drift nobody reported (default 1h)
  --admission-fetch true|false      fetch the package at admission to check its config schema (default true)
  --admission-budget DURATION       time allowed for that fetch; past it the request is admitted with a warning (default 2s)
  --events-config FILE              YAML: how each event source authenticates (see README "Events")
  --shard I/N                       this replica's share of the tick's work (keys split by a stable hash)
  -n, --namespace NS                only namespaced objects of this namespace (default: all namespaces)
  --concurrency N                   keys reconciled at once (default 8)
  --image-prefix-overrides LIST     PKO's from=to,… image prefix rewrites
  --registry-host-overrides LIST    PKO's host=otherhost,… registry host rewrites
  -h, --help                        help

Durations: 500ms, 10s, 5m, 1h, or plain seconds. Endpoints: /webhooks/validate, /webhooks/mutate, /events,
/healthz, /readyz, /metrics. Stops on SIGTERM or SIGINT after the steps in flight finish.
`;

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
}): Promise<{ cert: string; key: string; ca?: string }> {
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
    throw new UsageError('serving needs TLS: --tls-cert FILE --tls-key FILE, or --dev-cert DIR');
  return { cert: await readFile(values['tls-cert'], 'utf8'), key: await readFile(values['tls-key'], 'utf8') };
}

function booleanFlag(value: string | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--${flag} must be true or false, got "${value}"`);
}

function shardFlag(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  const shard = parseShard(value);
  if (typeof shard === 'string') throw new UsageError(shard);
  return shard;
}

export const serveCommand: Command = {
  usage,
  async run(argv, io: CliIO) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        kubeconfig: { type: 'string' },
        addr: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'dev-cert': { type: 'string' },
        'register-webhooks': { type: 'boolean' },
        'resync-interval': { type: 'string' },
        'full-resync-interval': { type: 'string' },
        'admission-fetch': { type: 'string' },
        'admission-budget': { type: 'string' },
        'events-config': { type: 'string' },
        shard: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        concurrency: { type: 'string' },
        'image-prefix-overrides': { type: 'string' },
        'registry-host-overrides': { type: 'string' },
      },
    });
    const { host, port } = address(values.addr);
    const tickMs = durationMs(values['resync-interval'], 'resync-interval', 10_000);
    const fullResyncMs = durationMs(values['full-resync-interval'], 'full-resync-interval', 3_600_000);
    const fetch = booleanFlag(values['admission-fetch'], 'admission-fetch', true);
    const budgetMs = durationMs(values['admission-budget'], 'admission-budget', 2_000);
    const shard = shardFlag(values.shard);
    const eventsAuth = await readEventsConfig(values['events-config']);
    if (values['register-webhooks'] === true && values['dev-cert'] === undefined)
      throw new UsageError('--register-webhooks needs --dev-cert (the CA the API server must trust)');
    const tls = await tlsFiles(values);
    const { startServe } = await import('../../functions/hosts/serve.js');
    const serve = await startServe({
      ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
      prefixOverrides: overrides(values['image-prefix-overrides'], 'image-prefix-overrides'),
      registryHostOverrides: new Map(
        overrides(values['registry-host-overrides'], 'registry-host-overrides').map((o) => [o.from, o.to]),
      ),
      record: await stepPrinter(io),
      env: io.env ?? {},
      host,
      port,
      tls,
      concurrency: positiveInt(values.concurrency, 'concurrency', 8),
      namespace: values.namespace ?? '',
      tickMs,
      fullResyncMs,
      admissionBudgetMs: fetch ? budgetMs : 0,
      eventsAuth,
      ...(shard !== undefined ? { shard } : {}),
      log: (m) => {
        io.stderr(`${m}\n`);
      },
    });
    const url = `https://${host.includes(':') ? `[${host}]` : host}:${serve.port}`;
    if (values['register-webhooks'] === true)
      for (const object of webhookConfigurations({ url }, tls.ca))
        await serve.engine.client.apply(object, { force: true });
    io.stderr(`serving on ${url}${values['register-webhooks'] === true ? ' (webhooks registered)' : ''}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => {
        resolve();
      });
      process.once('SIGINT', () => {
        resolve();
      });
    });
    io.stderr('stopping: waiting for the steps in flight\n');
    await serve.stop();
    return 0;
  },
};
