// `npm run build:lambda [-- --out DIR] [--no-wasm]`: the AWS Lambda host (functions/hosts/lambda.ts) as one ESM
// file, dist/lambda/index.mjs, with its template engine beside it in gotmpl/ (gotmpl.wasm + wasm_exec.cjs, built
// with the Go toolchain and cached). The handler is `index.handler`. The AWS SDK is left out (the Lambda Node.js
// runtime has it; only S3 package sources use it) and so is @kubernetes/client-node (the Lambda host reads its
// kubeconfig itself and never loads it). It prints the bundle's size and its zipped size.
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ensureGotmplWasm } from '../functions/adapters/gotmpl/build.js';
import { BANNER, zodEnglishOnly } from './bundle.js';

const root = resolve(import.meta.dirname, '..');

export interface LambdaBundle {
  readonly entry: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly wasmDir?: string;
}

/** Build the Lambda bundle into `outDir` (default dist/lambda). */
export async function bundleLambda(
  outDir = join(root, 'dist', 'lambda'),
  wasm = true,
): Promise<LambdaBundle> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    // index.handler for the managed Node.js runtime; bootstrap.mjs runs the Runtime API loop itself (custom
    // runtimes, the Runtime Interface Emulator). They share their chunks.
    entryPoints: {
      index: join(root, 'functions', 'hosts', 'lambda.ts'),
      bootstrap: join(root, 'functions', 'hosts', 'lambda-bootstrap.ts'),
    },
    absWorkingDir: root,
    bundle: true,
    // Dynamic imports stay chunks of their own, loaded when reached: the S3 client and client-node, which the
    // Lambda host never reaches, would otherwise be imported at start-up.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    write: false,
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: BANNER },
    external: ['@aws-sdk/*', '@kubernetes/client-node', 'tsx', 'tsx/*'],
    plugins: [zodEnglishOnly()],
  });
  const entry = join(outDir, 'index.mjs');
  let gzipBytes = 0;
  for (const file of result.outputFiles) {
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.contents);
    gzipBytes += gzipSync(file.contents, { level: 9 }).length;
  }
  const bytes = result.outputFiles
    .filter((f) => !f.path.endsWith('bootstrap.mjs'))
    .reduce((n, f) => n + f.contents.length, 0);
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}\n');
  let wasmDir: string | undefined;
  if (wasm) {
    const artifacts = await ensureGotmplWasm();
    wasmDir = join(outDir, 'gotmpl');
    await mkdir(wasmDir, { recursive: true });
    await copyFile(artifacts.wasmPath, join(wasmDir, 'gotmpl.wasm'));
    await copyFile(artifacts.wasmExecPath, join(wasmDir, 'wasm_exec.cjs'));
  }
  return {
    entry,
    bytes,
    gzipBytes,
    ...(wasmDir !== undefined ? { wasmDir } : {}),
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-wasm': { type: 'boolean' } } });
  const b = await bundleLambda(
    values.out !== undefined ? resolve(values.out) : undefined,
    values['no-wasm'] !== true,
  );
  process.stdout.write(
    `${b.entry}: ${(b.bytes / 1024).toFixed(0)} KiB, ${(b.gzipBytes / 1024).toFixed(0)} KiB compressed` +
      `${b.wasmDir !== undefined ? `; template engine in ${b.wasmDir}` : ''}\n`,
  );
}
