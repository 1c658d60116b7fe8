/**
 * @module cli/commands/demo
 * `gantry demo`, the main job: start the full local control plane and registry (as `gantry dev up --full
 * --with-registry`), build and push `examples/templated`, create a Package of it, run the engine and show live
 * progress until the Package is `Available=True`; then print how to look at it and how to stop everything.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findCondition } from '../../shared/api/conditions.js';
import { field, isRecord } from '../../shared/api/objects.js';
import { packageSchema } from '../../shared/api/resources.js';
import { errorMessage } from '../../shared/errors.js';
import type { KubeApi } from '../../shared/ports.js';
import { binaryPath } from '../../devenv/binaries.js';
import type { CliIO, Command } from '../command.js';
import { UsageError } from '../package-input.js';
import { buildCommand } from './build.js';
import { devCommand, prepareBinaries, readState } from './dev.js';

const usage = `Install the templated example package on a local control plane and watch it become Available.

Usage:
  gantry demo [flags]

Starts (or reuses) the local environment of \`gantry dev up --full --with-registry\`: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler, kwok with a fake node, and a CNCF distribution registry, all on
loopback (binaries are built from their Go modules on first use, ~17 minutes on 2 cores (measured cold: 16 min 53 s), then cached; the
expected time is said at the start and each step's progress shown). Builds examples/templated, pushes it to the
registry, creates Package gantry-demo/web, runs the engine and prints each change of its progress until the
Package is Available. Exit code 0 then; 1 with the condition message when it fails or does not become
Available in time.

Flags:
  --timeout SECONDS   how long the install may take, counted from the Package's creation; the set-up before it
                      (building and starting the environment) is not counted (default 300)
  -h, --help          help
`;

const NAMESPACE = 'gantry-demo';
const NAME = 'web';

interface Snapshot {
  readonly line: string;
  readonly available: boolean;
  readonly failure?: string;
}

/** One line of progress from the Package and its ObjectSet. */
async function snapshot(kube: KubeApi, ref: { namespace: string; name: string }): Promise<Snapshot> {
  const raw = await kube.get({ apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', ...ref });
  const parsed = packageSchema.safeParse(raw);
  if (!parsed.success) return { line: 'Package: waiting for status', available: false };
  const conditions = parsed.data.status.conditions ?? [];
  const show = (type: string): string => {
    const c = findCondition(conditions, type);
    return c === undefined ? '' : `${type}=${c.status}${c.reason !== '' ? ` (${c.reason})` : ''}`;
  };
  const parts = ['Unpacked', 'Invalid', 'Progressing', 'Available'].map(show).filter((s) => s !== '');
  const available = findCondition(conditions, 'Available');
  const invalid = findCondition(conditions, 'Invalid');
  const unpacked = findCondition(conditions, 'Unpacked');
  let detail = '';
  if (available?.status !== 'True' && available?.message !== undefined && available.message !== '')
    detail = ` — ${available.message}`;
  const failure =
    invalid?.status === 'True'
      ? invalid.message
      : unpacked?.status === 'False' && unpacked.reason === 'ImagePullBackOff'
        ? unpacked.message
        : undefined;
  const revision = parsed.data.status.revision;
  return {
    line: `Package ${ref.namespace}/${ref.name}: ${parts.length > 0 ? parts.join(', ') : 'waiting for the engine'}${revision !== undefined ? `, revision ${revision}` : ''}${detail}`,
    available: available?.status === 'True',
    ...(failure !== undefined ? { failure } : {}),
  };
}

/** The revision of an ObjectSet (`spec.revision`; 0 when absent). */
function revisionOf(set: unknown): number {
  const revision = field(set, 'spec', 'revision');
  return typeof revision === 'number' ? revision : 0;
}

/** The latest ObjectSet by `spec.revision` (a LIST returns them by name, which is a hash). */
export function latestObjectSet<T>(sets: readonly T[]): T | undefined {
  return sets.reduce<T | undefined>(
    (latest, s) => (latest === undefined || revisionOf(s) > revisionOf(latest) ? s : latest),
    undefined,
  );
}

async function objectSetLine(kube: KubeApi): Promise<string | undefined> {
  const sets = await kube.list('package-operator.run/v1alpha1', 'ObjectSet', NAMESPACE);
  const latest = latestObjectSet(sets);
  if (latest === undefined) return undefined;
  const progress = field(latest, 'status', 'progress');
  const phase =
    isRecord(progress) && typeof progress['phase'] === 'string' ? ` phase ${progress['phase']}` : '';
  const conditions = field(latest, 'status', 'conditions');
  const list: unknown[] = Array.isArray(conditions) ? conditions : [];
  const available = list.find((c) => isRecord(c) && c['type'] === 'Available');
  const state = isRecord(available) ? `Available=${String(available['status'])}` : 'applying';
  return `ObjectSet ${latest.metadata.name}${phase}: ${state}`;
}

function quiet(io: CliIO): CliIO {
  return { ...io, stdout: () => undefined };
}

async function prepare(io: CliIO): Promise<{ kubeconfig: string; image: string }> {
  io.stdout(
    'Starting the local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) and registry …\n',
  );
  await prepareBinaries({ full: true, registry: true, s3: false }, io);
  // The example's templates are Go templates: their engine is built (first run only) before the clock starts.
  const { ensureGotmplWasm } = await import('../../functions/adapters/gotmpl/build.js');
  await ensureGotmplWasm({
    log: (m) => {
      io.stderr(`${m}\n`);
    },
  });
  if ((await devCommand.run(['up', '--full', '--with-registry'], quiet(io))) !== 0)
    throw new Error(
      'the local control plane did not start in full mode; run `gantry dev down` and try again',
    );
  const state = await readState();
  if (state?.registry === undefined)
    throw new Error('the local registry is not running; run `gantry dev down` and try again');
  io.stdout(`Control plane ready: kubeconfig ${state.kubeconfigPath}\n`);
  const image = `${state.registry}/gantry-demo/templated:v1`;
  const folder = join(import.meta.dirname, '..', '..', 'examples', 'templated');
  // The example's lock pins registry.k8s.io/pause, which the demo never pulls (kwok runs its pods): its digest is
  // not checked, so the demo works on a machine that cannot reach registry.k8s.io.
  if (
    (await buildCommand.run(
      [folder, '--skip-lock-check', '-t', image, '--push', '--insecure'],
      quiet(io),
    )) !== 0
  )
    throw new Error(`building and pushing ${folder} failed`);
  io.stdout(`Built examples/templated and pushed it to ${image}\n`);
  return { kubeconfig: state.kubeconfigPath, image };
}

async function createPackage(kube: KubeApi, image: string): Promise<void> {
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }, { force: true });
  await kube.apply(
    {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: NAME, namespace: NAMESPACE },
      spec: { image, config: { greeting: 'Hello from Gantry', replicas: 2 } },
    },
    { force: true },
  );
}

