/**
 * @module config
 * The only reader of process.env (docs/architecture.md, "Layers"): the engine's environment, parsed once with zod.
 */
import { parseProxySettings, type ProxyConfig } from '../shared/oci/proxy.js';
import { z } from 'zod';
import { serviceAccountNameProblem, type ImpersonationPolicy } from '../shared/identity.js';
import {
  parseNetworkClasses,
  parsePlainHttpRules,
  PLAIN_HTTP_RULES,
  type AddressClass,
  type PlainHttpRule,
} from '../shared/oci/network.js';
import { parseOverrideList } from '../shared/oci/reference.js';
import { HOSTED_CLUSTER_ENV, REFUSED_ENV, refusal } from '../shared/pko-knobs.js';
import {
  parseAffinity,
  parseTolerations,
  type HostedClusterPackageSettings,
} from '../shared/hypershift/hosted-cluster.js';
import { eventsAuthSchema, type EventsAuth } from '../shared/triggers/events-auth.js';

const overrideList = z
  .string()
  .refine((s) => parseOverrideList(s).ok, 'a comma-separated list of from=to')
  .optional();

const schema = z.object({
  PKO_FORCE_ADOPTION: z.string().optional(),
  /** PKO's own namespace (its leader-election lease, its self-bootstrap): accepted, nothing in Gantry uses it. */
  PKO_NAMESPACE: z.string().optional(),
  /** PKO's names for POD_NAMESPACE and GANTRY_SERVICE_ACCOUNT (they win when both are set). */
  PKO_SERVICE_ACCOUNT_NAMESPACE: z.string().optional(),
  PKO_SERVICE_ACCOUNT_NAME: z.string().optional(),
  PKO_IMAGE_PREFIX_OVERRIDES: overrideList,
  PKO_REGISTRY_HOST_OVERRIDES: overrideList,
  /** PKO's log level: -1 warnings (failed steps) only, 0 and above every step. */
  LOG_LEVEL: z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .optional(),
  PKO_PACKAGE_HASH_MODIFIER: z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .optional(),
  /** The namespace and service account whose imagePullSecrets authenticate pulls (in-cluster). */
  POD_NAMESPACE: z.string().optional(),
  GANTRY_SERVICE_ACCOUNT: z.string().optional(),
  /** Non-public address classes a token realm or redirect may reach for any registry: `loopback,link-local,private`. */
  GANTRY_REGISTRY_NETWORKS: z
    .string()
    .refine((s) => parseNetworkClasses(s).ok, 'a comma-separated list of loopback, link-local, private')
    .optional(),
  /** The proxy of pulls, as Go reads it (upper case first): see oci/proxy. */
  HTTP_PROXY: z.string().optional(),
  http_proxy: z.string().optional(),
  HTTPS_PROXY: z.string().optional(),
  https_proxy: z.string().optional(),
  NO_PROXY: z.string().optional(),
  no_proxy: z.string().optional(),
  /** Which of PKO's plain-http rules the engine's pulls follow (default: all, as PKO v1.19.0). */
  GANTRY_PLAIN_HTTP_REGISTRIES: z
    .string()
    .refine((s) => parsePlainHttpRules(s).ok, 'a comma-separated list of loopback, local, private, or none')
    .optional(),
  /** PKO's HostedCluster knobs (`gantry run` only): the Package made for every HyperShift HostedCluster. */
  PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE: z.string().optional(),
  PKO_SUB_COMPONENT_AFFINITY: z
    .string()
    .refine((s) => s === '' || parseAffinity(s).ok, 'must be a JSON object (a Kubernetes Affinity)')
    .optional(),
  PKO_SUB_COMPONENT_TOLERATIONS: z
    .string()
    .refine((s) => s === '' || parseTolerations(s).ok, 'must be a JSON array (Kubernetes Tolerations)')
    .optional(),
});

