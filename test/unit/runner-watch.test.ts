/**
 * The runner's watches against recorded streams: a real HTTP server on 127.0.0.1 answers discovery, LISTs and
 * chunked watch streams as kube-apiserver does, scripted per watch request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawKubeClient, WatchDecoder } from '../../functions/adapters/kube/client.js';
import { KubeApiError, KubeUnavailableError } from '../../shared/kube-errors.js';
import { fakeStepDeps } from '../fakes/deps.js';
import { Runner } from '../../functions/hosts/runner.js';

const API = 'package-operator.run/v1alpha1';
const PACKAGES = `/apis/${API}/packages`;

function pkg(name: string, rv: string): Record<string, unknown> {
  return { apiVersion: API, kind: 'Package', metadata: { name, namespace: 'ns', resourceVersion: rv } };
}

/**
 * One scripted answer to a watch or streaming-list request: status, headers and the first lines of its body, then
 * the stream ends (or, with `hold`, stays open for `push`); `delayMs` answers only after that long (the runner's
 * start-up is over by then); 'hold': an empty stream held open.
 */
type WatchAnswer =
  | {
      readonly status?: number;
      readonly headers?: Record<string, string>;
      readonly lines: readonly string[];
      readonly hold?: boolean;
      readonly delayMs?: number;
    }
  | 'hold';

interface Fake {
  readonly url: string;
  /** Write an event line to every held watch. */
  push(line: string): void;
  readonly watches: { at: number; resourceVersion: string | null }[];
  readonly lists: number[];
  /** Streaming lists asked for (`sendInitialEvents=true`). */
  readonly streams: number[];
  close(): Promise<void>;
}

/** An API server from before streaming lists (or with the WatchList feature off) refuses `sendInitialEvents`. */
const OLD_SERVER: WatchAnswer = {
  status: 400,
  lines: [
    JSON.stringify({
      kind: 'Status',
      code: 400,
      reason: 'BadRequest',
      message: 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
    }),
  ],
};

