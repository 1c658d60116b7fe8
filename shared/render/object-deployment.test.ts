import { describe, expect, it } from 'vitest';
import type { ObjectSetObject } from '../api/generated/crds.js';
import type { RenderedPackage } from '../packages/render.js';
import { canonicalJson, computeHash, fnv32a, safeEncodeString } from './hash.js';
import { binpackNextFit, buildObjectDeployment, chunkSize, SLICE_BIN_BYTES } from './object-deployment.js';

const cm = (name: string, size = 10): ObjectSetObject => ({
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { x: 'y'.repeat(size) } },
});

function rendered(phases: { name: string; objects: ObjectSetObject[]; class?: string }[]): RenderedPackage {
  return {
    manifest: {
      apiVersion: 'manifests.package-operator.run/v1alpha1',
      kind: 'PackageManifest',
      metadata: { name: 'pkg' },
    },
    config: {},
    phases,
    availabilityProbes: [
      {
        probes: [{ condition: { type: 'Available' } }],
        selector: { kind: { group: 'apps', kind: 'Deployment' } },
      },
    ],
    files: new Map(),
    fixtureFiles: new Map(),
  };
}

const base = {
  packageKind: 'Package' as const,
  name: 'web',
  namespace: 'shop',
  image: 'img:v1',
  rawConfig: undefined,
};

describe('hash', () => {
  it('is FNV-1a 32', () => {
    expect(fnv32a(new TextEncoder().encode(''))).toBe(0x811c9dc5);
    expect(fnv32a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
  });

  it('SafeEncodes the decimal string like apimachinery', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    expect(computeHash({ a: 1 })).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{9,10}$/);
  });

  it('hashes canonical JSON: key order does not matter, the collision count does', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
    expect(computeHash({ b: 1, a: 2 })).toBe(computeHash({ a: 2, b: 1 }));
    expect(computeHash({ a: 1 }, 1)).not.toBe(computeHash({ a: 1 }));
  });
});

describe('buildObjectDeployment', () => {
  it('builds the ObjectDeployment PKO builds, with CRD defaults and empty phases dropped', () => {
    const { objectDeployment, slices } = buildObjectDeployment(
      rendered([
        { name: 'empty', objects: [] },
        { name: 'deploy', objects: [cm('a')] },
      ]),
      base,
    );
    expect(slices).toEqual([]);
    expect(objectDeployment).toEqual({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'ObjectDeployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        labels: { 'package-operator.run/package': 'pkg', 'package-operator.run/instance': 'web' },
        annotations: {
          'kubernetes.io/change-cause': 'Installing pkg package.',
          'package-operator.run/package-config': 'null',
          'package-operator.run/package-source-image': 'img:v1',
        },
      },
      spec: {
        revisionHistoryLimit: 10,
        selector: {
          matchLabels: { 'package-operator.run/package': 'pkg', 'package-operator.run/instance': 'web' },
        },
        template: {
          metadata: {
            labels: { 'package-operator.run/package': 'pkg', 'package-operator.run/instance': 'web' },
          },
          spec: {
            availabilityProbes: [
              {
                probes: [{ condition: { status: 'True', type: 'Available' } }],
                selector: { kind: { group: 'apps', kind: 'Deployment' } },
              },
            ],
            phases: [{ name: 'deploy', objects: [{ ...cm('a'), collisionProtection: 'Prevent' }] }],
          },
        },
      },
    });
  });

  it('makes a ClusterObjectDeployment without namespace for a ClusterPackage, with an owner reference', () => {
    const { objectDeployment } = buildObjectDeployment(
      rendered([{ name: 'p', objects: [cm('a')], class: 'hosted' }]),
      {
        ...base,
        packageKind: 'ClusterPackage',
        namespace: '',
        owner: { uid: 'u-1' },
        rawConfig: { b: 1, a: 2 },
      },
    );
    const meta = objectDeployment['metadata'] as Record<string, unknown>;
    expect(objectDeployment['kind']).toBe('ClusterObjectDeployment');
    expect(meta['namespace']).toBeUndefined();
    expect(meta['ownerReferences']).toEqual([
      {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'ClusterPackage',
        name: 'web',
        uid: 'u-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect((meta['annotations'] as Record<string, string>)['package-operator.run/package-config']).toBe(
      '{"a":2,"b":1}',
    );
    const phases = (objectDeployment['spec'] as { template: { spec: { phases: { class?: string }[] } } })
      .template.spec.phases;
    expect(phases[0]!.class).toBe('hosted');
  });

  it('keeps a given collision protection and condition mappings', () => {
    const o: ObjectSetObject = {
      ...cm('a'),
      collisionProtection: 'IfNoController',
      conditionMappings: [{ sourceType: 'Ready', destinationType: 'my.org/Ready' }],
    };
    const { objectDeployment } = buildObjectDeployment(rendered([{ name: 'p', objects: [o] }]), base);
    expect(JSON.stringify(objectDeployment)).toContain(
      '"collisionProtection":"IfNoController","conditionMappings":[{"sourceType":"Ready","destinationType":"my.org/Ready"}]',
    );
  });

  it("EachObject makes one slice per object, named <od>-<PKO's hash>, and the phase references them", () => {
    const { objectDeployment, slices } = buildObjectDeployment(
      rendered([{ name: 'p', objects: [cm('a'), cm('b')] }]),
      { ...base, chunkingStrategy: 'EachObject' },
    );
    expect(slices).toHaveLength(2);
    const names = slices.map((s) => (s['metadata'] as { name: string }).name);
    // PKO v1.19.0's names for these objects (scripts/pko-hash-oracle): of the objects as rendered, before the
    // API's defaults; the slices hold them with the defaults.
    expect(names).toEqual(['web-84c68d6b64', 'web-65574f44c9']);
    expect((slices[0]!['objects'] as unknown[])[0]).toEqual({ ...cm('a'), collisionProtection: 'Prevent' });
    expect(slices[0]!['kind']).toBe('ObjectSlice');
    expect((slices[0]!['metadata'] as { labels: unknown }).labels).toEqual({
      'slices.package-operator.run/owner': 'web',
    });
    const phase = (objectDeployment['spec'] as { template: { spec: { phases: Record<string, unknown>[] } } })
      .template.spec.phases[0]!;
    expect(phase).toEqual({ name: 'p', slices: names });
  });

  it('NoOp never slices; BinpackNextFit slices only when a phase exceeds one 1 MiB bin', () => {
    const big = [cm('a', 600_000), cm('b', 600_000), cm('c', 10)];
    expect(
      buildObjectDeployment(rendered([{ name: 'p', objects: big }]), { ...base, chunkingStrategy: 'NoOp' })
        .slices,
    ).toEqual([]);
    expect(
      buildObjectDeployment(rendered([{ name: 'p', objects: [cm('a'), cm('b')] }]), base).slices,
    ).toEqual([]);
    const sliced = buildObjectDeployment(rendered([{ name: 'p', objects: big }]), {
      ...base,
      chunkingStrategy: 'unknown-means-default',
    });
    expect(sliced.slices.map((s) => (s['objects'] as unknown[]).length)).toEqual([1, 2]);
  });

  it('next-fit bins never exceed 1 MiB', () => {
    const objects = Array.from({ length: 40 }, (_, i) => cm(`o${i}`, 100_000));
    for (const bin of binpackNextFit(objects)) {
      expect(bin.reduce((n, o) => n + chunkSize(o.object), 0)).toBeLessThanOrEqual(SLICE_BIN_BYTES);
    }
  });

  it("counts an object's size as PKO's chunker does: Go's JSON of {\"Object\": object}, HTML escaped", () => {
    expect(chunkSize({ kind: 'A', x: '<' })).toBe(36);
    const html = (name: string): ObjectSetObject => ({
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { x: '<'.repeat(100_000) } },
    });
    // 100 kB of '<' is 600 kB as Go writes it: two such objects do not fit one bin.
    expect(binpackNextFit([html('a'), html('b')]).map((bin) => bin.length)).toEqual([1, 1]);
  });

  it('is deterministic', () => {
    const input = rendered([{ name: 'p', objects: [cm('a'), cm('b')] }]);
    expect(JSON.stringify(buildObjectDeployment(input, { ...base, chunkingStrategy: 'EachObject' }))).toBe(
      JSON.stringify(buildObjectDeployment(input, { ...base, chunkingStrategy: 'EachObject' })),
    );
  });
});

