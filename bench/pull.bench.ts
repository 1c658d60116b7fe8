// Package pull from the real local registry (CNCF distribution, loopback): two 50 MB packages — 500 files of
// 100 kB of base64 noise (the gzip layer stays large: the worst case for layer MB/s), and 1600 Deployment
// manifests of ~30 kB (typical YAML, compresses ~5x) — pulled, verified, unpacked and loaded, cold (empty
// cache) and cached; tag → digest resolve latency. Peak RSS growth is sampled every 5 ms during a cold pull.
import { execFile as execFileCb } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { createPackageSource } from '../functions/adapters/package-source.js';
import { buildPackageImage } from '../shared/oci/image.js';
import { loadPackage } from '../shared/packages/index.js';
import { startRegistry } from '../devenv/registry.js';
import { sample, summarize, type BenchResult } from './types.js';

const FILES = 500;
const FILE_BYTES = 100 * 1024;

const MANIFEST =
  'apiVersion: manifests.package-operator.run/v1alpha1\nkind: PackageManifest\nmetadata:\n  name: big\nspec:\n  scopes: [Namespaced]\n  phases: [{name: deploy}]\n  availabilityProbes: []\n';

function deployment(i: number): string {
  const env = Array.from(
    { length: 340 },
    (_, e) =>
      `            - name: SETTING_${e}\n              value: "${randomBytes(16).toString('hex')}-${i}-${e}"\n`,
  ).join('');
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\n  labels:\n    app.kubernetes.io/name: app-${i}\n    app.kubernetes.io/part-of: big\n  annotations:\n    package-operator.run/phase: deploy\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: app-${i}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: app-${i}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:${i}\n          env:\n${env}`;
}

function yamlFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>([['manifest.yaml', new TextEncoder().encode(MANIFEST)]]);
  for (let i = 0; i < 1600; i++)
    files.set(`deploy-${String(i).padStart(4, '0')}.yaml`, new TextEncoder().encode(deployment(i)));
  return files;
}

function packageFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  files.set('manifest.yaml', new TextEncoder().encode(MANIFEST));
  for (let i = 0; i < FILES; i++) {
    const noise = randomBytes((FILE_BYTES * 3) / 4).toString('base64');
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  annotations:\n    package-operator.run/phase: deploy\ndata:\n  blob: ${noise}\n`;
    files.set(`cm-${String(i).padStart(4, '0')}.yaml`, new TextEncoder().encode(yaml));
  }
  return files;
}

const childResult = z.object({ before: z.number(), peak: z.number(), cpuMs: z.number(), wallMs: z.number() });

/** Peak RSS growth of one cold pull, in a fresh Node process (so earlier garbage does not hide it). */
async function pullMemory(
  ref: string,
  host: string,
): Promise<{ bytes: number; cpuMs: number; wallMs: number }> {
  const { stdout } = await promisify(execFileCb)(process.execPath, [
    '--import',
    'tsx',
    new URL('pull-memory.child.ts', import.meta.url).pathname,
    ref,
    host,
  ]);
  const { before, peak, cpuMs, wallMs } = childResult.parse(JSON.parse(stdout));
  return { bytes: peak - before, cpuMs, wallMs };
}

async function coldPull(
  host: string,
  label: string,
  files: Map<string, Uint8Array>,
): Promise<{ result: BenchResult; ref: string }> {
  const uncompressed = [...files.values()].reduce((n, b) => n + b.length, 0);
  const image = await buildPackageImage(files);
  const layerBytes = image.layer.bytes.length;
  const ref = `${host}/bench/${label}:v1`;
  await createPackageSource({ insecureHosts: [host] }).push(image, [ref]);
  const cold = async (): Promise<void> => {
    const source = createPackageSource({ insecureHosts: [host], cacheBytes: 0 });
    loadPackage(await source.pull(ref));
  };
  const memory = await pullMemory(ref, host);
  const samples = await sample(cold, 5, 1);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
  const layerRate = layerBytes / 1024 / 1024 / (mean / 1000);
  const dataRate = uncompressed / 1024 / 1024 / (mean / 1000);
  return {
    ref,
    result: summarize(`pull+verify+unpack+load ${mb(uncompressed)} MB ${label} package, cold`, samples, {
      memoryBytes: memory.bytes,
      note: `${layerRate.toFixed(0)} MB/s of layer data (${mb(layerBytes)} MB gzip), ${dataRate.toFixed(0)} MB/s unpacked; memory = peak RSS growth of one pull in a fresh process (target < 2x ${mb(uncompressed)} MB); that pull used ${memory.cpuMs.toFixed(0)} ms CPU in ${memory.wallMs.toFixed(0)} ms`,
    }),
  };
}

export async function run(): Promise<BenchResult[]> {
  const registry = await startRegistry({ log: () => undefined });
  try {
    const noise = await coldPull(registry.host, 'noise', packageFiles());
    const yaml = await coldPull(registry.host, 'yaml', yamlFiles());
    const ref = yaml.ref;
    const cached = createPackageSource({ insecureHosts: [registry.host] });
    await cached.pull(ref);
    const cachedSamples = await sample(() => cached.pull(ref), 50, 5);
    const resolveSamples = await sample(
      () => createPackageSource({ insecureHosts: [registry.host] }).resolveDigest(ref),
      50,
      5,
    );
    return [
      noise.result,
      yaml.result,
      summarize('pull of the same tag, cached (HEAD + cache hit)', cachedSamples),
      summarize('resolve tag -> digest (HEAD), new client', resolveSamples),
    ];
  } finally {
    await registry.stop();
  }
}
