/**
 * What one schedule tick of `gantry serve` costs the API server: a control plane of its own (the shared one keeps
 * no audit log) counts the tick's requests in its audit log, kind by kind, and its own `apiserver_storage_list_total`
 * says every page came from the watch cache, none from etcd.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRequests, countBy, storageLists, type AuditRequest } from '../../devenv/audit.js';
import { startControlPlane, type ControlPlane } from '../../devenv/control-plane.js';
import { KINDS, RECONCILED_KINDS } from '../../shared/api/constants.js';
import { KubePages } from '../../functions/adapters/kube/pages.js';
import { createEngine, type Engine } from '../../functions/hosts/engine.js';
import { recordingQueue } from '../../functions/hosts/fake-cluster.js';
import { keyOf, TriggerCore } from '../../functions/hosts/triggers.js';

const GROUP = 'package-operator.run';
const API = `${GROUP}/v1alpha1`;
const NS = 'tick';
const PAGE = 2;

let cp: ControlPlane;
let engine: Engine;
let auditDir: string;
const ran: string[] = [];
let core: TriggerCore;

async function settleAudit(): Promise<void> {
  await new Promise((r) => setTimeout(r, 500)); // the audit backend writes after the answer
}

beforeAll(async () => {
  auditDir = await mkdtemp(join(tmpdir(), 'gantry-tick-audit-'));
  cp = await startControlPlane({ auditLogPath: join(auditDir, 'audit.log'), log: () => undefined });
  const created = await cp.client.create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
  expect(created.status).toBe(201);
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    const r = await cp.client.create(`/apis/${API}/namespaces/${NS}/packages`, {
      apiVersion: API,
      kind: 'Package',
      metadata: { name },
      spec: { image: 'registry.example/app:v1' },
    });
    expect(r.status).toBe(201);
  }
  // Two Packages finished their last step for their generation: not due.
  for (const name of ['b', 'd']) {
    const path = `/apis/${API}/namespaces/${NS}/packages/${name}`;
    const live = (await cp.client.get(path)).body as Record<string, unknown>;
    const r = await cp.client.put(`${path}/status`, {
      ...live,
      status: { progress: { step: 'done', observedGeneration: 1 } },
    });
    expect(r.status).toBe(200);
  }
  engine = await createEngine({ kubeconfig: cp.kubeconfigPath, env: {} });
  core = new TriggerCore({
    deps: engine.deps,
    pages: new KubePages(engine.client),
    pageSize: PAGE,
    concurrency: 1,
    namespace: NS,
    fullResyncMs: 3_600_000,
    admissionBudgetMs: 0,
    log: () => undefined,
    queue: recordingQueue(ran),
  });
}, 600_000);

afterAll(async () => {
  await core.stop();
  engine.close();
  await cp.stop();
  await rm(auditDir, { recursive: true, force: true });
});

/** The tick's requests and the watch cache / etcd LISTs of packages while it ran. */
async function measuredTick(): Promise<{
  dispatched: number;
  requests: AuditRequest[];
  served: { watchcache: number; etcd: number };
}> {
  const before = await storageLists(cp.client, GROUP, 'packages');
  const since = Date.now();
  const dispatched = await core.tick();
  await settleAudit();
  const after = await storageLists(cp.client, GROUP, 'packages');
  return {
    dispatched,
    requests: await auditRequests(join(auditDir, 'audit.log'), 'gantry/', since - 5),
    served: { watchcache: after.watchcache - before.watchcache, etcd: after.etcd - before.etcd },
  };
}

describe('the schedule tick against a real API server', () => {
  // One LIST per reconciled kind, the 5 Packages in pages of 2: 3 pages; nothing else (discovery is cached).
  const perKind = Object.fromEntries(
    RECONCILED_KINDS.map((kind) => [`list ${KINDS[kind].plural}`, kind === 'Package' ? 3 : 1]),
  );

  it('first tick: discovery once, then one paginated consistent LIST per kind, all from the watch cache', async () => {
    const tick = await measuredTick();
    expect(tick.dispatched).toBe(3);
    expect(countBy(tick.requests, (r) => `${r.verb} ${r.resource}`)).toEqual({
      ...perKind,
      'get ': 2, // the discovery documents of package-operator.run/v1alpha1 and gantry.run/v1alpha1
    });
    const packagePages = tick.requests.filter((r) => r.resource === 'packages').map((r) => r.requestURI);
    expect(packagePages[0]).toBe(`/apis/${API}/namespaces/${NS}/packages?limit=2`);
    expect(packagePages.slice(1).map((uri) => uri.replace(/continue=[^&]+/, 'continue=T'))).toEqual([
      `/apis/${API}/namespaces/${NS}/packages?limit=2&continue=T`,
      `/apis/${API}/namespaces/${NS}/packages?limit=2&continue=T`,
    ]);
    expect(tick.served).toEqual({ watchcache: 3, etcd: 0 });
  });

  it('next tick: each first page no older than the last list (the cache answers at once), nothing else', async () => {
    await new Promise((r) => setTimeout(r, 1_100)); // ticks closer than 1 s coalesce
    const tick = await measuredTick();
    expect(tick.dispatched).toBe(3);
    expect(countBy(tick.requests, (r) => `${r.verb} ${r.resource}`)).toEqual(perKind);
    const firstPages = tick.requests.filter((r) => !r.requestURI.includes('continue='));
    expect(firstPages.length).toBe(RECONCILED_KINDS.length);
    for (const r of firstPages)
      expect(r.requestURI).toMatch(/\?limit=2&resourceVersion=\d+&resourceVersionMatch=NotOlderThan$/);
    expect(tick.requests.every((r) => r.code === 200)).toBe(true);
    expect(tick.served).toEqual({ watchcache: 3, etcd: 0 });
    expect([...new Set(ran)].sort()).toEqual(
      ['a', 'c', 'e'].map((name) => keyOf({ apiVersion: API, kind: 'Package', namespace: NS, name })),
    );
  });
});