function nextSteps(io: CliIO, kubeconfig: string): void {
  const kubectl = binaryPath('kubectl');
  io.stdout(`
Look at it:
  export KUBECONFIG=${kubeconfig}
  ${kubectl} get package,objectdeployment,objectset -n ${NAMESPACE}
  ${kubectl} get deployment,configmap -n ${NAMESPACE}
  ${kubectl} describe package ${NAME} -n ${NAMESPACE}
Keep reconciling (drift correction, upgrades): npx gantry run --kubeconfig ${kubeconfig}
Stop the environment: npx gantry dev down
`);
}

export const demoCommand: Command = {
  usage,
  async run(argv, io) {
    const { values } = parseArgs({ args: [...argv], options: { timeout: { type: 'string' } } });
    const timeoutS = values.timeout === undefined ? 300 : Number.parseInt(values.timeout, 10);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0)
      throw new UsageError(`--timeout must be a positive number of seconds`);
    const { kubeconfig, image } = await prepare(io);
    const [{ createEngine }, { Runner }] = await Promise.all([
      import('../../functions/hosts/engine.js'),
      import('../../functions/hosts/runner.js'),
    ]);
    const engine = await createEngine({ kubeconfig, env: io.env ?? {} });
    const runner = new Runner({
      client: engine.client,
      deps: engine.deps,
      concurrency: 4,
      namespace: '',
      resyncMs: 3_600_000,
      log: (m) => {
        io.stderr(`${m}\n`);
      },
    });
    try {
      await createPackage(engine.client, image);
      // The timeout is the install's: set-up (a first run builds binaries for ~17 minutes) is not counted.
      const started = Date.now();
      io.stdout(`Created Package ${NAMESPACE}/${NAME} (spec.image ${image}); running the engine:\n`);
      await runner.start();
      let last = '';
      for (;;) {
        const snap = await snapshot(engine.client, { namespace: NAMESPACE, name: NAME });
        const os = await objectSetLine(engine.client);
        const line = `${snap.line}${os !== undefined && !snap.available ? `\n  ${os}` : ''}`;
        if (line !== last)
          io.stdout(`  [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
        last = line;
        if (snap.available) break;
        if (snap.failure !== undefined) throw new Error(snap.failure);
        if (Date.now() - started > timeoutS * 1000)
          throw new Error(`not Available after ${timeoutS} s: ${snap.line}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      io.stdout(
        `\nPackage ${NAMESPACE}/${NAME} is Available (${((Date.now() - started) / 1000).toFixed(1)} s after its creation).\n`,
      );
      nextSteps(io, kubeconfig);
      return 0;
    } catch (error) {
      io.stderr(`Error: ${errorMessage(error)}\n`);
      nextSteps(io, kubeconfig);
      return 1;
    } finally {
      await runner.stop();
      engine.close();
    }
  },
};
