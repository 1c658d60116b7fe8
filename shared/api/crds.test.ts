import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiVersionOf, isKindName, KINDS, PKO_KINDS, scopedKind } from './constants.js';

type Node = Record<string, unknown>;
/**
 * PKO's twelve CRDs of the kind registry and its experimental HostedClusterPackage (deploy/crds; reconciled
 * beside the engine, not through the registry, like HyperShift's HostedClusters), and Gantry's catalog CRDs
 * (deploy/crds-gantry).
 */
const crds: Node[] = ['crds', 'crds-gantry'].flatMap((folder) => {
  const dir = join(import.meta.dirname, '../../deploy', folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Node);
});

function byKind(kind: string): Node {
  const crd = crds.find((c) => ((c.spec as Node).names as Node).kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  return crd;
}
function version(kind: string): Node {
  return ((byKind(kind).spec as Node).versions as Node[])[0]!;
}
function schemaAt(kind: string, path: string[]): Node {
  let node = (version(kind).schema as Node).openAPIV3Schema as Node;
  for (const key of path)
    node = key === '[]' ? (node.items as Node) : ((node.properties as Node)[key] as Node);
  return node;
}
/** Walk every schema node, calling fn with its path. */
function walk(node: Node, path: string, fn: (n: Node, p: string) => void): void {
  fn(node, path);
  for (const [k, v] of Object.entries((node.properties as Node | undefined) ?? {}))
    walk(v as Node, `${path}.${k}`, fn);
  if (node.items) walk(node.items as Node, `${path}[]`, fn);
  if (typeof node.additionalProperties === 'object') walk(node.additionalProperties as Node, `${path}{}`, fn);
}

describe('deploy/crds and deploy/crds-gantry', () => {
  it("has one CRD for each kind of the registry (PKO's twelve, the catalog's two), with the right group, scope and plural", () => {
    expect(PKO_KINDS).toHaveLength(12);
    expect(crds).toHaveLength(Object.keys(KINDS).length + 1);
    expect(byKind('HostedClusterPackage').metadata).toEqual({
      name: 'hostedclusterpackages.package-operator.run',
    });
    expect((byKind('HostedClusterPackage').spec as Node).scope).toBe('Cluster');
    for (const kind of Object.keys(KINDS).filter(isKindName)) {
      const info = KINDS[kind];
      const group = apiVersionOf(kind).split('/')[0] ?? '';
      const spec = byKind(kind).spec as Node;
      expect(spec.group).toBe(group);
      expect(spec.scope).toBe(info.namespaced ? 'Namespaced' : 'Cluster');
      expect((spec.names as Node).plural).toBe(info.plural);
      expect((byKind(kind).metadata as Node).name).toBe(`${info.plural}.${group}`);
    }
  });

  it('uses the short names of docs/pko-compatibility.md §0 (ObjectSlice has none)', () => {
    const short = (kind: string): unknown => ((byKind(kind).spec as Node).names as Node).shortNames;
    expect(short('Package')).toEqual(['pkg']);
    expect(short('ClusterPackage')).toEqual(['clpkg']);
    expect(short('ObjectDeployment')).toEqual(['objdeploy', 'od']);
    expect(short('ClusterObjectDeployment')).toEqual(['clobjdeploy', 'cod']);
    expect(short('ObjectSet')).toEqual(['objset', 'os']);
    expect(short('ClusterObjectSet')).toEqual(['clobjset', 'cos']);
    expect(short('ObjectSetPhase')).toEqual(['objsetphase', 'osp']);
    expect(short('ClusterObjectSetPhase')).toEqual(['clobjsetphase', 'cosp']);
    expect(short('ObjectSlice')).toBeUndefined();
    expect(short('ClusterObjectSlice')).toEqual(['clobjslice', 'cosl']);
    expect(short('ObjectTemplate')).toEqual(['objtmpl', 'ot']);
    expect(short('ClusterObjectTemplate')).toEqual(['clobjtmpl', 'cot']);
    expect(short('HostedClusterPackage')).toEqual(['hcpkg']);
  });

  it('has a status subresource on every kind except the slices', () => {
    for (const kind of Object.keys(KINDS)) {
      const sub = version(kind).subresources as Node | undefined;
      if (kind.endsWith('ObjectSlice')) expect(sub).toBeUndefined();
      else expect(sub).toEqual({ status: {} });
    }
  });

  it('prints the columns of docs/pko-compatibility.md §0', () => {
    const cols = (kind: string): string[] =>
      ((version(kind).additionalPrinterColumns as Node[] | undefined) ?? []).map(
        (c) => `${String(c.name)}${c.priority ? '*' : ''}=${String(c.jsonPath)}`,
      );
    expect(cols('Package')).toEqual([
      'Available=.status.conditions[?(@.type=="Available")].status',
      'Progressing=.status.conditions[?(@.type=="Progressing")].status',
      'Unpacked=.status.conditions[?(@.type=="Unpacked")].status',
      'Invalid=.status.conditions[?(@.type=="Invalid")].status',
      'Revision=.status.revision',
      'Age=.metadata.creationTimestamp',
    ]);
    expect(cols('ObjectDeployment').map((c) => c.split('=')[0])).toEqual([
      'Available',
      'Progressing',
      'Paused',
      'Revision',
      'Age',
    ]);
    expect(cols('ObjectSet')).toContain('Revision=.spec.revision');
    expect(cols('ObjectSet').map((c) => c.split('=')[0])).toEqual([
      'Available',
      'Paused',
      'Archived*',
      'Succeeded*',
      'InTransition*',
      'Revision',
      'Age',
    ]);
    expect(cols('ObjectTemplate')[0]).toBe(
      'Invalid=.status.conditions[?(@.type=="package-operator.run/Invalid")].status',
    );
  });

  it('is structural: every node has a type, no additionalProperties beside properties', () => {
    for (const kind of Object.keys(KINDS)) {
      walk((version(kind).schema as Node).openAPIV3Schema as Node, kind, (n, p) => {
        expect(n.type, p).toBeTypeOf('string');
        if (n.properties) expect(n.additionalProperties, p).toBeUndefined();
        if ('default' in n) expect(n.type, p).not.toBe('object');
      });
    }
  });

  it('applies the defaults the API server stores', () => {
    const obj = schemaAt('ObjectSet', ['spec', 'phases', '[]', 'objects', '[]']);
    expect((obj.properties as Node).collisionProtection).toMatchObject({
      type: 'string',
      default: 'Prevent',
    });
    expect(((obj.properties as Node).object as Node)['x-kubernetes-embedded-resource']).toBe(true);
    expect(schemaAt('ObjectDeployment', ['spec', 'revisionHistoryLimit']).default).toBe(10);
    expect(schemaAt('ObjectSet', ['spec', 'lifecycleState'])).toMatchObject({
      default: 'Active',
      enum: ['Active', 'Paused', 'Archived'],
    });
    const probe = schemaAt('ObjectSet', [
      'spec',
      'availabilityProbes',
      '[]',
      'probes',
      '[]',
      'condition',
      'status',
    ]);
    expect(probe.default).toBe('True');
  });

  it('carries the CEL immutability rules with their exact messages (docs/pko-compatibility.md §6.2)', () => {
    for (const kind of ['ObjectSet', 'ClusterObjectSet']) {
      const rules = schemaAt(kind, ['spec'])['x-kubernetes-validations'] as Node[];
      expect(rules.map((r) => r.message)).toEqual([
        'previous is immutable',
        'phases is immutable',
        'availabilityProbes is immutable',
        'successDelaySeconds is immutable',
        'revision is immutable',
      ]);
      expect(rules[1]!.rule).toBe(
        '(has(self.phases) == has(oldSelf.phases)) && (!has(self.phases) || (self.phases == oldSelf.phases))',
      );
      expect(rules[4]!.rule).toBe('!has(oldSelf.revision) || (self.revision == oldSelf.revision)');
    }
    for (const kind of ['ObjectSetPhase', 'ClusterObjectSetPhase']) {
      for (const f of ['revision', 'previous', 'availabilityProbes', 'objects']) {
        expect(schemaAt(kind, ['spec', f])['x-kubernetes-validations'], `${kind} ${f}`).toEqual([
          { message: `${f} is immutable`, rule: 'self == oldSelf' },
        ]);
      }
    }
    for (const kind of ['ObjectSlice', 'ClusterObjectSlice']) {
      expect(schemaAt(kind, ['objects'])['x-kubernetes-validations']).toEqual([
        { message: 'objects is immutable', rule: 'self == oldSelf' },
      ]);
    }
  });

  it('requires spec.image on (Cluster)Package', () => {
    expect(schemaAt('ClusterPackage', ['spec']).required).toEqual(['image']);
    expect(schemaAt('Package', ['spec', 'config'])['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });
});

describe('scopedKind', () => {
  it('names a kind of the registry with the scope asked for, for every kind that has a cluster twin', () => {
    for (const kind of [
      'Package',
      'ObjectDeployment',
      'ObjectSet',
      'ObjectSetPhase',
      'ObjectSlice',
      'ObjectTemplate',
    ] as const) {
      expect([kind, KINDS[scopedKind(kind, false)].namespaced]).toEqual([kind, true]);
      expect([kind, KINDS[scopedKind(kind, true)].namespaced]).toEqual([kind, false]);
    }
  });
});
