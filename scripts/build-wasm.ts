// `npm run build:wasm [-- --out DIR] [--cache-dir DIR] [--go PATH]`: builds the Go template engine
// (functions/adapters/gotmpl/wasm) into the cache outside the repository (a no-op when it is already there),
// prints where it is and how big, and with --out copies gotmpl.wasm, wasm_exec.cjs and meta.json into DIR for
// packaging (hosts without Go pass that directory as `wasmDir`).
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ensureGotmplWasm, WASM_EXEC_FILE, WASM_FILE } from '../functions/adapters/gotmpl/build.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'cache-dir': { type: 'string' },
    go: { type: 'string' },
  },
});

const started = performance.now();
const artifacts = await ensureGotmplWasm({
  ...(values['cache-dir'] !== undefined ? { cacheDir: values['cache-dir'] } : {}),
  ...(values.go !== undefined ? { goBinary: values.go } : {}),
  log: (message) => {
    console.log(message);
  },
});
const elapsed = Math.round(performance.now() - started);
const bytes = await readFile(artifacts.wasmPath);
const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MiB`;
console.log(
  `${artifacts.built ? 'built' : 'cached'}: ${artifacts.wasmPath} (${mib(bytes.length)}, gzip ${mib(gzipSync(bytes, { level: 9 }).length)}) in ${elapsed} ms`,
);
if (values.out !== undefined) {
  await mkdir(values.out, { recursive: true });
  for (const file of [WASM_FILE, WASM_EXEC_FILE, 'meta.json'])
    await copyFile(join(artifacts.dir, file), join(values.out, file));
  console.log(`copied to ${values.out}`);
}
