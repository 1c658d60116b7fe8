/**
 * The web console in a real browser (issue 25): headless Chromium (Debian's, driven by playwright-core) against
 * `gantry console` on the test control plane, with the real engine rolling packages out. Install a package and watch
 * its pipeline progress live, its failing probe shown with its message, an upgrade appearing live, the diff between
 * two revisions, pause and unpause from the page; a ServiceAccount that may only read sees no action; axe-core finds
 * no serious or critical violation on the list and Package views. Screenshots of the main views go to docs/console/.
 */
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { consoleActions, startConsole, type RunningConsole } from '../../cli/commands/console.js';
import { KubePages } from '../../functions/adapters/kube/pages.js';
import type { SessionAccess } from '../../functions/hosts/console/access.js';
import { createEngine } from '../../functions/hosts/engine.js';
import { startHttpHost } from '../../functions/hosts/serve.js';
import { TriggerCore } from '../../functions/hosts/triggers.js';
import { API_VERSION } from '../../shared/api/constants.js';
import { isRecord } from '../../shared/api/objects.js';
import type { CliIO } from '../../cli/command.js';
import type { KubeObject } from '../../shared/ports.js';
import { ensureChromium, launchBrowser, seriousViolations, type TestBrowser } from '../console-browser.js';
import { eventually, manifest, pkgRef, pushPackage, useEngine } from './setup/engine.js';
import { serviceAccountKubeconfig, serviceAccountToken } from './setup/service-account.js';
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

/** What a ServiceAccount that may only read Packages, their children and Events may do. */
const VIEW_RULES = [
  {
    apiGroups: ['package-operator.run'],
    resources: ['packages', 'objectdeployments', 'objectsets', 'objectslices'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['gantry.run'], resources: ['packagerevisions'], verbs: ['get', 'list', 'watch'] },
];

/** ServiceAccount `name` of `ns` with a Role of `rules` bound to it; resolves with a bearer token of it. */
async function serviceAccountWith(
  ns: string,
  name: string,
  rules: readonly Record<string, unknown>[],
): Promise<string> {
  const admin = suite.admin;
  const made = [
    await admin.create(`/api/v1/namespaces/${ns}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name },
    }),
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name },
      rules,
    }),
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    }),
  ];
  expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
  return serviceAccountToken(admin, ns, name);
}

/** A kubeconfig of ServiceAccount `viewer` of `ns`, which may read Packages, their children and Events there only. */
async function viewerKubeconfig(ns: string): Promise<string> {
  await serviceAccountWith(ns, 'viewer', VIEW_RULES);
  const dir = await mkdtemp(join(tmpdir(), 'gantry-console-'));
  return serviceAccountKubeconfig(suite.admin, ns, 'viewer', join(dir, 'kubeconfig'));
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

  it('shows ObjectTemplates live, each source with its status, and the object a template rendered', async ({
    skip,
  }) => {
    if (noBrowser !== undefined) skip(`Chromium is missing and ${noBrowser}`);
    const tns = await suite.namespace('console-ot');
    const ot = (name: string, source: string, output: string): KubeObject => ({
      apiVersion: API_VERSION,
      kind: 'ObjectTemplate',
      metadata: { name, namespace: tns },
      spec: {
        template: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${output}\ndata:\n  host: {{ .config.host | quote }}\n`,
        sources: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: source,
            items: [{ key: '.data.host', destination: '.host' }],
          },
        ],
      },
    });
    await suite.kube().create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'db', namespace: tns },
      data: { host: 'db-1.local' },
    });
    await suite.kube().create(ot('good', 'db', 'out'));
    await suite.kube().create(ot('bad', 'later', 'never'));
    const { page, url } = await open(inject('kube').kubeconfigPath, tns);
    await page.goto(`${url}#/templates`);
    const row = (name: string): string => `tr[data-key="ObjectTemplate/${tns}/${name}"]`;
    await textOf(page, `${row('good')} .badge`, (t) => t.includes('Ready'), 'the rendered template');
    await textOf(page, `${row('bad')} .badge`, (t) => t.includes('Invalid'), 'the template missing a source');
    expect(await page.locator(`${row('good')} code`).textContent()).toBe(`ConfigMap ${tns}/out`);
    expect(await page.locator(`${row('bad')} .message`).textContent()).toBe(
      `for source ConfigMap ${tns}/later: configmaps "later" not found`,
    );
    // A new template appears by itself.
    await suite.kube().create(ot('late', 'db', 'late-out'));
    await textOf(
      page,
      `${row('late')} .badge`,
      (t) => t.includes('Ready'),
      'a template made after the page opened',
    );
    await screenshot(page, 'templates');
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator(`${row('good')} a`).click();
    await textOf(page, 'h1#template-title', (t) => t === `ObjectTemplate ${tns}/good`, 'the template page');
    const source = page.locator(`tr[data-source="ConfigMap ${tns}/db"]`);
    await textOf(page, `tr[data-source="ConfigMap ${tns}/db"] .badge`, (t) => t === '✓ Found', 'its source');
    expect(await source.locator('ul.items').textContent()).toBe('.data.host → .host');
    const rendered = await textOf(page, 'pre.yaml', (t) => t.includes('db-1.local'), 'the rendered object');
    expect(rendered).toContain(`kind: ConfigMap\nmetadata:\n  name: out\n  namespace: ${tns}\n`);
    expect(rendered).toContain('data:\n  host: db-1.local\n');
    expect(rendered).not.toContain('managedFields');
    await screenshot(page, 'template-sources');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${url}#/template/${encodeURIComponent(`ObjectTemplate/${tns}/bad`)}`);
    await textOf(
      page,
      `tr[data-source="ConfigMap ${tns}/later"] .badge`,
      (t) => t === '✕ Failing',
      'the failing source',
    );
    expect(await page.locator(`tr[data-source="ConfigMap ${tns}/later"] .source-message`).textContent()).toBe(
      'configmaps "later" not found',
    );
    expect(await page.locator('.output-problem').textContent()).toBe('None yet.');
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

