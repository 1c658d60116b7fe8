/**
 * @module pko-hash
 * PKO's own hashes, byte for byte (its `internal/utils/hash.go`): the `go-spew` `%#v` text of a typed Go value,
 * hashed with FNV-32a (names: `SafeEncodeString` of the decimal sum) or SHA-256 (hex), with an optional int32
 * appended as 8 bytes (`PutUint32` little-endian into an 8-byte buffer). PKO finds an ObjectDeployment's current
 * ObjectSet by `package-operator.run/hash` = FNV of the ObjectSetTemplate and the collision count, unpacks a
 * Package again unless `status.unpackedHash` = SHA of its spec (and the hash modifier, and the image prefix
 * overrides), and names ObjectSlices by FNV of their objects. Gantry computes the same, so PKO taking a cluster
 * back from Gantry finds everything where it expects it.
 *
 * Inputs are JSON as the API server serves it; each is read into PKO's Go struct shape in Go's declaration order,
 * every absent field at its Go zero value (an absent list is a nil slice, `[]` an empty one).
 */
import { createHash } from 'node:crypto';
import { isRecord } from '../api/objects.js';
import { fnv32a, safeEncodeString } from '../render/hash.js';
import { asInt64, goJson, wellFormed } from './go-json.js';
import { spewText, type GoValue } from './spew.js';

type Fields = readonly (readonly [string, GoValue])[];

function record(v: unknown): Readonly<Record<string, unknown>> {
  return isRecord(v) ? v : {};
}

function str(v: unknown, type = 'string'): GoValue {
  return { k: 'string', type, value: typeof v === 'string' ? wellFormed(v) : '' };
}

function int(v: unknown, type: string): GoValue {
  return { k: 'int', type, value: (typeof v === 'number' ? asInt64(v) : undefined) ?? 0n };
}

function bool(v: unknown): GoValue {
  return { k: 'bool', type: 'bool', value: v === true };
}

function struct(type: string, fields: Fields): GoValue {
  return { k: 'struct', type, fields };
}

function ptr(type: string, v: unknown, to: (v: unknown) => GoValue): GoValue {
  return { k: 'ptr', type: `*${type}`, to: v === undefined || v === null ? undefined : to(v) };
}

function slice(elem: string, v: unknown, item: (v: unknown) => GoValue): GoValue {
  return { k: 'slice', type: `[]${elem}`, items: Array.isArray(v) ? v.map(item) : undefined };
}

function stringMap(v: unknown): GoValue {
  const entries =
    v === undefined || v === null
      ? undefined
      : Object.entries(record(v)).map(([k, x]): [string, GoValue] => [wellFormed(k), str(x)]);
  return { k: 'map', type: 'map[string]string', entries };
}

/** A JSON value inside an `interface{}`, as k8s's JSON decoding makes it. */
function anyValue(v: unknown): GoValue {
  if (v === null || v === undefined) return { k: 'iface', type: 'interface {}', value: undefined };
  return { k: 'iface', type: 'interface {}', value: concrete(v) };
}

function concrete(v: unknown): GoValue {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'boolean') return bool(v);
  if (typeof v === 'number') {
    const i = asInt64(v);
    return i !== undefined
      ? { k: 'int', type: 'int64', value: i }
      : { k: 'float', type: 'float64', value: v };
  }
  if (Array.isArray(v)) return { k: 'slice', type: '[]interface {}', items: v.map(anyValue) };
  return objectMap(v);
}

function objectMap(v: unknown): GoValue {
  return {
    k: 'map',
    type: 'map[string]interface {}',
    entries: Object.entries(record(v)).map(([k, x]): [string, GoValue] => [wellFormed(k), anyValue(x)]),
  };
}

const ZERO_TIME = struct('v1.Time', [
  [
    'Time',
    struct('time.Time', [
      ['wall', { k: 'int', type: 'uint64', value: 0n }],
      ['ext', { k: 'int', type: 'int64', value: 0n }],
      ['loc', { k: 'ptr', type: '*time.Location', to: undefined }],
    ]),
  ],
]);

/**
 * `metav1.ObjectMeta` of a template: the CRDs keep only name, namespace, labels, annotations and finalizers there
 * (the API server prunes the rest), so every other field is at its zero value.
 */
