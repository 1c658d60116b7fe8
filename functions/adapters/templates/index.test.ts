// Both template engines behind the worker thread: a deadline and a memory cap per render, the worker replaced
// after a template loops, and errors typed by whose fault they are.
import { afterAll, describe, expect, it } from 'vitest';
import { RetryableError, TerminalError } from '../../../shared/errors.js';
import { fileMapFromText } from '../../../shared/packages/files.js';
import { HANDLEBARS_MAX_OUTPUT_BYTES, renderHandlebars } from '../../../shared/render/handlebars.js';
import { TemplateError } from '../../../shared/render/errors.js';
import { createWorkerGoTemplateEngine, createWorkerHandlebarsEngine, TemplateWorker } from './index.js';

const workers: TemplateWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
});

function worker(renderTimeoutMs: number, renderMemoryMb = 256): TemplateWorker {
  const w = new TemplateWorker({ renderTimeoutMs, renderMemoryMb });
  workers.push(w);
  return w;
}

const list = Array.from({ length: 2000 }, (_, i) => i);

describe('handlebars in the worker', () => {
  it('renders what the pure renderer renders', async () => {
    const hbs = createWorkerHandlebarsEngine(worker(10_000));
    const request = {
      templates: new Map([['a.yaml.hbs', 'name: {{config.name}}\n']]),
      execute: ['a.yaml.hbs'],
      context: { config: { name: 'x' } },
    };
    expect(await hbs.render(request)).toEqual(renderHandlebars(request));
  });

  it('a template that runs past the deadline fails terminally naming the file and the limit; the next render works', async () => {
    const w = worker(300);
    const hbs = createWorkerHandlebarsEngine(w);
    const loop =
      '{{#each config.l}}{{#each @root.config.l}}{{#each @root.config.l}}{{/each}}{{/each}}{{/each}}';
    const error: unknown = await hbs
      .render({
        templates: new Map([
          ['ok.yaml.hbs', 'a: 1\n'],
          ['loop.yaml.hbs', loop],
        ]),
        execute: ['ok.yaml.hbs', 'loop.yaml.hbs'],
        context: { config: { l: list } },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toBeInstanceOf(TerminalError);
    expect((error as Error).message).toBe(
      'template loop.yaml.hbs: rendering took longer than 300 ms (limit renderTimeoutMs = 300)',
    );
    const again = await hbs.render({
      templates: new Map([['a.hbs', 'b: 2']]),
      execute: ['a.hbs'],
      context: {},
    });
    expect(again.get('a.hbs')).toBe('b: 2');
  });

  it('a template that outgrows the worker memory fails terminally naming the limit', async () => {
    const hbs = createWorkerHandlebarsEngine(worker(20_000, 32));
    const grow = '{{#each config.l}}{{toJson ../config}}{{/each}}';
    const error: unknown = await hbs
      .render({
        templates: new Map([['grow.yaml.hbs', grow]]),
        execute: ['grow.yaml.hbs'],
        context: { config: { l: list, big: 'x'.repeat(100_000) } },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as Error).message).toBe(
      'template grow.yaml.hbs: rendering exceeded the memory limit of 32 MiB (limit renderMemoryMb = 32)',
    );
  });

  it('with idleMs, the worker stops after that long without a render, and the next render starts a new one', async () => {
    const w = new TemplateWorker({ renderTimeoutMs: 10_000, renderMemoryMb: 256 }, { idleMs: 200 });
    workers.push(w);
    const hbs = createWorkerHandlebarsEngine(w);
    const request = { templates: new Map([['a.hbs', 'n: {{config.n}}']]), execute: ['a.hbs'], context: {} };
    expect((await hbs.render({ ...request, context: { config: { n: 1 } } })).get('a.hbs')).toBe('n: 1');
    expect(w.running).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    // a render within idleMs keeps it
    expect((await hbs.render({ ...request, context: { config: { n: 2 } } })).get('a.hbs')).toBe('n: 2');
    await new Promise((r) => setTimeout(r, 120));
    expect(w.running).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.running).toBe(false);
    expect((await hbs.render({ ...request, context: { config: { n: 3 } } })).get('a.hbs')).toBe('n: 3');
    expect(w.running).toBe(true);
  });

  it('caps the output at 64 MiB like the Go engine', () => {
    const big = 'x'.repeat(1024 * 1024);
    expect(() =>
      renderHandlebars({
        templates: new Map([['big.yaml.hbs', '{{#each config.l}}{{../config.big}}{{/each}}']]),
        execute: ['big.yaml.hbs'],
        context: { config: { l: Array.from({ length: 65 }, (_, i) => i), big } },
      }),
    ).toThrow(`template: big.yaml.hbs: template output exceeds ${HANDLEBARS_MAX_OUTPUT_BYTES} bytes`);
  });
});

describe('the Go engine in the worker', () => {
  const files = fileMapFromText({ 'manifest.yaml': 'kind: PackageManifest' });
  const request = (
    source: string,
  ): Parameters<ReturnType<typeof createWorkerGoTemplateEngine>['render']>[0] => ({
    templates: new Map([['a.yaml.gotmpl', source]]),
    execute: ['a.yaml.gotmpl'],
    context: { config: { n: 2 } },
    files,
    functionSet: 'package',
    celVariables: { config: { n: 2 } },
    cel: () => false,
  });

  it('renders, with cel evaluated in the worker from celVariables', async () => {
    const go = createWorkerGoTemplateEngine(worker(60_000));
    const out = await go.render(request('n: {{ .config.n }} cel: {{ cel "config.n == 2" }}'));
    expect(out.get('a.yaml.gotmpl')).toBe('n: 2 cel: true');
  }, 600_000);

  it("renders the same with the hosts' settings: hot functions only optimized, a small young generation", async () => {
    const w = new TemplateWorker(
      { renderTimeoutMs: 60_000, renderMemoryMb: 256 },
      { compiler: 'hot-only', youngGenerationMb: 8 },
    );
    workers.push(w);
    const go = createWorkerGoTemplateEngine(w);
    const loop = '{{ range $i := until 20000 }}{{ $i | toString | sha256sum | trunc 2 }}{{ end }}';
    const out = (await go.render(request(`n: {{ .config.n }} {{ ${JSON.stringify(loop)} | len }}`))).get(
      'a.yaml.gotmpl',
    );
    expect(out).toBe(`n: 2 ${loop.length}`);
    const long = (await go.render(request(loop))).get('a.yaml.gotmpl') ?? '';
    expect(long.length).toBe(40_000);
  }, 600_000);

  it('warmUp starts the worker and its Go engine before any render; idle, it stops as usual', async () => {
    const w = new TemplateWorker({ renderTimeoutMs: 60_000, renderMemoryMb: 256 }, { idleMs: 2_000 });
    workers.push(w);
    expect(w.running).toBe(false);
    await w.warmUp();
    expect(w.running).toBe(true);
    const go = createWorkerGoTemplateEngine(w);
    expect((await go.render(request('n: {{ .config.n }}'))).get('a.yaml.gotmpl')).toBe('n: 2');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(w.running).toBe(false);
  }, 600_000);

  it('a template that loops past the deadline fails terminally; the worker is replaced', async () => {
    const w = worker(60_000);
    const go = createWorkerGoTemplateEngine(w);
    await go.render(request('warm'));
    const slow = worker(500);
    const goSlow = createWorkerGoTemplateEngine(slow);
    await goSlow.render(request('warm')).catch(() => undefined);
    const error: unknown = await goSlow
      .render(request('{{ range $i := until 100000000 }}{{ end }}'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as Error).message).toBe(
      'template a.yaml.gotmpl: rendering took longer than 500 ms (limit renderTimeoutMs = 500)',
    );
    expect((await go.render(request('ok'))).get('a.yaml.gotmpl')).toBe('ok');
  }, 600_000);

  it('a cel callback without celVariables is an engine error, not a silent false', async () => {
    const go = createWorkerGoTemplateEngine(worker(10_000));
    const { celVariables: _, ...withoutVariables } = request('x');
    const error: unknown = await go.render(withoutVariables).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
  });
});
