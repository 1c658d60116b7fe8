/**
 * @module cli/commands/run
 * `gantry run`: the local runner. Watches every Gantry kind and the objects they manage and runs the engine's
 * steps until SIGTERM / SIGINT; one line per finished step (readable on a terminal, JSON otherwise).
 */
import { parseArgs } from 'node:util';
import type { CliIO, Command } from '../command.js';
import { UsageError } from '../package-input.js';
import type { Engine } from '../../functions/hosts/engine.js';
import type { Runner, TargetFleet } from '../../functions/hosts/runner.js';
import type { RawKubeClient } from '../../functions/adapters/kube/client.js';
import type { ReconciledKind } from '../../shared/api/constants.js';
import type { HostedClusterPackageSettings } from '../../shared/hypershift/hosted-cluster.js';
import {
  announce,
  engineFlags,
  goBoolArgs,
  listenerAddress,
  PKO_FLAGS,
  PKO_FLAGS_HELP,
  IMPERSONATION_FLAGS,
  positiveInt,
  printedVersion,
  SERVE_FLAGS,
  hostedClusterTargets,
  mountedConsole,
  phaseClasses,
  serveSettings,
  shardFlag,
  untilSignal,
  type ServeSettings,
} from './host-flags.js';

const usage = `Run the Gantry engine against a cluster: reconcile (Cluster)Packages, ObjectDeployments, ObjectSets,
ObjectSetPhases and ObjectTemplates.

Usage:
  gantry run [flags]

Flags:
  --kubeconfig FILE                 kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  --concurrency N                   keys reconciled at once (default 8)
  --metrics-addr HOST:PORT          serve Prometheus metrics on /metrics (default: off)
  -n, --namespace NS                only namespaced objects of this namespace (default: all namespaces)
  --resync-interval SECONDS         run every object again this often, to correct drift nobody watched (default 36000)
  --image-prefix-overrides LIST     PKO's from=to,… image prefix rewrites
  --registry-host-overrides LIST    PKO's host=otherhost,… registry host rewrites
  --shard I/N                       this replica's share of the keys (a stable hash), for several runners
  --serve                           also serve the admission webhooks and /events (one in-cluster Deployment);
                                    takes the serving flags of \`gantry serve\` (--addr, --tls-cert/--tls-key or
                                    --dev-cert or --plain-http, --register-webhooks, --events-config,
                                    --admission-fetch, --admission-budget, --drain-period, --console,
                                    --console-actions: the web console at /console/ behind a sign-in)
  --phase-class LIST                ObjectSetPhase classes to reconcile, comma-separated (default "default", or
                                    "hosted-cluster" with --target-kubeconfig); phases of other classes are left to
                                    the runner that serves them
  --target-kubeconfig FILE          apply, probe and tear down the objects of the served ObjectSetPhases in the
                                    cluster of this kubeconfig (PKO's remote-phase manager; its flag
                                    --target-cluster-kubeconfig-file is the same): owners recorded in the
                                    annotation package-operator.run/owners, status written back here; the runner
                                    then reconciles (Cluster)ObjectSetPhases only
  --hosted-clusters                 one runner for the phases of every HyperShift hosted cluster: an ObjectSetPhase
                                    in control-plane namespace <ns>-<name> is applied into the HostedCluster
                                    <ns>/<name>'s cluster, with the admin kubeconfig of the Secret its
                                    status.kubeconfig.name names (key kubeconfig); ObjectSetPhases only; --shard
                                    splits by cluster
  --hosted-cluster-clients M        with --hosted-clusters: clients of at most M clusters kept, the least recently
                                    used closed (default 64)
  --hosted-cluster-connections N    with --hosted-clusters: at most N request connections per cluster (default 4)
  --default-service-account NAME    manage the objects of a namespaced Package (ObjectSet, ObjectTemplate) as the
                                    ServiceAccount NAME of its namespace (impersonation), unless its annotation
                                    gantry.run/service-account names another
  --require-impersonation           a namespaced object that names no ServiceAccount (and no default) is not applied
  -h, --help                        help

${PKO_FLAGS_HELP}
Environment: PKO_FORCE_ADOPTION (non-empty: adopt every object), PKO_PACKAGE_HASH_MODIFIER (integer: force
re-unpack), POD_NAMESPACE and GANTRY_SERVICE_ACCOUNT (or PKO_SERVICE_ACCOUNT_NAMESPACE, PKO_SERVICE_ACCOUNT_NAME:
whose imagePullSecrets authenticate pulls), PKO_IMAGE_PREFIX_OVERRIDES, PKO_REGISTRY_HOST_OVERRIDES, LOG_LEVEL,
GANTRY_REGISTRY_NETWORKS, GANTRY_PLAIN_HTTP_REGISTRIES.

Stops on SIGTERM or SIGINT after the steps in flight finish (with --serve: /readyz fails at once and requests
are served for the drain period first); progress lives in each object's status, so a new
runner resumes where this one stopped.
`;

