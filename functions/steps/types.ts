/**
 * @module steps/types
 * What every step gets (ports only: steps never import adapters) and what it returns.
 */
import { errorMessage, GantryError } from '../../shared/errors.js';
import type { PackageEngines } from '../../shared/packages/render.js';
import type { Outcome, StepOutcome } from '../../shared/steps/outcome.js';

export type { Outcome, StepOutcome };
import type { ImagePrefixOverride } from '../../shared/packages/images.js';
import type {
  Clock,
  EnvironmentSource,
  ImageSource,
  Impersonation,
  KubeApi,
  KubeObject,
  ObjectCache,
  ObjectRef,
} from '../../shared/ports.js';

export interface StepDeps {
  readonly kube: KubeApi;
  /**
   * A watching host's cache of what its watches saw (`kube` then reads through it too): a phase takes an object
   * its cache has not seen as missing and creates it with a write that fails when it exists. Undefined: read.
   */
  readonly cache?: ObjectCache;
  readonly clock: Clock;
  readonly images: ImageSource;
  /** `.environment` as PKO probes it (Kubernetes, OpenShift, proxy, HyperShift). */
  readonly environment: EnvironmentSource;
  readonly engines: PackageEngines;
  readonly prefixOverrides: readonly ImagePrefixOverride[];
  /** PKO_FORCE_ADOPTION. */
  readonly forceAdoption: boolean;
  /** PKO_PACKAGE_HASH_MODIFIER. */
  readonly hashModifier?: number;
  /**
   * PKO's `--object-template-resource-retry-interval` and `--object-template-optional-resource-retry-interval`:
   * when an ObjectTemplate runs again after a missing source (default 30 s) or a missing optional one (60 s).
   */
  readonly objectTemplateRetryMs?: { readonly source?: number; readonly optional?: number };
  /**
   * Whose rights package objects (and ObjectTemplate sources and outputs) are managed with; undefined: the
   * engine's own, and an object that names a ServiceAccount is refused.
   */
  readonly impersonation?: Impersonation;
  /** The ObjectSetPhase classes this host serves (`--phase-class`); undefined: `default` only. */
  readonly phaseClasses?: readonly string[];
  /**
   * The cluster the served ObjectSetPhases' objects go to (`--target-kubeconfig`, PKO's remote-phase manager):
   * they are applied, probed and torn down there with the annotation owner strategy, with the target kubeconfig's
   * own rights, while the ObjectSetPhase and its status stay in this host's cluster. Undefined: the same cluster.
   */
  readonly target?: TargetCluster;
  /**
   * Many target clusters (`--hosted-clusters`): the cluster of an ObjectSetPhase is found by its namespace (a
   * HostedCluster's control-plane namespace); `target` is then unset.
   */
  readonly targets?: TargetResolver;
  /**
   * A watching host starts its watches of these managed kinds now and waits a bounded moment for their first list,
   * so a step's first reads of them come from its cache instead of a LIST per phase. Undefined: nothing to start.
   */
  readonly watchKinds?: (
    kinds: readonly { readonly apiVersion: string; readonly kind: string }[],
  ) => Promise<void>;
  /** Called with every object the step wrote, so a watching host can tell its own writes from drift. */
  readonly wrote?: (object: KubeObject) => void;
  /** A package was pulled and parsed for a (Cluster)Package in this many seconds (PKO's load-duration metric). */
  readonly packageLoaded?: (pkg: ObjectRef, seconds: number) => void;
  /**
   * Called between a phase's read that found an object missing and its create: a seam for tests that create the
   * object in that moment (the race a create must win or lose cleanly). Hosts leave it unset.
   */
  readonly beforeCreate?: (ref: ObjectRef) => Promise<void>;
}

/** Another cluster a host applies phases into. */
export interface TargetCluster {
  readonly kube: KubeApi;
  /** Called with every object a step wrote there, so a host watching the target can tell its own writes. */
  readonly wrote?: (object: KubeObject) => void;
}

/** The target cluster of a control-plane namespace, or why there is none to apply into. */
export type TargetResolution =
  | { readonly ok: true; readonly cluster: string; readonly target: TargetCluster }
  | { readonly ok: false; readonly message: string; readonly gone?: boolean };

/** Finds the target cluster of an ObjectSetPhase's namespace (`gantry run --hosted-clusters`). */
export interface TargetResolver {
  resolve(namespace: string): Promise<TargetResolution>;
}

/** The outcome of one step: the status to write (undefined: unchanged), and when to run again. */
export interface StepResult {
  /** Which step ran (`unpack`, `render`, `rollout`, `apply-phase`, `probe`, `teardown`, `status`, …). */
  readonly step: string;
  readonly outcome: StepOutcome;
  /** The whole new status; undefined leaves status as it is. */
  readonly status?: Record<string, unknown>;
  /** Run this key again after this delay (persisted as progress.nextAttemptTime). */
  readonly requeueAfterMs?: number;
  /** The object as the step last wrote it (a finalizer added): the status write goes onto this version. */
  readonly object?: KubeObject;
  /** Progress to record (Gantry's `status.progress`); the engine adds attempt and nextAttemptTime. */
  readonly phase?: string;
  readonly error?: string;
  /** Objects the step read but does not own (ObjectTemplate sources): a watching host runs the key when one changes. */
  readonly sources?: readonly ObjectRef[];
  /** Kinds of objects the step manages (labelled `package-operator.run/cache=True`): a watching host watches them. */
  readonly managedKinds?: readonly { readonly apiVersion: string; readonly kind: string }[];
  /**
   * Kinds of objects the step manages in the target cluster (`StepDeps.target`): a watching host watches them there
   * and runs the ObjectSetPhase named by an object's owners annotation when one changes.
   */
  readonly targetKinds?: readonly { readonly apiVersion: string; readonly kind: string }[];
}

/** A failure inside a step, naming the step that threw (`render`, `teardown`, …); the cause says what failed. */
export class StepError extends GantryError {
  public override readonly name: string = 'StepError';

  public constructor(
    public readonly step: string,
    cause: unknown,
  ) {
    super(errorMessage(cause), { cause });
  }
}

/** Run `work` as step `step`: what it throws is a StepError naming the step (the innermost step wins). */
export async function inStep<T>(step: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof StepError ? error : new StepError(step, error);
  }
}
