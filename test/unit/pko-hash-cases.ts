/**
 * Inputs for PKO's hashes, each as the API server serves it: ObjectSetTemplates (an ObjectDeployment's
 * `spec.template`), PackageSpecs (with the hash modifier and image prefix overrides) and ObjectSlice contents. The
 * unit test (test/unit/pko-hash.test.ts) checks Gantry's hash of each against the value PKO's own code printed for
 * it; the parity test (test/parity/pko-hash.test.ts) asks PKO's code again (scripts/pko-hash-oracle).
 */
import {
  objectSetTemplateHash,
  objectSetTemplateValue,
  overridesValue,
  packageSpecHash,
  packageSpecValue,
  sliceHash,
  sliceObjectsValue,
} from '../../shared/pko-hash/index.js';
import { spewText } from '../../shared/pko-hash/spew.js';

export type PkoHashCase =
  | {
      readonly name: string;
      readonly kind: 'template';
      readonly value: unknown;
      readonly collisionCount?: number;
    }
  | {
      readonly name: string;
      readonly kind: 'packageSpec';
      readonly value: unknown;
      readonly modifier?: number;
      readonly overrides?: readonly { readonly from: string; readonly to: string }[];
    }
  | {
      readonly name: string;
      readonly kind: 'sliceObjects';
      readonly value: readonly unknown[];
      readonly collisionCount: number;
    };

const LABELS = { 'package-operator.run/instance': 'web', 'package-operator.run/package': 'nginx' };

function cm(name: string, data: Record<string, unknown> = { a: '1' }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: LABELS }, data };
}

function template(
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = { labels: LABELS },
): unknown {
  return { metadata, spec };
}

function oneObject(object: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return template({
    phases: [{ name: 'deploy', objects: [{ object, collisionProtection: 'Prevent', ...extra }] }],
  });
}

const NUMBERS = {
  zero: 0,
  one: 1,
  negative: -42,
  int32max: 2147483647,
  maxSafe: 9007199254740991,
  minSafe: -9007199254740991,
  beyondSafe: 2 ** 60,
  int64edge: 2 ** 63, // 9223372036854775807 as JavaScript reads it
  hugeInt: 1e20,
  huge: 1e21,
  half: 0.5,
  tenth: 0.1,
  negFloat: -2.5,
  small: 0.0001,
  smaller: 0.00001,
  tiny: 1e-7,
  million: 1234567.5,
  hundredThousand: 123456.5,
  pi: 3.141592653589793,
  maxDouble: 1.7976931348623157e308,
  minDouble: 5e-324,
};

const UNICODE = {
  é: 'café',
  Z: 'upper before lower',
  a: 'lower',
  '😀': 'astral key sorts after BMP',
  '\uffff': 'last BMP',
  ß: 'straße',
  中文: '漢字',
  'with space': 'a b: c [d] {e} map[f]',
  html: '<script>&amp;</script>',
  control: 'tab\tnewline\nreturn\rbell\u0007nul\u0000del\u007f',
  separators: 'line\u2028paragraph\u2029',
  quotes: 'say "hi" \\ back',
};