/** `--serve`: the endpoints of `gantry serve` on the runner's queue (the watches replace the tick). */
async function serveRunner(
  engine: Engine,
  runner: Runner,
  settings: ServeSettings,
  namespace: string,
  io: CliIO,
): Promise<{ stop(): Promise<void> }> {
  const [{ TriggerCore }, { startHttpHost }, { KubePages }] = await Promise.all([
    import('../../functions/hosts/triggers.js'),
    import('../../functions/hosts/serve.js'),
    import('../../functions/adapters/kube/pages.js'),
  ]);
  const core = new TriggerCore({
    deps: engine.deps,
    pages: new KubePages(engine.client),
    concurrency: 1,
    namespace,
    fullResyncMs: Number.MAX_SAFE_INTEGER,
    admissionBudgetMs: settings.admissionBudgetMs,
    log: (m) => {
      io.stderr(`${m}\n`);
    },
    queue: runner.workQueue,
  });
  const consoleMount = await mountedConsole(settings);
  const http = await startHttpHost(engine, core, {
    namespace,
    ...(consoleMount !== undefined ? { console: consoleMount } : {}),
    host: settings.host,
    port: settings.port,
    tls: settings.tls,
    eventsAuth: settings.eventsAuth,
    admissionBudgetMs: settings.admissionBudgetMs,
    ...(settings.admissionAuth !== undefined ? { admissionAuth: settings.admissionAuth } : {}),
    log: (m) => {
      io.stderr(`${m}\n`);
    },
  });
  http.ready(true);
  await announce(settings, http.port, (o) => engine.client.apply(o, { force: true }), io);
  return {
    stop: async () => {
      await http.stop(settings.drainMs);
      await core.stop();
    },
  };
}

/** `--target-kubeconfig` (or PKO's `--target-cluster-kubeconfig-file`): the cluster phases are applied into. */
function targetKubeconfig(values: {
  readonly 'target-kubeconfig'?: string | undefined;
  readonly 'target-cluster-kubeconfig-file'?: string | undefined;
}): string | undefined {
  const ours = values['target-kubeconfig'];
  const pko = values['target-cluster-kubeconfig-file'];
  if (ours !== undefined && pko !== undefined && ours !== pko)
    throw new UsageError('--target-kubeconfig and --target-cluster-kubeconfig-file name different files');
  const file = ours ?? pko;
  if (file === '') throw new UsageError('--target-kubeconfig must name a kubeconfig file');
  return file;
}

/**
 * The phase flags: the target cluster, the classes served, and what a runner applying into another cluster
 * reconciles: ObjectSetPhases only (cluster-scoped ones too unless -n, as PKO's remote-phase manager).
 */
function phaseFlags(values: {
  readonly 'target-kubeconfig'?: string | undefined;
  readonly 'target-cluster-kubeconfig-file'?: string | undefined;
  readonly 'phase-class'?: string | undefined;
  readonly 'hosted-clusters'?: boolean | undefined;
  readonly namespace?: string | undefined;
}): { target: string | undefined; classes: string[]; kinds: ReconciledKind[] | undefined } {
  const target = targetKubeconfig(values);
  const many = values['hosted-clusters'] === true;
  if (many && target !== undefined)
    throw new UsageError('--hosted-clusters and --target-kubeconfig cannot be combined');
  const classes = phaseClasses(values['phase-class'], target !== undefined || many);
  // A ClusterObjectSetPhase has no control-plane namespace, so no hosted cluster: ObjectSetPhases only.
  if (many) return { target, classes, kinds: ['ObjectSetPhase'] };
  if (target === undefined) return { target, classes, kinds: undefined };
  const namespaced = (values.namespace ?? '') !== '';
  return {
    target,
    classes,
    kinds: namespaced ? ['ObjectSetPhase'] : ['ObjectSetPhase', 'ClusterObjectSetPhase'],
  };
}

/** What a runner applying into other clusters serves, and the targets' clients its watches use. */
function remoteRunnerOptions(
  engine: Engine,
  kinds: ReconciledKind[] | undefined,
): { kinds?: ReconciledKind[]; targetClient?: RawKubeClient; targetFleet?: TargetFleet } {
  return {
    ...(kinds !== undefined ? { kinds } : {}),
    ...(engine.targetClient !== undefined ? { targetClient: engine.targetClient } : {}),
    ...(engine.targetFleet !== undefined ? { targetFleet: engine.targetFleet } : {}),
  };
}

/** PKO's HostedCluster controller beside the runner, when `--package-operator-package-image` is given. */
async function startHostedClusterPackages(
  engine: Engine,
  settings: HostedClusterPackageSettings | undefined,
  io: CliIO,
): Promise<{ stop(): Promise<void> } | undefined> {
  if (settings === undefined) return undefined;
  const { HostedClusterPackages } = await import('../../functions/hosts/hostedclusters.js');
  const controller = new HostedClusterPackages({
    client: engine.client,
    settings,
    log: (m) => {
      io.stderr(`${m}\n`);
    },
  });
  await controller.start();
  return controller;
}

