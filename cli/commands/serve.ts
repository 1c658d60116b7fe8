/**
 * @module cli/commands/serve
 * `gantry serve`: the watch-less host (admission webhooks, `/events`, the schedule tick) over TLS.
 */
import { parseArgs } from 'node:util';
import type { CliIO, Command } from '../command.js';
import {
  announce,
  durationMs,
  engineFlags,
  goBoolArgs,
  HOSTED_CLUSTERS_FLAGS,
  hostedClusterTargets,
  phaseClasses,
  listenerAddress,
  PKO_FLAGS,
  PKO_FLAGS_HELP,
  printedVersion,
  IMPERSONATION_FLAGS,
  mountedConsole,
  positiveInt,
  SERVE_FLAGS,
  serveSettings,
  untilSignal,
} from './host-flags.js';

const usage = `Serve Gantry's admission webhooks and event endpoints over TLS; run every step they trigger.

Usage:
  gantry serve (--tls-cert FILE --tls-key FILE | --dev-cert DIR) [flags]

No watch: admission requests (/webhooks/validate, /webhooks/mutate), events (/events: Knative ApiServerSource
and PingSource CloudEvents, registry push notifications) and a schedule tick are the only triggers. Requeues are
kept in each object's status, so the tick (on this or any other instance) runs them when they are due.

Flags:
  --kubeconfig FILE                 kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  --addr HOST:PORT                  listen address (default 127.0.0.1:8443; port 0: any free port)
  --tls-cert FILE, --tls-key FILE   serving certificate and key (PEM)
  --dev-cert DIR                    make (once) a self-signed CA and a certificate for 127.0.0.1/localhost in DIR
  --plain-http                      no TLS: only behind a proxy that terminates it (Knative's ingress)
  --register-webhooks               apply the Validating/MutatingWebhookConfigurations "gantry" pointing at this
                                    address with the dev CA (--dev-cert only; in a cluster, deploy/ does it)
  --resync-interval DURATION        schedule tick: run what is due this often (default 10s)
  --full-resync-interval DURATION   run every object this often, to correct drift nobody reported (default 1h)
  --admission-fetch true|false      fetch the package at admission to check its config schema (default true)
  --admission-budget DURATION       time allowed for that fetch; past it the request is admitted with a warning (default 2s)
  --admission-client-ca FILE        only callers with a client certificate signed by this CA reach the admission
                                    endpoints (the API server's, from its AdmissionConfiguration kubeConfigFile);
                                    others get 401 and cause no work
  --admission-client-names LIST     ... and whose CN or SAN is one of these (comma-separated)
  --admission-token-file FILE       ... or that present one of these bearer tokens (one per line, >= 16 characters)
  --metrics-addr HOST:PORT          Prometheus metrics on /metrics on a listener of its own (default: off; never on
                                    the webhook listener)
  --events-config FILE              YAML: how each event source authenticates (see README "Events")
  --shard I/N                       this replica's share of the tick's work (keys split by a stable hash)
  --handback-url URL                on stop, POST the keys still waiting to URL as run.gantry.reconcile CloudEvents
  --drain-period DURATION           on SIGTERM, fail /readyz and keep serving this long before closing (default 10s)
                                    (a Knative broker, another instance's /events)
  --console                         mount the web console at /console/: users sign in with a Kubernetes bearer
                                    token and see what their RBAC rights allow (needs create on tokenreviews and
                                    subjectaccessreviews); read-only
  --console-actions                 ... and offer pause, unpause, rollout undo, approve and reject to users who
                                    may update the Package
  -n, --namespace NS                only namespaced objects of this namespace (default: all namespaces)
  --phase-class LIST                ObjectSetPhase classes to reconcile, comma-separated (default "default", or
                                    "hosted-cluster" with --hosted-clusters); phases of other classes are left to
                                    the host that serves them
  --hosted-clusters                 serve the phases of every HyperShift hosted cluster: an ObjectSetPhase in
                                    control-plane namespace <ns>-<name> is applied into the HostedCluster
                                    <ns>/<name>'s cluster, with the admin kubeconfig of the Secret its
                                    status.kubeconfig.name names (key kubeconfig). No watch: the HostedCluster is
                                    read (GET) when a phase's step needs it and remembered 10 s, its Secret read at
                                    every step (a changed kubeconfig: a new client). ObjectSetPhases only; --shard
                                    splits them by cluster (control-plane namespace)
  --hosted-cluster-clients M        with --hosted-clusters: clients of at most M clusters kept, the least recently
                                    used closed (default 64)
  --hosted-cluster-connections N    with --hosted-clusters: at most N request connections per cluster (default 4)
  --concurrency N                   keys reconciled at once (default 8)
  --image-prefix-overrides LIST     PKO's from=to,… image prefix rewrites
  --registry-host-overrides LIST    PKO's host=otherhost,… registry host rewrites
  --default-service-account NAME, --require-impersonation
                                    as for \`gantry run\`: whose rights package objects are managed with
  -h, --help                        help

${PKO_FLAGS_HELP}
Durations: 500ms, 10s, 5m, 1h, or plain seconds. Endpoints: /webhooks/validate, /webhooks/mutate, /events,
/healthz, /readyz. On SIGTERM or SIGINT: /readyz fails at once, requests are served for the drain period, then
the listener closes and the host stops after the steps in flight finish.
`;

