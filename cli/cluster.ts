/**
 * @module cli/cluster
 * Shared plumbing of the cluster commands (rollout, pause, unpause, clustertree, diff): the connection
 * (`--kubeconfig`, then `$KUBECONFIG`, then `~/.kube/config` and in-cluster, as kubectl), reads of the
 * (Cluster)Package / (Cluster)ObjectDeployment and its ObjectSets with PKO's error wording, and waiting for a
 * condition with PKO's timeout message.
 */
import { RawKubeClient } from '../functions/adapters/kube/client.js';
import { loadConnection } from '../functions/adapters/kube/kubeconfig.js';
import { API_VERSION, LABEL_INSTANCE, scopedKind } from '../shared/api/constants.js';
import {
  objectDeploymentSchema,
  objectSliceSchema,
  packageSchema,
  parseResource,
  type ApiObjectDeployment,
  type ApiObjectSet,
  type ApiSetObject,
  type ApiPackage,
} from '../shared/api/resources.js';
import { errorMessage } from '../shared/errors.js';
import type { KubeApi, KubeObject, ObjectRef } from '../shared/ports.js';
import { CommandError } from '../shared/rollout/history.js';
import type { CliIO } from './command.js';

/** The client of a cluster command, from `--kubeconfig` or the environment the command was given. */
export function connect(io: CliIO, kubeconfig: string | undefined): RawKubeClient {
  const fromEnv = io.env?.['KUBECONFIG'];
  // One path: read it (tests pass their own environment). Several (kubectl merges them): client-node's default
  // chain reads $KUBECONFIG itself.
  const single = fromEnv !== undefined && fromEnv !== '' && !fromEnv.includes(':') ? fromEnv : undefined;
  return new RawKubeClient(loadConnection(kubeconfig ?? single));
}

/** Run `work` with a client that is closed afterwards. */
export async function withClient<T>(
  io: CliIO,
  kubeconfig: string | undefined,
  work: (kube: RawKubeClient) => Promise<T>,
): Promise<T> {
  const client = connect(io, kubeconfig);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

export type PackageKind = 'Package' | 'ClusterPackage';

export function packageRef(kind: PackageKind, namespace: string, name: string): ObjectRef {
  return { apiVersion: API_VERSION, kind, namespace: kind === 'Package' ? namespace : '', name };
}

/** GET a (Cluster)Package; PKO's `getting package object: <server message>`. */
export async function getPackage(
  kube: KubeApi,
  ref: ObjectRef,
): Promise<{ raw: KubeObject; pkg: ApiPackage }> {
  let raw: KubeObject;
  try {
    raw = await kube.get(ref);
  } catch (error) {
    throw new CommandError(`getting package object: ${errorMessage(error)}`, { cause: error });
  }
  return { raw, pkg: parseResource(packageSchema, raw) };
}

/** GET a (Cluster)ObjectDeployment; PKO's `getting objectdeployment object: <server message>`. */
export async function getObjectDeployment(kube: KubeApi, ref: ObjectRef): Promise<ApiObjectDeployment> {
  try {
    return parseResource(objectDeploymentSchema, await kube.get(ref));
  } catch (error) {
    throw new CommandError(`getting objectdeployment object: ${errorMessage(error)}`, { cause: error });
  }
}

function selectorOf(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The ObjectSets of a (Cluster)Package (by `package-operator.run/instance`) or of an ObjectDeployment (by its labels). */
export async function listObjectSets(
  kube: KubeApi,
  cluster: boolean,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): Promise<KubeObject[]> {
  const kind = scopedKind('ObjectSet', cluster);
  let items: KubeObject[];
  try {
    items = await kube.list(API_VERSION, kind, cluster ? '' : namespace, {
      labelSelector: selectorOf(labels),
    });
  } catch (error) {
    throw new CommandError(`listing ${kind}s: ${errorMessage(error)}`, { cause: error });
  }
  return items;
}

/** The phases of an ObjectSet with their objects, those kept in ObjectSlices (big packages) read in. */
export async function objectSetPhases(
  kube: KubeApi,
  set: ApiObjectSet,
): Promise<{ readonly name: string; readonly objects: ApiSetObject[] }[]> {
  const sliceKind = scopedKind('ObjectSlice', set.kind === 'ClusterObjectSet');
  const phases: { name: string; objects: ApiSetObject[] }[] = [];
  for (const phase of set.spec.phases) {
    const objects = [...(phase.objects ?? [])];
    for (const name of phase.slices ?? []) {
      const ref = { apiVersion: API_VERSION, kind: sliceKind, namespace: set.metadata.namespace ?? '', name };
      objects.push(...parseResource(objectSliceSchema, await kube.get(ref)).objects);
    }
    phases.push({ name: phase.name, objects });
  }
  return phases;
}

/** The ObjectSets of a (Cluster)Package. */
export async function packageObjectSets(kube: KubeApi, pkg: ApiPackage): Promise<KubeObject[]> {
  return listObjectSets(kube, pkg.kind === 'ClusterPackage', pkg.metadata.namespace ?? '', {
    [LABEL_INSTANCE]: pkg.metadata.name,
  });
}

/** `--timeout SECONDS` of the commands that wait (default 60 s, as PKO's waiter). */
export function timeoutFlag(value: string | undefined): number {
  if (value === undefined) return 60_000;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new CommandError(`--timeout must be a positive number of seconds, got "${value}"`);
  return Number(value) * 1000;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
}

/** The status of condition `type` of a (Cluster)Package, when it speaks of its current generation. */
export function currentCondition(object: KubeObject, type: string): string | undefined {
  const pkg = parseResource(packageSchema, object);
  const c = (pkg.status.conditions ?? []).find((x) => x.type === type);
  return c !== undefined && (c.observedGeneration ?? 0) >= pkg.metadata.generation ? c.status : undefined;
}

/** Poll an object until `done` says so, or until the timeout (then `timeoutMessage`). */
export async function waitFor(
  kube: KubeApi,
  ref: ObjectRef,
  done: (object: KubeObject) => boolean,
  options: WaitOptions & { readonly timeoutMessage: string },
): Promise<KubeObject> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const object = await kube.get(ref);
    if (done(object)) return object;
    if (Date.now() >= deadline) throw new CommandError(options.timeoutMessage);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
}

function goDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`;
}

/** PKO's waiter message on timeout (with its trailing space). */
export function timeoutMessage(ref: ObjectRef, type: string, timeoutMs: number): string {
  return `timeout waiting ${goDuration(timeoutMs)} on ${API_VERSION}, Kind=${ref.kind} ${ref.namespace}/${ref.name} to report condition "${type}"="True": context deadline exceeded `;
}

/** Poll a (Cluster)Package until condition `type` is True for its current generation (PKO's waiter). */
export async function waitForPackageCondition(
  kube: KubeApi,
  ref: ObjectRef,
  type: string,
  options: WaitOptions,
): Promise<void> {
  await waitFor(kube, ref, (o) => currentCondition(o, type) === 'True', {
    ...options,
    timeoutMessage: timeoutMessage(ref, type, options.timeoutMs),
  });
}