/**
 * PKO's HostedClusterPackage controller beside the runner, unless the runner applies into another cluster (a
 * remote-phase runner): it starts its watches once HostedClusters and HostedClusterPackages are served.
 */
async function startHostedClusterFleet(
  engine: Engine,
  remote: boolean,
  io: CliIO,
): Promise<{ stop(): Promise<void> } | undefined> {
  if (remote) return undefined;
  const { HostedClusterFleet } = await import('../../functions/hosts/hostedcluster-fleet.js');
  const controller = new HostedClusterFleet({
    client: engine.client,
    log: (m) => {
      io.stderr(`${m}\n`);
    },
  });
  await controller.start();
  return controller;
}

/** Flags that only make sense with `--serve`, or never with it. */
function checkServingFlags(
  values: {
    readonly serve?: boolean;
    readonly console?: boolean;
    readonly 'console-actions'?: boolean;
    readonly 'hosted-clusters'?: boolean;
  },
  target: string | undefined,
): void {
  if (values['hosted-clusters'] === true && values.serve === true)
    throw new UsageError('--hosted-clusters cannot be combined with --serve');
  if (values.serve !== true && (values.console === true || values['console-actions'] === true))
    throw new UsageError('--console needs --serve (the console is mounted on the serving listener)');
  if (target !== undefined && values.serve === true)
    throw new UsageError('--target-kubeconfig cannot be combined with --serve');
}

export const runCommand: Command = {
  usage,
  async run(argv, io) {
    const { values } = parseArgs({
      args: goBoolArgs(argv),
      options: {
        ...SERVE_FLAGS,
        ...PKO_FLAGS,
        ...IMPERSONATION_FLAGS,
        serve: { type: 'boolean' },
        kubeconfig: { type: 'string' },
        concurrency: { type: 'string' },
        'metrics-addr': { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        'resync-interval': { type: 'string' },
        'image-prefix-overrides': { type: 'string' },
        'registry-host-overrides': { type: 'string' },
        'phase-class': { type: 'string' },
        'target-kubeconfig': { type: 'string' },
        'target-cluster-kubeconfig-file': { type: 'string' },
        'hosted-clusters': { type: 'boolean' },
        'hosted-cluster-clients': { type: 'string' },
        'hosted-cluster-connections': { type: 'string' },
      },
    });
    const { target, classes, kinds } = phaseFlags(values);
    const many = hostedClusterTargets(values);
    if (printedVersion(values, io)) return 0;
    const options = await engineFlags(values, io, { hostedClusters: true });
    checkServingFlags(values, target);
    const serving = values.serve === true ? await serveSettings(values) : undefined;
    const shard = serving?.shard ?? shardFlag(values.shard);
    // The engine (Kubernetes client, AWS SDK, metrics) loads only when the runner really starts: `--help` and
    // flag errors stay fast.
    const [{ createEngine }, { Runner }] = await Promise.all([
      import('../../functions/hosts/engine.js'),
      import('../../functions/hosts/runner.js'),
    ]);
    const engine = await createEngine({
      ...options,
      ...(target !== undefined ? { targetKubeconfig: target } : {}),
      ...many,
      // A runner looks up every kind it watches at start: all groups in one request.
      aggregatedDiscovery: true,
      // ... and renders the Packages it finds: the render path is warmed beside the watches (the template worker
      // starts at the first render). A runner of phases only (--target-kubeconfig, --hosted-clusters) renders nothing.
      warmRenderPath: kinds === undefined,
    });
    const metricsAddr = listenerAddress(values['metrics-addr']);
    const server = metricsAddr !== undefined ? await engine.metrics.serve(metricsAddr) : undefined;
    const runner = new Runner({
      client: engine.client,
      deps: engine.deps,
      concurrency: positiveInt(values.concurrency, 'concurrency', 8),
      namespace: values.namespace ?? '',
      resyncMs: positiveInt(values['resync-interval'], 'resync-interval', 36_000) * 1000,
      phaseClasses: classes,
      ...remoteRunnerOptions(engine, kinds),
      log: (m) => {
        io.stderr(`${m}\n`);
      },
      onQueueDepth: (d) => {
        engine.metrics.queueDepth(d);
      },
      ...(shard !== undefined ? { shard } : {}),
    });
    await runner.start();
    const hostedClusters = await startHostedClusterPackages(
      engine,
      options.parsedEnv?.hostedClusterPackages,
      io,
    );
    const fleet = await startHostedClusterFleet(engine, kinds !== undefined, io);
    const probeAddr = listenerAddress(values['health-probe-bind-address']);
    const probes =
      probeAddr !== undefined
        ? await (await import('../../functions/adapters/metrics.js')).serveHealthProbes(probeAddr)
        : undefined;
    const http =
      serving === undefined
        ? undefined
        : await serveRunner(engine, runner, serving, values.namespace ?? '', io);
    await untilSignal();
    io.stderr('stopping: waiting for the steps in flight\n');
    await http?.stop();
    await runner.stop();
    await hostedClusters?.stop();
    await fleet?.stop();
    server?.close();
    probes?.close();
    engine.close();
    return 0;
  },
};
