// Template rendering in the worker thread (deadline and memory cap) against the pure renderer in-thread: the
// cost of the structured clone and the thread hop per render, for a small handlebars package.
import { createWorkerHandlebarsEngine, TemplateWorker } from '../functions/adapters/templates/index.js';
import { renderHandlebars } from '../shared/render/handlebars.js';
import { sample, summarize, type BenchResult } from './types.js';

export async function run(): Promise<BenchResult[]> {
  const templates = new Map([
    [
      'deployment.yaml.hbs',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{package.metadata.name}}\nspec:\n  replicas: {{config.replicas}}\n',
    ],
    [
      'cm.yaml.hbs',
      'apiVersion: v1\nkind: ConfigMap\ndata:\n{{#each config.data}}  k{{@index}}: {{this}}\n{{/each}}',
    ],
  ]);
  const request = {
    templates,
    execute: ['cm.yaml.hbs', 'deployment.yaml.hbs'],
    context: {
      package: { metadata: { name: 'web' } },
      config: { replicas: 3, data: Array.from({ length: 50 }, (_, i) => `v${i}`) },
    },
  };
  const inThread = await sample(() => renderHandlebars(request), 2_000, 200);
  const worker = new TemplateWorker();
  const engine = createWorkerHandlebarsEngine(worker);
  const inWorker = await sample(() => engine.render(request), 2_000, 200);
  await worker.close();
  return [
    summarize('templates: handlebars, 2 files, in-thread', inThread),
    summarize('templates: handlebars, 2 files, in the worker', inWorker),
  ];
}
