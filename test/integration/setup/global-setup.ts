/**
 * vitest global setup of the integration project: one real control plane (etcd + kube-apiserver built from
 * their Go modules, see test/env) for the whole run, its connection details provided to every test file.
 */
import type { TestProject } from 'vitest/node';
import { startControlPlane } from '../../env/control-plane.js';

export interface ProvidedKube {
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly startMs: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kube: ProvidedKube;
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
    startMs: cp.startMs,
  });
  return async () => {
    await cp.stop();
  };
}