/** The server: discovery of Package only, LISTs from `lists` in turn (the last repeats), watches from `watches`. */
async function fakeApiServer(
  lists: readonly { items: unknown[]; resourceVersion: string }[],
  watches: (n: number) => WatchAnswer,
  other?: (req: IncomingMessage, res: ServerResponse, push: (line: string) => void) => boolean,
  streams?: (n: number) => WatchAnswer,
): Promise<Fake> {
  const seenStreams: number[] = [];
  const seenWatches: Fake['watches'] = [];
  const seenLists: number[] = [];
  const held: ServerResponse[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === `/apis/${API}`) {
      json(200, { resources: [{ name: 'packages', kind: 'Package', namespaced: true }] });
      return;
    }
    if (url.pathname.startsWith('/apis/') && url.pathname.split('/').length === 4) {
      json(404, {});
      return;
    }
    if (other?.(req, res, push) === true) return;
    if (url.pathname !== PACKAGES) {
      json(404, { kind: 'Status', code: 404, reason: 'NotFound' });
      return;
    }
    if (url.searchParams.get('sendInitialEvents') === 'true') {
      seenStreams.push(Date.now());
      answerWith(res, streams?.(seenStreams.length - 1) ?? OLD_SERVER);
      return;
    }
    if (url.searchParams.get('watch') !== '1') {
      seenLists.push(Date.now());
      const list = lists[Math.min(seenLists.length - 1, lists.length - 1)]!;
      json(200, { items: list.items, metadata: { resourceVersion: list.resourceVersion } });
      return;
    }
    seenWatches.push({ at: Date.now(), resourceVersion: url.searchParams.get('resourceVersion') });
    answerWith(res, watches(seenWatches.length - 1));
  };
  const answerWith = (res: ServerResponse, answer: WatchAnswer): void => {
    if (answer === 'hold') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      held.push(res);
      return;
    }
    const send = (): void => {
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
      for (const line of answer.lines) res.write(`${line}\n`);
      if (answer.hold === true) held.push(res);
      else res.end();
    };
    if (answer.delayMs === undefined) send();
    else setTimeout(send, answer.delayMs);
  };
  const push = (line: string): void => {
    for (const r of held) r.write(`${line}\n`);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    push,
    watches: seenWatches,
    lists: seenLists,
    streams: seenStreams,
    close: async () => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let running: { runner: Runner; fake: Fake; client: RawKubeClient } | undefined;
afterEach(async () => {
  if (running === undefined) return;
  await running.runner.stop();
  running.client.close();
  await running.fake.close();
  running = undefined;
});

async function startRunner(fake: Fake, logs: string[] = []): Promise<Runner> {
  const client = new RawKubeClient({ server: fake.url, auth: () => Promise.resolve({}) });
  const runner = new Runner({
    client,
    deps: fakeStepDeps(client, { clock: { now: () => new Date() } }),
    concurrency: 1,
    namespace: '',
    resyncMs: 3_600_000,
    watchBackoff: { baseMs: 40, capMs: 160 },
    random: () => 0,
    log: (m) => logs.push(m),
  });
  running = { runner, fake, client };
  await runner.start();
  return runner;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const expired = JSON.stringify({
  type: 'ERROR',
  object: {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: 'too old resource version: 5 (9)',
    reason: 'Expired',
    code: 410,
  },
});

describe('watch streams', () => {
  it('an ERROR 410 / Expired inside a 200 stream relists once and watches from the new resourceVersion', async () => {
    const fake = await fakeApiServer(
      [
        { items: [pkg('a', '3'), pkg('b', '4')], resourceVersion: '5' },
        { items: [pkg('a', '3')], resourceVersion: '9' },
      ],
      (n) => (n === 0 ? { lines: [expired], delayMs: 200 } : 'hold'),
    );
    const runner = await startRunner(fake);
    expect(runner.knownObjects).toBe(2);
    await wait(600);
    expect(fake.watches.map((w) => w.resourceVersion)).toEqual(['5', '9']);
    expect(fake.lists).toHaveLength(2);
    // b was deleted while the watch could not see it: the relist forgets it.
    expect(runner.knownObjects).toBe(1);
  });

  it('the first LIST is read in pages of 500 and the watch starts from the snapshot the pages share', async () => {
    const pages: string[] = [];
    const fake = await fakeApiServer(
      [],
      () => 'hold',
      (req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname !== PACKAGES || url.searchParams.get('watch') === '1') return false;
        const token = url.searchParams.get('continue');
        pages.push(`limit=${url.searchParams.get('limit')} continue=${token}`);
        const body =
          token === null
            ? { items: [pkg('a', '3')], metadata: { resourceVersion: '8', continue: 'page-2' } }
            : { items: [pkg('b', '4')], metadata: { resourceVersion: '8' } };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
        return true;
      },
    );
    const runner = await startRunner(fake);
    expect(pages).toEqual(['limit=500 continue=null', 'limit=500 continue=page-2']);
    expect(runner.knownObjects).toBe(2);
    await wait(100);
    expect(fake.watches.map((w) => w.resourceVersion)).toEqual(['8']);
  });

  it('other errors back off exponentially (capped, with jitter), and the resourceVersion is kept', async () => {
    const failure = { status: 500, lines: ['{"kind":"Status","code":500,"message":"etcd is sad"}'] };
    const fake = await fakeApiServer([{ items: [], resourceVersion: '7' }], (n) =>
      n < 6 ? failure : 'hold',
    );
    const logs: string[] = [];
    await startRunner(fake, logs);
    await wait(900);
    const gaps = fake.watches.slice(1).map((w, i) => w.at - fake.watches[i]!.at);
    // random() = 0: half of 40·2^n ms, capped at 160 ms: 20, 40, 80, 80, 80 (plus scheduling).
    expect(gaps).toHaveLength(6);
    const floors = [20, 40, 80, 80, 80, 80];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(floors[i]! - 2);
    });
    expect(fake.watches.every((w) => w.resourceVersion === '7')).toBe(true);
    expect(fake.lists).toHaveLength(1);
    expect(logs[0]).toBe(`watch ${PACKAGES}: etcd is sad; retrying in 0.0 s`);
  });

  it('honours Retry-After: a 429 asking for 1 s is not retried sooner', async () => {
    const fake = await fakeApiServer([{ items: [], resourceVersion: '7' }], (n) =>
      n === 0
        ? { status: 429, headers: { 'retry-after': '1' }, lines: ['{"kind":"Status","code":429}'] }
        : 'hold',
    );
    await startRunner(fake);
    await wait(1_300);
    expect(fake.watches).toHaveLength(2);
    expect(fake.watches[1]!.at - fake.watches[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('a malformed line does not crash the process: the watch resumes from the last good event', async () => {
    const fake = await fakeApiServer([{ items: [], resourceVersion: '7' }], (n) =>
      n === 0
        ? { lines: [JSON.stringify({ type: 'ADDED', object: pkg('a', '8') }), '{"type":"ADDED","object":{'] }
        : 'hold',
    );
    const logs: string[] = [];
    const runner = await startRunner(fake, logs);
    await wait(300);
    expect(fake.watches.map((w) => w.resourceVersion)).toEqual(['7', '8']);
    expect(runner.knownObjects).toBe(1);
    expect(logs[0]).toBe(`watch ${PACKAGES}: WATCH ${PACKAGES}: a line that is not JSON; retrying in 0.0 s`);
  });

  it('a server that ends every watch at once without an event is not hammered', async () => {
    const fake = await fakeApiServer([{ items: [], resourceVersion: '7' }], () => ({ lines: [] }));
    await startRunner(fake);
    await wait(700);
    // 20, 40, 80, 80, … ms apart (plus a LIST each): at most 10 in 700 ms, where a tight loop makes hundreds.
    expect(fake.watches.length).toBeGreaterThan(2);
    expect(fake.watches.length).toBeLessThanOrEqual(10);
  });
});

describe('own writes racing their watch events', () => {
  it('a failing step whose status write comes back on the watch before its response runs once, not again at once', async () => {
    const path = `/apis/${API}/namespaces/ns/packages/a`;
    let object: Record<string, unknown> = {
      ...pkg('a', '3'),
      metadata: { name: 'a', namespace: 'ns', resourceVersion: '3', generation: 1, uid: 'u1' },
      spec: { image: 'registry.example/pkg:v1' },
    };
    let rv = 5;
    const writes: string[] = [];
    const fake = await fakeApiServer(
      [{ items: [object], resourceVersion: '5' }],
      () => 'hold',
      (req, res, push) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (!url.pathname.startsWith(path)) return false;
        const answer = (body: unknown): void => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.method === 'GET') {
          answer(object);
          return true;
        }
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          writes.push(`${req.method ?? ''} ${url.pathname.slice(path.length) || '/'}`);
          const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          const next = typeof body === 'object' && body !== null ? { ...object, ...body } : object;
          rv += 1;
          object = { ...next, metadata: { ...(next['metadata'] as object), resourceVersion: String(rv) } };
          // The event reaches the watch before the write's response reaches the writer.
          push(JSON.stringify({ type: 'MODIFIED', object }));
          setTimeout(() => {
            answer(object);
          }, 50);
        });
        return true;
      },
    );
    await startRunner(fake);
    await wait(1_000);
    // One step: its writes (the finalizer, the status with the pull error) and nothing more; the retry is due
    // after the pull back-off (10 s), not at once.
    expect(writes.filter((w) => w.endsWith('/status'))).toHaveLength(1);
    const progress = (object['status'] as { progress: { attempt: number; step: string } }).progress;
    expect(progress).toMatchObject({ step: 'unpack', attempt: 1 });
  });
});