/** A serving host (`gantry serve`'s HTTP host over TLS) with the console mounted, on a fresh engine of its own. */
interface MountedHost {
  readonly url: string;
  readonly access: SessionAccess;
  stop(): Promise<void>;
}

const mountedHosts: MountedHost[] = [];
afterAll(async () => {
  for (const h of mountedHosts) await h.stop();
});

async function mountConsole(allowActions: boolean): Promise<MountedHost> {
  const kube = inject('kube');
  const engine = await createEngine({ kubeconfig: kube.kubeconfigPath, env: {} });
  const log = (m: string): void => {
    if (process.env['GANTRY_TEST_LOG'] === '1') process.stderr.write(`${m}\n`);
  };
  // No tick and no webhooks: this host only serves the console (its engine never runs a step).
  const core = new TriggerCore({
    deps: engine.deps,
    pages: new KubePages(engine.client),
    concurrency: 1,
    namespace: '',
    fullResyncMs: Number.MAX_SAFE_INTEGER,
    admissionBudgetMs: 0,
    log,
  });
  const http = await startHttpHost(engine, core, {
    host: '127.0.0.1',
    port: 0,
    tls: {
      cert: await readFile(kube.serverCertFile, 'utf8'),
      key: await readFile(kube.serverKeyFile, 'utf8'),
    },
    eventsAuth: {},
    admissionBudgetMs: 0,
    log,
    console: { actions: consoleActions, allowActions },
  });
  if (http.console === undefined) throw new Error('the console was not mounted');
  const host = {
    url: `https://127.0.0.1:${http.port}/console/`,
    access: http.console.access,
    stop: async () => {
      await http.stop(0);
      await core.stop();
      engine.close();
    },
  };
  mountedHosts.push(host);
  return host;
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request to a mounted console (trusting the test CA), from `from` (a loopback address). */
async function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; from?: string },
): Promise<Answer> {
  const ca = await readFile(inject('kube').caFile, 'utf8');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        ca,
        ...(options.from !== undefined ? { localAddress: options.from } : {}),
      },
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

