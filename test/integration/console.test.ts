/**
 * The web console in a real browser (issue 25): headless Chromium (Debian's, driven by playwright-core) against
 * `gantry console` on the test control plane, with the real engine rolling packages out. Install a package and watch
 * its pipeline progress live, its failing probe shown with its message, an upgrade appearing live, the diff between
 * two revisions, pause and unpause from the page; a ServiceAccount that may only read sees no action; axe-core finds
 * no serious or critical violation on the list and Package views. Screenshots of the main views go to docs/console/.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startConsole, type RunningConsole } from '../../cli/commands/console.js';
import { API_VERSION } from '../../shared/api/constants.js';
import type { CliIO } from '../../cli/command.js';
import { ensureChromium, launchBrowser, seriousViolations, type TestBrowser } from '../console-browser.js';
import { eventually, pkgRef, pushPackage, useEngine } from './setup/engine.js';
import { serviceAccountKubeconfig } from './setup/service-account.js';
import { gatedPackage } from './setup/gated-package.js';

const suite = useEngine();
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'docs', 'console');

const FILES = gatedPackage('shop');

const io: CliIO = {
  stdout: () => undefined,
  stderr: (t) => {
    if (process.env['GANTRY_TEST_LOG'] === '1') process.stderr.write(t);
  },
  cwd: process.cwd(),
  isTTY: false,
  env: {},
};

let browser: TestBrowser | undefined;
let noBrowser: string | undefined;
const consoles: RunningConsole[] = [];
/** What each page reported as errors (shown when a wait fails). */
const pageErrors = new WeakMap<Page, string[]>();
/** The Package and ObjectDeployment the tests roll out (their status is shown when a wait fails). */
const shopRefs: { apiVersion: string; kind: string; namespace: string; name: string }[] = [];

beforeAll(async () => {
  noBrowser = await ensureChromium();
  if (noBrowser !== undefined) {
    console.error(`\n*** SKIPPING the console's browser tests: Chromium is missing and ${noBrowser} ***\n`);
    return;
  }
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const c of consoles) await c.close();
  await browser?.close();
});

async function open(kubeconfig: string, namespace = ''): Promise<{ page: Page; url: string }> {
  const running = await startConsole(io, { kubeconfig, addr: '127.0.0.1:0', namespace, readOnly: false });
  consoles.push(running);
  if (browser === undefined) throw new Error('no browser');
  const page = await browser.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(running.url);
  return { page, url: running.url };
}

/** Wait until the text of `selector` satisfies `ok` (the page updates itself; nothing reloads). */
async function textOf(
  page: Page,
  selector: string,
  ok: (text: string) => boolean,
  what: string,
): Promise<string> {
  let last = '';
  try {
    return await eventually(
      what,
      async () => {
        const loc = page.locator(selector);
        last = (await loc.count()) === 0 ? '' : ((await loc.first().textContent()) ?? '');
        return ok(last) ? last : undefined;
      },
      90_000,
    );
  } catch (error) {
    const shown = await page
      .locator('body')
      .innerText()
      .catch(() => '(no page)');
    throw new Error(
      `${String(error)}; ${selector} last said ${JSON.stringify(last)}; the page shows:\n${shown}`,
    );
  }
}

