/**
 * `gantry diff` against the real control plane (issue 11 §4, Gantry's own): a config change that alters one
 * Deployment field and drops one object prints exactly those two diffs and exits 1; no change exits 0 with no
 * output; errors exit 2. Nothing is changed on the cluster by a diff.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { API_VERSION } from '../../shared/api/constants.js';
import { runGantry, type CliResult } from '../run-cli.js';
import { conditions, eventually, manifest, pkgRef, pushPackage, useEngine } from './setup/engine.js';

const suite = useEngine();

function gantry(args: readonly string[], cwd = process.cwd()): Promise<CliResult> {
  return runGantry(args, { cwd, env: { KUBECONFIG: inject('kube').kubeconfigPath } });
}

const FILES = {
  'manifest.yaml': manifest(
    'shop',
    ['config', 'deploy'],
    `  config:
    openAPIV3Schema:
      type: object
      properties:
        replicas: {type: integer, default: 1}
        banner: {type: boolean, default: true}
`,
  ),
  'banner.yaml.gotmpl': `{{- if .config.banner }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: banner
  annotations:
    package-operator.run/phase: config
data:
  text: hello
{{- end }}
`,
  'secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: creds
  annotations:
    package-operator.run/phase: config
stringData:
  password: hunter2
`,
  'web.yaml.gotmpl': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    package-operator.run/phase: deploy
spec:
  replicas: {{ .config.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example/web:v1
`,
};

describe('gantry diff', () => {
  it('shows a changed Deployment field and a removed object (exit 1); no change exits 0', async () => {
    const ns = await suite.namespace('day2-diff');
    const image = await pushPackage('day2-diff', FILES);
    await suite.kube().create({
      apiVersion: API_VERSION,
      kind: 'Package',
      metadata: { name: 'shop', namespace: ns },
      spec: { image, config: { replicas: 1 } },
    });
    await eventually('installed', async () =>
      conditions(await suite.kube().get(pkgRef(ns, 'shop')))['Available']?.status === 'True'
        ? true
        : undefined,
    );

    const same = await gantry(['diff', 'package/shop', '-n', ns, '--insecure']);
    expect(same).toEqual({ code: 0, stdout: '', stderr: '' });

    const dir = await mkdtemp(join(tmpdir(), 'gantry-diff-'));
    await writeFile(join(dir, 'upgrade.yaml'), 'replicas: 3\nbanner: false\n');
    const changed = await gantry(
      ['diff', 'package', 'shop', '-n', ns, '--insecure', '--config-path', 'upgrade.yaml'],
      dir,
    );
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(1);
    // the Secret does not change: not shown
    expect(changed.stdout).not.toContain('Secret');
    const [set] = await suite.kube().list(API_VERSION, 'ObjectSet', ns);
    if (set === undefined) throw new Error('no ObjectSet');
    const deployment = changed.stdout.slice(0, changed.stdout.indexOf('--- live/v1.ConfigMap'));
    expect(deployment).toBe(
      [
        `--- live/apps.v1.Deployment.${ns}.web`,
        `+++ merged/apps.v1.Deployment.${ns}.web`,
        '@@ -19,7 +19,7 @@',
        `     uid: ${set.metadata.uid ?? ''}`,
        ' spec:',
        '   progressDeadlineSeconds: 600',
        '-  replicas: 1',
        '+  replicas: 3',
        '   revisionHistoryLimit: 10',
        '   selector:',
        '     matchLabels:',
        '',
      ].join('\n'),
    );
    const removed = changed.stdout.slice(changed.stdout.indexOf('--- live/v1.ConfigMap'));
    expect(removed).toBe(
      [
        `--- live/v1.ConfigMap.${ns}.banner`,
        `+++ merged/v1.ConfigMap.${ns}.banner`,
        '@@ -1,20 +0,0 @@',
        '-apiVersion: v1',
        '-data:',
        '-  text: hello',
        '-kind: ConfigMap',
        '-metadata:',
        '-  annotations:',
        '-    package-operator.run/revision: "1"',
        '-  labels:',
        '-    package-operator.run/cache: "True"',
        '-    package-operator.run/instance: shop',
        '-    package-operator.run/package: shop',
        '-  name: banner',
        `-  namespace: ${ns}`,
        '-  ownerReferences:',
        '-  - apiVersion: package-operator.run/v1alpha1',
        '-    blockOwnerDeletion: true',
        '-    controller: true',
        '-    kind: ObjectSet',
        `-    name: ${set.metadata.name}`,
        `-    uid: ${set.metadata.uid ?? ''}`,
        '',
      ].join('\n'),
    );

    // a diff changes nothing
    const pkg = await suite.kube().get(pkgRef(ns, 'shop'));
    expect(pkg['spec']).toEqual({ image, config: { replicas: 1 } });
    const banner = await suite
      .kube()
      .get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'banner' });
    expect(banner['data']).toEqual({ text: 'hello' });
    expect(await suite.kube().list(API_VERSION, 'ObjectSet', ns)).toHaveLength(1);
  });

  it('exits 2 with the error when it cannot diff', async () => {
    const ns = await suite.namespace('day2-diff-bad');
    expect(await gantry(['diff', 'package/nope', '-n', ns])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: getting package object: packages.package-operator.run "nope" not found\n',
    });
    expect(await gantry(['diff', 'objectset/nope', '-n', ns])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: invalid resource name: expected `clusterpackage`/`package`, got `objectset`\n',
    });
  });
});