const PROBES = [
  {
    probes: [
      { condition: { type: 'Available', status: 'True' } },
      { fieldsEqual: { fieldA: '.spec.replicas', fieldB: '.status.readyReplicas' } },
      { cel: { rule: 'self.status.phase == "Ready"', message: 'not ready' } },
    ],
    selector: { kind: { group: 'apps', kind: 'Deployment' } },
  },
  {
    probes: [{ condition: { type: 'Ready', status: 'False' } }],
    selector: {
      kind: { group: '', kind: 'Pod' },
      selector: {
        matchLabels: { app: 'web', tier: 'front' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'stage'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
    },
  },
  { probes: [], selector: { kind: { group: 'batch', kind: 'Job' }, selector: {} } },
];

export const PKO_HASH_CASES: readonly PkoHashCase[] = [
  // ObjectSetTemplates.
  { name: 'empty template', kind: 'template', value: { metadata: {}, spec: {} } },
  { name: 'labels only', kind: 'template', value: template({}) },
  { name: 'empty labels map', kind: 'template', value: template({}, { labels: {} }) },
  {
    name: 'every metadata field the CRD keeps',
    kind: 'template',
    value: template(
      {},
      {
        name: 'n',
        namespace: 'ns',
        labels: { b: '2', a: '1' },
        annotations: { 'x/y': 'z', empty: '' },
        finalizers: ['f1', 'f2'],
      },
    ),
  },
  { name: 'empty finalizers list', kind: 'template', value: template({}, { finalizers: [] }) },
  { name: 'empty phases list', kind: 'template', value: template({ phases: [] }) },
  { name: 'phase without objects', kind: 'template', value: template({ phases: [{ name: 'a' }] }) },
  {
    name: 'phase with an empty objects list and a class',
    kind: 'template',
    value: template({ phases: [{ name: 'a', class: 'hosted-cluster', objects: [] }] }),
  },
  { name: 'a ConfigMap', kind: 'template', value: oneObject(cm('plain')) },
  ...(
    [
      [0, '0'],
      [1, '1'],
      [7, '7'],
      [2147483647, 'int32 max'],
    ] as const
  ).map(([count, shown]): PkoHashCase => ({
    name: `a ConfigMap, collision count ${shown}`,
    kind: 'template',
    value: oneObject(cm('plain')),
    collisionCount: count,
  })),
  { name: 'numbers', kind: 'template', value: oneObject({ ...cm('n'), spec: NUMBERS }) },
  {
    name: 'numbers in a list',
    kind: 'template',
    value: oneObject({ ...cm('n'), list: Object.values(NUMBERS) }),
  },
  {
    name: 'bools and nulls',
    kind: 'template',
    value: oneObject({ ...cm('b'), t: true, f: false, n: null, list: [null, true, false, null] }),
  },
  {
    name: 'nested lists and maps, empty ones too',
    kind: 'template',
    value: oneObject({
      ...cm('nested'),
      spec: { a: [[1, [2, [3, []]]], {}], b: { c: { d: { e: [] } } }, empty: {}, none: [] },
    }),
  },
  { name: 'unicode keys and values', kind: 'template', value: oneObject({ ...cm('u'), data: UNICODE }) },
  {
    name: 'lone surrogates become U+FFFD',
    kind: 'template',
    value: oneObject({ ...cm('s'), data: { '\ud800': 'x\udfffy', ok: '\ud83d\ude00' } }),
  },
  {
    name: 'collision protection values',
    kind: 'template',
    value: template({
      phases: [
        {
          name: 'deploy',
          objects: [
            { object: cm('a'), collisionProtection: 'Prevent' },
            { object: cm('b'), collisionProtection: 'IfNoController' },
            { object: cm('c'), collisionProtection: 'None' },
            { object: cm('d') },
          ],
        },
      ],
    }),
  },
  {
    name: 'condition mappings',
    kind: 'template',
    value: oneObject(cm('m'), {
      conditionMappings: [
        { sourceType: 'Available', destinationType: 'my.domain/Available' },
        { sourceType: 'Ready', destinationType: 'x/Ready' },
      ],
    }),
  },
  {
    name: 'empty condition mappings',
    kind: 'template',
    value: oneObject(cm('m'), { conditionMappings: [] }),
  },
  {
    name: 'sliced phases',
    kind: 'template',
    value: template({
      phases: [
        { name: 'config', slices: ['pkg-abc', 'pkg-def'] },
        { name: 'deploy', slices: [] },
        {
          name: 'mixed',
          objects: [{ object: cm('x'), collisionProtection: 'Prevent' }],
          slices: ['pkg-ghi'],
        },
      ],
    }),
  },
  {
    name: 'availability probes of every kind',
    kind: 'template',
    value: template({ availabilityProbes: PROBES }),
  },
  {
    name: 'probe with an empty kind group and without selector kind',
    kind: 'template',
    value: template({
      availabilityProbes: [{ probes: [{ condition: { type: 'A', status: 'True' } }], selector: {} }],
    }),
  },
  { name: 'empty availability probes', kind: 'template', value: template({ availabilityProbes: [] }) },
  { name: 'success delay', kind: 'template', value: template({ successDelaySeconds: 30 }) },
  {
    name: 'a whole package',
    kind: 'template',
    value: template({
      phases: [
        {
          name: 'namespace',
          objects: [{ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } } }],
        },
        {
          name: 'deploy',
          class: 'default',
          objects: [
            {
              object: {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                metadata: { name: 'web', namespace: 'x', labels: LABELS, annotations: { note: 'keep' } },
                spec: {
                  replicas: 3,
                  selector: { matchLabels: { app: 'web' } },
                  template: {
                    metadata: { labels: { app: 'web' } },
                    spec: {
                      containers: [
                        {
                          name: 'web',
                          image: 'nginx:1.27',
                          ports: [{ containerPort: 8080, protocol: 'TCP' }],
                          resources: { limits: { cpu: '500m', memory: '128Mi' } },
                          env: [{ name: 'RATIO', value: '0.75' }],
                        },
                      ],
                    },
                  },
                },
              },
              collisionProtection: 'IfNoController',
              conditionMappings: [{ sourceType: 'Available', destinationType: 'web/Available' }],
            },
          ],
        },
      ],
      availabilityProbes: PROBES.slice(0, 1),
      successDelaySeconds: 5,
    }),
  },

  // PackageSpecs.
  { name: 'image only', kind: 'packageSpec', value: { image: 'quay.io/org/pkg:v1' } },
  {
    name: 'image, component, paused',
    kind: 'packageSpec',
    value: { image: 'quay.io/org/pkg@sha256:abc', component: 'backend', paused: true },
  },
  { name: 'paused false', kind: 'packageSpec', value: { image: 'i', paused: false } },
  { name: 'empty config', kind: 'packageSpec', value: { image: 'i', config: {} } },
  { name: 'null config (absent)', kind: 'packageSpec', value: { image: 'i', config: null } },
  {
    name: 'config of strings',
    kind: 'packageSpec',
    value: { image: 'i', config: { greeting: 'hey', b: 'x' } },
  },
  {
    name: 'config, HTML and separators escaped',
    kind: 'packageSpec',
    value: { image: 'i', config: UNICODE },
  },
  { name: 'config numbers', kind: 'packageSpec', value: { image: 'i', config: NUMBERS } },
  {
    name: 'config nested',
    kind: 'packageSpec',
    value: { image: 'i', config: { z: [1, 'a', null, true, { y: [], x: {} }], a: { b: { c: 0.25 } } } },
  },
  { name: 'hash modifier', kind: 'packageSpec', value: { image: 'i' }, modifier: 1 },
  { name: 'negative hash modifier', kind: 'packageSpec', value: { image: 'i' }, modifier: -7 },
  {
    name: 'image prefix overrides',
    kind: 'packageSpec',
    value: { image: 'quay.io/org/pkg:v1' },
    overrides: [
      { from: 'quay.io/org/', to: 'mirror.example.com/org/' },
      { from: 'quay.io/', to: 'mirror.example.com/' },
    ],
  },
  {
    name: 'modifier and overrides',
    kind: 'packageSpec',
    value: { image: 'i', config: { a: 1 } },
    modifier: 3,
    overrides: [{ from: 'a', to: 'b' }],
  },

  // ObjectSlice contents, as PKO renders them (before the API's defaults).
  { name: 'one object, no defaults', kind: 'sliceObjects', value: [{ object: cm('a') }], collisionCount: 0 },
  {
    name: 'two objects, protection and mappings',
    kind: 'sliceObjects',
    value: [
      { object: cm('a'), collisionProtection: 'None' },
      { object: cm('b', { n: 1, f: 0.5 }), conditionMappings: [{ sourceType: 'A', destinationType: 'x/A' }] },
    ],
    collisionCount: 0,
  },
  { name: 'slice, collision count 1', kind: 'sliceObjects', value: [{ object: cm('a') }], collisionCount: 1 },
];

/** Gantry's PKO hash of a case, and the spew text it hashed (the override list on a second line, as the oracle). */
export function gantryAnswer(c: PkoHashCase): { readonly spew: string; readonly hash: string } {
  switch (c.kind) {
    case 'template':
      return {
        spew: spewText(objectSetTemplateValue(c.value)),
        hash: objectSetTemplateHash(c.value, c.collisionCount),
      };
    case 'packageSpec': {
      const overrides = c.overrides ?? [];
      const spew = spewText(packageSpecValue(c.value));
      return {
        spew: overrides.length > 0 ? `${spew}\n${spewText(overridesValue(overrides))}` : spew,
        hash: packageSpecHash(c.value, c.modifier, overrides),
      };
    }
    case 'sliceObjects':
      return { spew: spewText(sliceObjectsValue(c.value)), hash: sliceHash(c.value, c.collisionCount) };
  }
}
