/**
 * @module steps/status
 * Small helpers the steps share: conditions with observedGeneration, finalizer patches, back-off.
 */
import { removeCondition, setCondition, type ConditionStatus } from '../../shared/api/conditions.js';
import type { Condition } from '../../shared/api/generated/crds.js';
import { refOf } from '../../shared/api/objects.js';
import type { ApiCondition } from '../../shared/api/resources.js';
import { elide } from '../../shared/packages/render.js';
import type { KubeApi, KubeObject } from '../../shared/ports.js';

/** A mutable condition list for one step, stamped with the object's generation. */
export class Conditions {
  private list: Condition[];

  public constructor(
    initial: readonly ApiCondition[] | undefined,
    private readonly generation: number,
    private readonly now: Date,
  ) {
    this.list = [...(initial ?? [])];
  }

  public set(type: string, status: ConditionStatus, reason: string, message: string): this {
    // A message built from many objects (a failing phase of hundreds) is kept to its head and tail: the CRD
    // refuses messages over 32768 characters, and a refused status write would hide every condition.
    this.list = setCondition(
      this.list,
      { type, status, reason, message: elide(message), observedGeneration: this.generation },
      this.now,
    );
    return this;
  }

  /** Copy a condition as it is (mirroring), with this object's generation. */
  public copy(c: ApiCondition): this {
    return this.set(c.type, c.status, c.reason, c.message);
  }

  public remove(type: string): this {
    this.list = removeCondition(this.list, type);
    return this;
  }

  /** Remove every mapped condition (`domain/Type`). */
  public removeMapped(): this {
    this.list = this.list.filter((c) => !c.type.includes('/'));
    return this;
  }

  public get(type: string): Condition | undefined {
    return this.list.find((c) => c.type === type);
  }

  public isTrue(type: string): boolean {
    return this.get(type)?.status === 'True';
  }

  public toJSON(): Condition[] {
    return this.list;
  }
}

/** Exponential back-off: `base · 2^attempt`, capped. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}

/** Add a finalizer (resourceVersion-guarded merge patch); returns the updated object. */
export async function ensureFinalizer(
  kube: KubeApi,
  object: KubeObject,
  ...wanted: readonly string[]
): Promise<KubeObject> {
  const finalizers = object.metadata.finalizers ?? [];
  const missing = wanted.filter((f) => !finalizers.includes(f));
  if (missing.length === 0) return object;
  return kube.mergePatch(refOf(object), {
    metadata: { finalizers: [...finalizers, ...missing], resourceVersion: object.metadata.resourceVersion },
  });
}

/** Remove finalizers (one resourceVersion-guarded merge patch). */
export async function removeFinalizer(
  kube: KubeApi,
  object: KubeObject,
  ...unwanted: readonly string[]
): Promise<KubeObject> {
  const finalizers = object.metadata.finalizers ?? [];
  if (!unwanted.some((f) => finalizers.includes(f))) return object;
  return kube.mergePatch(refOf(object), {
    metadata: {
      finalizers: finalizers.filter((f) => !unwanted.includes(f)),
      resourceVersion: object.metadata.resourceVersion,
    },
  });
}
