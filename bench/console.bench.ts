// `npm run bench -- console`: the web console with 1,000 Packages (10 namespaces) on a real control plane (plain mode,
// no engine: each Package's status is written by the bench, Available with a message), in headless Chromium:
//  - first render: navigation until the list shows all 1,000 rows (page, bundle, snapshot over the stream, render);
//  - the snapshot the server builds (GET /api/packages) for 1,000 Packages;
//  - live update: a status write on one Package until its row in the open page shows the new message (API server
//    write, watch event, server-sent event, re-render of the list);
//  - the Package page of one of them until its conditions show.
import { startControlPlane } from '../devenv/control-plane.js';
import { startConsole } from '../cli/commands/console.js';
import type { CliIO } from '../cli/command.js';
import { RawKubeClient } from '../functions/adapters/kube/client.js';
import { loadConnection } from '../functions/adapters/kube/kubeconfig.js';
import { API_VERSION } from '../shared/api/constants.js';
import type { KubeObject } from '../shared/ports.js';
import { ensureChromium, launchBrowser } from '../test/console-browser.js';
import { summarize, type BenchResult } from './types.js';

const PACKAGES = 1000;
const NAMESPACES = 10;

const io: CliIO = {
  stdout: () => undefined,
  stderr: () => undefined,
  cwd: process.cwd(),
  isTTY: false,
  env: {},
};

function status(message: string): Record<string, unknown> {
  const at = new Date().toISOString();
  const c = (type: string, s: string, reason: string, msg: string) => ({
    type,
    status: s,
    reason,
    message: msg,
    observedGeneration: 1,
    lastTransitionTime: at,
  });
  return {
    revision: 1,
    conditions: [
      c('Unpacked', 'True', 'UnpackSuccess', 'Unpack job succeeded'),
      c('Available', 'True', 'Available', message),
      c('Progressing', 'False', 'Idle', 'Update concluded.'),
    ],
  };
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

async function seed(kube: RawKubeClient): Promise<KubeObject[]> {
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${i}`);
  await inBatches(namespaces, 10, (name) =>
    kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
  );
  const created: KubeObject[] = [];
  const indexes = Array.from({ length: PACKAGES }, (_, i) => i);
  await inBatches(indexes, 20, async (i) => {
    const pkg = await kube.create({
      apiVersion: API_VERSION,
      kind: 'Package',
      metadata: { name: `app-${i}`, namespace: namespaces[i % NAMESPACES] ?? 'bench-0' },
      spec: { image: `registry.example/apps/app-${i}:v1` },
    });
    created.push(await kube.updateStatus({ ...pkg, status: status('Latest Revision is Available.') }));
  });
  return created;
}

export async function run(): Promise<BenchResult[]> {
  const missing = await ensureChromium();
  if (missing !== undefined) throw new Error(`the console bench needs Chromium: ${missing}`);
  const cp = await startControlPlane({ full: false, log: () => undefined });
  const kube = new RawKubeClient(loadConnection(cp.kubeconfigPath));
  const browser = await launchBrowser();
  try {
    const seedStart = performance.now();
    const packages = await seed(kube);
    const seedMs = performance.now() - seedStart;
    const running = await startConsole(io, {
      kubeconfig: cp.kubeconfigPath,
      addr: '127.0.0.1:0',
      namespace: '',
      readOnly: false,
    });
    const page = await browser.browser.newPage({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const renders: number[] = [];
    for (let i = 0; i < 6; i++) {
      await page.goto('about:blank');
      const t = performance.now();
      await page.goto(`${running.url}#/`, { waitUntil: 'commit' });
      await page.waitForFunction(`document.querySelectorAll('tbody tr').length === ${PACKAGES}`, undefined, {
        polling: 'raf',
        timeout: 60_000,
      });
      renders.push(performance.now() - t);
    }
    const snapshots: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const r = await fetch(`${running.url}api/packages`);
      await r.arrayBuffer();
      snapshots.push(performance.now() - t);
    }
    const updates: number[] = [];
    for (let i = 0; i < 30; i++) {
      const target = packages[(i * 37) % packages.length];
      if (target === undefined) continue;
      const fresh = await kube.get({
        apiVersion: API_VERSION,
        kind: 'Package',
        namespace: target.metadata.namespace ?? '',
        name: target.metadata.name,
      });
      const message = `bench update ${i}`;
      const key = `Package/${target.metadata.namespace ?? ''}/${target.metadata.name}`;
      const t = performance.now();
      await kube.updateStatus({ ...fresh, status: status(message) });
      await page.waitForFunction(
        `document.querySelector(${JSON.stringify(`tr[data-key="${key}"] .message`)})?.textContent === ${JSON.stringify(message)}`,
        undefined,
        { polling: 'raf', timeout: 30_000 },
      );
      updates.push(performance.now() - t);
    }
    const details: number[] = [];
    for (let i = 0; i < 10; i++) {
      const target = packages[i * 53];
      if (target === undefined) continue;
      const key = `Package/${target.metadata.namespace ?? ''}/${target.metadata.name}`;
      const t = performance.now();
      await page.goto(`${running.url}#/package/${encodeURIComponent(key)}`);
      const title = `Package ${target.metadata.namespace ?? ''}/${target.metadata.name}`;
      const ready = `document.getElementById('package-title')?.textContent === ${JSON.stringify(title)} && document.querySelectorAll('tr[data-condition]').length === 3`;
      await page.waitForFunction(ready, undefined, {
        polling: 'raf',
        timeout: 30_000,
      });
      details.push(performance.now() - t);
    }
    await running.close();
    const note = `${PACKAGES} Packages in ${NAMESPACES} namespaces (seeded in ${(seedMs / 1000).toFixed(1)} s)`;
    return [
      summarize('console first render, 1,000 Packages (navigation to all rows shown)', renders, { note }),
      summarize('console snapshot GET /api/packages, 1,000 Packages', snapshots, {
        note: 'server side + HTTP',
      }),
      summarize('console live update (status write to row re-rendered)', updates, {
        note: 'API write + watch + SSE + render',
      }),
      summarize('console Package page (navigation to conditions shown)', details, { note }),
    ];
  } finally {
    await browser.close();
    kube.close();
    await cp.stop();
  }
}
