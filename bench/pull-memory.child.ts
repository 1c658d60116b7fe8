// Child process of pull.bench.ts: one cold pull of argv[2] from the insecure registry argv[3], printing
// {"before": rss bytes, "peak": max rss bytes, "cpuMs", "wallMs"} so the pull's memory and CPU time (all of
// Node's threads, gunzip's pool included) are measured in a fresh process.
import { createPackageSource } from '../functions/adapters/package-source.js';
import { loadPackage } from '../shared/packages/index.js';

const [ref = '', host = ''] = process.argv.slice(2);
const source = createPackageSource({ insecureHosts: [host], cacheBytes: 0 });
await source.resolveDigest(ref); // loads fetch (undici) and zod, so only the pull itself is measured
const before = process.memoryUsage.rss();
const cpu = process.cpuUsage();
const start = performance.now();
loadPackage(await source.pull(ref));
const wallMs = performance.now() - start;
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
process.stdout.write(JSON.stringify({ before, peak: process.resourceUsage().maxRSS * 1024, cpuMs, wallMs }));