export interface EngineEnv {
  readonly forceAdoption: boolean;
  /** PKO_IMAGE_PREFIX_OVERRIDES and PKO_REGISTRY_HOST_OVERRIDES (a host's flags win over them). */
  readonly prefixOverrides: readonly { from: string; to: string }[];
  readonly registryHostOverrides: ReadonlyMap<string, string>;
  readonly logLevel?: number;
  readonly hashModifier?: number;
  readonly podNamespace?: string;
  readonly serviceAccount: string;
  readonly registryNetworks: ReadonlySet<AddressClass>;
  /** Registries the engine reaches over plain http (PKO's rules, narrowed by `GANTRY_PLAIN_HTTP_REGISTRIES`). */
  readonly plainHttp: ReadonlySet<PlainHttpRule>;
  /** HTTP_PROXY, HTTPS_PROXY and NO_PROXY (or their lower-case forms), as PKO's Go client reads them. */
  readonly proxy: ProxyConfig;
  /** PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE (and the sub-component settings): only read when the host asks for them. */
  readonly hostedClusterPackages?: HostedClusterPackageSettings;
}

/** What a host reads beyond the common environment. */
export interface EngineEnvOptions {
  /** PKO's HostedCluster knobs are read (`gantry run`), not refused. */
  readonly hostedClusters?: boolean;
}

function hostedClusterPackages(e: {
  readonly PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE?: string | undefined;
  readonly PKO_SUB_COMPONENT_AFFINITY?: string | undefined;
  readonly PKO_SUB_COMPONENT_TOLERATIONS?: string | undefined;
}): HostedClusterPackageSettings | undefined {
  const image = e.PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE ?? '';
  if (image === '') return undefined;
  const affinity = parseAffinity(e.PKO_SUB_COMPONENT_AFFINITY ?? '');
  const tolerations = parseTolerations(e.PKO_SUB_COMPONENT_TOLERATIONS ?? '');
  return {
    image,
    ...(affinity.ok ? { affinity: affinity.value } : {}),
    ...(tolerations.ok ? { tolerations: tolerations.value } : {}),
  };
}

/** The first of the names that is set and not empty (Go's getEnvAny). */
function firstSet(env: Readonly<Record<string, string | undefined>>, ...names: string[]): string | undefined {
  return names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
}

/** The proxy settings of an environment, by Go's rules; an unusable proxy address is an error naming it. */
export function proxyFromEnv(env: Readonly<Record<string, string | undefined>>): ProxyConfig {
  const httpProxy = firstSet(env, 'HTTP_PROXY', 'http_proxy');
  const httpsProxy = firstSet(env, 'HTTPS_PROXY', 'https_proxy');
  const noProxy = firstSet(env, 'NO_PROXY', 'no_proxy');
  const parsed = parseProxySettings({
    ...(httpProxy !== undefined ? { httpProxy } : {}),
    ...(httpsProxy !== undefined ? { httpsProxy } : {}),
    ...(noProxy !== undefined ? { noProxy } : {}),
  });
  if (!parsed.ok) throw new Error(`environment variable ${parsed.error}`);
  return parsed.value;
}

function networks(text: string): Set<AddressClass> {
  const parsed = parseNetworkClasses(text);
  return parsed.ok ? parsed.value : new Set();
}

function overridesOf(text: string | undefined): { from: string; to: string }[] {
  const parsed = parseOverrideList(text ?? '');
  return parsed.ok ? parsed.value : [];
}

function plainHttpRules(text: string | undefined): Set<PlainHttpRule> {
  const parsed = parsePlainHttpRules(text ?? PLAIN_HTTP_RULES.join(','));
  return parsed.ok ? parsed.value : new Set();
}

/** Refuse PKO's variables Gantry does not take (the HostedCluster ones on hosts that do not ask for them). */
function refuseEnv(env: Readonly<Record<string, string | undefined>>, options: EngineEnvOptions): void {
  for (const [name, reason] of Object.entries(REFUSED_ENV)) {
    if (options.hostedClusters === true && HOSTED_CLUSTER_ENV.includes(name)) continue;
    if ((env[name] ?? '') !== '') throw new Error(`environment variable ${refusal(name, reason)}`);
  }
}