describe('WatchDecoder', () => {
  const decode = (chunks: readonly string[]): { events: string[]; error?: unknown } => {
    const d = new WatchDecoder('/p');
    const events: string[] = [];
    try {
      for (const c of chunks) d.push(c, (type) => events.push(type));
      return { events };
    } catch (error) {
      return { events, error };
    }
  };

  it('joins lines split across chunks, skips blank lines', () => {
    expect(decode(['{"type":"ADD', 'ED","object":{}}\n\n{"type":"BOOKMARK"}\n'])).toEqual({
      events: ['ADDED', 'BOOKMARK'],
    });
  });

  it('an ERROR event with 410 is Gone; another code is typed by it; events before it are delivered', () => {
    const gone = decode([`{"type":"ADDED"}\n${expired}\n`]);
    expect(gone.events).toEqual(['ADDED']);
    expect(gone.error).toBeInstanceOf(KubeApiError);
    expect(gone.error).toMatchObject({
      code: 410,
      reason: 'Gone',
      message: 'too old resource version: 5 (9)',
    });
    const forbidden = decode([
      '{"type":"ERROR","object":{"kind":"Status","code":403,"reason":"Forbidden","message":"no"}}\n',
    ]);
    expect(forbidden.error).toMatchObject({ code: 403, reason: 'Forbidden', message: 'no' });
    const internal = decode(['{"type":"ERROR","object":{"kind":"Status","code":500,"message":"boom"}}\n']);
    expect(internal.error).toBeInstanceOf(KubeUnavailableError);
  });

  it('a line that is not an event is an error that does not echo it; so is an endless line', () => {
    expect(String(decode(['not json secret\n']).error)).toBe(
      'KubeUnavailableError: WATCH /p: a line that is not JSON',
    );
    expect(String(decode(['{"object":{}}\n']).error)).toBe(
      'KubeUnavailableError: WATCH /p: an event without a type',
    );
    const long = 'x'.repeat(1024 * 1024);
    const d = new WatchDecoder('/p');
    expect(() => {
      for (let i = 0; i < 9; i++) d.push(long, () => undefined);
    }).toThrow('WATCH /p: an event longer than 8388608 characters');
  });
});