function objectMeta(v: unknown): GoValue {
  const m = record(v);
  return struct('v1.ObjectMeta', [
    ['Name', str(m['name'])],
    ['GenerateName', str(undefined)],
    ['Namespace', str(m['namespace'])],
    ['SelfLink', str(undefined)],
    ['UID', str(undefined, 'types.UID')],
    ['ResourceVersion', str(undefined)],
    ['Generation', int(undefined, 'int64')],
    ['CreationTimestamp', ZERO_TIME],
    ['DeletionTimestamp', ptr('v1.Time', undefined, () => ZERO_TIME)],
    ['DeletionGracePeriodSeconds', ptr('int64', undefined, (x) => int(x, 'int64'))],
    ['Labels', stringMap(m['labels'])],
    ['Annotations', stringMap(m['annotations'])],
    ['OwnerReferences', slice('v1.OwnerReference', undefined, objectMap)],
    ['Finalizers', slice('string', m['finalizers'], (x) => str(x))],
    ['ManagedFields', slice('v1.ManagedFieldsEntry', undefined, objectMap)],
  ]);
}

function objectSetObject(v: unknown): GoValue {
  const o = record(v);
  return struct('v1alpha1.ObjectSetObject', [
    ['Object', struct('unstructured.Unstructured', [['Object', objectMap(o['object'])]])],
    ['CollisionProtection', str(o['collisionProtection'], 'v1alpha1.CollisionProtection')],
    [
      'ConditionMappings',
      slice('v1alpha1.ConditionMapping', o['conditionMappings'], (x) => {
        const c = record(x);
        return struct('v1alpha1.ConditionMapping', [
          ['SourceType', str(c['sourceType'])],
          ['DestinationType', str(c['destinationType'])],
        ]);
      }),
    ],
  ]);
}

function phase(v: unknown): GoValue {
  const p = record(v);
  return struct('v1alpha1.ObjectSetTemplatePhase', [
    ['Name', str(p['name'])],
    ['Class', str(p['class'])],
    ['Objects', slice('v1alpha1.ObjectSetObject', p['objects'], objectSetObject)],
    ['Slices', slice('string', p['slices'], (x) => str(x))],
  ]);
}

function twoStrings(type: string, names: readonly [string, string, string, string]) {
  return (v: unknown): GoValue => {
    const r = record(v);
    return struct(type, [
      [names[0], str(r[names[1]])],
      [names[2], str(r[names[3]])],
    ]);
  };
}

function probe(v: unknown): GoValue {
  const p = record(v);
  return struct('v1alpha1.Probe', [
    [
      'Condition',
      ptr(
        'v1alpha1.ProbeConditionSpec',
        p['condition'],
        twoStrings('v1alpha1.ProbeConditionSpec', ['Type', 'type', 'Status', 'status']),
      ),
    ],
    [
      'FieldsEqual',
      ptr(
        'v1alpha1.ProbeFieldsEqualSpec',
        p['fieldsEqual'],
        twoStrings('v1alpha1.ProbeFieldsEqualSpec', ['FieldA', 'fieldA', 'FieldB', 'fieldB']),
      ),
    ],
    [
      'CEL',
      ptr(
        'v1alpha1.ProbeCELSpec',
        p['cel'],
        twoStrings('v1alpha1.ProbeCELSpec', ['Rule', 'rule', 'Message', 'message']),
      ),
    ],
  ]);
}

function labelSelector(v: unknown): GoValue {
  const s = record(v);
  return struct('v1.LabelSelector', [
    ['MatchLabels', stringMap(s['matchLabels'])],
    [
      'MatchExpressions',
      slice('v1.LabelSelectorRequirement', s['matchExpressions'], (x) => {
        const e = record(x);
        return struct('v1.LabelSelectorRequirement', [
          ['Key', str(e['key'])],
          ['Operator', str(e['operator'], 'v1.LabelSelectorOperator')],
          ['Values', slice('string', e['values'], (y) => str(y))],
        ]);
      }),
    ],
  ]);
}

function availabilityProbe(v: unknown): GoValue {
  const p = record(v);
  const selector = record(p['selector']);
  return struct('v1alpha1.ObjectSetProbe', [
    ['Probes', slice('v1alpha1.Probe', p['probes'], probe)],
    [
      'Selector',
      struct('v1alpha1.ProbeSelector', [
        [
          'Kind',
          ptr(
            'v1alpha1.PackageProbeKindSpec',
            selector['kind'],
            twoStrings('v1alpha1.PackageProbeKindSpec', ['Group', 'group', 'Kind', 'kind']),
          ),
        ],
        ['Selector', ptr('v1.LabelSelector', selector['selector'], labelSelector)],
      ]),
    ],
  ]);
}