/** Parse the environment; an invalid value is an error naming the variable. */
export function engineEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: EngineEnvOptions = {},
): EngineEnv {
  refuseEnv(env, options);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`environment variable ${String(issue?.path[0] ?? '')}: ${issue?.message ?? 'invalid'}`);
  }
  const e = parsed.data;
  // As PKO: an unset or zero modifier is no modifier.
  const modifier = Number.parseInt(e.PKO_PACKAGE_HASH_MODIFIER ?? '0', 10);
  const podNamespace = e.PKO_SERVICE_ACCOUNT_NAMESPACE ?? e.POD_NAMESPACE;
  return {
    forceAdoption: (e.PKO_FORCE_ADOPTION ?? '') !== '',
    ...(modifier !== 0 ? { hashModifier: modifier } : {}),
    ...(podNamespace !== undefined ? { podNamespace } : {}),
    prefixOverrides: overridesOf(e.PKO_IMAGE_PREFIX_OVERRIDES),
    registryHostOverrides: new Map(overridesOf(e.PKO_REGISTRY_HOST_OVERRIDES).map((o) => [o.from, o.to])),
    ...(e.LOG_LEVEL !== undefined ? { logLevel: Number.parseInt(e.LOG_LEVEL, 10) } : {}),
    serviceAccount: e.PKO_SERVICE_ACCOUNT_NAME ?? e.GANTRY_SERVICE_ACCOUNT ?? 'gantry',
    registryNetworks: networks(e.GANTRY_REGISTRY_NETWORKS ?? ''),
    plainHttp: plainHttpRules(e.GANTRY_PLAIN_HTTP_REGISTRIES),
    proxy: proxyFromEnv(env),
    ...(options.hostedClusters === true ? optionalHostedClusters(hostedClusterPackages(e)) : {}),
  };
}

function optionalHostedClusters(settings: HostedClusterPackageSettings | undefined): {
  hostedClusterPackages?: HostedClusterPackageSettings;
} {
  return settings === undefined ? {} : { hostedClusterPackages: settings };
}

