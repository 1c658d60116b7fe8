/**
 * @module console/client
 * The page's side of the console's API: JSON answers and stream events parsed with the schemas the server's view
 * models are checked against (shared/console/api.ts), actions sent with the console's own header.
 */
import { z } from 'zod/mini';
import {
  changesSchema,
  detailSchema,
  diffSchema,
  errorSchema,
  messageSchema,
  snapshotSchema,
  type ActionRequest,
  type PackageChanges,
  type PackageDetail,
  type Snapshot,
} from '../shared/console/api.js';

/** An answer the page cannot use, with the server's words when it sent some. */
export class ConsoleError extends Error {
  public override readonly name = 'ConsoleError';
}

async function answer<T>(response: Response, schema: z.ZodMiniType<T>): Promise<T> {
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const problem = errorSchema.safeParse(body);
    throw new ConsoleError(problem.success ? problem.data.error : `the console answered ${response.status}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ConsoleError('the console sent an answer this page does not understand');
  return parsed.data;
}

export async function fetchDiff(key: string, from: number, to: number): Promise<z.infer<typeof diffSchema>> {
  const q = new URLSearchParams({ key, from: String(from), to: String(to) });
  return answer(await fetch(`/api/diff?${q.toString()}`), diffSchema);
}

export async function sendAction(request: ActionRequest): Promise<string> {
  const response = await fetch('/api/action', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gantry-console': '1' },
    body: JSON.stringify(request),
  });
  return (await answer(response, messageSchema)).message;
}

/** What the stream delivers to the page. */
export interface StreamHandlers {
  snapshot(s: Snapshot): void;
  changes(c: PackageChanges): void;
  detail(d: PackageDetail | null): void;
  connected(live: boolean): void;
  problem(message: string): void;
}

function parseData<T>(event: Event, schema: z.ZodMiniType<T>): T | undefined {
  if (!(event instanceof MessageEvent) || typeof event.data !== 'string') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

/** Opens the stream (following one Package when `key` is given); returns the function that closes it. */
export function openStream(key: string | undefined, on: StreamHandlers): () => void {
  const url = key === undefined ? '/api/stream' : `/api/stream?${new URLSearchParams({ key }).toString()}`;
  const source = new EventSource(url);
  source.addEventListener('open', () => {
    on.connected(true);
  });
  source.addEventListener('error', () => {
    on.connected(false);
  });
  source.addEventListener('snapshot', (e) => {
    const s = parseData(e, snapshotSchema);
    if (s !== undefined) on.snapshot(s);
  });
  source.addEventListener('packages', (e) => {
    const c = parseData(e, changesSchema);
    if (c !== undefined) on.changes(c);
  });
  source.addEventListener('detail', (e) => {
    const d = parseData(e, z.nullable(detailSchema));
    if (d !== undefined) on.detail(d);
  });
  source.addEventListener('problem', (e) => {
    const p = parseData(e, messageSchema);
    if (p !== undefined) on.problem(p.message);
  });
  return () => {
    source.close();
  };
}