/** PKO's `v1alpha1.ObjectSetTemplate` from an ObjectDeployment's `spec.template`. */
export function objectSetTemplateValue(template: unknown): GoValue {
  const t = record(template);
  const spec = record(t['spec']);
  return struct('v1alpha1.ObjectSetTemplate', [
    ['Metadata', objectMeta(t['metadata'])],
    [
      'Spec',
      struct('v1alpha1.ObjectSetTemplateSpec', [
        ['Phases', slice('v1alpha1.ObjectSetTemplatePhase', spec['phases'], phase)],
        [
          'AvailabilityProbes',
          slice('v1alpha1.ObjectSetProbe', spec['availabilityProbes'], availabilityProbe),
        ],
        ['SuccessDelaySeconds', int(spec['successDelaySeconds'], 'int32')],
      ]),
    ],
  ]);
}

/** PKO's `v1alpha1.PackageSpec` from a (Cluster)Package's `spec`; `config` is kept as the bytes Go encodes. */
export function packageSpecValue(spec: unknown): GoValue {
  const s = record(spec);
  const config = s['config'];
  return struct('v1alpha1.PackageSpec', [
    ['Image', str(s['image'])],
    [
      'Config',
      ptr('runtime.RawExtension', config, (c) =>
        struct('runtime.RawExtension', [
          ['Raw', { k: 'bytes', type: '[]uint8', value: new TextEncoder().encode(goJson(c)) }],
          ['Object', { k: 'iface', type: 'runtime.Object', value: undefined }],
        ]),
      ),
    ],
    ['Component', str(s['component'])],
    ['Paused', bool(s['paused'])],
  ]);
}

export interface PrefixOverride {
  readonly from: string;
  readonly to: string;
}

/** PKO's `[]imageprefix.Override`. */
export function overridesValue(overrides: readonly PrefixOverride[]): GoValue {
  return slice('imageprefix.Override', overrides, (o) => {
    const r = record(o);
    return struct('imageprefix.Override', [
      ['From', str(r['from'])],
      ['To', str(r['to'])],
    ]);
  });
}

/** PKO's in-memory `[]v1alpha1.ObjectSetObject` of an ObjectSlice. */
export function sliceObjectsValue(objects: readonly unknown[]): GoValue {
  return slice('v1alpha1.ObjectSetObject', objects, objectSetObject);
}

/** The bytes PKO hashes: the spew text, then the int32 in an 8-byte buffer (low 4 bytes little-endian). */
function hashInput(value: GoValue, extra: number | undefined): Uint8Array {
  const text = new TextEncoder().encode(spewText(value));
  if (extra === undefined) return text;
  const out = new Uint8Array(text.length + 8);
  out.set(text);
  new DataView(out.buffer).setUint32(text.length, extra >>> 0, true);
  return out;
}

/** `utils.ComputeFNV32Hash(value, extra)`. */
export function pkoFnv32Hash(value: GoValue, extra?: number): string {
  return safeEncodeString(String(fnv32a(hashInput(value, extra))));
}

/** `utils.ComputeSHA256Hash(value, extra)`. */
export function pkoSha256Hash(value: GoValue, extra?: number): string {
  return createHash('sha256').update(hashInput(value, extra)).digest('hex');
}

/** PKO's `status.templateHash` of an ObjectDeployment: its ObjectSets' `package-operator.run/hash` and name suffix. */
export function objectSetTemplateHash(template: unknown, collisionCount: number | undefined): string {
  return pkoFnv32Hash(objectSetTemplateValue(template), collisionCount);
}

/** PKO's `status.unpackedHash` of a (Cluster)Package's spec, with the manager's hash modifier and prefix overrides. */
export function packageSpecHash(
  spec: unknown,
  modifier: number | undefined,
  overrides: readonly PrefixOverride[],
): string {
  const hash = pkoSha256Hash(packageSpecValue(spec), modifier);
  return overrides.length > 0 ? hash + pkoSha256Hash(overridesValue(overrides)) : hash;
}

/** PKO's name suffix of an ObjectSlice holding these objects (as PKO renders them, before the API's defaults). */
export function sliceHash(objects: readonly unknown[], collisionCount = 0): string {
  return pkoFnv32Hash(sliceObjectsValue(objects), collisionCount);
}
