/**
 * Day-2 commands against the real control plane (issue 11 §3–4): `rollout history` (PKO's table, `-o`,
 * `--revision`, errors), `rollout undo` (Gantry's own), `pause` / `unpause` during a rollout, `clustertree`. The CLI
 * runs in-process through `runGantry` with `$KUBECONFIG` set as a user has it, and as a process (`gantry` bin).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { API_VERSION } from '../../shared/api/constants.js';
import type { KubeObject } from '../../shared/ports.js';
import { runGantry, type CliResult } from '../run-cli.js';
import { conditions, eventually, manifest, pkgRef, pushPackage, useEngine } from './setup/engine.js';
import { gatedPackage } from './setup/gated-package.js';

const suite = useEngine();

function gantry(args: readonly string[]): Promise<CliResult> {
  return runGantry(args, { cwd: process.cwd(), env: { KUBECONFIG: inject('kube').kubeconfigPath } });
}

/** `gantry` as a process (the bin, as a user runs it), with `--kubeconfig`. */
function gantryProcess(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '..', '..', 'bin', 'gantry.mjs'), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KUBECONFIG: '/nonexistent' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const FILES = gatedPackage('day2');

async function install(ns: string, image: string, config: Record<string, string>): Promise<void> {
  await suite.kube().create({
    apiVersion: API_VERSION,
    kind: 'Package',
    metadata: { name: 'app', namespace: ns },
    spec: { image, config },
  });
}

async function setConfig(ns: string, config: Record<string, string>): Promise<void> {
  const pkg = await suite.kube().get(pkgRef(ns, 'app'));
  const spec = pkg['spec'] as Record<string, unknown>;
  await suite.kube().update({ ...pkg, spec: { ...spec, config } });
}

function revisionOf(o: KubeObject): number {
  const status = o['status'] as { revision?: number } | undefined;
  return status?.revision ?? 0;
}

/** Wait until the Package reports revision `n`, Available and not Progressing. */
async function settled(ns: string, n: number): Promise<void> {
  await eventually(`revision ${n} Available and idle`, async () => {
    const pkg = await suite.kube().get(pkgRef(ns, 'app'));
    const c = conditions(pkg);
    return revisionOf(pkg) === n && c['Available']?.status === 'True' && c['Progressing']?.status === 'False'
      ? true
      : undefined;
  });
}

async function data(ns: string, name: string): Promise<unknown> {
  const cm = await suite.kube().get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
  return cm['data'];
}

