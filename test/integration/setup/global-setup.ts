/**
 * vitest global setup of the integration project: one real control plane (etcd + kube-apiserver built from
 * their Go modules, see devenv/) for the whole run, its connection details provided to every test file.
 */
import type { TestProject } from 'vitest/node';
import { startControlPlane } from '../../../devenv/control-plane.js';
import { startMinio } from '../../../devenv/minio.js';
import { startRegistry } from '../../../devenv/registry.js';

export interface ProvidedKube {
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** A serving certificate for 127.0.0.1 / localhost signed by `caFile` (for test HTTPS servers). */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** The client certificate the API server presents to admission webhooks (signed by `caFile`). */
  readonly admissionCertFile: string;
  readonly admissionKeyFile: string;
  readonly startMs: number;
}

export interface ProvidedRegistry {
  readonly host: string;
  readonly url: string;
}

export interface ProvidedS3 {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kube: ProvidedKube;
    registry: ProvidedRegistry;
    s3: ProvidedS3;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cp = await startControlPlane({ full: process.env['GANTRY_ENV_PLAIN'] !== '1' });
  project.provide('kube', {
    server: cp.server,
    kubeconfigPath: cp.kubeconfigPath,
    caFile: cp.certs.caCert,
    certFile: cp.certs.adminCert,
    keyFile: cp.certs.adminKey,
    serverCertFile: cp.certs.serverCert,
    serverKeyFile: cp.certs.serverKey,
    admissionCertFile: cp.certs.admissionCert,
    admissionKeyFile: cp.certs.admissionKey,
    startMs: cp.startMs,
  });
  // Test workers are forked after this and inherit it: Node then trusts the test CA (HTTPS tarball tests).
  process.env['NODE_EXTRA_CA_CERTS'] = cp.certs.caCert;
  const registry = await startRegistry();
  project.provide('registry', { host: registry.host, url: registry.url });
  const minio = await startMinio();
  project.provide('s3', {
    endpoint: minio.endpoint,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
    bucket: minio.bucket,
    region: minio.region,
  });
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopped ??= Promise.all([cp.stop(), registry.stop(), minio.stop()]).then(() => undefined);
    return stopped;
  };
  // A run stopped by a signal (Ctrl-C, a CI timeout's SIGTERM) never reaches the teardown, and vitest exits on the
  // signal without waiting for anything: every component gets SIGTERM at once, synchronously, before vitest's own
  // handler runs, or they outlive the run and hold their ports and temporary folders.
  const pids = [...cp.processes, registry.process, minio.process].map((p) => p.pid);
  const signals: readonly (readonly [NodeJS.Signals, number])[] = [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ];
  for (const [signal, code] of signals)
    process.prependOnceListener(signal, () => {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      void stop().finally(() => process.exit(code));
    });
  return stop;
}
