/** A kubeconfig that authenticates as a ServiceAccount of the test control plane (a TokenRequest token). */
import { writeFile } from 'node:fs/promises';
import { inject } from 'vitest';
import type { KubeClient } from '../../../devenv/kube.js';

/** A bearer token of ServiceAccount `namespace/name` (a TokenRequest), valid for an hour. */
export async function serviceAccountToken(
  admin: KubeClient,
  namespace: string,
  name: string,
): Promise<string> {
  const token = await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  if (token.status !== 201)
    throw new Error(`TokenRequest for ${namespace}/${name}: ${token.status} ${token.text}`);
  return (token.body as { status: { token: string } }).status.token;
}

/** Write `file`: a kubeconfig for ServiceAccount `namespace/name`, with a token valid for an hour. */
export async function serviceAccountKubeconfig(
  admin: KubeClient,
  namespace: string,
  name: string,
  file: string,
): Promise<string> {
  const token = await serviceAccountToken(admin, namespace, name);
  const kube = inject('kube');
  await writeFile(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: kube.server, 'certificate-authority': kube.caFile } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: 'test', user: name } }],
      'current-context': name,
    }),
  );
  return file;
}
