import { describe, expect, it } from 'vitest';
import { connectionFromKubeconfig } from '../adapters/kube/lite-kubeconfig.js';
import { lambdaEnv } from '../config.js';

const kubeconfig = JSON.stringify({
  clusters: [
    { name: 'c', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': 'Q0E=' } },
  ],
  users: [{ name: 'u', user: { token: 'tok' } }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'x',
});

describe('the Lambda host configuration', () => {
  it('parses its environment once, naming a bad variable', () => {
    const env = lambdaEnv({
      GANTRY_KUBECONFIG_SECRET: 'arn:aws:secretsmanager:eu-west-1:1:secret:k',
      GANTRY_EVENTS_AUTH: '{"knative":{"none":true}}',
      GANTRY_REGISTRY_HOST_OVERRIDES: 'a.example.com=b.example.com',
      AWS_ENDPOINT_URL: 'https://vpce.example.com',
      AWS_ENDPOINT_URL_SSM: 'https://ssm.vpce.example.com',
    });
    expect(env.kubeconfig).toEqual({ kind: 'secret', id: 'arn:aws:secretsmanager:eu-west-1:1:secret:k' });
    expect(env.eventsAuth).toEqual({ knative: { none: true } });
    expect([...env.registryHostOverrides]).toEqual([['a.example.com', 'b.example.com']]);
    expect(env.endpoints).toEqual({
      secretsmanager: 'https://vpce.example.com',
      ssm: 'https://ssm.vpce.example.com',
      lambda: 'https://vpce.example.com',
    });
    expect(env.admissionBudgetMs).toBe(2000);
    expect(() => lambdaEnv({})).toThrow(
      'environment variable GANTRY_KUBECONFIG: set exactly one of GANTRY_KUBECONFIG, GANTRY_KUBECONFIG_SECRET, GANTRY_KUBECONFIG_PARAMETER',
    );
    expect(() =>
      lambdaEnv({ GANTRY_KUBECONFIG: 'x', GANTRY_EVENTS_AUTH: '{"github":{"token":"short"}}' }),
    ).toThrow('environment variable GANTRY_EVENTS_AUTH: a token needs at least 16 characters');
    expect(() => lambdaEnv({ GANTRY_KUBECONFIG: 'x', GANTRY_ADMISSION_BUDGET_MS: '2s' })).toThrow(
      'environment variable GANTRY_ADMISSION_BUDGET_MS: must be a number of milliseconds',
    );
  });

  it('takes the impersonation settings: off by default, a default ServiceAccount, required; a bad name refused', () => {
    expect(lambdaEnv({ GANTRY_KUBECONFIG: 'x' }).impersonation).toEqual({ required: false });
    expect(
      lambdaEnv({
        GANTRY_KUBECONFIG: 'x',
        GANTRY_DEFAULT_SERVICE_ACCOUNT: 'gantry-tenant',
        GANTRY_REQUIRE_IMPERSONATION: 'true',
      }).impersonation,
    ).toEqual({ required: true, defaultServiceAccount: 'gantry-tenant' });
    expect(() => lambdaEnv({ GANTRY_KUBECONFIG: 'x', GANTRY_DEFAULT_SERVICE_ACCOUNT: 'Tenant_1' })).toThrow(
      'environment variable GANTRY_DEFAULT_SERVICE_ACCOUNT: a ServiceAccount name must be a lowercase RFC 1123 subdomain of at most 253 characters',
    );
    expect(() => lambdaEnv({ GANTRY_KUBECONFIG: 'x', GANTRY_REQUIRE_IMPERSONATION: 'yes' })).toThrow(
      'environment variable GANTRY_REQUIRE_IMPERSONATION',
    );
  });

  it('reads a kubeconfig without client-node: server, CA, token; a minted token wins', async () => {
    const plain = connectionFromKubeconfig(kubeconfig);
    expect(plain.server).toBe('https://10.0.0.1:6443');
    const auth = await plain.auth();
    expect(auth.headers).toEqual({ authorization: 'Bearer tok' });
    expect(Buffer.from(auth.ca as Buffer).toString()).toBe('CA');
    const minted = connectionFromKubeconfig(kubeconfig, () => Promise.resolve('k8s-aws-v1.abc'));
    expect((await minted.auth()).headers).toEqual({ authorization: 'Bearer k8s-aws-v1.abc' });
    expect(() => connectionFromKubeconfig('clusters: []\ncontexts: []\n')).toThrow(
      'kubeconfig: context undefined not found',
    );
    const exec = JSON.stringify({
      ...JSON.parse(kubeconfig),
      users: [{ name: 'u', user: { exec: { command: 'aws' } } }],
    });
    expect(() => connectionFromKubeconfig(exec)).toThrow(
      'kubeconfig: exec plugins and auth providers are not supported by the Lambda host; use a token, client certificates or GANTRY_EKS_CLUSTER',
    );
  });

  it('serves the phases of many hosted clusters as gantry serve --hosted-clusters does', () => {
    const plain = lambdaEnv({ GANTRY_KUBECONFIG: kubeconfig });
    expect(plain.phaseClasses).toEqual(['default']);
    expect(plain.hostedClusterTargets).toBeUndefined();
    const many = lambdaEnv({ GANTRY_KUBECONFIG: kubeconfig, GANTRY_HOSTED_CLUSTERS: 'true' });
    expect(many.phaseClasses).toEqual(['hosted-cluster']);
    expect(many.hostedClusterTargets).toEqual({ maxClusters: 64, maxSockets: 4 });
    const bounded = lambdaEnv({
      GANTRY_KUBECONFIG: kubeconfig,
      GANTRY_HOSTED_CLUSTERS: 'true',
      GANTRY_PHASE_CLASS: 'hosted-cluster, other',
      GANTRY_HOSTED_CLUSTER_CLIENTS: '8',
      GANTRY_HOSTED_CLUSTER_CONNECTIONS: '2',
    });
    expect(bounded.phaseClasses).toEqual(['hosted-cluster', 'other']);
    expect(bounded.hostedClusterTargets).toEqual({ maxClusters: 8, maxSockets: 2 });
    expect(() => lambdaEnv({ GANTRY_KUBECONFIG: kubeconfig, GANTRY_HOSTED_CLUSTER_CLIENTS: '8' })).toThrow(
      'environment variable GANTRY_HOSTED_CLUSTERS: GANTRY_HOSTED_CLUSTER_CLIENTS and GANTRY_HOSTED_CLUSTER_CONNECTIONS need GANTRY_HOSTED_CLUSTERS=true',
    );
    expect(() =>
      lambdaEnv({
        GANTRY_KUBECONFIG: kubeconfig,
        GANTRY_HOSTED_CLUSTERS: 'true',
        GANTRY_HOSTED_CLUSTER_CLIENTS: '0',
      }),
    ).toThrow('environment variable GANTRY_HOSTED_CLUSTER_CLIENTS: must be a positive integer');
    expect(() => lambdaEnv({ GANTRY_KUBECONFIG: kubeconfig, GANTRY_HOSTED_CLUSTERS: 'yes' })).toThrow(
      'environment variable GANTRY_HOSTED_CLUSTERS: Invalid option: expected one of "true"|"false"',
    );
    expect(() => lambdaEnv({ GANTRY_KUBECONFIG: kubeconfig, GANTRY_PHASE_CLASS: 'a,,b' })).toThrow(
      'environment variable GANTRY_PHASE_CLASS: must list class names',
    );
  });
});
