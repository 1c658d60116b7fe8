/**
 * The trigger core against a small in-memory KubeApi that has no objects at all: what forged keys cost.
 */
import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../shared/kube-errors.js';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import type { RunStepDeps } from '../steps/run-step.js';
import { TriggerCore } from './triggers.js';

function unused(): Promise<never> {
  return Promise.reject(new Error('not used by this test'));
}

/** A cluster without objects: every GET is counted and answered NotFound. */
class EmptyKube implements KubeApi {
  public gets = 0;
  public resource = unused;
  public list = (): Promise<KubeObject[]> => Promise.resolve([]);
  public apply = unused;
  public create = unused;
  public update = unused;
  public updateStatus = unused;
  public mergePatch = unused;
  public delete = unused;
  public serverVersion = unused;
  public get(ref: ObjectRef): Promise<KubeObject> {
    this.gets += 1;
    return Promise.reject(new KubeApiError(`packages "${ref.name}" not found`, 404, 'NotFound'));
  }
}

function core(kube: KubeApi): TriggerCore {
  const deps: RunStepDeps = {
    kube,
    clock: { now: () => new Date() },
    images: { pull: unused, resolveDigest: unused },
    engines: { gotmpl: { render: unused } },
    prefixOverrides: [],
    forceAdoption: false,
  };
  return new TriggerCore({
    deps,
    concurrency: 4,
    namespace: '',
    fullResyncMs: 3_600_000,
    admissionBudgetMs: 0,
    log: () => undefined,
  });
}

describe('trigger core under forged keys', () => {
  it('a key whose object does not exist costs one GET, however many forged creations name it', async () => {
    const kube = new EmptyKube();
    const c = core(kube);
    const ref = (name: string): ObjectRef => ({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      namespace: 'ns',
      name,
    });
    for (let i = 0; i < 20; i++) c.dispatch(ref('forged'), 'create');
    for (let i = 0; i < 5; i++) c.dispatch(ref(`forged-${i}`), 'create');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(kube.gets).toBe(6);
    expect(c.depth).toBe(0);
    await c.stop();
  });
});
