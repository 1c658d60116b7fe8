/** PKO's environment variables on every host (engineEnv), and on the Lambda host (lambdaEnv). */
import { describe, expect, it } from 'vitest';
import { engineEnv, lambdaEnv, proxyFromEnv } from './config.js';

describe("PKO's environment variables", () => {
  it('take PKO_SERVICE_ACCOUNT_NAMESPACE/_NAME (over POD_NAMESPACE/GANTRY_SERVICE_ACCOUNT) and the override lists', () => {
    const env = engineEnv({
      POD_NAMESPACE: 'gantry-system',
      GANTRY_SERVICE_ACCOUNT: 'gantry',
      PKO_SERVICE_ACCOUNT_NAMESPACE: 'package-operator-system',
      PKO_SERVICE_ACCOUNT_NAME: 'package-operator',
      PKO_NAMESPACE: 'package-operator-system',
      PKO_IMAGE_PREFIX_OVERRIDES: 'quay.io/=mirror.local/',
      PKO_REGISTRY_HOST_OVERRIDES: 'quay.io=localhost:5001',
      LOG_LEVEL: '-1',
    });
    expect(env.podNamespace).toBe('package-operator-system');
    expect(env.serviceAccount).toBe('package-operator');
    expect(env.prefixOverrides).toEqual([{ from: 'quay.io/', to: 'mirror.local/' }]);
    expect([...env.registryHostOverrides]).toEqual([['quay.io', 'localhost:5001']]);
    expect(env.logLevel).toBe(-1);
    expect(engineEnv({ POD_NAMESPACE: 'ns' })).toMatchObject({
      podNamespace: 'ns',
      serviceAccount: 'gantry',
    });
  });

  it('treat PKO_PACKAGE_HASH_MODIFIER=0 as no modifier, as PKO does', () => {
    expect(engineEnv({ PKO_PACKAGE_HASH_MODIFIER: '0' }).hashModifier).toBeUndefined();
    expect(engineEnv({ PKO_PACKAGE_HASH_MODIFIER: '-3' }).hashModifier).toBe(-3);
  });

  it('refuse what Gantry does not do, saying why', () => {
    expect(() => engineEnv({ PKO_CONFIG: '{}' })).toThrow(
      'environment variable PKO_CONFIG is not supported: Gantry does not install itself from a package image: deploy it from deploy/ (kustomize) or as the Lambda function',
    );
    for (const name of [
      'PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE',
      'PKO_SUB_COMPONENT_AFFINITY',
      'PKO_SUB_COMPONENT_TOLERATIONS',
    ])
      expect(() => engineEnv({ [name]: 'x' })).toThrow(
        `environment variable ${name} is not supported: only gantry run makes the Package of every HyperShift HostedCluster (it watches them); gantry serve and the Lambda host have no watches`,
      );
    expect(engineEnv({ PKO_CONFIG: '' }).forceAdoption).toBe(false);
    expect(() => engineEnv({ LOG_LEVEL: 'debug' })).toThrow(
      'environment variable LOG_LEVEL: must be an integer',
    );
    expect(() => engineEnv({ GANTRY_PLAIN_HTTP_REGISTRIES: 'public' })).toThrow(
      'environment variable GANTRY_PLAIN_HTTP_REGISTRIES: a comma-separated list of loopback, local, private, or none',
    );
  });

  it("give gantry run PKO's HostedCluster knobs, their JSON checked", () => {
    expect(engineEnv({}, { hostedClusters: true }).hostedClusterPackages).toBeUndefined();
    expect(
      engineEnv(
        {
          PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE: 'registry.example/pko:v1',
          PKO_SUB_COMPONENT_AFFINITY: '{"nodeAffinity":{}}',
          PKO_SUB_COMPONENT_TOLERATIONS: '[{"key":"a","operator":"Exists"}]',
        },
        { hostedClusters: true },
      ).hostedClusterPackages,
    ).toEqual({
      image: 'registry.example/pko:v1',
      affinity: { nodeAffinity: {} },
      tolerations: [{ key: 'a', operator: 'Exists' }],
    });
    expect(() => engineEnv({ PKO_SUB_COMPONENT_AFFINITY: '[]' }, { hostedClusters: true })).toThrow(
      'environment variable PKO_SUB_COMPONENT_AFFINITY: must be a JSON object (a Kubernetes Affinity)',
    );
    expect(() => engineEnv({ PKO_SUB_COMPONENT_TOLERATIONS: '{}' }, { hostedClusters: true })).toThrow(
      'environment variable PKO_SUB_COMPONENT_TOLERATIONS: must be a JSON array (Kubernetes Tolerations)',
    );
  });

  it("default to all of PKO's plain-http rules, narrowed by GANTRY_PLAIN_HTTP_REGISTRIES", () => {
    expect([...engineEnv({}).plainHttp]).toEqual(['loopback', 'local', 'private']);
    expect([...engineEnv({ GANTRY_PLAIN_HTTP_REGISTRIES: 'loopback' }).plainHttp]).toEqual(['loopback']);
    expect([...engineEnv({ GANTRY_PLAIN_HTTP_REGISTRIES: 'none' }).plainHttp]).toEqual([]);
  });

  it("reach the Lambda host; Gantry's own override variables win over PKO's", () => {
    const base = { GANTRY_KUBECONFIG: 'x', PKO_IMAGE_PREFIX_OVERRIDES: 'quay.io/=pko.local/' };
    expect(lambdaEnv(base).prefixOverrides).toEqual([{ from: 'quay.io/', to: 'pko.local/' }]);
    expect(
      lambdaEnv({ ...base, GANTRY_IMAGE_PREFIX_OVERRIDES: 'quay.io/=g.local/' }).prefixOverrides,
    ).toEqual([{ from: 'quay.io/', to: 'g.local/' }]);
    expect(() => lambdaEnv({ GANTRY_KUBECONFIG: 'x', PKO_SUB_COMPONENT_TOLERATIONS: '[]' })).toThrow(
      'environment variable PKO_SUB_COMPONENT_TOLERATIONS is not supported',
    );
  });
});

describe('the proxy of pulls (HTTP_PROXY, HTTPS_PROXY, NO_PROXY)', () => {
  it('reads upper case first, then lower case, as Go does', () => {
    const proxy = proxyFromEnv({
      HTTPS_PROXY: 'http://upper:1',
      https_proxy: 'http://lower:2',
      http_proxy: 'lower-only:3',
      no_proxy: 'example.com',
    });
    expect(proxy.https?.href).toBe('http://upper:1/');
    expect(proxy.http?.href).toBe('http://lower-only:3/');
    expect(proxy.matchers).toHaveLength(1);
    expect(engineEnv({}).proxy).toEqual({ none: false, matchers: [] });
  });

  it('refuses a proxy it cannot use, naming the variable', () => {
    expect(() => engineEnv({ HTTPS_PROXY: 'socks5://p:1080' })).toThrow(
      'environment variable HTTPS_PROXY: only http:// proxies are supported, not socks5://',
    );
  });
});
