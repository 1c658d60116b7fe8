/**
 * The ObjectTemplate step and the ObjectSetPhase class filter against small in-memory fakes of the ports (a
 * KubeApi over a map, a Go engine that returns a fixed text or fails): what is written, which condition, when
 * the key runs again.
 */
import { describe, expect, it } from 'vitest';
import { runStep } from '../../functions/steps/run-step.js';
import { reconcileObjectTemplate } from '../../functions/steps/objecttemplate.js';
import type { StepDeps } from '../../functions/steps/types.js';
import type { GoTemplateEngine, GoTemplateRequest, KubeObject } from '../../shared/ports.js';
import { fakeStepDeps } from '../fakes/deps.js';
import { FakeKube } from '../fakes/kube.js';
import { TemplateError } from '../../shared/render/errors.js';

const API = 'package-operator.run/v1alpha1';

/** A Go engine that renders a fixed text (and records the context) or fails as Go would. */
function engine(result: string | TemplateError, seen: GoTemplateRequest[] = []): GoTemplateEngine {
  return {
    render: (request) => {
      seen.push(request);
      return typeof result === 'string' ? Promise.resolve(new Map([['', result]])) : Promise.reject(result);
    },
  };
}

function deps(kube: FakeKube, gotmpl: GoTemplateEngine, phaseClasses?: string[]): StepDeps {
  return fakeStepDeps(kube, {
    engines: { gotmpl, handlebars: { render: () => Promise.reject(new Error('no')) } },
    ...(phaseClasses !== undefined ? { phaseClasses } : {}),
  });
}

function template(kube: FakeKube, sources: unknown[]): KubeObject {
  return kube.put({
    apiVersion: API,
    kind: 'ObjectTemplate',
    metadata: { name: 't', namespace: 'ns', generation: 2 },
    spec: { template: 'ignored by the fake engine', sources },
  });
}

const OUTPUT = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  v: x\n';

