// One cold start of the Go template engine in a fresh process (spawned by gotmpl.bench.ts):
// `node --import tsx bench/gotmpl-cold.ts <wasmDir|go> <dir>` prints {readyMs, firstRenderMs, rssBytes} as JSON.
// readyMs: first use -> WASM compiled, instantiated and Go's main() running ("wasmDir": prebuilt module as hosts
// load it; "go": plus `go env` and the source-hash cache check a developer machine does).
import { createGoTemplateEngine } from '../functions/adapters/gotmpl/index.js';
import { deploymentRequest } from './fixtures/deployment.js';

const [mode = 'wasmDir', dir = ''] = process.argv.slice(2);
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
const engine = createGoTemplateEngine(mode === 'wasmDir' ? { wasmDir: dir } : {});
await engine.warmUp();
const t1 = performance.now();
await engine.render(deploymentRequest());
const t2 = performance.now();
console.log(
  JSON.stringify({ readyMs: t1 - t0, firstRenderMs: t2 - t1, rssBytes: process.memoryUsage().rss - rss0 }),
);