async function setConfig(ns: string, config: Record<string, string>): Promise<void> {
  const pkg = await suite.kube().get(pkgRef(ns, 'shop'));
  const spec = pkg['spec'] as Record<string, unknown>;
  await suite.kube().update({ ...pkg, spec: { ...spec, config } });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A kubeconfig of ServiceAccount `viewer` of `ns`, which may read Packages, their children and Events there only. */
async function viewerKubeconfig(ns: string): Promise<string> {
  const admin = suite.admin;
  const made = [
    await admin.create(`/api/v1/namespaces/${ns}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'viewer' },
    }),
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'viewer' },
      rules: [
        {
          apiGroups: ['package-operator.run'],
          resources: ['packages', 'objectdeployments', 'objectsets', 'objectslices'],
          verbs: ['get', 'list', 'watch'],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
      ],
    }),
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'viewer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
    }),
  ];
  expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
  const dir = await mkdtemp(join(tmpdir(), 'gantry-console-'));
  return serviceAccountKubeconfig(admin, ns, 'viewer', join(dir, 'kubeconfig'));
}

describe('gantry console in a browser', () => {
  let ns = '';
  let image = '';

  it('shows an install progress live: the pipeline, the failing probe with its message, then Available', async ({
    skip,
  }) => {
    if (noBrowser !== undefined) skip(`Chromium is missing and ${noBrowser}`);
    ns = await suite.namespace('console');
    shopRefs.push(pkgRef(ns, 'shop'), { ...pkgRef(ns, 'shop'), kind: 'ObjectDeployment' });
    image = await pushPackage('console-shop', FILES);
    const { page } = await open(inject('kube').kubeconfigPath);
    await textOf(page, '.counts', (t) => t.includes('shown'), 'the list');
    await suite.kube().create({
      apiVersion: API_VERSION,
      kind: 'Package',
      metadata: { name: 'shop', namespace: ns },
      spec: { image, config: { v: 'one', ready: 'no' } },
    });
    const row = `tr[data-key="Package/${ns}/shop"]`;
    // The row appears by itself (the stream), and says why the rollout is stuck.
    await textOf(page, `${row} .badge`, (t) => t.includes('Progressing'), 'the new Package in the list');
    await textOf(
      page,
      `${row} .message`,
      (t) => t.includes('gate is not open'),
      'the probe message in the list',
    );
    await page.locator('input[type=search]').fill('shop');
    await page.selectOption('label:has-text("State") select', 'Progressing');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await screenshot(page, 'list');
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator(`${row} a`).click();
    await textOf(page, 'h1#package-title', (t) => t === `Package ${ns}/shop`, 'the Package page');
    await textOf(page, '[data-phase="config"] h3', (t) => t.includes('Done'), 'phase config done');
    await textOf(page, '[data-phase="deploy"] h3', (t) => t.includes('Failing'), 'phase deploy failing');
    const gate = page.locator('[data-object="ConfigMap/gate"]');
    expect(await gate.locator('.badge').textContent()).toBe('✕ Failing');
    expect(await gate.locator('code').textContent()).toBe(`ConfigMap ${ns}/gate`);
    expect(await gate.locator('.probe-message').textContent()).toBe('gate is not open');
    const settings = page.locator('[data-object="ConfigMap/settings"]');
    expect(await settings.locator('.badge').textContent()).toBe('✓ Passed');
    expect(await settings.locator('.probe-message').count()).toBe(0);
    const waiting = await textOf(page, '.waiting', (t) => t.includes('waits for'), 'the rollout banner');
    expect(waiting).toMatch(
      new RegExp(
        `^Revision 1 is rolling out: phase deploy waits for ConfigMap ${ns}/gate since .+ \\(ProbeFailure\\)\\.\\s*gate is not open$`,
      ),
    );
    await screenshot(page, 'package-failing-probe');
    expect(await seriousViolations(page)).toEqual([]);

    // Opening the gate is a new revision; the page follows without a reload.
    await setConfig(ns, { v: 'one', ready: 'yes' });
    await textOf(page, '.summary .badge', (t) => t.includes('Available'), 'Available after the fix');
    await textOf(page, '.facts', (t) => t.includes('Revision2'), 'revision 2');
    expect(await page.locator('.waiting').count()).toBe(0);
    expect(await page.locator('[data-phase] h3').allTextContents()).toEqual([
      'config ✓ Done',
      'deploy ✓ Done',
    ]);
  });

  it('shows an upgrade live and the diff between two revisions side by side', async ({ skip }) => {
    if (noBrowser !== undefined) skip(`Chromium is missing and ${noBrowser}`);
    const { page, url } = await open(inject('kube').kubeconfigPath);
    await page.goto(`${url}#/package/${encodeURIComponent(`Package/${ns}/shop`)}`);
    await textOf(page, '.facts', (t) => t.includes('Revision2'), 'revision 2');
    await setConfig(ns, { v: 'two', ready: 'yes' });
    await textOf(page, '.facts', (t) => t.includes('Revision3'), 'revision 3 appears live');
    await textOf(page, '.summary .badge', (t) => t.includes('Available'), 'revision 3 Available');
    await textOf(
      page,
      'tr[data-revision="3"]',
      (t) => t.includes('Package config changed.'),
      'revision 3 listed',
    );
    await eventually('revision 2 archived', async () => {
      const heads = await page.locator('tr[data-revision] th').allTextContents();
      return JSON.stringify(heads) === JSON.stringify(['3 (current)', '2', '1']) ? true : undefined;
    });
    await page.selectOption('label:has-text("From revision") select', '2');
    await page.selectOption('label:has-text("to revision") select', '3');
    await page.getByRole('button', { name: 'Show changes' }).click();
    await textOf(page, '.diff-table caption', (t) => t.includes('ConfigMap'), 'the diff');
    expect(await page.locator('.diff-table caption').allTextContents()).toEqual([
      `v1.ConfigMap.${ns}.settings (changed)`,
    ]);
    expect(await page.locator('.diff-table td.del').allTextContents()).toEqual(['removed:   v: one']);
    expect(await page.locator('.diff-table td.add').allTextContents()).toEqual(['added:   v: two']);
    await screenshot(page, 'revisions-diff');
    expect(await page.locator('.timeline .event').count()).toBeGreaterThan(0);

    // Roll back from the page: a new revision made from revision 2's config.
    await page.getByRole('button', { name: 'Roll back to revision 2' }).click();
    await textOf(page, '.action-status', (t) => t === 'rolling back to revision 2', 'the action answered');
    await textOf(
      page,
      'tr[data-revision="4"]',
      (t) => t.includes('Rolled back to revision 2.'),
      'revision 4 live',
    );
    await textOf(page, '.summary .badge', (t) => t.includes('Available'), 'revision 4 Available');
    expect((await suite.kube().get(pkgRef(ns, 'shop')))['spec']).toEqual({
      image,
      config: { v: 'one', ready: 'yes' },
    });
  });

  it('pauses and unpauses from the page', async ({ skip }) => {
    if (noBrowser !== undefined) skip(`Chromium is missing and ${noBrowser}`);
    const { page, url } = await open(inject('kube').kubeconfigPath);
    await page.goto(`${url}#/package/${encodeURIComponent(`Package/${ns}/shop`)}`);
    await page.getByRole('button', { name: 'Pause' }).click();
    await textOf(page, '.summary .badge', (t) => t.includes('Paused'), 'Paused');
    const pkg = await suite.kube().get(pkgRef(ns, 'shop'));
    expect(pkg['spec']).toMatchObject({ paused: true });
    expect(pkg.metadata.annotations?.['package-operator.run/pause-message']).toBe(
      'paused from the Gantry console',
    );
    await textOf(
      page,
      '.facts',
      (t) => t.includes('Pausedpaused from the Gantry console'),
      'the pause message',
    );
    await page.getByRole('button', { name: 'Unpause' }).click();
    await textOf(page, '.summary .badge', (t) => t.includes('Available'), 'Available again');
    expect((await suite.kube().get(pkgRef(ns, 'shop')))['spec']).toMatchObject({ paused: false });
    expect(await page.locator('.facts').textContent()).not.toContain('Paused');
  });

  it('offers no action to a user who may only read', async ({ skip }) => {
    if (noBrowser !== undefined) skip(`Chromium is missing and ${noBrowser}`);
    const { page, url } = await open(await viewerKubeconfig(ns), ns);
    await page.goto(`${url}#/package/${encodeURIComponent(`Package/${ns}/shop`)}`);
    await textOf(page, '.summary .badge', (t) => t.includes('Available'), 'the Package, read as the viewer');
    await textOf(page, '[data-phase="deploy"] h3', (t) => t.includes('Done'), 'its pipeline');
    expect(await page.locator('.actions').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Pause|Unpause|Roll back/ }).count()).toBe(0);
    // And the server refuses the action itself, whatever a page sends.
    const refused = await page.evaluate(async (key) => {
      const r = await fetch('/api/action', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gantry-console': '1' },
        body: JSON.stringify({ key, action: 'pause' }),
      });
      return { status: r.status, body: await r.text() };
    }, `Package/${ns}/shop`);
    expect(refused).toEqual({ status: 403, body: '{"error":"you may not update this package"}' });
  });
});

