// The WASM build: cache layout, atomic publication, and a clear error without Go.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureGotmplWasm, GoToolchainMissingError, WASM_EXEC_FILE, WASM_FILE } from './build.js';
import { createGoTemplateEngine } from './index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-wasm-test-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('ensureGotmplWasm', () => {
  it('builds once into <cacheDir>/<hash>/ with wasm_exec beside it; concurrent callers share the build', async () => {
    const cacheDir = await tempDir();
    const [a, b] = await Promise.all([ensureGotmplWasm({ cacheDir }), ensureGotmplWasm({ cacheDir })]);
    expect(a.dir).toBe(b.dir);
    expect(a.dir).toBe(join(cacheDir, a.hash));
    expect(a.hash).toMatch(/^[0-9a-f]{32}$/);
    expect((await stat(join(a.dir, WASM_FILE))).size).toBeGreaterThan(1_000_000);
    expect((await stat(join(a.dir, WASM_EXEC_FILE))).isFile()).toBe(true);
    expect((await readdir(cacheDir)).filter((name) => name.startsWith('.build-'))).toEqual([]);
    const again = await ensureGotmplWasm({ cacheDir });
    expect(again).toMatchObject({ dir: a.dir, built: false });
  }, 600_000);

  it('says clearly when Go is missing', async () => {
    const cacheDir = await tempDir();
    const error = await ensureGotmplWasm({ cacheDir, goBinary: '/nonexistent/bin/go' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GoToolchainMissingError);
    expect(error).toHaveProperty(
      'message',
      "Go toolchain not found: '/nonexistent/bin/go' is not on PATH. The Go template engine for .gotmpl files is built " +
        'from Go source on first use and needs Go >= 1.21 (https://go.dev/dl/), or pass a prebuilt module directory ' +
        "(wasmDir) made by 'npm run build:wasm'.",
    );
  });

  it('the engine is lazy: creating it touches nothing, the first render reports the missing toolchain', async () => {
    const engine = createGoTemplateEngine({ goBinary: '/nonexistent/bin/go', cacheDir: await tempDir() });
    await expect(
      engine.render({
        templates: new Map(),
        execute: [],
        context: {},
        files: new Map(),
        functionSet: 'package',
      }),
    ).rejects.toBeInstanceOf(GoToolchainMissingError);
  });
});