describe('the ObjectTemplate step', () => {
  it('collects items (numbers kept) and labels the source; an optional source missing: output made, again in 60 s', async () => {
    const kube = new FakeKube();
    kube.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'src', namespace: 'ns' },
      data: { a: 'A' },
      n: 4,
    });
    const seen: GoTemplateRequest[] = [];
    const ot = template(kube, [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'src',
        items: [
          { key: '.data.a', destination: '.a' },
          { key: 'n', destination: '.x.n' },
        ],
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        name: 'opt',
        optional: true,
        items: [{ key: '.data.k', destination: '.k' }],
      },
    ]);
    const result = await reconcileObjectTemplate(ot, deps(kube, engine(OUTPUT, seen)));
    expect(seen[0]?.context).toEqual({
      config: { a: 'A', x: { n: 4 } },
      environment: { kubernetes: { version: 'v1.37.2' } },
    });
    expect(seen[0]?.functionSet).toBe('objectTemplate');
    expect(result).toMatchObject({ step: 'template', outcome: 'waiting', requeueAfterMs: 60_000 });
    expect(result.status?.['controllerOf']).toEqual({
      kind: 'ConfigMap',
      group: '',
      version: 'v1',
      name: 'out',
      namespace: 'ns',
    });
    expect(result.sources).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'src' },
      { apiVersion: 'v1', kind: 'Secret', namespace: 'ns', name: 'opt' },
    ]);
    expect(kube.writes).toEqual(['patch ObjectTemplate/t', 'patch ConfigMap/src', 'create ConfigMap/out']);
    expect(
      (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'src' })).metadata.labels,
    ).toEqual({
      'package-operator.run/cache': 'True',
    });
    const out = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'out' });
    expect(out.metadata.ownerReferences).toEqual([
      {
        apiVersion: API,
        kind: 'ObjectTemplate',
        name: 't',
        uid: 'uid-t',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('a required source missing: SourceError with the NotFound message, nothing written, again in 30 s', async () => {
    const kube = new FakeKube();
    const ot = template(kube, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', items: [] }]);
    const result = await reconcileObjectTemplate(ot, deps(kube, engine(OUTPUT)));
    expect(result).toMatchObject({ outcome: 'waiting', requeueAfterMs: 30_000 });
    expect(result.status?.['conditions']).toEqual([
      {
        type: 'package-operator.run/Invalid',
        status: 'True',
        reason: 'SourceError',
        message: 'for source ConfigMap ns/gone: configmaps "gone" not found',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: 2,
      },
    ]);
    expect(kube.writes).toEqual(['patch ObjectTemplate/t']);
  });

  it("takes PKO's retry intervals for missing sources (--object-template-*-retry-interval)", async () => {
    const kube = new FakeKube();
    const retry = { objectTemplateRetryMs: { source: 5_000, optional: 7_000 } };
    const missing = template(kube, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', items: [] }]);
    expect(await reconcileObjectTemplate(missing, { ...deps(kube, engine(OUTPUT)), ...retry })).toMatchObject(
      {
        outcome: 'waiting',
        requeueAfterMs: 5_000,
      },
    );
    const optional = template(kube, [
      { apiVersion: 'v1', kind: 'Secret', name: 'opt', optional: true, items: [] },
    ]);
    expect(
      await reconcileObjectTemplate(optional, { ...deps(kube, engine(OUTPUT)), ...retry }),
    ).toMatchObject({
      outcome: 'waiting',
      requeueAfterMs: 7_000,
    });
  });

  it('more than 64 sources: SourceError naming the limits, no source read, not retried', async () => {
    const kube = new FakeKube();
    const sources = Array.from({ length: 65 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: `s${i}`,
      items: [],
    }));
    const result = await reconcileObjectTemplate(template(kube, sources), deps(kube, engine(OUTPUT)));
    expect(result.requeueAfterMs).toBeUndefined();
    expect(result.status?.['conditions']).toEqual([
      {
        type: 'package-operator.run/Invalid',
        status: 'True',
        reason: 'SourceError',
        message: '65 sources with 0 items; the limits are 64 sources and 1024 items',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: 2,
      },
    ]);
    expect(kube.writes).toEqual(['patch ObjectTemplate/t']);
  });

  it('a template error: TemplateError without `executing "" `, not retried, the output left alone', async () => {
    const kube = new FakeKube();
    const ot = template(kube, []);
    const error = new TemplateError(
      'template: :1:3: executing "" at <.config.x>: map has no entry for key "x"',
      {
        phase: 'execute',
      },
    );
    const result = await reconcileObjectTemplate(ot, deps(kube, engine(error)));
    expect(result.outcome).toBe('failed');
    expect(result.requeueAfterMs).toBeUndefined();
    expect(result.error).toBe('template: :1:3: at <.config.x>: map has no entry for key "x"');
    expect(kube.writes).toEqual(['patch ObjectTemplate/t']);
  });
});

describe('ObjectSetPhase classes', () => {
  it('a phase of a class this host does not serve is ignored: nothing written, not even status', async () => {
    const kube = new FakeKube();
    kube.put({
      apiVersion: API,
      kind: 'ObjectSetPhase',
      metadata: {
        name: 'set-remote',
        namespace: 'ns',
        labels: { 'package-operator.run/phase-class': 'hosted' },
      },
      spec: { revision: 1, objects: [] },
    });
    const ref = { apiVersion: API, kind: 'ObjectSetPhase', namespace: 'ns', name: 'set-remote' };
    expect((await runStep(ref, deps(kube, engine(OUTPUT)))).outcome).toBe('ignored');
    expect((await runStep(ref, deps(kube, engine(OUTPUT), ['default', 'other']))).outcome).toBe('ignored');
    expect(kube.writes).toEqual([]);
    expect((await runStep(ref, deps(kube, engine(OUTPUT), ['hosted']))).outcome).toBe('done');
    expect(kube.writes).toEqual(['patch ObjectSetPhase/set-remote', 'status ObjectSetPhase/set-remote']);
  });
});
