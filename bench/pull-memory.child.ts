// Child process of pull.bench.ts: one cold pull of argv[2] from the insecure registry argv[3], printing
// {"before": rss bytes, "peak": max rss bytes} so the pull's memory is measured in a fresh process.
import { createPackageSource } from '../functions/adapters/package-source.js';
import { loadPackage } from '../shared/packages/index.js';

const [ref = '', host = ''] = process.argv.slice(2);
const source = createPackageSource({ insecureHosts: [host], cacheBytes: 0 });
await source.resolveDigest(ref); // loads fetch (undici) and zod, so only the pull itself is measured
const before = process.memoryUsage.rss();
loadPackage(await source.pull(ref));
process.stdout.write(JSON.stringify({ before, peak: process.resourceUsage().maxRSS * 1024 }));
