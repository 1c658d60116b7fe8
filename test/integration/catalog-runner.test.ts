/**
 * The package catalog under `gantry run`'s runner (watches, no registry notifications): a PackageRepository is
 * listed when it appears, and a Package that starts following it (or changes how) runs the repository's step at
 * once, so an automatic follower moves and a manual one gets its proposal without waiting for the interval.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeApi, KubeObject } from '../../shared/ports.js';
import { conditions, eventually, manifest, pkgRef, pushPackage, useEngine } from './setup/engine.js';

const suite = useEngine();
let kube: KubeApi;
beforeAll(() => {
  kube = suite.kube();
});

function files(value: string): Record<string, string> {
  return {
    'manifest.yaml': manifest('runner-app', ['only']),
    'cm.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .package.metadata.name }}-cm
  annotations:
    package-operator.run/phase: only
data:
  value: ${JSON.stringify(value)}
`,
  };
}

function follower(ns: string, name: string, approval: string, image: string): KubeObject {
  return {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: {
      name,
      namespace: ns,
      annotations: {
        'gantry.run/repository': 'apps',
        'gantry.run/version-range': '~1.0',
        'gantry.run/approval': approval,
      },
    },
    spec: { image },
  };
}

describe('the catalog under the runner', () => {
  it('moves an automatic follower and proposes to a manual one as soon as they follow', async () => {
    const ns = await suite.namespace('catalog-run');
    const name = `runner-app-${ns}`;
    for (const v of ['1.0.0', '1.0.1', '1.1.0']) await pushPackage(name, files(v), v);
    const repository = `${inject('registry').host}/engine-test/${name}`;
    await kube.create({
      apiVersion: 'gantry.run/v1alpha1',
      kind: 'PackageRepository',
      metadata: { name: 'apps', namespace: ns },
      spec: { image: repository, interval: '1h' },
    });
    await kube.create(follower(ns, 'auto', 'automatic', `${repository}:1.0.0`));
    await kube.create(follower(ns, 'manual', 'manual', `${repository}:1.0.0`));
    const auto = await eventually('auto on 1.0.1 and Available', async () => {
      const pkg = await kube.get(pkgRef(ns, 'auto'));
      const cm = await kube
        .get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'auto-cm' })
        .catch(() => undefined);
      return conditions(pkg)['Available']?.status === 'True' &&
        (cm?.['data'] as { value?: string } | undefined)?.value === '1.0.1'
        ? pkg
        : undefined;
    });
    expect((auto['spec'] as { image: string }).image).toMatch(
      new RegExp(`^${repository}@sha256:[0-9a-f]{64}$`),
    );
    const manual = await eventually('1.0.1 proposed to manual', async () => {
      const pkg = await kube.get(pkgRef(ns, 'manual'));
      return pkg.metadata.annotations?.['gantry.run/proposed-version'] === '1.0.1' ? pkg : undefined;
    });
    expect((manual['spec'] as { image: string }).image).toBe(`${repository}:1.0.0`);
    const repo = await kube.get({
      apiVersion: 'gantry.run/v1alpha1',
      kind: 'PackageRepository',
      namespace: ns,
      name: 'apps',
    });
    expect(conditions(repo)['Ready']).toMatchObject({
      status: 'True',
      reason: 'Listed',
      message: '3 versions, newest 1.1.0; 2 following Packages',
    });
  });
});