const lambdaSchema = z
  .object({
    GANTRY_KUBECONFIG: z.string().min(1).optional(),
    GANTRY_KUBECONFIG_SECRET: z.string().min(1).optional(),
    GANTRY_KUBECONFIG_PARAMETER: z.string().min(1).optional(),
    GANTRY_EKS_CLUSTER: z.string().min(1).optional(),
    GANTRY_EVENTS_AUTH: z.string().optional(),
    GANTRY_ADMISSION_FETCH: z.enum(['true', 'false']).default('true'),
    GANTRY_ADMISSION_BUDGET_MS: z.string().regex(/^\d+$/, 'must be a number of milliseconds').default('2000'),
    GANTRY_FULL_RESYNC_MS: z.string().regex(/^\d+$/, 'must be a number of milliseconds').default('3600000'),
    GANTRY_NAMESPACE: z.string().default(''),
    /** As `--default-service-account` and `--require-impersonation` (tenants confined to their rights). */
    GANTRY_DEFAULT_SERVICE_ACCOUNT: z
      .string()
      .refine((v) => serviceAccountNameProblem(v) === undefined, {
        message: 'a ServiceAccount name must be a lowercase RFC 1123 subdomain of at most 253 characters',
      })
      .optional(),
    GANTRY_REQUIRE_IMPERSONATION: z.enum(['true', 'false']).default('false'),
    GANTRY_GOTMPL_WASM_DIR: z.string().optional(),
    /** As `gantry serve --phase-class` (comma-separated; default `default`, `hosted-cluster` with hosted clusters). */
    GANTRY_PHASE_CLASS: z
      .string()
      .refine((v) => v.split(',').every((c) => c.trim() !== ''), { message: 'must list class names' })
      .optional(),
    /** As `--hosted-clusters`, `--hosted-cluster-clients`, `--hosted-cluster-connections`. */
    GANTRY_HOSTED_CLUSTERS: z.enum(['true', 'false']).default('false'),
    GANTRY_HOSTED_CLUSTER_CLIENTS: z
      .string()
      .regex(/^[1-9]\d*$/, 'must be a positive integer')
      .optional(),
    GANTRY_HOSTED_CLUSTER_CONNECTIONS: z
      .string()
      .regex(/^[1-9]\d*$/, 'must be a positive integer')
      .optional(),
    /** PKO's --registry-host-overrides and --image-prefix-overrides, as `from=to,…`. */
    GANTRY_REGISTRY_HOST_OVERRIDES: z.string().optional(),
    GANTRY_IMAGE_PREFIX_OVERRIDES: z.string().optional(),
    /** Bearer tokens (comma-separated) the API server presents to the admission webhooks (its kubeConfigFile). */
    GANTRY_ADMISSION_TOKEN: z
      .string()
      .refine((v) => v.split(',').every((t) => t.trim().length >= 16), {
        message: 'each token (comma-separated) must be at least 16 characters long',
      })
      .optional(),
    AWS_REGION: z.string().optional(),
    AWS_ACCESS_KEY_ID: z.string().optional(),
    AWS_SECRET_ACCESS_KEY: z.string().optional(),
    AWS_SESSION_TOKEN: z.string().optional(),
    AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
    /** The AWS SDK's endpoint overrides (VPC endpoints): global, then per service. */
    AWS_ENDPOINT_URL: z.url().optional(),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: z.url().optional(),
    AWS_ENDPOINT_URL_SSM: z.url().optional(),
    AWS_ENDPOINT_URL_LAMBDA: z.url().optional(),
  })
  .refine(
    (e) =>
      e.GANTRY_HOSTED_CLUSTERS === 'true' ||
      (e.GANTRY_HOSTED_CLUSTER_CLIENTS === undefined && e.GANTRY_HOSTED_CLUSTER_CONNECTIONS === undefined),
    {
      message:
        'GANTRY_HOSTED_CLUSTER_CLIENTS and GANTRY_HOSTED_CLUSTER_CONNECTIONS need GANTRY_HOSTED_CLUSTERS=true',
      path: ['GANTRY_HOSTED_CLUSTERS'],
    },
  )
  .refine(
    (e) =>
      [e.GANTRY_KUBECONFIG, e.GANTRY_KUBECONFIG_SECRET, e.GANTRY_KUBECONFIG_PARAMETER].filter(
        (x) => x !== undefined,
      ).length === 1,
    {
      message: 'set exactly one of GANTRY_KUBECONFIG, GANTRY_KUBECONFIG_SECRET, GANTRY_KUBECONFIG_PARAMETER',
      path: ['GANTRY_KUBECONFIG'],
    },
  );

export type KubeconfigSource =
  | { readonly kind: 'inline'; readonly text: string }
  | { readonly kind: 'secret'; readonly id: string }
  | { readonly kind: 'parameter'; readonly name: string };

export interface LambdaEnv {
  readonly engine: EngineEnv;
  readonly kubeconfig: KubeconfigSource;
  readonly eksCluster?: string;
  readonly eventsAuth: EventsAuth;
  /** Bearer tokens an admission caller must present (empty: admission is open; see the README's trust model). */
  readonly admissionTokens: readonly string[];
  readonly admissionBudgetMs: number;
  readonly fullResyncMs: number;
  readonly namespace: string;
  readonly impersonation: ImpersonationPolicy;
  readonly wasmDir?: string;
  /** The ObjectSetPhase classes served (`GANTRY_PHASE_CLASS`). */
  readonly phaseClasses: readonly string[];
  /** The remote phases of many hosted clusters (`GANTRY_HOSTED_CLUSTERS=true`), with these bounds. */
  readonly hostedClusterTargets?: { readonly maxClusters: number; readonly maxSockets: number };
  readonly registryHostOverrides: ReadonlyMap<string, string>;
  readonly prefixOverrides: readonly { from: string; to: string }[];
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  readonly functionName?: string;
  readonly endpoints: { readonly secretsmanager?: string; readonly ssm?: string; readonly lambda?: string };
}

