import { describe, expect, it } from 'vitest';
import type { ApiCondition, ApiObjectSet } from '../api/resources.js';
import { archiveCandidates, deploymentConditions, splitRevisions } from './deployment.js';

function set(
  revision: number,
  opts: {
    hash?: string;
    conds?: Partial<Record<string, 'True' | 'False'>>;
    state?: 'Active' | 'Paused' | 'Archived';
    controls?: string[];
    objects?: string[];
  } = {},
): ApiObjectSet {
  const conditions: ApiCondition[] = Object.entries(opts.conds ?? {}).map(([type, status]) => ({
    type,
    status: status ?? 'True',
    reason: type,
    message: `${type} message of ${revision}`,
    lastTransitionTime: '',
    observedGeneration: 1,
  }));
  return {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'ObjectSet',
    metadata: {
      name: `od-${revision}`,
      namespace: 'ns',
      uid: `u${revision}`,
      generation: 1,
      annotations: { 'package-operator.run/hash': opts.hash ?? `h${revision}` },
    },
    spec: {
      phases: [
        {
          name: 'p',
          objects: (opts.objects ?? []).map((name) => ({
            object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
          })),
        },
      ],
      lifecycleState: opts.state ?? 'Active',
      revision,
    },
    status: {
      conditions,
      ...(opts.controls !== undefined
        ? {
            controllerOf: opts.controls.map((name) => ({
              kind: 'ConfigMap',
              group: '',
              name,
              namespace: 'ns',
            })),
          }
        : {}),
    },
  };
}

describe('revisions', () => {
  it('the current one is the newest with the template hash', () => {
    const r = splitRevisions([set(2, { hash: 'now' }), set(1)], 'now');
    expect(r.current?.spec.revision).toBe(2);
    expect(r.previous.map((s) => s.spec.revision)).toEqual([1]);
    expect(splitRevisions([set(1, { hash: 'now' }), set(2)], 'now').current).toBeUndefined();
  });
});

describe('archival candidates (§3.2 step 6)', () => {
  it('everything older than the newest Available revision', () => {
    const c = archiveCandidates([
      set(1, { conds: { Available: 'True' } }),
      set(2),
      set(3, { conds: { Available: 'True' } }),
      set(4),
    ]);
    expect(c.map((s) => s.spec.revision)).toEqual([1, 2]);
  });
  it('without an Available one: an older revision that controls none of the newer objects and is not Available', () => {
    const c = archiveCandidates([
      set(1, { controls: ['a'] }),
      set(2, { controls: [], objects: ['a'] }),
      set(3, { objects: ['b'] }),
    ]);
    expect(c.map((s) => s.spec.revision)).toEqual([2]);
  });
  it('never an archived one or one that does not report what it controls', () => {
    expect(
      archiveCandidates([set(1, { state: 'Archived', conds: {} }), set(2, { conds: { Available: 'True' } })]),
    ).toEqual([]);
    expect(archiveCandidates([set(1), set(2)])).toEqual([]);
  });
});

describe('ObjectDeployment conditions (§3.5)', () => {
  it('no current revision: progressing, Available from a previous one', () => {
    const t = deploymentConditions({
      current: undefined,
      previous: [set(1, { conds: { Available: 'True' } })],
    });
    expect(t.set).toEqual([
      {
        type: 'Progressing',
        status: 'True',
        reason: 'Progressing',
        message: 'Progressing to a new ObjectSet.',
      },
      {
        type: 'Available',
        status: 'True',
        reason: 'Available',
        message: "Previous Revision 'od-1' is still Available.",
      },
    ]);
  });
  it('current unavailable: its message, and no ObjectSet available', () => {
    const t = deploymentConditions({ current: set(2, { conds: { Available: 'False' } }), previous: [] });
    expect(t.set).toEqual([
      {
        type: 'Progressing',
        status: 'True',
        reason: 'LatestRevisionPendingSuccess',
        message: 'Latest Revision is Unavailable: Available message of 2',
      },
      {
        type: 'Available',
        status: 'False',
        reason: 'ObjectSetUnready',
        message: 'No ObjectSet is available.',
      },
    ]);
  });
  it('current available, not yet succeeded', () => {
    expect(
      deploymentConditions({ current: set(2, { conds: { Available: 'True' } }), previous: [] }).set,
    ).toEqual([
      {
        type: 'Progressing',
        status: 'True',
        reason: 'LatestRevisionPendingSuccess',
        message: 'Latest Revision is Available: pending success delay period',
      },
    ]);
  });
  it('succeeded and available, paused: Idle, Available and Paused; controllerOf reported', () => {
    const t = deploymentConditions({
      current: set(2, { conds: { Available: 'True', Succeeded: 'True', Paused: 'True' } }),
      previous: [],
    });
    expect(t.set).toEqual([
      { type: 'Progressing', status: 'False', reason: 'Idle', message: 'Update concluded.' },
      { type: 'Available', status: 'True', reason: 'Available', message: 'Latest Revision is Available.' },
      {
        type: 'Paused',
        status: 'True',
        reason: 'Paused',
        message: 'Latest revision is paused: Paused message of 2',
      },
    ]);
    expect(t.reportControllerOf).toBe(true);
  });
  it('paused in the middle of a rollout: Paused reported too (Gantry, unlike PKO HEAD)', () => {
    const t = deploymentConditions({
      current: set(2, { conds: { Available: 'False', Paused: 'True' } }),
      previous: [set(1, { conds: { Available: 'True', Succeeded: 'True' } })],
    });
    expect(t.set).toEqual([
      {
        type: 'Progressing',
        status: 'True',
        reason: 'LatestRevisionPendingSuccess',
        message: 'Latest Revision is Unavailable: Available message of 2',
      },
      {
        type: 'Available',
        status: 'True',
        reason: 'Available',
        message: "Previous Revision 'od-1' is still Available.",
      },
      {
        type: 'Paused',
        status: 'True',
        reason: 'Paused',
        message: 'Latest revision is paused: Paused message of 2',
      },
    ]);
    expect(t.remove).toEqual([]);
    expect(t.reportControllerOf).toBe(false);
  });
});
