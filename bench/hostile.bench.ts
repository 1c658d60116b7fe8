// `npm run bench -- hostile`: the serving host under hostile callers (issue 20 §10), all on loopback, bounded
// in count and time. No control plane: the host (bench/hostile-host.child.ts, its own process) runs the trigger
// core over an in-memory cluster without objects (every GET NotFound, every LIST empty), so what is measured
// is the host itself, and the senders and the hostile registry live in this process.
// - Admission p99 for valid requests (one every 10 ms, open loop) while a flood runs beside them: the 1 MiB
//   review with 100 distinct ~10 KB CEL rules, unauthenticated 1 MiB event batches, forged HMAC events and
//   unauthenticated pings. Target: p99 ≤ 20 ms.
// - RSS growth after 10,000 forged keys (CREATE reviews naming objects that do not exist) and 1,500 distinct
//   attacker repositories (package lookups at a hostile registry on 127.0.0.1 whose realm answers 60 KB tokens).
//   Target: ≤ 30 MiB. Measured after a full garbage collection, from after a warm-up with the same requests as
//   dry runs; the forged keys still waiting are included.
// - 100,000 keys added to the work queue, time per add. Target: p99 < 1 ms.
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, request, Agent, type Server } from 'node:http';
import { z } from 'zod';
import { WorkQueue } from '../functions/hosts/queue.js';
import type { BenchResult } from './types.js';

const FLOOD_SECONDS = 5;
const VALID_EVERY_MS = 10;

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? 0;
}

const portMessage = z.object({ port: z.number() });
const memoryMessage = z.object({
  rss: z.number(),
  heapUsed: z.number(),
  heapTotal: z.number(),
  external: z.number(),
  arrayBuffers: z.number(),
  gets: z.number(),
  depth: z.number(),
});
type Memory = z.infer<typeof memoryMessage>;

interface Host {
  readonly port: number;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

/** The host in a child process (bench/hostile-host.child.ts). */
async function host(admissionBudgetMs: number): Promise<Host> {
  const child: ChildProcess = fork(
    new URL('hostile-host.child.ts', import.meta.url).pathname,
    [String(admissionBudgetMs)],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const next = async <T>(schema: z.ZodType<T>): Promise<T> =>
    new Promise((resolve) => {
      const on = (message: unknown): void => {
        const parsed = schema.safeParse(message);
        if (!parsed.success) return;
        child.off('message', on);
        resolve(parsed.data);
      };
      child.on('message', on);
    });
  const { port } = await next(portMessage);
  return {
    port,
    memory: async () => {
      const answer = next(memoryMessage);
      child.send('memory');
      return answer;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

function post(
  agent: Agent,
  port: number,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', () => {
      resolve(0);
    });
    req.end(body);
  });
}

function review(kind: string, name: string, spec: unknown, dryRun: boolean): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `u-${name}`,
      kind: { group: 'package-operator.run', version: 'v1alpha1', kind },
      operation: 'CREATE',
      namespace: 'ns',
      name,
      dryRun,
      userInfo: { username: 'bench' },
      object: { metadata: { name, namespace: 'ns' }, spec },
    },
  });
}

const JSON_HEADERS = {
  'content-type': 'application/json',
  authorization: 'Bearer bench-admission-token-0123456789',
};

/** Run `send` every `everyMs` until `until`, without waiting for answers (open loop). */
async function openLoop(
  until: number,
  everyMs: number,
  send: (i: number) => Promise<unknown>,
): Promise<void> {
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; Date.now() < until; i++) {
    inFlight.push(send(i));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  await Promise.all(inFlight);
}

async function mixedFlood(): Promise<BenchResult> {
  const h = await host(0);
  const port = h.port;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const flood = new Agent({ keepAlive: true, maxSockets: 16 });
  const valid = (i: number): string =>
    review(
      'ObjectSet',
      `valid-${i}`,
      {
        phases: [{ name: 'deploy' }],
        availabilityProbes: [
          { probes: [{ cel: { rule: 'self.status.ready == true', message: 'not ready' } }] },
        ],
      },
      true,
    );
  let rule = 'self.a == 1';
  while (rule.length < 10_000) rule += ` && self.f.g${rule.length} > ${rule.length}`;
  const cel = review(
    'ObjectSet',
    'cel',
    {
      phases: [],
      availabilityProbes: [
        {
          probes: Array.from({ length: 100 }, (_, i) => ({
            cel: { rule: `self.x${i} == 1 && ${rule}`, message: 'm' },
          })),
        },
      ],
    },
    true,
  );
  const batch = JSON.stringify(
    Array.from({ length: 12_000 }, (_, i) => ({
      specversion: '1.0',
      id: String(i),
      source: '/x',
      type: 'dev.knative.sources.ping',
    })),
  );
  const ping = {
    'ce-specversion': '1.0',
    'ce-id': 'p',
    'ce-source': '/ping',
    'ce-type': 'dev.knative.sources.ping',
  };
  const forged = JSON.stringify({
    specversion: '1.0',
    id: 'f',
    source: '/f',
    type: 'run.gantry.reconcile',
    data: {},
  });
  for (let i = 0; i < 50; i++) await post(agent, port, '/webhooks/validate', valid(-i - 1), JSON_HEADERS); // warm-up
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const count = (s: number): void => {
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  };
  const until = Date.now() + FLOOD_SECONDS * 1000;
  await Promise.all([
    openLoop(until, VALID_EVERY_MS, async (i) => {
      const started = performance.now();
      const status = await post(agent, port, '/webhooks/validate', valid(i), JSON_HEADERS);
      latencies.push(performance.now() - started);
      if (status !== 200) count(status);
    }),
    openLoop(until, 200, async () => post(flood, port, '/webhooks/validate', cel, JSON_HEADERS).then(count)),
    openLoop(until, 100, async () =>
      post(flood, port, '/events', batch, { 'content-type': 'application/cloudevents-batch+json' }).then(
        count,
      ),
    ),
    openLoop(until, 20, async () =>
      post(flood, port, '/events', forged, {
        'content-type': 'application/cloudevents+json',
        'x-gantry-signature-256': 'sha256=00',
      }).then(count),
    ),
    openLoop(until, 20, async () =>
      post(flood, port, '/events', '', { ...ping, authorization: 'Bearer forged' }).then(count),
    ),
  ]);
  agent.destroy();
  flood.destroy();
  await h.stop();
  const failures = latencies.length - latencies.filter((x) => x >= 0).length + (statuses.get(0) ?? 0);
  const flooded = [...statuses].map(([s, n]) => `${n}×${s}`).join(' ');
  return {
    name: 'hostile: admission under a mixed flood',
    ops: 1000 / (latencies.reduce((a, b) => a + b, 0) / latencies.length),
    meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    p95Ms: percentile(latencies, 0.95),
    note: `valid p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms over ${latencies.length} (target p99 ≤ 20 ms); flood answers ${flooded}${failures > 0 ? `; ${failures} connection failures` : ''}`,
  };
}