function fail(issue: z.core.$ZodIssue | undefined): never {
  throw new Error(`environment variable ${String(issue?.path[0] ?? '')}: ${issue?.message ?? 'invalid'}`);
}

function endpointsOf(e: z.infer<typeof lambdaSchema>): LambdaEnv['endpoints'] {
  const pick = (specific: string | undefined): string | undefined => specific ?? e.AWS_ENDPOINT_URL;
  const secretsmanager = pick(e.AWS_ENDPOINT_URL_SECRETS_MANAGER);
  const ssm = pick(e.AWS_ENDPOINT_URL_SSM);
  const lambda = pick(e.AWS_ENDPOINT_URL_LAMBDA);
  return {
    ...(secretsmanager !== undefined ? { secretsmanager } : {}),
    ...(ssm !== undefined ? { ssm } : {}),
    ...(lambda !== undefined ? { lambda } : {}),
  };
}

/** Gantry's override lists win; PKO's (PKO_REGISTRY_HOST_OVERRIDES, PKO_IMAGE_PREFIX_OVERRIDES) otherwise. */
function lambdaOverrides(
  engine: EngineEnv,
  e: { readonly hosts: boolean; readonly prefixes: boolean },
  overrides: (
    name: 'GANTRY_REGISTRY_HOST_OVERRIDES' | 'GANTRY_IMAGE_PREFIX_OVERRIDES',
  ) => { from: string; to: string }[],
): Pick<LambdaEnv, 'registryHostOverrides' | 'prefixOverrides'> {
  return {
    registryHostOverrides: e.hosts
      ? new Map(overrides('GANTRY_REGISTRY_HOST_OVERRIDES').map((o) => [o.from, o.to]))
      : engine.registryHostOverrides,
    prefixOverrides: e.prefixes ? overrides('GANTRY_IMAGE_PREFIX_OVERRIDES') : engine.prefixOverrides,
  };
}

/** The phase classes and hosted clusters a Lambda serves, as `gantry serve`'s flags. */
function lambdaPhases(
  e: z.infer<typeof lambdaSchema>,
): Pick<LambdaEnv, 'phaseClasses' | 'hostedClusterTargets'> {
  const many = e.GANTRY_HOSTED_CLUSTERS === 'true';
  return {
    phaseClasses:
      e.GANTRY_PHASE_CLASS === undefined
        ? [many ? 'hosted-cluster' : 'default']
        : e.GANTRY_PHASE_CLASS.split(',').map((c) => c.trim()),
    ...(many
      ? {
          hostedClusterTargets: {
            maxClusters: Number(e.GANTRY_HOSTED_CLUSTER_CLIENTS ?? '64'),
            maxSockets: Number(e.GANTRY_HOSTED_CLUSTER_CONNECTIONS ?? '4'),
          },
        }
      : {}),
  };
}

