/**
 * Step deps for tests of steps and hosts: the given KubeApi, a fixed clock, an image source and a Go engine that
 * refuse (a test that needs them passes its own through `overrides`).
 */
import { EnvironmentProbe } from '../../functions/adapters/kube/environment.js';
import type { RunStepDeps } from '../../functions/steps/run-step.js';
import type { KubeApi } from '../../shared/ports.js';

export function fakeStepDeps(kube: KubeApi, overrides: Partial<RunStepDeps> = {}): RunStepDeps {
  return {
    kube,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    images: {
      pull: () => Promise.reject(new Error('no image source in this test')),
      listTags: () => Promise.reject(new Error('no tag listing in this test')),
      pullImageFiles: () => Promise.reject(new Error('no image files in this test')),
      resolveDigest: () => Promise.reject(new Error('no image source in this test')),
    },
    environment: new EnvironmentProbe(kube),
    engines: { gotmpl: { render: () => Promise.reject(new Error('no template engine in this test')) } },
    prefixOverrides: [],
    forceAdoption: false,
    ...overrides,
  };
}
