/**
 * The engine as tests use it: a real runner (watches, queue, steps) in this process against the test run's
 * control plane and registry, plus helpers to build and push small packages and to wait for conditions.
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { isNotFound } from '../../../shared/kube-errors.js';
import type { KubeApi } from '../../../shared/ports.js';
import { createNamespace, deleteNamespace, testClient } from './namespace.js';
import { createEngine, type Engine, type EngineOptions } from '../../../functions/hosts/engine.js';
import { Runner } from '../../../functions/hosts/runner.js';
import type { StepDeps } from '../../../functions/steps/types.js';
import type { KubeObject, ObjectRef } from '../../../shared/ports.js';
import { runGantry } from '../../run-cli.js';

export interface TestEngine {
  readonly engine: Engine;
  readonly runner: Runner;
  stop(): Promise<void>;
}

/**
 * Start a runner against the test control plane (serving the given ObjectSetPhase classes, `default` if none),
 * with the test's seams in the step deps (`beforeCreate`) and host options (`impersonation`).
 */
export async function startEngine(
  env: Record<string, string> = {},
  phaseClasses?: readonly string[],
  seams: Pick<StepDeps, 'beforeCreate'> = {},
  options: Pick<EngineOptions, 'impersonation'> = {},
): Promise<TestEngine> {
  const engine = await createEngine({
    kubeconfig: inject('kube').kubeconfigPath,
    env,
    ...options,
    ...(process.env['GANTRY_TEST_LOG'] === '1'
      ? {
          record: (r) => {
            process.stderr.write(
              `${r.key.kind} ${r.key.namespace}/${r.key.name} ${r.step} ${r.outcome} ${r.error ?? ''}\n`,
            );
          },
        }
      : {}),
  });
  const runner = new Runner({
    client: engine.client,
    deps: { ...engine.deps, ...seams },
    concurrency: 4,
    namespace: '',
    resyncMs: 3_600_000,
    ...(phaseClasses !== undefined ? { phaseClasses } : {}),
    log: (m) => {
      if (process.env['GANTRY_TEST_LOG'] === '1') process.stderr.write(`${m}\n`);
    },
  });
  await runner.start();
  return {
    engine,
    runner,
    stop: async () => {
      await runner.stop();
      engine.close();
    },
  };
}

/** Write a package folder (path → text) and push it to the test registry; returns the image reference. */
export async function pushPackage(
  name: string,
  files: Record<string, string>,
  tag = 'v1',
  registryHost = inject('registry').host,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gantry-pkg-${name}-`));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const image = `${registryHost}/engine-test/${name}:${tag}`;
  const r = await runGantry(['build', dir, '-t', image, '--push', '--insecure'], { cwd: dir });
  if (r.code !== 0) throw new Error(`pushing ${name}: ${r.stderr}`);
  return image;
}

/** A PackageManifest with the given phases (and optional probes YAML). */
export function manifest(
  name: string,
  phases: readonly string[],
  extra = '',
  scopes = '[Namespaced]',
): string {
  return `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: ${name}
spec:
  scopes: ${scopes}
  phases:
${phases.map((p) => `    - name: ${p}`).join('\n')}
${extra}`;
}

/** A ConfigMap document in a phase. */
export function configMap(
  name: string,
  phase: string,
  data: Record<string, string>,
  annotations: Record<string, string> = {},
): string {
  const ann = Object.entries({ 'package-operator.run/phase': phase, ...annotations })
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  const d = Object.entries(data)
    .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  annotations:
${ann}
data:
${d}
`;
}

/** Poll until `check` returns a value (not undefined), or fail with the last seen state. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface ConditionView {
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** The conditions of an object by type. */
export function conditions(object: KubeObject): Record<string, ConditionView> {
  const status = object['status'];
  const list =
    typeof status === 'object' &&
    status !== null &&
    'conditions' in status &&
    Array.isArray(status.conditions)
      ? (status.conditions as { type: string; status: string; reason: string; message: string }[])
      : [];
  return Object.fromEntries(
    list.map((c) => [c.type, { status: c.status, reason: c.reason, message: c.message }]),
  );
}

