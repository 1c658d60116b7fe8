/**
 * Headless Chromium for the console's tests and bench: Debian's /usr/bin/chromium, driven by playwright-core (no
 * browser download). On a fresh machine without it, {@link ensureChromium} installs it with apt-get (root, or
 * passwordless sudo) once per run; a machine where that fails gets the reason, for a loud skip.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { execToEnd } from './exec-file.js';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Chromium when it is missing; resolves with why it could not (undefined: it is there). */
export async function ensureChromium(): Promise<string | undefined> {
  if (existsSync(CHROMIUM)) return undefined;
  const root = process.getuid?.() === 0;
  const run = (args: string[]) =>
    execToEnd(root ? args[0]! : 'sudo', root ? args.slice(1) : ['-n', ...args], {
      cwd: process.cwd(),
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  const update = await run(['apt-get', 'update']);
  if (update.code !== 0) return `apt-get update failed: ${update.stderr.slice(-500)}`;
  const install = await run(['apt-get', 'install', '-y', 'chromium']);
  if (install.code !== 0) return `apt-get install -y chromium failed: ${install.stderr.slice(-500)}`;
  return existsSync(CHROMIUM) ? undefined : `apt-get installed chromium but ${CHROMIUM} is not there`;
}

export interface TestBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

/** A fresh headless Chromium (playwright gives it a new empty --user-data-dir and removes it on close). */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  return {
    browser,
    close: async () => {
      await browser.close();
    },
  };
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/** axe-core run in the page: the serious and critical violations (WCAG 2.x A/AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<unknown> } }).axe;
    const r = (await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    })) as { violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[] };
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