/** One request with full control of its headers (fetch will not set Host). */
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

describe('gantry console against a hostile caller', () => {
  it('answers only its own Host, takes actions only as JSON with its header, bounds bodies and streams', async () => {
    const running = await startConsole(io, {
      kubeconfig: inject('kube').kubeconfigPath,
      addr: '127.0.0.1:0',
      namespace: 'default',
      readOnly: false,
    });
    consoles.push(running);
    const url = running.url;
    const action = (headers: Record<string, string>, body: string) =>
      request(`${url}api/action`, { method: 'POST', headers, body });
    const json = { 'content-type': 'application/json', 'x-gantry-console': '1' };

    const rebound = await request(`${url}api/packages`, { headers: { host: 'evil.example:7355' } });
    expect([rebound.status, rebound.body]).toEqual([
      403,
      '{"error":"this console answers only on the address it listens on"}',
    ]);
    const page = await request(url, {});
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    expect((await request(`${url}nothing`, {})).status).toBe(404);

    const form = await action({ 'content-type': 'application/x-www-form-urlencoded' }, 'key=x');
    expect([form.status, form.body]).toEqual([415, '{"error":"actions take a JSON body"}']);
    const noHeader = await action({ 'content-type': 'application/json' }, '{}');
    expect([noHeader.status, noHeader.body]).toEqual([
      403,
      '{"error":"actions need the x-gantry-console header"}',
    ]);
    const big = await action(json, JSON.stringify({ key: 'x'.repeat(5000) }));
    expect([big.status, big.body]).toEqual([413, '{"error":"an action body is at most 4096 bytes"}']);
    const notJson = await action(json, '{');
    expect([notJson.status, notJson.body]).toEqual([400, '{"error":"the body is not JSON"}']);
    const extra = await action(json, JSON.stringify({ key: 'Package/default/x', action: 'delete' }));
    expect(extra.status).toBe(400);
    const badKey = await request(`${url}api/package?key=${encodeURIComponent('Pod/default/x')}`, {});
    expect([badKey.status, badKey.body]).toEqual([
      400,
      '{"error":"key must be Package/<namespace>/<name> or ClusterPackage//<name>"}',
    ]);
    const missing = await request(`${url}api/package?key=${encodeURIComponent('Package/default/none')}`, {});
    expect([missing.status, missing.body]).toEqual([404, '{"error":"no such package"}']);

    // 32 streams at most: the 33rd is refused, and a closed one frees its place.
    const controllers = Array.from({ length: 32 }, () => new AbortController());
    const streams = await Promise.all(
      controllers.map((c) => fetch(`${url}api/stream`, { signal: c.signal })),
    );
    expect(streams.map((s) => s.status)).toEqual(Array.from({ length: 32 }, () => 200));
    const refused = await request(`${url}api/stream`, {});
    expect([refused.status, refused.body]).toEqual([
      503,
      '{"error":"too many console pages are open; close one and reload"}',
    ]);
    for (const c of controllers) c.abort();
    await eventually('a stream place to free up', async () => {
      const r = await fetch(`${url}api/stream`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      const ok = r?.status === 200;
      await r?.body?.cancel().catch(() => undefined);
      return ok ? true : undefined;
    });
  });
});