/**
 * Wait until the object shows every given condition exactly (status, reason and message), and return all its
 * conditions. A wait for a condition's status alone can return on the first change, while the reason or message
 * the test asserts is still an earlier step's (Progressing=True says "Progressing to a new ObjectSet." before it
 * says why the revision is unavailable).
 */
export async function conditionsReach(
  kube: KubeApi,
  ref: ObjectRef,
  expected: Readonly<Record<string, ConditionView>>,
  timeoutMs = 60_000,
): Promise<Record<string, ConditionView>> {
  let last: Record<string, ConditionView> = {};
  const matches = (c: Record<string, ConditionView>): boolean =>
    Object.entries(expected).every(
      ([type, want]) =>
        c[type]?.status === want.status && c[type].reason === want.reason && c[type].message === want.message,
    );
  return eventually(
    `${ref.kind} ${ref.name} to show ${JSON.stringify(expected)}`,
    async () => {
      last = conditions(await kube.get(ref));
      return matches(last) ? last : undefined;
    },
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; last seen ${JSON.stringify(last)}`,
    );
  });
}

/**
 * Wait for the Package `pkg` of `ns` to report that its ObjectSet refused the unowned ConfigMap `name` under
 * `Prevent`, in PKO's words, and check its ObjectSet says so too; the ConfigMap as it is then.
 */
export async function preventedCollision(
  kube: KubeApi,
  ns: string,
  pkg: string,
  name: string,
): Promise<KubeObject> {
  const message = `object /${name} kind:ConfigMap: refusing adoption, object /v1, Kind=ConfigMap ${ns}/${name} not owned by previous revision`;
  const progressing = {
    status: 'True',
    reason: 'LatestRevisionPendingSuccess',
    message: `Latest Revision is Unavailable: ${message}`,
  };
  const c = await conditionsReach(kube, pkgRef(ns, pkg), { Progressing: progressing });
  expect(c['Progressing']).toEqual(progressing);
  const [set] = await kube.list('package-operator.run/v1alpha1', 'ObjectSet', ns);
  expect(set && conditions(set)['Available']).toEqual({
    status: 'False',
    reason: 'CollisionDetected',
    message,
  });
  return kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
}

/** The object, or undefined when the API server says NotFound. */
export async function getOrUndefined(kube: KubeApi, ref: ObjectRef): Promise<KubeObject | undefined> {
  try {
    return await kube.get(ref);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export function pkgRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace, name };
}

export interface EngineSuite {
  /** The engine's own client (Gantry's raw client against the test control plane). */
  readonly kube: () => KubeApi;
  /** A fresh namespace `<prefix>-<random>`, deleted after the file. */
  readonly namespace: (prefix: string) => Promise<string>;
  /** The admin client of the test harness (changes "by hand", other field managers). */
  readonly admin: ReturnType<typeof testClient>;
}

/**
 * One running engine for a test file (started before its tests, stopped after, with the given host options), and
 * its namespaces.
 */
export function useEngine(options: Pick<EngineOptions, 'impersonation'> = {}): EngineSuite {
  let engine: TestEngine | undefined;
  const namespaces: string[] = [];
  const admin = testClient();
  beforeAll(async () => {
    engine = await startEngine({}, undefined, {}, options);
  });
  afterAll(async () => {
    await engine?.stop();
    for (const ns of namespaces) await deleteNamespace(admin, ns);
  });
  return {
    kube: () => {
      if (engine === undefined) throw new Error('the engine has not started');
      return engine.engine.client;
    },
    namespace: async (prefix) => {
      const ns = await createNamespace(admin, prefix);
      namespaces.push(ns);
      return ns;
    },
    admin,
  };
}
