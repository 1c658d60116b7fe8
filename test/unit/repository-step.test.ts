import { describe, expect, it } from 'vitest';
import { refOf } from '../../shared/api/objects.js';
import type { KubeObject, PulledPackage } from '../../shared/ports.js';
import { fakeStepDeps } from '../fakes/deps.js';
import { FakeKube } from '../fakes/kube.js';
import { reconcilePackageRepository } from '../../functions/steps/repository.js';
import { serializeRepositoryIndex } from '../../shared/packages/repository.js';

const REPO = 'reg.example/pkgs/app';
const enc = new TextEncoder();

function manifest(minimum: number): string {
  return `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: app
spec:
  scopes: [Namespaced]
  phases:
    - name: only
  config:
    openAPIV3Schema:
      type: object
      properties:
        replicas:
          type: integer
          minimum: ${minimum}
`;
}

/** A package whose config schema wants `replicas >= minimum`. */
function pulled(version: string, minimum = 1): PulledPackage {
  return {
    files: new Map([
      ['manifest.yaml', enc.encode(manifest(minimum))],
      [
        'cm.yaml',
        enc.encode(
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    package-operator.run/phase: only\ndata:\n  v: "${version}"\n`,
        ),
      ],
    ]),
    labels: {},
    resolved: `${REPO}@${digestOf(version)}`,
    digest: digestOf(version),
  };
}

function digestOf(version: string): string {
  return `sha256:${Buffer.from(version).toString('hex').padEnd(64, '0').slice(0, 64)}`;
}

const repository: KubeObject = {
  apiVersion: 'gantry.run/v1alpha1',
  kind: 'PackageRepository',
  metadata: { name: 'apps', namespace: 'ns', uid: 'u1', generation: 1 },
  spec: { image: REPO, interval: '5m' },
};

function follower(name: string, approval: string, image: string, replicas = 1): KubeObject {
  return {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: {
      name,
      namespace: 'ns',
      annotations: {
        'gantry.run/repository': 'apps',
        'gantry.run/version-range': '^1.0',
        'gantry.run/approval': approval,
      },
    },
    spec: { image, config: { replicas } },
  };
}

function setup(
  tags: () => string[],
  minimumOf: (v: string) => number = () => 1,
  spec: Record<string, unknown> = { image: REPO, interval: '5m' },
  index = '',
): { kube: FakeKube; run: () => ReturnType<typeof reconcilePackageRepository>; pulls: string[] } {
  const kube = new FakeKube();
  const repo = { ...repository, spec };
  kube.put(repo);
  const pulls: string[] = [];
  const deps = fakeStepDeps(kube, {
    images: {
      listTags: async () => Promise.resolve({ tags: tags(), truncated: false }),
      pullImageFiles: async () =>
        Promise.resolve({
          files: new Map([['repository/repository.yaml', enc.encode(index)]]),
          digest: digestOf('index'),
        }),
      resolveDigest: async (ref) => Promise.resolve(digestOf(ref.split(':').pop() ?? '')),
      pull: async (ref) => {
        pulls.push(ref);
        const version =
          [...Array(40).keys()].map((i) => `1.0.${i}`).find((v) => ref.endsWith(digestOf(v))) ?? '';
        return Promise.resolve(pulled(version, minimumOf(version)));
      },
    },
  });
  return {
    kube,
    pulls,
    run: async () => reconcilePackageRepository(await kube.get(refOf(repo)), deps),
  };
}

async function revisions(
  kube: FakeKube,
): Promise<Map<string, { lifecycle: string; validated?: string; message?: string }>> {
  const items = await kube.list('gantry.run/v1alpha1', 'PackageRevision', 'ns');
  return new Map(
    items.map((o) => {
      const spec = o['spec'] as { version: string; lifecycle: string };
      const c = (
        o['status'] as { conditions?: { type: string; status: string; message: string }[] } | undefined
      )?.conditions?.find((x) => x.type === 'Validated');
      return [
        spec.version,
        {
          lifecycle: spec.lifecycle,
          ...(c !== undefined ? { validated: c.status, message: c.message } : {}),
        },
      ];
    }),
  );
}

describe('the PackageRepository step', () => {
  it('creates at most 20 revisions and validates at most 3 per pass, and runs again at once while work is left', async () => {
    const tags = [...Array(25).keys()].map((i) => `1.0.${i}`).concat(['latest', 'not-semver']);
    const { kube, run, pulls } = setup(() => tags);
    const first = await run();
    expect(first).toMatchObject({ step: 'list', outcome: 'progressing', requeueAfterMs: 0 });
    expect((await revisions(kube)).size).toBe(20);
    expect(pulls).toHaveLength(3);
    for (let i = 0; i < 10; i++) await run();
    const all = await revisions(kube);
    expect(all.size).toBe(25);
    expect([...all.values()].every((r) => r.lifecycle === 'Published' && r.validated === 'True')).toBe(true);
    const done = await run();
    expect(done).toMatchObject({ outcome: 'done', requeueAfterMs: 300_000 });
    const ready = (
      done.status?.['conditions'] as { type: string; status: string; reason: string; message: string }[]
    )[0];
    expect(ready).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'Listed',
      message: '25 versions, newest 1.0.24; 0 following Packages',
    });
  });

  it('marks a version whose tag is gone DeletionProposed, and never moves a Package to it', async () => {
    let tags = ['1.0.0', '1.0.1'];
    const { kube, run } = setup(() => tags);
    await run();
    tags = ['1.0.0'];
    kube.put(follower('auto', 'automatic', `${REPO}:1.0.0`));
    await run();
    expect((await revisions(kube)).get('1.0.1')?.lifecycle).toBe('DeletionProposed');
    const pkg = await kube.get({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      namespace: 'ns',
      name: 'auto',
    });
    expect((pkg['spec'] as { image: string }).image).toBe(`${REPO}:1.0.0`);
  });

  it("refuses a version whose config schema rejects a follower's config, and moves or proposes the newest valid one", async () => {
    const { kube, run } = setup(
      () => ['1.0.0', '1.0.1', '1.0.2'],
      (v) => (v === '1.0.2' ? 5 : 1),
    );
    kube.put(follower('auto', 'automatic', `${REPO}:1.0.0`));
    kube.put(follower('manual', 'manual', `${REPO}:1.0.0`));
    await run();
    await run();
    const broken = (await revisions(kube)).get('1.0.2');
    expect(broken?.lifecycle).toBe('Draft');
    expect(broken?.validated).toBe('False');
    expect(broken?.message).toMatch(
      /^Package (auto|manual) would not render: .*replicas in body should be greater than or equal to 5/,
    );
    const get = async (name: string): Promise<KubeObject> =>
      kube.get({ apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace: 'ns', name });
    const auto = await get('auto');
    expect((auto['spec'] as { image: string }).image).toBe(`${REPO}@${digestOf('1.0.1')}`);
    expect(auto.metadata.annotations?.['gantry.run/version']).toBe('1.0.1');
    const manual = await get('manual');
    expect((manual['spec'] as { image: string }).image).toBe(`${REPO}:1.0.0`);
    expect(manual.metadata.annotations?.['gantry.run/proposed-version']).toBe('1.0.1');
    expect((await revisions(kube)).get('1.0.1')?.lifecycle).toBe('Proposed');
    expect((await revisions(kube)).get('1.0.0')?.lifecycle).toBe('Published');
  });

  it("takes the versions of one package from a PKO Repository index image, pinned to each entry's digest", async () => {
    const index = serializeRepositoryIndex({
      name: 'idx',
      entries: [
        { name: 'app', image: REPO, digest: digestOf('1.0.1').slice(7), versions: ['v1.0.1', 'v1.0.0'] },
        { name: 'other', image: 'reg.example/pkgs/other', digest: 'f'.repeat(64), versions: ['v9.0.0'] },
      ],
    });
    const { kube, run } = setup(
      () => [],
      () => 1,
      { index: 'reg.example/pkgs/index:latest', packageName: 'app' },
      index,
    );
    await run();
    const all = await revisions(kube);
    expect([...all.keys()].sort()).toEqual(['1.0.0', '1.0.1']);
    const items = await kube.list('gantry.run/v1alpha1', 'PackageRevision', 'ns');
    for (const item of items)
      expect((item['spec'] as { image: string }).image).toBe(`${REPO}@${digestOf('1.0.1')}`);
    expect(all.get('1.0.1')).toMatchObject({ lifecycle: 'Published', validated: 'True' });
  });

  it('refuses a spec that names both an image and an index, or an index without a package', async () => {
    const both = setup(
      () => [],
      () => 1,
      { image: REPO, index: 'reg.example/pkgs/index:latest' },
    );
    expect((await both.run()).error).toBe(
      'spec.image: name either image (an OCI repository) or index (a PKO Repository index image), not both',
    );
    const nameless = setup(
      () => [],
      () => 1,
      { index: 'reg.example/pkgs/index:latest' },
    );
    expect((await nameless.run()).error).toBe('spec.packageName: name the package of the index to follow');
  });
});