describe('rollout history and undo', () => {
  it('undoes to revision 1 after two upgrades; history shows all four revisions', async () => {
    const ns = await suite.namespace('day2-undo');
    const image = await pushPackage('day2-undo', FILES);
    await install(ns, image, { v: 'one' });
    await settled(ns, 1);
    await setConfig(ns, { v: 'two' });
    await settled(ns, 2);
    await setConfig(ns, { v: 'three' });
    await settled(ns, 3);
    expect(await data(ns, 'settings')).toEqual({ v: 'three' });

    const undo = await gantry(['rollout', 'undo', 'package/app', '-n', ns, '--to-revision', '1']);
    expect(undo).toEqual({ code: 0, stdout: 'package/app rolled back to revision 1\n', stderr: '' });
    // undo waited for the new revision: it is there and Available when the command returns
    const pkg = await suite.kube().get(pkgRef(ns, 'app'));
    expect(revisionOf(pkg)).toBe(4);
    expect(conditions(pkg)['Available']?.status).toBe('True');
    expect(pkg['spec']).toEqual({ image, config: { v: 'one' } });
    expect(await data(ns, 'settings')).toEqual({ v: 'one' });

    const history = await gantry(['rollout', 'history', 'package/app', '-n', ns]);
    expect(history).toEqual({
      code: 0,
      stdout: [
        'REVISION  SUCCESSFUL  CHANGE-CAUSE              ',
        '1         true        Installing day2 package.  ',
        '2         true        Package config changed.   ',
        '3         true        Package config changed.   ',
        '4         true        Rolled back to revision 1.',
        '',
        '',
      ].join('\n'),
      stderr: '',
    });
    // the same through the ObjectDeployment, with `kind name` arguments
    expect((await gantry(['rollout', 'history', 'objectdeployment', 'app', '-n', ns])).stdout).toBe(
      history.stdout,
    );

    // default: undo goes to the revision before the current one (3: config "three")
    const back = await gantry(['rollout', 'undo', 'package', 'app', '-n', ns]);
    expect(back).toEqual({ code: 0, stdout: 'package/app rolled back to revision 3\n', stderr: '' });
    expect(await data(ns, 'settings')).toEqual({ v: 'three' });
    const revision5 = (output: string): Promise<CliResult> =>
      gantry(['rollout', 'history', 'package/app', '-n', ns, '--revision', '5', '-o', output]);
    const five = await revision5('json');
    expect(five.code).toBe(0);
    const set = JSON.parse(five.stdout) as KubeObject;
    expect(Object.keys(set).slice(0, 3)).toEqual(['kind', 'apiVersion', 'metadata']);
    expect(set.metadata.annotations).toMatchObject({
      'kubernetes.io/change-cause': 'Rolled back to revision 3.',
      'package-operator.run/package-config': '{"v":"three"}',
      'package-operator.run/package-source-image': image,
    });

    // -o yaml as PKO writes it: managedFields' `.` keys plain (`.: {}`), never quoted
    const yaml = await revision5('yaml');
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/^ +\.: \{\}$/m);
    expect(yaml.stdout).not.toContain('".":');

    // a later ordinary change says what PKO says again
    await setConfig(ns, { v: 'six' });
    await settled(ns, 6);
    const last = await gantry(['rollout', 'history', 'package/app', '-n', ns]);
    expect(last.stdout.split('\n').slice(-3)).toEqual([
      '6         true        Package config changed.   ',
      '',
      '',
    ]);
  });

  it("says PKO's errors, exit 1", async () => {
    const ns = await suite.namespace('day2-errors');
    const cases: [readonly string[], string][] = [
      [['rollout', 'history', 'foo/app', '-n', ns], 'Error: invalid resource type\n'],
      [
        ['rollout', 'history', 'app', '-n', ns],
        'Error: arguments invalid: arguments in resource/name form must have a single resource and name\n',
      ],
      [['rollout', 'history', 'a', 'b', 'c'], 'Error: accepts between 1 and 2 arg(s), received 3\n'],
      [
        ['rollout', 'history', 'package/nope', '-n', ns],
        'Error: getting resource package/nope: getting package object: packages.package-operator.run "nope" not found\n',
      ],
      [
        ['rollout', 'history', 'clusterobjectdeployment/nope'],
        'Error: getting resource clusterobjectdeployment/nope: getting objectdeployment object: clusterobjectdeployments.package-operator.run "nope" not found\n',
      ],
      [
        ['pause', 'foo/app', '-n', ns],
        'Error: invalid resource name: expected `clusterpackage`/`package`, got `foo`\n',
      ],
      [
        ['pause', 'package', 'nope', '-n', ns],
        'Error: getting package object: packages.package-operator.run "nope" not found\n',
      ],
      [['clustertree', 'package/app'], 'Error: --namespace is required as its a namespaced Resource type\n'],
      [['clustertree', 'objectset/app', '-n', ns], 'Error: invalid resource type\n'],
      [
        ['clustertree', 'clusterpackage/nope'],
        'Error: getting package object: clusterpackages.package-operator.run "nope" not found\n',
      ],
    ];
    for (const [args, stderr] of cases) expect(await gantry(args)).toEqual({ code: 1, stdout: '', stderr });

    // a Package that never reports Paused (its image cannot be pulled): PKO's waiter message, after --timeout
    await suite.kube().create({
      apiVersion: API_VERSION,
      kind: 'Package',
      metadata: { name: 'stuck', namespace: ns },
      spec: { image: 'localhost:1/nowhere/nothing:v1' },
    });
    expect(await gantry(['pause', 'package/stuck', '-n', ns, '--timeout', '2'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: timeout waiting 2s on package-operator.run/v1alpha1, Kind=Package ${ns}/stuck to report condition "Paused"="True": context deadline exceeded \n`,
    });
    const stuck = await suite.kube().get(pkgRef(ns, 'stuck'));
    expect(stuck['spec']).toEqual({ image: 'localhost:1/nowhere/nothing:v1', paused: true });
    expect(stuck.metadata.annotations).toEqual({ 'package-operator.run/pause-message': '' });
  });
});

describe('pause, unpause and clustertree', () => {
  it('pauses a rollout in the middle, holds it while paused, and lets it go on unpause', async () => {
    const ns = await suite.namespace('day2-pause');
    const image = await pushPackage('day2-pause', FILES);
    await install(ns, image, { v: 'one' });
    await settled(ns, 1);

    const tree = await gantryProcess([
      'clustertree',
      'package',
      'app',
      '-n',
      ns,
      '--kubeconfig',
      inject('kube').kubeconfigPath,
    ]);
    expect(tree).toEqual({
      code: 0,
      stdout: [
        'Package /app',
        `namespace/${ns}`,
        '└── Phase config',
        '│   ├── /v1, Kind=ConfigMap /settings',
        '└── Phase deploy',
        '    └── /v1, Kind=ConfigMap /gate',
        '',
      ].join('\n'),
      stderr: '',
    });

    // revision 2 closes the gate: its rollout stops at phase deploy
    await setConfig(ns, { v: 'two', ready: 'no' });
    await eventually('revision 2 stuck at the gate', async () => {
      const c = conditions(await suite.kube().get(pkgRef(ns, 'app')));
      return c['Progressing']?.reason === 'LatestRevisionPendingSuccess' &&
        c['Progressing'].message.includes('gate is not open')
        ? true
        : undefined;
    });

    const paused = await gantry(['pause', 'package/app', '-n', ns, '-m', 'investigating the gate']);
    expect(paused).toEqual({ code: 0, stdout: '', stderr: '' });
    const pkg = await suite.kube().get(pkgRef(ns, 'app'));
    expect(pkg.metadata.annotations?.['package-operator.run/pause-message']).toBe('investigating the gate');
    expect(conditions(pkg)['Paused']).toEqual({
      status: 'True',
      reason: 'Paused',
      message: 'Latest revision is paused: Lifecycle state set to paused.',
    });
    const sets = await suite.kube().list(API_VERSION, 'ObjectSet', ns);
    const states = sets
      .map((s) => [
        (s['spec'] as { revision: number }).revision,
        (s['spec'] as { lifecycleState: string }).lifecycleState,
      ])
      .sort();
    expect(states).toEqual([
      [1, 'Paused'],
      [2, 'Paused'],
    ]);

    // while paused: a config change makes no new revision, and drift is not corrected
    await setConfig(ns, { v: 'three', ready: 'yes' });
    await suite
      .kube()
      .mergePatch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' },
        { data: { v: 'by hand' } },
      );
    await new Promise((r) => setTimeout(r, 3000));
    expect(await data(ns, 'settings')).toEqual({ v: 'by hand' });
    expect((await suite.kube().list(API_VERSION, 'ObjectSet', ns)).length).toBe(2);

    const unpaused = await gantry(['unpause', 'package', 'app', '-n', ns]);
    expect(unpaused).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(
      (await suite.kube().get(pkgRef(ns, 'app'))).metadata.annotations?.[
        'package-operator.run/pause-message'
      ],
    ).toBeUndefined();
    await settled(ns, 3);
    expect(await data(ns, 'settings')).toEqual({ v: 'three' });
    const history = await gantry(['rollout', 'history', 'package/app', '-n', ns]);
    expect(history.stdout).toBe(
      [
        'REVISION  SUCCESSFUL  CHANGE-CAUSE            ',
        '1         true        Installing day2 package.',
        '2         false       Package config changed. ',
        '3         true        Package config changed. ',
        '',
        '',
      ].join('\n'),
    );
  });

  it('works for a ClusterPackage: clustertree, pause, unpause, history', async () => {
    const ns = await suite.namespace('day2-cluster');
    const name = `${ns}-cp`;
    const image = await pushPackage('day2-cluster', {
      'manifest.yaml': manifest('clustered', ['only'], '', '[Cluster]'),
      'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  namespace: ${ns}
  annotations:
    package-operator.run/phase: only
data: {k: v}
`,
    });
    const ref = { apiVersion: API_VERSION, kind: 'ClusterPackage', namespace: '', name };
    await suite
      .kube()
      .create({ apiVersion: API_VERSION, kind: 'ClusterPackage', metadata: { name }, spec: { image } });
    try {
      await eventually('ClusterPackage Available', async () =>
        conditions(await suite.kube().get(ref))['Available']?.status === 'True' ? true : undefined,
      );
      expect(await gantry(['clustertree', `clusterpackage/${name}`])).toEqual({
        code: 0,
        stdout: [
          `ClusterPackage /${name}`,
          '└── Phase only',
          `    └── /v1, Kind=ConfigMap ${ns}/cm`,
          '',
        ].join('\n'),
        stderr: '',
      });
      expect(await gantry(['pause', 'clusterpackage', name, '-m', 'maintenance'])).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
      expect(conditions(await suite.kube().get(ref))['Paused']?.status).toBe('True');
      expect(await gantry(['unpause', `ClusterPackage/${name}`])).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
      expect((await suite.kube().get(ref)).metadata.annotations).toBeUndefined();
      expect(await gantry(['rollout', 'history', `clusterpackage/${name}`])).toEqual({
        code: 0,
        stdout: [
          'REVISION  SUCCESSFUL  CHANGE-CAUSE                 ',
          '1         true        Installing clustered package.',
          '',
          '',
        ].join('\n'),
        stderr: '',
      });
    } finally {
      await suite.kube().delete(ref);
    }
  });
});