export const serveCommand: Command = {
  usage,
  async run(argv, io: CliIO) {
    const { values } = parseArgs({
      args: goBoolArgs(argv),
      options: {
        ...SERVE_FLAGS,
        ...PKO_FLAGS,
        ...IMPERSONATION_FLAGS,
        ...HOSTED_CLUSTERS_FLAGS,
        kubeconfig: { type: 'string' },
        'resync-interval': { type: 'string' },
        'full-resync-interval': { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        concurrency: { type: 'string' },
        'image-prefix-overrides': { type: 'string' },
        'registry-host-overrides': { type: 'string' },
        'handback-url': { type: 'string' },
        'metrics-addr': { type: 'string' },
      },
    });
    if (printedVersion(values, io)) return 0;
    const many = hostedClusterTargets(values);
    const classes = phaseClasses(values['phase-class'], many.hostedClusterTargets !== undefined);
    const options = await engineFlags(values, io);
    const tickMs = durationMs(values['resync-interval'], 'resync-interval', 10_000);
    const fullResyncMs = durationMs(values['full-resync-interval'], 'full-resync-interval', 3_600_000);
    const settings = await serveSettings(values);
    const { startServe } = await import('../../functions/hosts/serve.js');
    const consoleMount = await mountedConsole(settings);
    const serve = await startServe({
      ...options,
      ...many,
      phaseClasses: classes,
      host: settings.host,
      port: settings.port,
      tls: settings.tls,
      concurrency: positiveInt(values.concurrency, 'concurrency', 8),
      namespace: values.namespace ?? '',
      tickMs,
      fullResyncMs,
      admissionBudgetMs: settings.admissionBudgetMs,
      eventsAuth: settings.eventsAuth,
      ...(settings.admissionAuth !== undefined ? { admissionAuth: settings.admissionAuth } : {}),
      ...(settings.shard !== undefined ? { shard: settings.shard } : {}),
      ...(values['handback-url'] !== undefined ? { handbackUrl: values['handback-url'] } : {}),
      drainMs: settings.drainMs,
      ...(consoleMount !== undefined ? { console: consoleMount } : {}),
      log: (m) => {
        io.stderr(`${m}\n`);
      },
    });
    const metricsAddr = listenerAddress(values['metrics-addr']);
    const metrics = metricsAddr !== undefined ? await serve.engine.metrics.serve(metricsAddr) : undefined;
    const probeAddr = listenerAddress(values['health-probe-bind-address']);
    const probes =
      probeAddr !== undefined
        ? await (await import('../../functions/adapters/metrics.js')).serveHealthProbes(probeAddr)
        : undefined;
    await announce(settings, serve.port, (o) => serve.engine.client.apply(o, { force: true }), io);
    await untilSignal();
    io.stderr('stopping: waiting for the steps in flight\n');
    await serve.stop();
    metrics?.close();
    probes?.close();
    return 0;
  },
};