describe('streaming lists', () => {
  const event = (type: string, object: unknown): string => JSON.stringify({ type, object });
  const initialEventsEnd = (rv: string): string =>
    event('BOOKMARK', {
      kind: 'Package',
      apiVersion: API,
      metadata: { resourceVersion: rv, annotations: { 'k8s.io/initial-events-end': 'true' } },
    });

  it('a watch starts with one streaming request: its initial events fill the cache, then events flow on it', async () => {
    const fake = await fakeApiServer(
      [],
      () => 'hold',
      undefined,
      (n) =>
        n === 0
          ? {
              lines: [event('ADDED', pkg('a', '3')), event('ADDED', pkg('b', '4')), initialEventsEnd('6')],
              hold: true,
            }
          : 'hold',
    );
    const runner = await startRunner(fake);
    expect(runner.knownObjects).toBe(2);
    expect([fake.streams.length, fake.lists.length, fake.watches.length]).toEqual([1, 0, 0]);
    fake.push(event('ADDED', pkg('c', '7')));
    await wait(100);
    expect(runner.knownObjects).toBe(3);
    expect(fake.lists).toEqual([]);
  });

  it('a server that refuses streaming lists: a LIST and a WATCH from its resourceVersion', async () => {
    const logs: string[] = [];
    const fake = await fakeApiServer([{ items: [pkg('a', '3')], resourceVersion: '5' }], () => 'hold');
    const runner = await startRunner(fake, logs);
    expect(runner.knownObjects).toBe(1);
    await wait(100);
    expect([fake.streams.length, fake.lists.length]).toEqual([1, 1]);
    expect(fake.watches.map((w) => w.resourceVersion)).toEqual(['5']);
  });

  it('a streaming list answered 429 while a CRD’s cache starts is asked again after Retry-After, not LISTed', async () => {
    const fake = await fakeApiServer(
      [],
      () => 'hold',
      undefined,
      (n) =>
        n === 0
          ? {
              status: 429,
              headers: { 'retry-after': '1' },
              lines: ['{"kind":"Status","code":429,"message":"storage is (re)initializing"}'],
            }
          : { lines: [event('ADDED', pkg('a', '3')), initialEventsEnd('5')], hold: true },
    );
    const runner = await startRunner(fake);
    expect(runner.knownObjects).toBe(1);
    expect(fake.streams).toHaveLength(2);
    expect(fake.streams[1]! - fake.streams[0]!).toBeGreaterThanOrEqual(1000);
    expect([fake.lists.length, fake.watches.length]).toEqual([0, 0]);
  });

  it('a streaming list that fails otherwise (503 without Retry-After): a LIST and a WATCH at once', async () => {
    const fake = await fakeApiServer(
      [{ items: [pkg('a', '3')], resourceVersion: '5' }],
      () => 'hold',
      undefined,
      () => ({ status: 503, lines: ['{"kind":"Status","code":503,"message":"unavailable"}'] }),
    );
    const runner = await startRunner(fake);
    expect(runner.knownObjects).toBe(1);
    await wait(100);
    expect([fake.streams.length, fake.lists.length]).toEqual([1, 1]);
    expect(fake.watches.map((w) => w.resourceVersion)).toEqual(['5']);
  });
});
