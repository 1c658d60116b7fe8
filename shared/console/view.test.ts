import { describe, expect, it } from 'vitest';
import { objectSetSchema, packageSchema, parseResource } from '../api/resources.js';
import {
  age,
  currentSet,
  filterPackages,
  packageState,
  packageSummary,
  pipelineOf,
  revisionViews,
  type PackageSummary,
  type PhaseObjects,
} from './view.js';

function pkg(conditions: object[], extra: { spec?: object; annotations?: Record<string, string> } = {}) {
  return parseResource(packageSchema, {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: {
      name: 'shop',
      namespace: 'prod',
      generation: 2,
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...(extra.annotations !== undefined ? { annotations: extra.annotations } : {}),
    },
    spec: { image: 'reg/shop:v1', ...extra.spec },
    status: { conditions, revision: 3 },
  });
}

const cond = (type: string, status: string, reason = 'R', message = 'M', observedGeneration = 2) => ({
  type,
  status,
  reason,
  message,
  observedGeneration,
  lastTransitionTime: '2026-01-01T00:00:05Z',
});

describe('packageState', () => {
  it.each([
    [
      'Paused first',
      [cond('Paused', 'True', 'Paused', 'p'), cond('Invalid', 'True')],
      'Paused',
      'Paused',
      'p',
    ],
    [
      'Invalid',
      [cond('Invalid', 'True', 'LoadError', 'bad'), cond('Unpacked', 'True')],
      'Invalid',
      'LoadError',
      'bad',
    ],
    [
      'pull failure',
      [cond('Unpacked', 'False', 'ImagePullBackOff', 'no such image')],
      'Failing',
      'ImagePullBackOff',
      'no such image',
    ],
    ['no Unpacked yet', [], 'Unpacking', '', ''],
    [
      'progressing',
      [
        cond('Unpacked', 'True'),
        cond('Progressing', 'True', 'LatestRevisionPendingSuccess', 'x'),
        cond('Available', 'False'),
      ],
      'Progressing',
      'LatestRevisionPendingSuccess',
      'x',
    ],
    [
      'available',
      [
        cond('Unpacked', 'True'),
        cond('Progressing', 'False', 'Idle', 'Update concluded.'),
        cond('Available', 'True', 'Available', 'ok'),
      ],
      'Available',
      'Available',
      'ok',
    ],
    [
      'unavailable and not moving',
      [
        cond('Unpacked', 'True'),
        cond('Progressing', 'False'),
        cond('Available', 'False', 'ProbeFailure', 'down'),
      ],
      'Failing',
      'ProbeFailure',
      'down',
    ],
    [
      'a stale Available says nothing',
      [cond('Unpacked', 'True'), cond('Available', 'True', 'A', 'old', 1)],
      'Unknown',
      '',
      '',
    ],
    [
      'Unpacked of an earlier generation still counts (a pause does not unpack again)',
      [cond('Unpacked', 'True', 'UnpackSuccess', 'u', 1), cond('Available', 'True', 'Available', 'ok')],
      'Available',
      'Available',
      'ok',
    ],
  ])('%s', (_name, conditions, state, reason, message) => {
    expect(packageState(pkg(conditions))).toEqual({ state, reason, message });
  });

  it('a Package paused in its spec, before the engine has said so, shows its pause message', () => {
    expect(
      packageState(
        pkg([], { spec: { paused: true }, annotations: { 'package-operator.run/pause-message': 'freeze' } }),
      ),
    ).toEqual({ state: 'Paused', reason: 'Paused', message: 'freeze' });
  });
});

describe('packageSummary and filters', () => {
  const row = packageSummary(pkg([cond('Unpacked', 'True'), cond('Available', 'True', 'Available', 'ok')]));
  it('is the list row', () => {
    expect(row).toEqual({
      key: 'Package/prod/shop',
      kind: 'Package',
      namespace: 'prod',
      name: 'shop',
      state: 'Available',
      reason: 'Available',
      message: 'ok',
      image: 'reg/shop:v1',
      revision: 3,
      created: '2026-01-01T00:00:00Z',
    });
  });
  const other: PackageSummary = {
    ...row,
    key: 'Package/dev/api',
    namespace: 'dev',
    name: 'api',
    state: 'Failing',
    image: 'reg/api:v2',
  };
  const third: PackageSummary = { ...row, key: 'Package/dev/db', namespace: 'dev', name: 'db' };
  it('filters by namespace, state and text, sorted by namespace and name', () => {
    expect(
      filterPackages([row, other, third], { namespace: '', state: '', text: '' }).map((r) => r.key),
    ).toEqual(['Package/dev/api', 'Package/dev/db', 'Package/prod/shop']);
    expect(
      filterPackages([row, other, third], { namespace: 'dev', state: '', text: '' }).map((r) => r.key),
    ).toEqual(['Package/dev/api', 'Package/dev/db']);
    expect(
      filterPackages([row, other, third], { namespace: '', state: 'Failing', text: '' }).map((r) => r.key),
    ).toEqual(['Package/dev/api']);
    expect(
      filterPackages([row, other, third], { namespace: '', state: '', text: ' API:V2 ' }).map((r) => r.key),
    ).toEqual(['Package/dev/api']);
  });
  it('prints ages as kubectl does', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    expect(['', 'x'].map((c) => age(c, t0))).toEqual(['', '']);
    expect(
      [59, 119, 120, 7199, 7200, 172_799, 172_800].map((s) => age('2026-01-01T00:00:00Z', t0 + s * 1000)),
    ).toEqual(['59s', '119s', '2m', '119m', '2h', '47h', '2d']);
  });
});

