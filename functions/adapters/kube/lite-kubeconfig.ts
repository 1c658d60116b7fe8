/**
 * @module adapters/kube/lite-kubeconfig
 * A small kubeconfig reader for the Lambda host, where `@kubernetes/client-node` alone would cost most of the
 * cold-start budget (issue 13): the current context's cluster (server, CA data) and user (bearer token, or client
 * certificate and key data). Exec plugins and auth providers are not supported here: on AWS the host mints an
 * EKS token with its own role instead (adapters/aws.ts).
 */
import type { RequestOptions } from 'node:https';
import { parse } from 'yaml';
import { z } from 'zod';
import { TerminalError } from '../../../shared/errors.js';
import type { KubeConnection } from './client.js';

const clusterSchema = z
  .object({
    server: z.url(),
    'certificate-authority-data': z.string().optional(),
    'insecure-skip-tls-verify': z.boolean().optional(),
  })
  .loose();
const userSchema = z
  .object({
    token: z.string().optional(),
    'client-certificate-data': z.string().optional(),
    'client-key-data': z.string().optional(),
    exec: z.unknown().optional(),
    'auth-provider': z.unknown().optional(),
  })
  .loose();
const kubeconfigSchema = z.object({
  'current-context': z.string().optional(),
  clusters: z.array(z.object({ name: z.string(), cluster: clusterSchema })),
  users: z.array(z.object({ name: z.string(), user: userSchema })).default([]),
  contexts: z.array(
    z.object({
      name: z.string(),
      context: z.object({ cluster: z.string(), user: z.string().optional() }).loose(),
    }),
  ),
});

function decode(data: string | undefined): Buffer | undefined {
  return data === undefined ? undefined : Buffer.from(data, 'base64');
}

/** A connection from kubeconfig text; `token` (an EKS token, minted per call) overrides the user's credentials. */
export function connectionFromKubeconfig(text: string, token?: () => Promise<string>): KubeConnection {
  const parsed = kubeconfigSchema.safeParse(parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TerminalError(`kubeconfig: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data;
  const contextName = config['current-context'] ?? config.contexts[0]?.name;
  const context = config.contexts.find((c) => c.name === contextName)?.context;
  if (context === undefined)
    throw new TerminalError(`kubeconfig: context ${JSON.stringify(contextName)} not found`);
  const cluster = config.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (cluster === undefined)
    throw new TerminalError(`kubeconfig: cluster ${JSON.stringify(context.cluster)} not found`);
  const user = config.users.find((u) => u.name === context.user)?.user ?? {};
  if (token === undefined && (user.exec !== undefined || user['auth-provider'] !== undefined))
    throw new TerminalError(
      'kubeconfig: exec plugins and auth providers are not supported by the Lambda host; use a token, client certificates or GANTRY_EKS_CLUSTER',
    );
  const ca = decode(cluster['certificate-authority-data']);
  const cert = decode(user['client-certificate-data']);
  const key = decode(user['client-key-data']);
  return {
    server: cluster.server,
    auth: async (): Promise<RequestOptions> => {
      const bearer = token !== undefined ? await token() : user.token;
      return {
        ...(ca !== undefined ? { ca } : {}),
        ...(cluster['insecure-skip-tls-verify'] === true ? { rejectUnauthorized: false } : {}),
        ...(token === undefined && cert !== undefined && key !== undefined ? { cert, key } : {}),
        ...(bearer !== undefined ? { headers: { authorization: `Bearer ${bearer}` } } : {}),
      };
    },
  };
}
