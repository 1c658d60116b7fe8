/**
 * @module adapters/kube/kubeconfig
 * Connection details from a kubeconfig (`--kubeconfig`, then `$KUBECONFIG`, then in-cluster config), through
 * `@kubernetes/client-node`'s KubeConfig: auth providers, exec plugins, tokens and certificates as kubectl has them.
 */
import type { RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { TerminalError } from '../../../shared/errors.js';
import type { KubeConnection } from './client.js';

/** Load a kubeconfig: the file given, else client-node's default chain ($KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadConnection(kubeconfigPath?: string): KubeConnection {
  const kc = new KubeConfig();
  if (kubeconfigPath !== undefined && kubeconfigPath !== '') kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  const cluster = kc.getCurrentCluster();
  if (cluster === null)
    throw new TerminalError(
      'no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run inside a cluster',
    );
  return {
    server: cluster.server,
    auth: async () => {
      const options: RequestOptions = {};
      await kc.applyToHTTPSOptions(options);
      return options;
    },
  };
}
