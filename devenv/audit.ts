/**
 * @module devenv/audit
 * What a control plane started with `auditLogPath` (devenv/control-plane.ts) saw: its audit log read line by line
 * (never whole: at 10,000 Packages it holds hundreds of thousands of requests), and where the API server served
 * LISTs from (its own `apiserver_storage_list_total` counter: the watch cache or etcd). For tests and benchmarks.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { KubeClient } from './kube.js';

const auditEventSchema = z.object({
  stage: z.string(),
  verb: z.string(),
  requestURI: z.string(),
  userAgent: z.string().optional(),
  requestReceivedTimestamp: z.string(),
  objectRef: z.object({ resource: z.string().optional(), apiGroup: z.string().optional() }).optional(),
  responseStatus: z.object({ code: z.number().optional() }).optional(),
});

/** One finished request (stage ResponseComplete). */
export interface AuditRequest {
  readonly verb: string;
  readonly requestURI: string;
  readonly userAgent: string;
  /** ms since the epoch. */
  readonly at: number;
  /** `<resource>` (`packages`, `configmaps`), '' for non-resource requests. */
  readonly resource: string;
  readonly code: number | undefined;
}

/** Finished requests whose User-Agent starts with `userAgentPrefix`, received in [since, until], in log order. */
export async function auditRequests(
  auditLog: string,
  userAgentPrefix: string,
  since = 0,
  until = Number.POSITIVE_INFINITY,
): Promise<AuditRequest[]> {
  const out: AuditRequest[] = [];
  await eachAuditRequest(auditLog, userAgentPrefix, since, until, (r) => out.push(r));
  return out;
}

/** The same, one request at a time (for logs too large to hold as objects). */
export async function eachAuditRequest(
  auditLog: string,
  userAgentPrefix: string,
  since: number,
  until: number,
  visit: (request: AuditRequest) => void,
): Promise<void> {
  const lines = createInterface({ input: createReadStream(auditLog, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '' || !line.includes(userAgentPrefix)) continue;
    const parsed = auditEventSchema.safeParse(JSON.parse(line));
    if (!parsed.success) continue;
    const e = parsed.data;
    const at = Date.parse(e.requestReceivedTimestamp);
    if (e.stage !== 'ResponseComplete' || !(e.userAgent ?? '').startsWith(userAgentPrefix)) continue;
    if (at < since || at > until) continue;
    visit({
      verb: e.verb,
      requestURI: e.requestURI,
      userAgent: e.userAgent ?? '',
      at,
      resource: e.objectRef?.resource ?? '',
      code: e.responseStatus?.code,
    });
  }
}

/** Requests counted by a key of each (`verb`, `resource`, …). */
export function countBy<T>(requests: readonly T[], key: (r: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[key(r)] = (counts[key(r)] ?? 0) + 1;
  return counts;
}

/** LISTs of one resource the API server served so far, by where from. */
export interface StorageLists {
  readonly watchcache: number;
  readonly etcd: number;
}

const METRIC_LINE = /^apiserver_storage_list_total\{([^}]*)\} ([0-9.e+]+)$/;

/** `apiserver_storage_list_total` of `group`/`resource` from the API server's /metrics, summed over indexes. */
export async function storageLists(
  admin: KubeClient,
  group: string,
  resource: string,
): Promise<StorageLists> {
  const response = await admin.request('GET', '/metrics');
  if (response.status !== 200) throw new Error(`GET /metrics: HTTP ${response.status}`);
  const counts = { watchcache: 0, etcd: 0 };
  for (const line of response.text.split('\n')) {
    const m = METRIC_LINE.exec(line);
    if (m === null) continue;
    const labels = new Map(
      [...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l): [string, string] => [l[1] ?? '', l[2] ?? '']),
    );
    if (labels.get('group') !== group || labels.get('resource') !== resource) continue;
    const storage = labels.get('storage');
    if (storage === 'watchcache' || storage === 'etcd') counts[storage] += Number(m[2]);
  }
  return counts;
}
