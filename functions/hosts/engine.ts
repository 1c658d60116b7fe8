/**
 * @module hosts/engine
 * Composition root of the engine: the Kubernetes client (kubeconfig or in-cluster), the package source
 * (registry credentials from the runner's ServiceAccount pull secrets, PKO's override flags, PKO's plain-http
 * rules), the template engines, the clock, metrics.
 */
import { RawKubeClient, type KubeConnection } from '../adapters/kube/client.js';
import { EnvironmentProbe } from '../adapters/kube/environment.js';
import { EngineMetrics } from '../adapters/metrics.js';
import { PkoMetrics } from '../adapters/pko-metrics.js';
import { pullSecretConfigs } from '../adapters/oci/credentials.js';
import { createPackageSource } from '../adapters/package-source.js';
import { engineEnv, type EngineEnv } from '../config.js';
import type { ImpersonationPolicy } from '../../shared/identity.js';
import type { PackageEngines } from '../../shared/packages/render.js';
import type { ImagePrefixOverride } from '../../shared/packages/images.js';
import type { RunStepDeps, StepRecord } from '../steps/run-step.js';
import type { HostedClusterTargets } from './hosted-cluster-targets.js';
import { UNRENDERED, warmUpRender } from '../steps/warm-up.js';

/** How long a host keeps its template worker without a render. */
const TEMPLATE_WORKER_IDLE_MS = 60_000;
/** The template worker's young generation, MiB: a render's garbage is small and short-lived. */
const TEMPLATE_WORKER_YOUNG_MB = 8;

