/**
 * @module cli/commands/run
 * `gantry run`: the local runner. Watches every Gantry kind and the objects they manage and runs the engine's
 * steps until SIGTERM / SIGINT; one line per finished step (readable on a terminal, JSON otherwise).
 */
import { parseArgs } from 'node:util';
import { parseOverrideList } from '../../shared/oci/reference.js';
import type { StepRecord } from '../../functions/steps/run-step.js';
import type { CliIO, Command } from '../command.js';
import { UsageError } from '../package-input.js';

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
  --phase-class LIST                ObjectSetPhase classes to reconcile, comma-separated (default "default");
                                    phases of other classes are left to the runner that serves them
  -h, --help                        help

Environment: PKO_FORCE_ADOPTION (non-empty: adopt every object), PKO_PACKAGE_HASH_MODIFIER (integer: force
re-unpack), POD_NAMESPACE and GANTRY_SERVICE_ACCOUNT (whose imagePullSecrets authenticate pulls).

Stops on SIGTERM or SIGINT after the steps in flight finish; progress lives in each object's status, so a new
runner resumes where this one stopped.
`;

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number.parseInt(value, 10);
  if (!/^\d+$/.test(value) || n <= 0)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

function overrides(value: string | undefined, flag: string): { from: string; to: string }[] {
  if (value === undefined) return [];
  const parsed = parseOverrideList(value);
  if (!parsed.ok) throw new UsageError(`--${flag}: ${parsed.error}`);
  return parsed.value;
}

function phaseClasses(value: string | undefined): string[] {
  if (value === undefined) return ['default'];
  const classes = value.split(',').map((c) => c.trim());
  if (classes.some((c) => c === ''))
    throw new UsageError(`--phase-class must list class names, got "${value}"`);
  return classes;
}

/** A step record as one line: readable on a terminal, JSON (pino, loaded only then) otherwise. */
export async function stepPrinter(io: CliIO): Promise<(r: StepRecord) => void> {
  if (io.isTTY) {
    return (r) => {
      const ns = r.key.namespace === '' ? '' : `${r.key.namespace}/`;
      const wait =
        r.requeueAfterMs !== undefined ? ` (again in ${(r.requeueAfterMs / 1000).toFixed(1)} s)` : '';
      const error = r.error !== undefined ? `: ${r.error}` : '';
      io.stdout(
        `${r.key.kind} ${ns}${r.key.name}: ${r.step} ${r.outcome} in ${r.durationMs} ms${wait}${error}\n`,
      );
    };
  }
  const { default: pino } = await import('pino');
  const logger = pino(
    { base: undefined },
    {
      write: (line: string) => {
        io.stdout(line);
      },
    },
  );
  return (r) => {
    logger.info(
      {
        key: `${r.key.kind}/${r.key.namespace === '' ? '' : `${r.key.namespace}/`}${r.key.name}`,
        step: r.step,
        outcome: r.outcome,
        durationMs: r.durationMs,
        ...(r.requeueAfterMs !== undefined ? { requeueAfterMs: r.requeueAfterMs } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
      },
      'step',
    );
  };
}

export const runCommand: Command = {
  usage,
  async run(argv, io) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        kubeconfig: { type: 'string' },
        concurrency: { type: 'string' },
        'metrics-addr': { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        'resync-interval': { type: 'string' },
        'image-prefix-overrides': { type: 'string' },
        'registry-host-overrides': { type: 'string' },
        'phase-class': { type: 'string' },
      },
    });
    const classes = phaseClasses(values['phase-class']);
    // The engine (Kubernetes client, AWS SDK, metrics) loads only when the runner really starts: `--help` and
    // flag errors stay fast.
    const [{ createEngine }, { Runner }] = await Promise.all([
      import('../../functions/hosts/engine.js'),
      import('../../functions/hosts/runner.js'),
    ]);
    const engine = await createEngine({
      ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
      prefixOverrides: overrides(values['image-prefix-overrides'], 'image-prefix-overrides'),
      registryHostOverrides: new Map(
        overrides(values['registry-host-overrides'], 'registry-host-overrides').map((o) => [o.from, o.to]),
      ),
      record: await stepPrinter(io),
      env: io.env ?? {},
    });
    const server =
      values['metrics-addr'] !== undefined ? await engine.metrics.serve(values['metrics-addr']) : undefined;
    const runner = new Runner({
      client: engine.client,
      deps: engine.deps,
      concurrency: positiveInt(values.concurrency, 'concurrency', 8),
      namespace: values.namespace ?? '',
      resyncMs: positiveInt(values['resync-interval'], 'resync-interval', 36_000) * 1000,
      phaseClasses: classes,
      log: (m) => {
        io.stderr(`${m}\n`);
      },
      onQueueDepth: (d) => {
        engine.metrics.queueDepth(d);
      },
    });
    await runner.start();
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => {
        resolve();
      });
      process.once('SIGINT', () => {
        resolve();
      });
    });
    io.stderr('stopping: waiting for the steps in flight\n');
    await runner.stop();
    server?.close();
    engine.close();
    return 0;
  },
};
