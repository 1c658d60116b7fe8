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
  sessionSchema,
  snapshotSchema,
  templateDetailSchema,
  templatesSchema,
  type ActionRequest,
  type PackageChanges,
  type PackageDetail,
  type Session,
  type Snapshot,
  type TemplateDetail,
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
  return answer(await fetch(`api/diff?${q.toString()}`), diffSchema);
}

/** The value of the console's header on state-changing requests: `1`, or the session's CSRF token once signed in. */
let actionToken = '1';

/** Who the page acts for: undefined when it must sign in first (a host that mounts the console). */
export async function fetchSession(): Promise<Session | undefined> {
  const response = await fetch('api/session');
  if (response.status === 401) return undefined;
  const session = await answer(response, sessionSchema);
  actionToken = session.csrf;
  return session;
}

/** Sign in with a Kubernetes bearer token: the host reviews it and sets the session cookie. */
export async function signIn(token: string): Promise<Session> {
  const response = await fetch('api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gantry-console': '1' },
    body: JSON.stringify({ token }),
  });
  const session = await answer(response, sessionSchema);
  actionToken = session.csrf;
  return session;
}

export async function signOut(): Promise<void> {
  await answer(
    await fetch('api/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gantry-console': actionToken },
      body: '{}',
    }),
    messageSchema,
  );
}

export async function sendAction(request: ActionRequest): Promise<string> {
  const response = await fetch('api/action', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gantry-console': actionToken },
    body: JSON.stringify(request),
  });
  return (await answer(response, messageSchema)).message;
}

/** What the stream delivers to the page. */
export interface StreamHandlers {
  snapshot(s: Snapshot): void;
  changes(c: PackageChanges): void;
  detail(d: PackageDetail | null): void;
  templates(t: z.infer<typeof templatesSchema>): void;
  template(t: TemplateDetail | null): void;
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

/**
 * Opens the stream (following one Package or ObjectTemplate when `key` is given, the ObjectTemplates with `view`);
 * returns the function that closes it.
 */
export function openStream(target: { key?: string; view?: string }, on: StreamHandlers): () => void {
  const q = new URLSearchParams(target).toString();
  const url = q === '' ? 'api/stream' : `api/stream?${q}`;
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
  source.addEventListener('templates', (e) => {
    const t = parseData(e, templatesSchema);
    if (t !== undefined) on.templates(t);
  });
  source.addEventListener('template', (e) => {
    const t = parseData(e, z.nullable(templateDetailSchema));
    if (t !== undefined) on.template(t);
  });
  source.addEventListener('problem', (e) => {
    const p = parseData(e, messageSchema);
    if (p !== undefined) on.problem(p.message);
  });
  return () => {
    source.close();
  };
}