/** The Lambda host's environment, parsed once at cold start; an invalid value names the variable. */
export function lambdaEnv(env: Readonly<Record<string, string | undefined>> = process.env): LambdaEnv {
  const parsed = lambdaSchema.safeParse(env);
  if (!parsed.success) fail(parsed.error.issues[0]);
  const e = parsed.data;
  let eventsAuth: EventsAuth = {};
  if (e.GANTRY_EVENTS_AUTH !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(e.GANTRY_EVENTS_AUTH);
    } catch {
      fail({ code: 'custom', path: ['GANTRY_EVENTS_AUTH'], message: 'must be JSON', input: undefined });
    }
    const auth = eventsAuthSchema.safeParse(raw);
    if (!auth.success)
      fail({
        ...(auth.error.issues[0] ?? { code: 'custom', message: 'invalid', input: undefined }),
        path: ['GANTRY_EVENTS_AUTH'],
      });
    eventsAuth = auth.data;
  }
  const overrides = (
    name: 'GANTRY_REGISTRY_HOST_OVERRIDES' | 'GANTRY_IMAGE_PREFIX_OVERRIDES',
  ): { from: string; to: string }[] => {
    const text = e[name];
    if (text === undefined || text === '') return [];
    const list = parseOverrideList(text);
    if (!list.ok) fail({ code: 'custom', path: [name], message: list.error, input: undefined });
    return list.value;
  };
  const kubeconfig: KubeconfigSource =
    e.GANTRY_KUBECONFIG !== undefined
      ? { kind: 'inline', text: e.GANTRY_KUBECONFIG }
      : e.GANTRY_KUBECONFIG_SECRET !== undefined
        ? { kind: 'secret', id: e.GANTRY_KUBECONFIG_SECRET }
        : { kind: 'parameter', name: e.GANTRY_KUBECONFIG_PARAMETER ?? '' };
  const engine = engineEnv(env);
  return {
    engine,
    kubeconfig,
    ...(e.GANTRY_EKS_CLUSTER !== undefined ? { eksCluster: e.GANTRY_EKS_CLUSTER } : {}),
    eventsAuth,
    admissionTokens: (e.GANTRY_ADMISSION_TOKEN ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    admissionBudgetMs: e.GANTRY_ADMISSION_FETCH === 'true' ? Number(e.GANTRY_ADMISSION_BUDGET_MS) : 0,
    fullResyncMs: Number(e.GANTRY_FULL_RESYNC_MS),
    namespace: e.GANTRY_NAMESPACE,
    impersonation: {
      required: e.GANTRY_REQUIRE_IMPERSONATION === 'true',
      ...(e.GANTRY_DEFAULT_SERVICE_ACCOUNT !== undefined
        ? { defaultServiceAccount: e.GANTRY_DEFAULT_SERVICE_ACCOUNT }
        : {}),
    },
    ...(e.GANTRY_GOTMPL_WASM_DIR !== undefined ? { wasmDir: e.GANTRY_GOTMPL_WASM_DIR } : {}),
    ...lambdaPhases(e),
    ...lambdaOverrides(
      engine,
      {
        hosts: e.GANTRY_REGISTRY_HOST_OVERRIDES !== undefined,
        prefixes: e.GANTRY_IMAGE_PREFIX_OVERRIDES !== undefined,
      },
      overrides,
    ),
    ...(e.AWS_REGION !== undefined ? { region: e.AWS_REGION } : {}),
    ...(e.AWS_ACCESS_KEY_ID !== undefined && e.AWS_SECRET_ACCESS_KEY !== undefined
      ? {
          credentials: {
            accessKeyId: e.AWS_ACCESS_KEY_ID,
            secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
            ...(e.AWS_SESSION_TOKEN !== undefined ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    ...(e.AWS_LAMBDA_FUNCTION_NAME !== undefined ? { functionName: e.AWS_LAMBDA_FUNCTION_NAME } : {}),
    endpoints: endpointsOf(e),
  };
}

/** The Lambda Runtime API's host:port (`AWS_LAMBDA_RUNTIME_API`), for the custom-runtime bootstrap. */
export function lambdaRuntimeApi(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const api = env['AWS_LAMBDA_RUNTIME_API'];
  if (api === undefined || !/^[\w.-]+:\d+$/.test(api))
    throw new Error(
      'environment variable AWS_LAMBDA_RUNTIME_API: must be host:port (set by the Lambda runtime)',
    );
  return api;
}