/** A registry on 127.0.0.1 that asks for a token per repository (60 KB each) and then has no such manifest. */
async function hostileRegistry(): Promise<{ server: Server; host: string }> {
  const token = 't'.repeat(60_000);
  let host = '';
  const server = createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
    req.resume();
    if (req.url?.startsWith('/token') === true) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
      return;
    }
    res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="evil"` }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  host = `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return { server, host };
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

async function memoryGrowth(): Promise<BenchResult> {
  const registry = await hostileRegistry();
  const h = await host(2_000);
  const port = h.port;
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  /** `n` reviews, `size` at a time. */
  const reviews = async (n: number, size: number, body: (i: number) => string): Promise<void> => {
    for (let i = 0; i < n; i += size)
      await Promise.all(
        Array.from({ length: size }, async (_, j) =>
          post(agent, port, '/webhooks/validate', body(i + j), JSON_HEADERS),
        ),
      );
  };
  const forge = async (prefix: string, n: number, dryRun: boolean): Promise<void> =>
    reviews(n, 100, (i) => review('ObjectDeployment', `${prefix}-${i}`, {}, dryRun));
  const repositories = async (prefix: string, n: number): Promise<void> =>
    reviews(n, 50, (i) =>
      review('Package', `${prefix}-${i}`, { image: `${registry.host}/${prefix}/r${i}:v1` }, true),
    );
  // Warm-up with the same traffic that leaves nothing behind (dry runs, a few repositories): a Node process's
  // RSS grows by some 60 MiB over its first 10,000 requests whatever they are (heap and allocator growth).
  await forge('warm', 10_000, true);
  await repositories('warm', 300);
  // The host's RSS after a full collection: what it keeps, not garbage not yet collected.
  const before = await h.memory();
  const started = performance.now();
  await forge('forged', 10_000, false); // 10,000 forged keys: CREATE reviews of objects that do not exist
  await repositories('attacker', 1_500); // 1,500 distinct attacker repositories, looked up at admission
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 1_500));
  const after = await h.memory();
  const growth = after.rss - before.rss;
  agent.destroy();
  await h.stop();
  registry.server.close();
  return {
    name: 'hostile: RSS after 10,000 forged keys + 1,500 repositories',
    ops: 11_500 / seconds,
    meanMs: (seconds * 1000) / 11_500,
    p95Ms: 0,
    memoryBytes: growth,
    note: `RSS growth ${mib(growth)} MiB (target ≤ 30 MiB), heap used ${mib(after.heapUsed - before.heapUsed)} of ${mib(after.heapTotal - before.heapTotal)} committed, external ${mib(after.external - before.external)} (array buffers ${mib(after.arrayBuffers - before.arrayBuffers)}) MiB; ${after.gets} GETs so far for 10,000 forged keys, ${after.depth} still queued`,
  };
}

async function queueAdds(): Promise<BenchResult> {
  const q = new WorkQueue({ concurrency: 8, ratePerSecond: 400, run: () => Promise.resolve(undefined) });
  const samples: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const t = performance.now();
    q.add(`key-${i}`, 60_000 + ((i * 7919) % 600_000));
    samples.push(performance.now() - t);
  }
  await q.stop();
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return {
    name: 'hostile: 100,000 keys added to the queue',
    ops: 1000 / mean,
    meanMs: mean,
    p95Ms: percentile(samples, 0.95),
    note: `p99 ${(percentile(samples, 0.99) * 1000).toFixed(1)} µs, max ${Math.max(...samples).toFixed(2)} ms (target p99 < 1 ms)`,
  };
}

export async function run(): Promise<BenchResult[]> {
  return [await queueAdds(), await mixedFlood(), await memoryGrowth()];
}