function set(conditions: object[], progressPhase?: string, lifecycleState = 'Active', revision = 2) {
  return parseResource(objectSetSchema, {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'ObjectSet',
    metadata: {
      name: `shop-${revision}`,
      namespace: 'prod',
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:01Z',
      annotations: { 'kubernetes.io/change-cause': 'Package config changed.' },
    },
    spec: { phases: [], lifecycleState, revision },
    status: {
      conditions,
      revision,
      ...(progressPhase !== undefined ? { progress: { phase: progressPhase } } : {}),
    },
  });
}

const cm = (name: string, namespace?: string) => ({
  object: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
  },
});
const deploy = (name: string) => ({
  object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name } },
});
const PHASES: PhaseObjects[] = [
  { name: 'config', objects: [cm('settings')] },
  { name: 'deploy', objects: [cm('gate'), deploy('web'), cm('other')] },
  { name: 'post', objects: [cm('done')] },
];

describe('pipelineOf', () => {
  it('all phases done once the revision is Available', () => {
    const p = pipelineOf(
      set([cond('Available', 'True', 'Available', 'Object is available and passes all probes.', 1)]),
      PHASES,
    );
    expect(p.waiting).toBeUndefined();
    expect(p.phases.map((x) => [x.name, x.status, x.objects.map((o) => o.status)])).toEqual([
      ['config', 'Done', ['Passed']],
      ['deploy', 'Done', ['Passed', 'Passed', 'Passed']],
      ['post', 'Done', ['Passed']],
    ]);
  });

  it('a failing probe: earlier phases done, the named objects failing with their messages, later ones pending', () => {
    const message =
      'Phase "deploy" failed:  ConfigMap prod/gate: gate is not open, apps Deployment prod/web: .status.condition["Available"] is False';
    const p = pipelineOf(set([cond('Available', 'False', 'ProbeFailure', message, 1)], 'deploy'), PHASES);
    expect(p.phases.map((x) => [x.name, x.status])).toEqual([
      ['config', 'Done'],
      ['deploy', 'Failing'],
      ['post', 'Pending'],
    ]);
    expect(p.phases[1]?.objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'prod',
        name: 'gate',
        status: 'Failing',
        message: 'gate is not open',
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'prod',
        name: 'web',
        status: 'Failing',
        message: '.status.condition["Available"] is False',
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'prod',
        name: 'other',
        status: 'Passed',
        message: '',
      },
    ]);
    expect(p.waiting).toEqual({
      phase: 'deploy',
      object: 'ConfigMap prod/gate',
      reason: 'ProbeFailure',
      message: 'gate is not open',
      since: '2026-01-01T00:00:05Z',
    });
  });

  it('a collision names no phase: the phase holding the object named', () => {
    const message =
      'object /other kind:ConfigMap: refusing adoption, object /v1, Kind=ConfigMap prod/other not owned by previous revision';
    const p = pipelineOf(set([cond('Available', 'False', 'CollisionDetected', message, 1)]), PHASES);
    expect(p.phases.map((x) => x.status)).toEqual(['Done', 'Failing', 'Pending']);
    expect(p.waiting).toEqual({
      phase: 'deploy',
      object: 'ConfigMap prod/other',
      reason: 'CollisionDetected',
      message: 'refusing adoption, object /v1, Kind=ConfigMap prod/other not owned by previous revision',
      since: '2026-01-01T00:00:05Z',
    });
  });

  it('a preflight error names the phase and the object by its group kind', () => {
    const message = 'Phase "deploy", Deployment.apps prod/web: admission webhook denied';
    const p = pipelineOf(set([cond('Available', 'False', 'PreflightError', message, 1)]), PHASES);
    expect(p.phases[1]?.objects.map((o) => [o.name, o.status, o.message])).toEqual([
      ['gate', 'Passed', ''],
      ['web', 'Failing', 'admission webhook denied'],
      ['other', 'Passed', ''],
    ]);
  });

  it('without an Available condition yet, the first phase is active', () => {
    const p = pipelineOf(set([]), PHASES);
    expect(p.phases.map((x) => x.status)).toEqual(['Active', 'Pending', 'Pending']);
    expect(p.phases[0]?.objects.map((o) => o.status)).toEqual(['Pending']);
    expect(p.waiting).toEqual({
      phase: 'config',
      object: '',
      reason: '',
      message: '',
      since: '2026-01-01T00:00:01Z',
    });
  });
});

describe('revisions', () => {
  it('newest first; the current set is the newest not archived', () => {
    const sets = [
      set([cond('Succeeded', 'True', 'RolloutSuccess', 's', 1)], undefined, 'Archived', 1),
      set(
        [cond('Available', 'True', 'Available', 'a', 1), cond('Succeeded', 'True', 'RolloutSuccess', 's', 1)],
        undefined,
        'Active',
        2,
      ),
      set([cond('Available', 'False', 'ProbeFailure', 'f', 1)], undefined, 'Active', 3),
    ];
    expect(
      revisionViews(sets).map((r) => [
        r.revision,
        r.name,
        r.lifecycleState,
        r.successful,
        r.available,
        r.changeCause,
      ]),
    ).toEqual([
      [3, 'shop-3', 'Active', false, false, 'Package config changed.'],
      [2, 'shop-2', 'Active', true, true, 'Package config changed.'],
      [1, 'shop-1', 'Archived', true, false, 'Package config changed.'],
    ]);
    expect(currentSet(sets)?.metadata.name).toBe('shop-3');
    expect(currentSet([sets[0]!])).toBeUndefined();
  });
});