export interface EngineOptions {
  /** Discover all API groups in one request (KubeClientOptions.aggregatedDiscovery): long-running hosts. */
  readonly aggregatedDiscovery?: boolean;
  /**
   * Warm the render path at start: probe `.environment` and run the render step's code once on a built-in package
   * (steps/warm-up.ts; the template worker still starts at the first render): a host about to render Packages.
   */
  readonly warmRenderPath?: boolean;
  readonly kubeconfig?: string;
  /**
   * The kubeconfig of the cluster the served ObjectSetPhases are applied into (`--target-kubeconfig`, PKO's
   * remote-phase manager); undefined: the same cluster.
   */
  readonly targetKubeconfig?: string;
  /**
   * Many target clusters (`--hosted-clusters`): the target of an ObjectSetPhase is the hosted cluster of its
   * control-plane namespace (hosts/hosted-cluster-targets.ts), at most `maxClusters` clients kept, each with at most
   * `maxSockets` request connections; with `lookup` (watch-less hosts) the HostedClusters are looked up by GET when a
   * step needs them, not listed and watched.
   */
  readonly hostedClusterTargets?: {
    readonly maxClusters: number;
    readonly maxSockets: number;
    readonly lookup?: { readonly ttlMs: number };
  };
  /** A connection made by the host (the Lambda's own kubeconfig reader): client-node is then never loaded. */
  readonly connection?: KubeConnection;
  /** Template engines made by the host (in-process); default: a worker thread with a deadline and memory cap. */
  readonly engines?: PackageEngines;
  /** The environment already parsed by the host. */
  readonly parsedEnv?: EngineEnv;
  readonly prefixOverrides?: readonly ImagePrefixOverride[];
  readonly registryHostOverrides?: ReadonlyMap<string, string>;
  readonly record?: (record: StepRecord) => void;
  /** PKO's ObjectTemplate retry intervals (see StepDeps). */
  readonly objectTemplateRetryMs?: { readonly source?: number; readonly optional?: number };
  /** Whose rights package objects are managed with (`--default-service-account`, `--require-impersonation`). */
  readonly impersonation?: ImpersonationPolicy;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface Engine {
  readonly client: RawKubeClient;
  /** The client of the target cluster (`targetKubeconfig`), whose watches a runner starts. */
  readonly targetClient?: RawKubeClient;
  /** The hosted clusters phases are applied into (`hostedClusterTargets`), started. */
  readonly targetFleet?: HostedClusterTargets;
  readonly deps: RunStepDeps;
  readonly metrics: EngineMetrics;
  close(): void;
}

/** Wire the engine for a host. */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const env = options.parsedEnv ?? engineEnv(options.env);
  const metrics = new EngineMetrics();
  const pkoMetrics = new PkoMetrics(metrics.registry);
  const connection =
    options.connection ?? (await import('../adapters/kube/kubeconfig.js')).loadConnection(options.kubeconfig);
  const client = new RawKubeClient(connection, {
    observe: (verb, code) => {
      metrics.request(verb, code);
    },
    ...(options.aggregatedDiscovery === true ? { aggregatedDiscovery: true } : {}),
  });
  const target =
    options.targetKubeconfig === undefined
      ? undefined
      : new RawKubeClient(
          (await import('../adapters/kube/kubeconfig.js')).loadConnection(options.targetKubeconfig),
          {
            observe: (verb, code) => {
              metrics.request(verb, code);
            },
          },
        );
  const fleet =
    options.hostedClusterTargets === undefined
      ? undefined
      : new (await import('./hosted-cluster-targets.js')).HostedClusterTargets({
          client,
          ...options.hostedClusterTargets,
          observe: (verb, code) => {
            metrics.request(verb, code);
          },
          log: (m) => {
            process.stderr.write(`${m}\n`);
          },
        });
  await fleet?.start();
  const dockerConfigs =
    env.podNamespace !== undefined
      ? (
          await pullSecretConfigs(
            async (path) => {
              const r = await client.raw('GET', path);
              const body: unknown = r.status === 200 ? JSON.parse(r.text) : undefined;
              return body;
            },
            env.podNamespace,
            env.serviceAccount,
          )
        ).configs
      : [];
  // A host's flags win over PKO_IMAGE_PREFIX_OVERRIDES / PKO_REGISTRY_HOST_OVERRIDES, as PKO's flags over its env.
  const prefixOverrides = options.prefixOverrides ?? env.prefixOverrides;
  const registryHostOverrides = options.registryHostOverrides ?? env.registryHostOverrides;
  const images = createPackageSource({
    plainHttp: env.plainHttp,
    allowedNetworks: env.registryNetworks,
    proxy: env.proxy,
    dockerConfigs,
    prefixOverrides,
    registryHostOverrides,
  });
  // Templates render in a worker thread with a deadline and a memory cap: one package's template cannot stall the
  // host that serves every other package.
  let engines = options.engines;
  let worker: { close(): Promise<void> } | undefined;
  if (engines === undefined) {
    const templates = await import('../adapters/templates/index.js');
    // Stopped after a minute without renders: an idle host gives back what the Go engine holds (tens of MiB).
    // Only long-running template functions are optimized, and the worker's nursery is small (see the options).
    const w = new templates.TemplateWorker(undefined, {
      idleMs: TEMPLATE_WORKER_IDLE_MS,
      compiler: 'hot-only',
      youngGenerationMb: TEMPLATE_WORKER_YOUNG_MB,
    });
    worker = w;
    engines = {
      gotmpl: templates.createWorkerGoTemplateEngine(w),
      handlebars: templates.createWorkerHandlebarsEngine(w),
    };
  }
  const deps: RunStepDeps = {
    kube: client,
    clock: { now: () => new Date() },
    images,
    environment: new EnvironmentProbe(client),
    engines,
    prefixOverrides,
    forceAdoption: env.forceAdoption,
    impersonation: {
      ...(options.impersonation ?? { required: false }),
      as: (user) => client.impersonating(user),
    },
    ...(env.hashModifier !== undefined ? { hashModifier: env.hashModifier } : {}),
    ...(target !== undefined ? { target: { kube: target } } : {}),
    ...(fleet !== undefined ? { targets: fleet } : {}),
    ...(options.objectTemplateRetryMs !== undefined
      ? { objectTemplateRetryMs: options.objectTemplateRetryMs }
      : {}),
    record: (r) => {
      metrics.step(r.key.kind, r.step, r.outcome, r.durationMs);
      options.record?.(r);
    },
    wrote: (object) => {
      pkoMetrics.observe(object);
    },
    packageLoaded: (pkg, seconds) => {
      pkoMetrics.packageLoaded(pkg.name, pkg.namespace, seconds);
    },
  };
  if (options.warmRenderPath === true) void warmUp(deps);
  return {
    client,
    ...(target !== undefined ? { targetClient: target } : {}),
    ...(fleet !== undefined ? { targetFleet: fleet } : {}),
    deps,
    metrics,
    close: () => {
      client.close();
      target?.close();
      fleet?.stop();
      void worker?.close();
    },
  };
}

/**
 * A host's start-up work for its first Package: node's fetch implementation loaded (the registry client answers with
 * its Headers, loaded on first use), the cluster's `.environment` probed (the server version, OpenShift, HyperShift:
 * PKO's environment manager also probes at start), and the render step's code run once (steps/warm-up.ts). The
 * template worker is left to the first render: started at boot it raised the peak RSS of a 1,000-Package install
 * from about 150 to 200 MiB, for some 20 ms off the first install. Best effort: what fails here is done by the first
 * Package instead.
 */
async function warmUp(deps: RunStepDeps): Promise<void> {
  new Headers().has('warm-up');
  await deps.environment.environment('').catch(() => undefined);
  await warmUpRender({ ...deps, engines: { gotmpl: UNRENDERED } });
}