describe('buildObjectDeployment omits empty optional fields, as PKO’s JSON encoding (omitempty) does', () => {
  it('has no availabilityProbes without probes and no phases without objects', () => {
    const pkg = { ...rendered([{ name: 'deploy', objects: [] }]), availabilityProbes: [] };
    const { objectDeployment } = buildObjectDeployment(pkg, base);
    expect(objectDeployment['spec']).toEqual({
      revisionHistoryLimit: 10,
      selector: {
        matchLabels: { 'package-operator.run/package': 'pkg', 'package-operator.run/instance': 'web' },
      },
      template: {
        metadata: {
          labels: { 'package-operator.run/package': 'pkg', 'package-operator.run/instance': 'web' },
        },
        spec: {},
      },
    });
  });

  it('drops empty conditionMappings, matchLabels, matchExpressions and values', () => {
    const object = { ...cm('a'), conditionMappings: [] };
    const pkg = {
      ...rendered([{ name: 'deploy', objects: [object] }]),
      availabilityProbes: [
        {
          probes: [{ condition: { type: 'Available' } }],
          selector: {
            kind: { group: '', kind: 'ConfigMap' },
            selector: { matchLabels: {}, matchExpressions: [{ key: 'a', operator: 'Exists', values: [] }] },
          },
        },
      ],
    };
    const { objectDeployment } = buildObjectDeployment(pkg, base);
    expect(JSON.stringify(objectDeployment['spec'])).toBe(
      JSON.stringify({
        revisionHistoryLimit: 10,
        selector: {
          matchLabels: { 'package-operator.run/package': 'pkg', 'package-operator.run/instance': 'web' },
        },
        template: {
          metadata: {
            labels: { 'package-operator.run/package': 'pkg', 'package-operator.run/instance': 'web' },
          },
          spec: {
            availabilityProbes: [
              {
                probes: [{ condition: { status: 'True', type: 'Available' } }],
                selector: {
                  kind: { group: '', kind: 'ConfigMap' },
                  selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] },
                },
              },
            ],
            phases: [
              { name: 'deploy', objects: [{ object: cm('a').object, collisionProtection: 'Prevent' }] },
            ],
          },
        },
      }),
    );
  });
});
