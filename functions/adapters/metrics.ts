/**
 * @module adapters/metrics
 * Prometheus metrics of the engine (prom-client): steps by kind, step and outcome, step duration, API requests
 * by verb and code, queue depth; served as text on `/metrics` by the hosts.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Outcome } from '../../shared/steps/outcome.js';

export class EngineMetrics {
  public readonly registry = new Registry();
  private readonly steps = new Counter({
    name: 'gantry_steps_total',
    help: 'Reconcile steps run, by kind, step and outcome.',
    labelNames: ['kind', 'step', 'outcome'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'gantry_step_duration_seconds',
    help: 'Duration of reconcile steps.',
    labelNames: ['kind', 'step'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: 'gantry_api_requests_total',
    help: 'Kubernetes API requests, by verb and HTTP code (0: no answer).',
    labelNames: ['verb', 'code'],
    registers: [this.registry],
  });
  private readonly queue = new Gauge({
    name: 'gantry_queue_depth',
    help: 'Keys waiting or running in the work queue.',
    registers: [this.registry],
  });

  private readonly queueRefusals = new Counter({
    name: 'gantry_queue_refused_total',
    help: 'Keys refused because the work queue was full (their objects are found again by the tick or a resync).',
    registers: [this.registry],
  });

  private readonly http = new Counter({
    name: 'gantry_http_requests_total',
    help: 'Requests to the webhook and event endpoints, by path and HTTP status.',
    labelNames: ['path', 'code'],
    registers: [this.registry],
  });
  private readonly refusedEvents = new Counter({
    name: 'gantry_events_refused_total',
    help: 'Events refused, by source and HTTP status (401: unauthenticated).',
    labelNames: ['source', 'code'],
    registers: [this.registry],
  });

  public httpRequest(path: string, code: number): void {
    const known = ['/webhooks/validate', '/webhooks/mutate', '/events', '/healthz', '/readyz', '/metrics'];
    this.http.inc({ path: known.includes(path) ? path : 'other', code: String(code) });
  }

  public eventRefused(source: string, code: number): void {
    this.refusedEvents.inc({ source, code: String(code) });
  }

  public step(kind: string, step: string, outcome: Outcome, ms: number): void {
    this.steps.inc({ kind, step, outcome });
    this.duration.observe({ kind, step }, ms / 1000);
  }

  public request(verb: string, code: number): void {
    this.requests.inc({ verb, code: String(code) });
  }

  public queueRefused(): void {
    this.queueRefusals.inc();
  }

  public queueDepth(depth: number): void {
    this.queue.set(depth);
  }

  /** Serve `/metrics` (and `/healthz`) on `host:port` (`:port`: every interface, as Go's listeners). */
  public async serve(address: string): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url === '/metrics') {
        void this.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': this.registry.contentType });
          res.end(text);
        });
        return;
      }
      res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(req.url === '/healthz' ? 'ok\n' : 'not found\n');
    });
    await listenAt(server, address);
    return server;
  }
}

/**
 * PKO's health probe listener (`--health-probe-bind-address`): `/healthz` and `/readyz` answer 200 `ok` (controller-
 * runtime's ping checks); `/readyz` answers 503 while `ready()` is false.
 */
export async function serveHealthProbes(address: string, ready: () => boolean = () => true): Promise<Server> {
  const server = createServer((req, res) => {
    const ok = req.url === '/healthz' || (req.url === '/readyz' && ready());
    const known = req.url === '/healthz' || req.url === '/readyz';
    res.writeHead(ok ? 200 : known ? 503 : 404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(ok ? 'ok' : known ? 'not ready' : 'not found\n');
  });
  await listenAt(server, address);
  return server;
}

/** Listen on `host:port`, `[v6]:port` or `:port` (every interface). */
export async function listenAt(server: Server, address: string): Promise<void> {
  const colon = address.lastIndexOf(':');
  const host = colon > 0 ? address.slice(0, colon).replace(/^\[|\]$/g, '') : undefined;
  const port = Number.parseInt(address.slice(colon + 1), 10);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      resolve();
    };
    if (host === undefined) server.listen(port, done);
    else server.listen(port, host, done);
  });
}
