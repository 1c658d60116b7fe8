/**
 * The first run's build plan (which units, which lanes, how long) and how its progress reads on a terminal and in
 * a log.
 */
import { describe, expect, it } from 'vitest';
import { COLD_ESTIMATE_MS, formatDuration, planBuild } from '../../devenv/build-plan.js';
import { buildProgress, planText, statusLine } from '../../devenv/build-progress.js';

const demo = [
  'etcd',
  'kube-apiserver',
  'kubectl',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'registry',
] as const;

describe('planBuild', () => {
  it('builds the Kubernetes commands in one unit and the other modules beside them', () => {
    const plan = planBuild(demo);
    expect(plan.units.map((u) => [u.id, u.lane])).toEqual([
      ['kube-apiserver+kube-controller-manager+kube-scheduler+kubectl', 0],
      ['etcd', 1],
      ['kwok', 1],
      ['registry', 1],
    ]);
    const kube =
      COLD_ESTIMATE_MS['kube-apiserver'] +
      COLD_ESTIMATE_MS['kube-controller-manager'] +
      COLD_ESTIMATE_MS['kube-scheduler'] +
      COLD_ESTIMATE_MS.kubectl;
    expect(plan.units[0]?.expectedMs).toBe(kube);
    expect(plan.units.every((u) => !u.measured)).toBe(true);
    // The second lane shares the cores with the first: about half of it adds to the whole.
    const rest = COLD_ESTIMATE_MS.etcd + COLD_ESTIMATE_MS.kwok + COLD_ESTIMATE_MS.registry;
    expect(plan.expectedMs).toBe(kube + rest / 2);
  });

  it('takes the expected time of a unit from the last measured build of it', () => {
    const plan = planBuild(['etcd', 'kwok'], { etcd: 42_000 });
    expect(plan.units.map((u) => [u.id, u.lane, u.expectedMs, u.measured])).toEqual([
      ['etcd', 0, 42_000, true],
      ['kwok', 0, COLD_ESTIMATE_MS.kwok, false],
    ]);
    expect(plan.expectedMs).toBe(42_000 + COLD_ESTIMATE_MS.kwok);
  });

  it('ignores recorded durations that are not positive numbers', () => {
    const plan = planBuild(['etcd'], { etcd: -1 });
    expect(plan.units[0]).toMatchObject({ expectedMs: COLD_ESTIMATE_MS.etcd, measured: false });
  });

  it('has the old shape for the benchmark: one build per binary, one lane', () => {
    const plan = planBuild(demo, {}, { grouped: false, twoLanes: false });
    expect(plan.units.map((u) => u.id)).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kubectl',
      'kwok',
      'registry',
    ]);
    expect(plan.units.every((u) => u.lane === 0)).toBe(true);
  });

  it('plans nothing when nothing is missing', () => {
    expect(planBuild([])).toEqual({ units: [], expectedMs: 0 });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [42_400, '42 s'],
    [365_000, '6 min 05 s'],
    [3_725_000, '1 h 02 min'],
  ])('%i ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('build progress', () => {
  const plan = planBuild(['etcd', 'kube-apiserver'], { etcd: 61_000 });

  it('says once what will be built and how long it should take', () => {
    expect(planText(plan)).toBe(
      [
        `First-time set-up: building 2 steps from Go modules, expected to take ${formatDuration(COLD_ESTIMATE_MS['kube-apiserver'] + 61_000 / 2)} in all (cached afterwards in ~/.cache/gantry):`,
        `  1. kube-apiserver (about ${formatDuration(COLD_ESTIMATE_MS['kube-apiserver'])})`,
        '  2. etcd (last build took 1 min 01 s)',
        '',
      ].join('\n'),
    );
  });

  it('writes one line per step start and end when not on a terminal', () => {
    let now = 1_000;
    let out = '';
    const p = buildProgress({ write: (t) => (out += t), isTTY: false, now: () => now });
    p.planned(plan);
    const [kube, etcd] = plan.units;
    if (kube === undefined || etcd === undefined) throw new Error('two units expected');
    p.started(kube);
    p.started(etcd);
    now += 59_000;
    p.finished(etcd, 59_000);
    now += 300_000;
    p.finished(kube, 359_000);
    p.done();
    expect(out.slice(planText(plan).length)).toBe(
      [
        `[1/2] building kube-apiserver (about ${formatDuration(COLD_ESTIMATE_MS['kube-apiserver'])}) …`,
        '[2/2] building etcd (last build 1 min 01 s) …',
        '[2/2] built etcd in 59 s (59 s since the start)',
        '[1/2] built kube-apiserver in 5 min 59 s (5 min 59 s since the start)',
        '',
      ].join('\n'),
    );
    expect(out).not.toContain('\r');
  });

  it('rewrites one status line on a terminal and clears it before a finished step is printed', () => {
    let now = 0;
    let out = '';
    const p = buildProgress({ write: (t) => (out += t), isTTY: true, now: () => now, intervalMs: 60_000 });
    p.planned(plan);
    const [kube] = plan.units;
    if (kube === undefined) throw new Error('a unit expected');
    p.started(kube);
    expect(out.slice(planText(plan).length)).toBe(
      `\r\x1b[2Kbuilding: [1/2] kube-apiserver 0 s of ~${formatDuration(COLD_ESTIMATE_MS['kube-apiserver'])} (0/2 done, 0 s of ~${formatDuration(plan.expectedMs)})`,
    );
    now = 125_000;
    out = '';
    p.finished(kube, 125_000);
    p.done();
    expect(out).toBe('\r\x1b[2K[1/2] built kube-apiserver in 2 min 05 s (2 min 05 s since the start)\n');
  });

  it('lists every unit running at once in the status line', () => {
    const [kube, etcd] = plan.units;
    if (kube === undefined || etcd === undefined) throw new Error('two units expected');
    const running = new Map([
      [kube, 0],
      [etcd, 30_000],
    ]);
    expect(statusLine(plan, running, 0, 0, 90_000)).toBe(
      `building: [1/2] kube-apiserver 1 min 30 s of ~${formatDuration(COLD_ESTIMATE_MS['kube-apiserver'])} · [2/2] etcd 1 min 00 s of ~1 min 01 s (0/2 done, 1 min 30 s of ~${formatDuration(plan.expectedMs)})`,
    );
  });
});
