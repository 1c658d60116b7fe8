// Template engine benchmarks (issue 3 §7): Go template engine cold start (target: WASM ready < 150 ms) and one
// typical Deployment render warm with parsed templates cached (target: < 0.5 ms); handlebars for comparison.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createGoTemplateEngine, ensureGotmplWasm } from '../functions/adapters/gotmpl/index.js';
import { renderHandlebars } from '../shared/render/handlebars.js';
import { context, deploymentRequest } from './fixtures/deployment.js';
import { sample, summarize, type BenchResult } from './types.js';

const COLD_RUNS = 7;

interface ColdRun {
  readyMs: number;
  firstRenderMs: number;
  rssBytes: number;
}

function cold(mode: 'wasmDir' | 'go', dir: string): Promise<ColdRun> {
  const script = fileURLToPath(new URL('./gotmpl-cold.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, mode, dir], (error, stdout) => {
      if (error) {
        reject(new Error(`cold run failed: ${error.message}`, { cause: error }));
        return;
      }
      const parsed: unknown = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
      const get = (key: string): number => {
        const value: unknown =
          typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, key) : undefined;
        return typeof value === 'number' ? value : Number.NaN;
      };
      resolve({ readyMs: get('readyMs'), firstRenderMs: get('firstRenderMs'), rssBytes: get('rssBytes') });
    });
  });
}

async function coldResults(dir: string, note: string): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const mode of ['wasmDir', 'go'] as const) {
    const runs = [];
    for (let i = 0; i < COLD_RUNS; i++) runs.push(await cold(mode, dir));
    const rss = runs.reduce((s, r) => s + r.rssBytes, 0) / runs.length;
    out.push(
      summarize(
        `gotmpl cold: WASM ready (${mode === 'wasmDir' ? 'prebuilt wasmDir' : 'go env + cache check'})`,
        runs.map((r) => r.readyMs),
        { memoryBytes: rss, note: mode === 'wasmDir' ? note : 'fresh process each' },
      ),
    );
    if (mode === 'wasmDir') {
      out.push(
        summarize(
          'gotmpl cold: first Deployment render (parse+exec)',
          runs.map((r) => r.firstRenderMs),
        ),
      );
    }
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const artifacts = await ensureGotmplWasm();
  const bytes = await readFile(artifacts.wasmPath);
  const size = `module ${(bytes.length / 1024 / 1024).toFixed(2)} MiB, gzip ${(gzipSync(bytes, { level: 9 }).length / 1024 / 1024).toFixed(2)} MiB`;
  const results = await coldResults(artifacts.dir, size);

  const engine = createGoTemplateEngine({ wasmDir: artifacts.dir });
  await engine.warmUp();
  const request = deploymentRequest();
  const rss0 = process.memoryUsage().rss;
  const warm = await sample(() => engine.render(request), 5000, 500);
  results.push(
    summarize('gotmpl warm: Deployment render (cached set)', warm, {
      memoryBytes: process.memoryUsage().rss - rss0,
      note: 'target < 0.5 ms',
    }),
  );
  let n = 0;
  const parse = await sample(() => engine.render(deploymentRequest(`# ${n++}\n`)), 500, 20);
  results.push(summarize('gotmpl warm: Deployment parse+render (new set)', parse));

  const hbsTemplates = new Map([
    [
      '_labels.hbs',
      'app.kubernetes.io/name: {{package.metadata.name}}\napp.kubernetes.io/managed-by: package-operator',
    ],
    [
      'deployment.yaml.hbs',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{package.metadata.name}}\n  labels:{{nindent 4 (include "labels" this)}}\nspec:\n  replicas: {{default 1 config.replicas}}\n  template:\n    spec:\n      containers:\n      - name: app\n        image: {{quote images.app}}\n        resources:{{nindent 10 (toYAML config.resources)}}\n',
    ],
  ]);
  const hbs = await sample(
    () => renderHandlebars({ templates: hbsTemplates, execute: ['deployment.yaml.hbs'], context }),
    5000,
    500,
  );
  results.push(summarize('handlebars warm: Deployment render', hbs));
  return results;
}