/** Sign in with a token; resolves with the answer and the session's cookie and CSRF token (when it was accepted). */
async function login(
  host: MountedHost,
  token: string,
  from?: string,
): Promise<Answer & { cookie: string; csrf: string }> {
  const answer = await call(`${host.url}api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gantry-console': '1' },
    body: JSON.stringify({ token }),
    ...(from !== undefined ? { from } : {}),
  });
  const setCookie = answer.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? (setCookie[0] ?? '') : '').split(';')[0] ?? '';
  const csrf = answer.status === 200 ? (JSON.parse(answer.body) as { csrf: string }).csrf : '';
  return { ...answer, cookie, csrf };
}

/** Open a stream of a session; resolves with its status once the answer's head arrives (the stream stays open). */
async function openMountedStream(
  host: MountedHost,
  cookie: string,
): Promise<{ status: number; close(): void }> {
  const ca = await readFile(inject('kube').caFile, 'utf8');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${host.url}api/stream`, { headers: { cookie }, ca }, (res) => {
      resolve({
        status: res.statusCode ?? 0,
        close: () => {
          req.destroy();
        },
      });
      if (res.statusCode !== 200) res.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console mounted on a serving host, behind a sign-in', () => {
  let ns = '';
  let other = '';
  let viewerToken = '';
  let editorToken = '';
  let host: MountedHost;

  beforeAll(async () => {
    ns = await suite.namespace('console-mount');
    other = await suite.namespace('console-other');
    viewerToken = await serviceAccountWith(ns, 'viewer', VIEW_RULES);
    editorToken = await serviceAccountWith(ns, 'editor', [
      ...VIEW_RULES,
      { apiGroups: ['package-operator.run'], resources: ['packages'], verbs: ['update'] },
    ]);
    const image = await pushPackage('console-mount', FILES);
    for (const namespace of [ns, other])
      await suite.kube().create({
        apiVersion: API_VERSION,
        kind: 'Package',
        metadata: { name: 'shop', namespace },
        spec: { image, config: { v: 'one', ready: 'yes' } },
      });
    host = await mountConsole(true);
  });

  it('refuses a missing or bad token with 401, and serves only the sign-in without a session', async () => {
    const page = await call(host.url, {});
    expect([page.status, page.headers['content-security-policy']]).toEqual([
      200,
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ]);
    const bare = await call(host.url.replace(/\/$/, ''), {});
    expect([bare.status, bare.headers['location']]).toEqual([308, '/console/']);
    const noSession = { status: 401, body: '{"error":"sign in with a Kubernetes bearer token"}' };
    for (const path of [
      'api/packages',
      'api/session',
      `api/package?key=Package%2F${ns}%2Fshop`,
      'api/stream',
    ]) {
      const r = await call(`${host.url}${path}`, {});
      expect({ path, status: r.status, body: r.body }).toEqual({ path, ...noSession });
    }
    const forged = await call(`${host.url}api/packages`, {
      headers: { cookie: '__Host-gantry-console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    expect([forged.status, forged.body]).toEqual([401, noSession.body]);
    const bad = await login(host, 'not-a-token-anyone-issued');
    expect([bad.status, bad.body, bad.cookie]).toEqual([401, '{"error":"the token was not accepted"}', '']);
    const noHeader = await call(`${host.url}api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: viewerToken }),
    });
    expect([noHeader.status, noHeader.body]).toEqual([
      403,
      '{"error":"signing in needs the x-gantry-console header"}',
    ]);
    const big = await call(`${host.url}api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gantry-console': '1' },
      body: JSON.stringify({ token: 'x'.repeat(20_000) }),
    });
    expect([big.status, big.body]).toEqual([413, '{"error":"a sign-in body is at most 16384 bytes"}']);
    expect(host.access.sessions).toBe(0);
  });

  it('gives a good token an HttpOnly, Secure, SameSite=Strict session; sign-out ends it', async () => {
    const signedIn = await login(host, viewerToken);
    expect([signedIn.status, JSON.parse(signedIn.body)]).toEqual([
      200,
      { user: `system:serviceaccount:${ns}:viewer`, csrf: signedIn.csrf, signIn: true },
    ]);
    expect(signedIn.csrf).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(signedIn.headers['set-cookie']).toEqual([
      `${signedIn.cookie}; Path=/; Max-Age=28800; HttpOnly; Secure; SameSite=Strict`,
    ]);
    expect(signedIn.cookie).toMatch(/^__Host-gantry-console=[A-Za-z0-9_-]{32}$/);
    const listed = await call(`${host.url}api/packages`, { headers: { cookie: signedIn.cookie } });
    expect(listed.status).toBe(200);
    // Only what the user may list: the Package of its namespace, not the one next door.
    expect((JSON.parse(listed.body) as { packages: { key: string }[] }).packages.map((p) => p.key)).toEqual([
      `Package/${ns}/shop`,
    ]);
    const elsewhere = await call(
      `${host.url}api/package?key=${encodeURIComponent(`Package/${other}/shop`)}`,
      {
        headers: { cookie: signedIn.cookie },
      },
    );
    expect([elsewhere.status, elsewhere.body]).toEqual([404, '{"error":"no such package"}']);
    const noCsrf = await call(`${host.url}api/logout`, {
      method: 'POST',
      headers: { cookie: signedIn.cookie, 'content-type': 'application/json', 'x-gantry-console': '1' },
      body: '{}',
    });
    expect([noCsrf.status, noCsrf.body]).toEqual([
      403,
      '{"error":"signing out needs the x-gantry-console header"}',
    ]);
    const out = await call(`${host.url}api/logout`, {
      method: 'POST',
      headers: {
        cookie: signedIn.cookie,
        'content-type': 'application/json',
        'x-gantry-console': signedIn.csrf,
      },
      body: '{}',
    });
    expect([out.status, out.body, out.headers['set-cookie']]).toEqual([
      200,
      '{"message":"signed out"}',
      ['__Host-gantry-console=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict'],
    ]);
    const after = await call(`${host.url}api/packages`, { headers: { cookie: signedIn.cookie } });
    expect(after.status).toBe(401);
  });

  it('shows a viewer its Packages in the browser and no action; the server refuses one anyway', async ({
    skip,
  }) => {
    if (noBrowser !== undefined || browser === undefined) skip(`Chromium is missing and ${noBrowser}`);
    const context = await browser!.browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(host.url);
    await page.getByLabel('Kubernetes bearer token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page, '.sign-in-problem', (t) => t === 'the token was not accepted', 'the refusal');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in');
    await page.getByLabel('Kubernetes bearer token').fill(viewerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page, '.who', (t) => t.includes(`system:serviceaccount:${ns}:viewer`), 'signed in');
    await textOf(page, '.counts', (t) => t.includes('shown'), 'the list');
    await textOf(page, `tr[data-key="Package/${ns}/shop"]`, (t) => t.includes('shop'), 'its Package');
    const keys: (string | null)[] = [];
    for (const row of await page.locator('tbody tr').all()) keys.push(await row.getAttribute('data-key'));
    expect(keys).toEqual([`Package/${ns}/shop`]);
    await page.locator(`tr[data-key="Package/${ns}/shop"] a`).click();
    await textOf(page, 'h1#package-title', (t) => t === `Package ${ns}/shop`, 'the Package page');
    await textOf(page, '[data-phase="deploy"] h3', (t) => t.length > 0, 'its pipeline');
    expect(await page.locator('.actions').count()).toBe(0);
    const refused = await page.evaluate(async (key) => {
      const session = (await (await fetch('api/session')).json()) as { csrf: string };
      const send = async (header: string) => {
        const r = await fetch('api/action', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-gantry-console': header },
          body: JSON.stringify({ key, action: 'pause' }),
        });
        return { status: r.status, body: await r.text() };
      };
      return [await send('1'), await send(session.csrf)];
    }, `Package/${ns}/shop`);
    expect(refused).toEqual([
      { status: 403, body: '{"error":"actions need the x-gantry-console header"}' },
      { status: 403, body: '{"error":"you may not update this package"}' },
    ]);
    expect((await suite.kube().get(pkgRef(ns, 'shop')))['spec']).not.toHaveProperty('paused');
    await context.close();
  });

  it('lets an editor pause from the browser, and says who asked in the pause message', async ({ skip }) => {
    if (noBrowser !== undefined || browser === undefined) skip(`Chromium is missing and ${noBrowser}`);
    const context = await browser!.browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${host.url}#/package/${encodeURIComponent(`Package/${ns}/shop`)}`);
    await page.getByLabel('Kubernetes bearer token').fill(editorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page, 'h1#package-title', (t) => t === `Package ${ns}/shop`, 'the Package page');
    await page.getByRole('button', { name: 'Pause' }).click();
    await textOf(page, '.summary .badge', (t) => t.includes('Paused'), 'Paused');
    const pkg = await suite.kube().get(pkgRef(ns, 'shop'));
    expect(pkg['spec']).toMatchObject({ paused: true });
    expect(pkg.metadata.annotations?.['package-operator.run/pause-message']).toBe(
      `paused from the Gantry console by system:serviceaccount:${ns}:editor`,
    );
    await page.getByRole('button', { name: 'Unpause' }).click();
    await eventually('unpaused', async () => {
      const spec = (await suite.kube().get(pkgRef(ns, 'shop')))['spec'];
      return isRecord(spec) && spec['paused'] === false ? true : undefined;
    });
    await context.close();
  });

  it('lists the versions a Package follows; an editor approves one from the browser, a viewer sees no button', async ({
    skip,
  }) => {
    if (noBrowser !== undefined || browser === undefined) skip(`Chromium is missing and ${noBrowser}`);
    // Objects of its own: no collision with the Package `shop` of the same namespace.
    const followFiles = (value: string): Record<string, string> => ({
      'manifest.yaml': manifest('follow', ['config']),
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: follow-settings\n  annotations:\n    package-operator.run/phase: config\ndata:\n  v: "${value}"\n`,
    });
    const v1 = await pushPackage('console-follow', followFiles('one'));
    const v2 = await pushPackage('console-follow-next', followFiles('two'));
    const revision = async (version: string, image: string, validated: boolean): Promise<void> => {
      const made = await suite.kube().create({
        apiVersion: 'gantry.run/v1alpha1',
        kind: 'PackageRevision',
        metadata: {
          name: `shop-repo.shop.${version}`,
          namespace: ns,
          labels: { 'gantry.run/repository': 'shop-repo', 'gantry.run/package-name': 'shop' },
        },
        spec: {
          repository: 'shop-repo',
          packageName: 'shop',
          version,
          image,
          lifecycle: validated ? 'Published' : 'Draft',
        },
      });
      await suite.kube().updateStatus({
        ...made,
        status: {
          conditions: [
            {
              type: 'Validated',
              status: validated ? 'True' : 'False',
              reason: validated ? 'Validated' : 'Invalid',
              message: validated ? 'the package is valid' : 'spec.config.replicas: Invalid value',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      });
    };
    await revision('1.0.0', v1, true);
    await revision('1.1.0', v2, true);
    // Never pulled: a version whose validation failed.
    await revision('1.2.0', v2.replace(/:[^:/]+$/, ':v1.2.0'), false);
    await suite.kube().create({
      apiVersion: API_VERSION,
      kind: 'Package',
      metadata: {
        name: 'follower',
        namespace: ns,
        annotations: {
          'gantry.run/repository': 'shop-repo',
          'gantry.run/package': 'shop',
          'gantry.run/version-range': '>=1.0.0',
          'gantry.run/approval': 'manual',
          'gantry.run/version': '1.0.0',
          'gantry.run/proposed-version': '1.1.0',
        },
      },
      spec: { image: v1 },
    });
    const key = encodeURIComponent(`Package/${ns}/follower`);
    const rowsOf = async (page: Page): Promise<string[][]> => {
      const rows: string[][] = [];
      for (const row of await page.locator('table.versions tbody tr').all())
        rows.push((await row.locator('th, td').allTextContents()).slice(0, 5).map((t) => t.trim()));
      return rows;
    };

    const viewerContext = await browser!.browser.newContext({ ignoreHTTPSErrors: true });
    const viewerPage = await viewerContext.newPage();
    await viewerPage.goto(`${host.url}#/package/${key}`);
    await viewerPage.getByLabel('Kubernetes bearer token').fill(viewerToken);
    await viewerPage.getByRole('button', { name: 'Sign in' }).click();
    await textOf(viewerPage, '.follows', (t) => t.includes('shop-repo'), 'the Versions table');
    expect((await viewerPage.locator('.follows').textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      'Follows shop-repo/shop in range >=1.0.0 (manual approval), running 1.0.0, 1.1.0 proposed.',
    );
    expect(await rowsOf(viewerPage)).toEqual([
      ['1.2.0', 'Draft', 'False', '-', 'spec.config.replicas: Invalid value'],
      ['1.1.0', 'Published', 'True', 'proposed', ''],
      ['1.0.0', 'Published', 'True', 'running', ''],
    ]);
    expect(await viewerPage.getByRole('button', { name: /Approve|Reject/ }).count()).toBe(0);
    await viewerContext.close();

    const context = await browser!.browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${host.url}#/package/${key}`);
    await page.getByLabel('Kubernetes bearer token').fill(editorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page, 'tr[data-version="1.1.0"] .version-state', (t) => t === 'proposed', 'the proposal');
    await textOf(page, '.summary .badge', (t) => t.includes('Available'), 'version 1.0.0 Available');
    await screenshot(page, 'versions');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Approve version 1.1.0' }).click();
    await textOf(
      page,
      '.versions-status',
      (t) => t === `package ${ns}/follower approved 1.1.0: ${v2}`,
      'the approval answered',
    );
    await textOf(
      page,
      'tr[data-version="1.1.0"] .version-state',
      (t) => t === 'running',
      '1.1.0 running, live',
    );
    expect(await rowsOf(page)).toEqual([
      ['1.2.0', 'Draft', 'False', '-', 'spec.config.replicas: Invalid value'],
      ['1.1.0', 'Published', 'True', 'running', ''],
      ['1.0.0', 'Published', 'True', 'available', ''],
    ]);
    const pkg = await suite.kube().get(pkgRef(ns, 'follower'));
    expect(pkg['spec']).toMatchObject({ image: v2 });
    expect(pkg.metadata.annotations).toMatchObject({
      'gantry.run/version': '1.1.0',
      'gantry.run/approved-version': '1.1.0',
    });
    expect(pkg.metadata.annotations?.['gantry.run/proposed-version']).toBeUndefined();
    // Rejecting an available version: never proposed again.
    await page.getByRole('button', { name: 'Reject version 1.0.0' }).click();
    await textOf(page, 'tr[data-version="1.0.0"] .version-state', (t) => t === 'rejected', '1.0.0 rejected');
    expect(
      (await suite.kube().get(pkgRef(ns, 'follower'))).metadata.annotations?.['gantry.run/rejected-versions'],
    ).toBe('1.0.0');
    await context.close();
  });

  it('offers an editor no action on a read-only host', async () => {
    const readOnly = await mountConsole(false);
    const editor = await login(readOnly, editorToken);
    const detail = await call(`${readOnly.url}api/package?key=${encodeURIComponent(`Package/${ns}/shop`)}`, {
      headers: { cookie: editor.cookie },
    });
    expect((JSON.parse(detail.body) as { actions: unknown }).actions).toEqual({
      pause: false,
      undo: false,
      approve: false,
    });
    const act = await call(`${readOnly.url}api/action`, {
      method: 'POST',
      headers: { cookie: editor.cookie, 'content-type': 'application/json', 'x-gantry-console': editor.csrf },
      body: JSON.stringify({ key: `Package/${ns}/shop`, action: 'pause' }),
    });
    expect([act.status, act.body]).toEqual([403, '{"error":"this console is read-only"}']);
  });

  it('bounds a flood of sign-ins: 10 per client address and 100 in all per minute, refused before any review', async () => {
    const flooded = await mountConsole(false);
    const from = (i: number): string => `127.0.0.${i}`;
    const first: Answer[] = [];
    for (let n = 0; n < 11; n++) first.push(await login(flooded, 'not-a-token', from(2)));
    expect(first.map((a) => a.status)).toEqual([...Array.from({ length: 10 }, () => 401), 429]);
    expect([first[10]?.body, first[10]?.headers['retry-after']]).toEqual([
      '{"error":"too many sign-in attempts; wait a minute"}',
      expect.stringMatching(/^(60|[1-5]\d|[1-9])$/),
    ]);
    // A good token from the same address is refused too: the limit counts attempts, not failures.
    expect((await login(flooded, viewerToken, from(2))).status).toBe(429);
    const others: number[] = [];
    for (let i = 3; i < 12; i++)
      for (let n = 0; n < 10; n++) others.push((await login(flooded, 'not-a-token', from(i))).status);
    expect(others).toEqual(Array.from({ length: 90 }, () => 401));
    const beyond = await login(flooded, viewerToken, from(12));
    expect([beyond.status, beyond.body]).toEqual([
      429,
      '{"error":"too many sign-in attempts; wait a minute"}',
    ]);
    expect(flooded.access.sessions).toBe(0);
  });

  it('bounds the live streams: 4 per session, 16 per user and 64 in all', async () => {
    const streamed = await mountConsole(false);
    // Five users: four fill the 64 places (4 sessions of 4 streams each), the fifth finds none.
    const tokens: string[] = [];
    for (let u = 0; u < 5; u++) tokens.push(await serviceAccountWith(ns, `streamer-${u}`, VIEW_RULES));
    const sessions: (Answer & { cookie: string; csrf: string })[] = [];
    for (let i = 0; i < 18; i++) {
      // Sessions 0-3 of user 0, 4-7 of user 1, …, 16 of user 4, 17 a fifth of user 0.
      const user = i === 17 ? 0 : Math.floor(i / 4);
      sessions.push(await login(streamed, tokens[user]!, `127.0.1.${1 + Math.floor(i / 9)}`));
    }
    expect(sessions.map((s) => s.status)).toEqual(Array.from({ length: 18 }, () => 200));
    const open: { status: number; close(): void }[] = [];
    const first = sessions[0]!;
    for (let n = 0; n < 5; n++) open.push(await openMountedStream(streamed, first.cookie));
    expect(open.map((s) => s.status)).toEqual([200, 200, 200, 200, 429]);
    const perSession = await call(`${streamed.url}api/stream`, { headers: { cookie: first.cookie } });
    expect([perSession.status, perSession.body]).toEqual([
      429,
      '{"error":"this session has 4 streams open already; close a console page"}',
    ]);
    for (const s of sessions.slice(1, 16))
      for (let n = 0; n < 4; n++) open.push(await openMountedStream(streamed, s.cookie));
    expect(open.filter((s) => s.status === 200).length).toBe(64);
    const perUser = await call(`${streamed.url}api/stream`, { headers: { cookie: sessions[17]!.cookie } });
    expect([perUser.status, perUser.body]).toEqual([
      429,
      '{"error":"you have 16 streams open already; close a console page"}',
    ]);
    const inAll = await call(`${streamed.url}api/stream`, { headers: { cookie: sessions[16]!.cookie } });
    expect([inAll.status, inAll.body, inAll.headers['retry-after']]).toEqual([
      503,
      '{"error":"too many console pages are open; try again later"}',
      '10',
    ]);
    // A closed stream gives its place back.
    open[0]?.close();
    await eventually('a stream place to free up', async () => {
      const s = await openMountedStream(streamed, sessions[16]!.cookie);
      s.close();
      return s.status === 200 ? true : undefined;
    });
    for (const s of open) s.close();
  });
});
