/**
 * `npm run build:binaries [-- --full] [--with-registry] [--with-s3] [--all]`: build (once, cached) the real
 * components that `gantry dev`, `gantry demo` and the integration tests start: etcd, kube-apiserver and kubectl;
 * with --full also kube-controller-manager, kube-scheduler and kwok; --all builds everything the integration
 * suite runs (`npm test` calls it so that builds happen before any test timeout starts). The expected time is said
 * at the start and each step's progress is shown on stderr.
 */
import { BINARY_NAMES, ensureBinaries, type BinaryName } from '../devenv/binaries.js';
import { buildProgress } from '../devenv/build-progress.js';

const args = process.argv.slice(2);
const names: BinaryName[] = args.includes('--all')
  ? [...BINARY_NAMES]
  : ['etcd', 'kube-apiserver', 'kubectl'];
if (args.includes('--full')) names.push('kube-controller-manager', 'kube-scheduler', 'kwok');
if (args.includes('--with-registry')) names.push('registry');
if (args.includes('--with-s3')) names.push('minio');
const progress = buildProgress({
  write: (t) => process.stderr.write(t),
  isTTY: process.stderr.isTTY,
  columns: process.stderr.columns,
});
const paths = await ensureBinaries(names, (l) => process.stderr.write(`${l}\n`), { progress });
if (!args.includes('--quiet')) for (const name of names) console.log(`${name}: ${paths[name]}`);
