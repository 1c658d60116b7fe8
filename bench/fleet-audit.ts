// The fleet bench's request counts: one pass over an API server's audit log, each request counted once for the
// process that sent it (its User-Agent prefix and, where two processes share one, the authenticated user) and
// the scenario step it fell in. A finished request counts at its ResponseComplete; a watch at its first event
// (ResponseStarted while it streams), so the watches still open when the bench reads the log count too.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { Identity } from './fleet-controllers.js';

const eventSchema = z.object({
  auditID: z.string(),
  stage: z.string(),
  verb: z.string(),
  userAgent: z.string().optional(),
  user: z.object({ username: z.string().optional() }).optional(),
  requestReceivedTimestamp: z.string(),
  objectRef: z
    .object({
      resource: z.string().optional(),
      subresource: z.string().optional(),
      name: z.string().optional(),
    })
    .optional(),
});

/** A scenario step: its name and [from, to) in ms since the epoch. */
export interface Step {
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

/** One process's requests to one API server. */
export interface Counted {
  readonly total: number;
  /** Requests per step. */
  readonly bySteps: Record<string, number>;
  /** `verb resource[/subresource]` → count, over the whole run. */
  readonly byRequest: Record<string, number>;
  /** Requests on objects named `remote-phase` (PKO's remote-phase Packages). */
  readonly remotePhasePackage: number;
}

function matches(who: Identity, e: z.infer<typeof eventSchema>): boolean {
  if (!(e.userAgent ?? '').startsWith(who.userAgent)) return false;
  return who.user === undefined || e.user?.username === who.user;
}

/** Whether this event is the one a request is counted at (`watches`: the watches already counted). */
function firstSeen(e: z.infer<typeof eventSchema>, watches: Set<string>): boolean {
  if (e.verb !== 'watch') return e.stage === 'ResponseComplete';
  if (watches.has(e.auditID)) return false;
  watches.add(e.auditID);
  return true;
}

function emptyCount(): {
  total: number;
  bySteps: Record<string, number>;
  byRequest: Record<string, number>;
  remotePhasePackage: number;
} {
  return { total: 0, bySteps: {}, byRequest: {}, remotePhasePackage: 0 };
}

/** Count the requests of each identity (by key) in `auditLog`, from the first step's start to the last's end. */
export async function countRequests(
  auditLog: string,
  identities: ReadonlyMap<string, Identity>,
  steps: readonly Step[],
): Promise<Map<string, Counted>> {
  const out = new Map([...identities.keys()].map((k) => [k, emptyCount()]));
  const watches = new Set<string>();
  const from = Math.min(...steps.map((s) => s.from));
  const to = Math.max(...steps.map((s) => s.to));
  const lines = createInterface({ input: createReadStream(auditLog, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const parsed = eventSchema.safeParse(JSON.parse(line));
    if (!parsed.success || !firstSeen(parsed.data, watches)) continue;
    const e = parsed.data;
    const at = Date.parse(e.requestReceivedTimestamp);
    if (at < from || at >= to) continue;
    const step = steps.find((s) => at >= s.from && at < s.to)?.name ?? '?';
    for (const [key, who] of identities) {
      const c = out.get(key);
      if (c === undefined || !matches(who, e)) continue;
      c.total += 1;
      c.bySteps[step] = (c.bySteps[step] ?? 0) + 1;
      const sub = e.objectRef?.subresource !== undefined ? `/${e.objectRef.subresource}` : '';
      const what = `${e.verb} ${e.objectRef?.resource ?? '?'}${sub}`;
      c.byRequest[what] = (c.byRequest[what] ?? 0) + 1;
      if (e.objectRef?.name === 'remote-phase') c.remotePhasePackage += 1;
    }
  }
  return out;
}
