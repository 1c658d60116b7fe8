/**
 * Gantry's PKO hashes with fixed expectations, so CI (which has neither Go nor PKO's source) checks them too: each
 * value below is what PKO v1.19.0's own code (scripts/pko-hash-oracle) printed for the case of the same name; the
 * parity test (test/parity/pko-hash.test.ts) asks PKO again wherever it can.
 */
import { describe, expect, it } from 'vitest';
import { gantryAnswer, PKO_HASH_CASES } from './pko-hash-cases.js';

/** PKO's hash of every case in test/unit/pko-hash-cases.ts, by name. */
const PKO: Readonly<Record<string, string>> = {
  'empty template': '54cc4bcd56',
  'labels only': '57c8b5c65b',
  'empty labels map': 'bc47f9cb9',
  'every metadata field the CRD keeps': '557dc4bc4d',
  'empty finalizers list': '864d86b955',
  'empty phases list': '574799d66f',
  'phase without objects': '7c6b8c9849',
  'phase with an empty objects list and a class': '5d44fbd4d8',
  'a ConfigMap': 'f46f7d7d4',
  'a ConfigMap, collision count 0': '667f879f5b',
  'a ConfigMap, collision count 1': '7d4b4fd78f',
  'a ConfigMap, collision count 7': 'bc6cc78d7',
  'a ConfigMap, collision count int32 max': '868cc4bfd8',
  numbers: '85b4b4cf87',
  'numbers in a list': '5fc6678c49',
  'bools and nulls': '79f98cbc45',
  'nested lists and maps, empty ones too': '75c5749f4b',
  'unicode keys and values': '7b5c75ff8d',
  'lone surrogates become U+FFFD': '5c66579889',
  'collision protection values': '6885bf554d',
  'condition mappings': '56ccd7b4cd',
  'empty condition mappings': 'c8776f7fd',
  'sliced phases': '6cdb9d79f8',
  'availability probes of every kind': '5fbf75f8fc',
  'probe with an empty kind group and without selector kind': '6dbbb886f',
  'empty availability probes': '857f89db7',
  'success delay': '74f47d4f47',
  'a whole package': '67f99d5d7d',
  'image only': 'e48e9267b915835c2b25f29eb915c61463c3be5e08c3ce62b781732922386a34',
  'image, component, paused': 'f4f4d138f162b52ea9a80366af9aa1e7d5da7c47d8fa08688e92301e5926a978',
  'paused false': 'e44cf4a02f232f12a89d3c9d92529524513f2f9cabfafc62b5eebccf11a39913',
  'empty config': '2c6b7310e156d2790be68074ffd104f8d0214546eca33c04f33214f6b840e55a',
  'null config (absent)': 'e44cf4a02f232f12a89d3c9d92529524513f2f9cabfafc62b5eebccf11a39913',
  'config of strings': 'ef5424c87c5e666b95736f11127a8d6dc9de33290b6aa958bbdbc96b2f5ecf8a',
  'config, HTML and separators escaped': '541f60c8f6a1ec314e46d787a445af27757b9ac6c83f738ff2f07455f942dbd9',
  'config numbers': 'f50a86a25bffa5b0124c3df2c2e4fd61b08db0d08ddeb442db87485584b6600c',
  'config nested': '8763dd9193b26c389cb6202d6ade1fa58f8e116bdfa7628444a436c22b649ac3',
  'hash modifier': '3a91ffa81a0161a7072128014e25791e33269a8e222945e9d9f6a4e9573635f0',
  'negative hash modifier': '888a6295fea3149f97ef1566f1fa5fb9d7378acf71456e30280b51ad1446e642',
  'image prefix overrides':
    'e48e9267b915835c2b25f29eb915c61463c3be5e08c3ce62b781732922386a3460e86fb7d30cf1dee13b69dbc3110b3a77fc6b4014649900b0db1a335199ac9d',
  'modifier and overrides':
    '7d81764f107b329171459d5f1a5089441528a79268cdbfb240af09f68f1c51a7eb066623ddb45061d9680da841657690148a4fdf5ef9c9009eed9eaea38978a5',
  'one object, no defaults': '747b58457c',
  'two objects, protection and mappings': '6c475b85d5',
  'slice, collision count 1': '58bf8ccc48',
};

describe("PKO's hashes", () => {
  it('has an expected hash for every case and a case for every expected hash', () => {
    expect(PKO_HASH_CASES.map((c) => c.name).sort()).toEqual(Object.keys(PKO).sort());
  });

  for (const c of PKO_HASH_CASES)
    it(`${c.kind}: ${c.name}`, () => {
      expect(gantryAnswer(c).hash).toBe(PKO[c.name]);
    });

  it('prints a template as go-spew does', () => {
    const value = {
      metadata: { labels: { a: 'b' } },
      spec: {
        phases: [{ name: 'p', objects: [{ object: { kind: 'K', n: 1, f: 1.5, z: null, l: [true] } }] }],
      },
    };
    expect(gantryAnswer({ name: 'spew', kind: 'template', value }).spew).toBe(
      '(v1alpha1.ObjectSetTemplate){Metadata:(v1.ObjectMeta){Name:(string) GenerateName:(string) ' +
        'Namespace:(string) SelfLink:(string) UID:(types.UID) ResourceVersion:(string) Generation:(int64)0 ' +
        'CreationTimestamp:(v1.Time){Time:(time.Time){wall:(uint64)0 ext:(int64)0 loc:(*time.Location)<nil>}} ' +
        'DeletionTimestamp:(*v1.Time)<nil> DeletionGracePeriodSeconds:(*int64)<nil> ' +
        'Labels:(map[string]string)map[a:b] Annotations:(map[string]string)<nil> ' +
        'OwnerReferences:([]v1.OwnerReference)<nil> Finalizers:([]string)<nil> ' +
        'ManagedFields:([]v1.ManagedFieldsEntry)<nil>} Spec:(v1alpha1.ObjectSetTemplateSpec){' +
        'Phases:([]v1alpha1.ObjectSetTemplatePhase)[{Name:(string)p Class:(string) ' +
        'Objects:([]v1alpha1.ObjectSetObject)[{Object:(unstructured.Unstructured){' +
        'Object:(map[string]interface {})map[f:(float64)1.5 kind:(string)K l:([]interface {})[(bool)true] ' +
        'n:(int64)1 z:(interface {})<nil>]} CollisionProtection:(v1alpha1.CollisionProtection) ' +
        'ConditionMappings:([]v1alpha1.ConditionMapping)<nil>}] Slices:([]string)<nil>}] ' +
        'AvailabilityProbes:([]v1alpha1.ObjectSetProbe)<nil> SuccessDelaySeconds:(int32)0}}',
    );
    expect(gantryAnswer({ name: 'spew', kind: 'template', value }).hash).toBe('cf659c8b6');
  });
});
