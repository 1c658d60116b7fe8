/**
 * `npm run build:binaries [-- --full]`: build (once, cached) the real components the integration tests and
 * `gantry dev` start: etcd, kube-apiserver and kubectl; with --full also kube-controller-manager and kube-scheduler.
 */
import { ensureBinaries, type BinaryName } from '../devenv/binaries.js';

const names: BinaryName[] = ['etcd', 'kube-apiserver', 'kubectl'];
if (process.argv.includes('--full')) names.push('kube-controller-manager', 'kube-scheduler', 'kwok');
if (process.argv.includes('--with-registry')) names.push('registry');
if (process.argv.includes('--with-s3')) names.push('minio');
const paths = await ensureBinaries(names);
for (const [name, path] of Object.entries(paths)) console.log(`${name}: ${path}`);
