/**
 * Gantry's CRDs (deploy/crds) hold PKO v1.19.0's API surface (issue 14): every field path PKO's
 * config/crds declares, with its type, whether it is required (`!`), enum, default and CEL messages, and every
 * printer column. The table was generated once from PKO's CRDs at v1.19.0; it states facts, it is not a copy of
 * them (no descriptions). Gantry may add fields (its `status.progress`, `status.phase`, `spec…externalObjects`
 * from PKO's later API), but an added field is never required unless its parent is an addition too, so PKO's
 * objects stay valid here. PKO's experimental HostedClusterPackage is served too (its controller runs beside the
 * runner once HyperShift's HostedCluster API is served; shared/hypershift).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** [field path, `type[!][ enum=…][ default=…][ cel=[messages]]`]. */
type Fact = readonly [string, string];
type Column = readonly [name: string, type: string, jsonPath: string, priority?: number];
interface KindSurface {
  readonly columns: readonly Column[];
  readonly fields: readonly Fact[];
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const nodeAt = (n: Node, key: string): Node => {
  const v = n[key];
  return isNode(v) ? v : {};
};

function describeField(node: Node, required: boolean): string {
  let type = typeof node['type'] === 'string' ? node['type'] : 'untyped';
  if (node['x-kubernetes-int-or-string'] === true && node['type'] === undefined) type = 'int-or-string';
  else if (node['x-kubernetes-preserve-unknown-fields'] === true && node['type'] === undefined) type = 'any';
  let fact = `${type}${required ? '!' : ''}`;
  if (Array.isArray(node['enum'])) fact += ` enum=${JSON.stringify(node['enum'])}`;
  if (node['default'] !== undefined) fact += ` default=${JSON.stringify(node['default'])}`;
  const rules = node['x-kubernetes-validations'];
  if (Array.isArray(rules))
    fact += ` cel=${JSON.stringify(rules.filter(isNode).map((r) => r['message'] ?? r['rule']))}`;
  return fact;
}

function walk(node: Node, path: string, required: boolean, out: Map<string, string>): void {
  if (path !== '') out.set(path, describeField(node, required));
  const requiredKeys = new Set(Array.isArray(node['required']) ? node['required'] : []);
  for (const [key, child] of Object.entries(nodeAt(node, 'properties')))
    if (isNode(child)) walk(child, `${path}.${key}`, requiredKeys.has(key), out);
  if (isNode(node['items'])) walk(node['items'], `${path}[]`, false, out);
  if (isNode(node['additionalProperties'])) walk(node['additionalProperties'], `${path}{}`, false, out);
}

const dir = join(import.meta.dirname, '../../deploy/crds');
const gantry = new Map<string, { columns: Column[]; fields: Map<string, string> }>();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  const crd: unknown = parse(readFileSync(join(dir, file), 'utf8'));
  if (!isNode(crd)) continue;
  const spec = nodeAt(crd, 'spec');
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isNode) : [];
  const version = versions[0] ?? {};
  const fields = new Map<string, string>();
  walk(nodeAt(nodeAt(version, 'schema'), 'openAPIV3Schema'), '', false, fields);
  const columns = (
    Array.isArray(version['additionalPrinterColumns']) ? version['additionalPrinterColumns'] : []
  )
    .filter(isNode)
    .map((c): Column => {
      const base = [String(c['name']), String(c['type']), String(c['jsonPath'])] as const;
      return typeof c['priority'] === 'number' ? [...base, c['priority']] : base;
    });
  gantry.set(String(nodeAt(spec, 'names')['kind']), { columns, fields });
}

describe("deploy/crds against PKO v1.19.0's API surface", () => {
  for (const [kind, surface] of Object.entries(PKO_API_SURFACE)) {
    describe(kind, () => {
      const ours = gantry.get(kind);

      it('has the same printer columns', () => {
        expect(ours?.columns).toEqual(surface.columns);
      });

      it("declares every field of PKO's with the same type, required, enum, default and CEL messages", () => {
        const actual = surface.fields.map(([path]) => [path, ours?.fields.get(path) ?? 'absent']);
        expect(actual).toEqual(surface.fields);
      });

      it('adds only fields that PKO objects need not carry', () => {
        const pko = new Set(surface.fields.map(([path]) => path));
        const requiredAdditions = [...(ours?.fields ?? [])].filter(([path, fact]) => {
          const parent = path.replace(/(\.[^.[{]+|\[\]|\{\})$/, '');
          return (
            !pko.has(path) && fact.split(' ')[0]?.endsWith('!') === true && (parent === '' || pko.has(parent))
          );
        });
        expect(requiredAdditions).toEqual([]);
      });
    });
  }
});

// Generated once from package-operator/package-operator v1.19.0 config/crds. Kinds whose schema is the same
// share a table.
const hostedClusterPackageFields: readonly Fact[] = [
  ['.apiVersion', 'string'],
  ['.kind', 'string'],
  ['.metadata', 'object'],
  ['.spec', 'object'],
  ['.spec.hostedClusterSelector', 'object'],
  ['.spec.hostedClusterSelector.matchExpressions', 'array'],
  ['.spec.hostedClusterSelector.matchExpressions[]', 'object'],
  ['.spec.hostedClusterSelector.matchExpressions[].key', 'string!'],
  ['.spec.hostedClusterSelector.matchExpressions[].operator', 'string!'],
  ['.spec.hostedClusterSelector.matchExpressions[].values', 'array'],
  ['.spec.hostedClusterSelector.matchExpressions[].values[]', 'string'],
  ['.spec.hostedClusterSelector.matchLabels', 'object'],
  ['.spec.hostedClusterSelector.matchLabels{}', 'string'],
  ['.spec.partition', 'object'],
  ['.spec.partition.labelKey', 'string!'],
  ['.spec.partition.order', 'object cel=["either .static or .alphanumericAsc must be specified"]'],
  ['.spec.partition.order.alphanumericAsc', 'object'],
  [
    '.spec.partition.order.static',
    "array cel=[\"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character or '*'\",\"catch all '*' group may only be used once\"]",
  ],
  ['.spec.partition.order.static[]', 'string'],
  ['.spec.strategy', 'object! default={"instant":{}}'],
  ['.spec.strategy.instant', 'object'],
  ['.spec.strategy.rollingUpgrade', 'object'],
  ['.spec.strategy.rollingUpgrade.maxUnavailable', 'integer! default=1'],
  ['.spec.template', 'object!'],
  ['.spec.template.metadata', 'object'],
  ['.spec.template.metadata.annotations', 'object'],
  ['.spec.template.metadata.annotations{}', 'string'],
  ['.spec.template.metadata.finalizers', 'array'],
  ['.spec.template.metadata.finalizers[]', 'string'],
  ['.spec.template.metadata.labels', 'object'],
  ['.spec.template.metadata.labels{}', 'string'],
  ['.spec.template.metadata.name', 'string'],
  ['.spec.template.metadata.namespace', 'string'],
  ['.spec.template.spec', 'object!'],
  ['.spec.template.spec.component', 'string'],
  ['.spec.template.spec.config', 'object'],
  ['.spec.template.spec.image', 'string!'],
  ['.spec.template.spec.paused', 'boolean'],
  ['.status', 'object'],
  ['.status.availablePackages', 'integer'],
  ['.status.conditions', 'array'],
  ['.status.conditions[]', 'object'],
  ['.status.conditions[].lastTransitionTime', 'string!'],
  ['.status.conditions[].message', 'string!'],
  ['.status.conditions[].observedGeneration', 'integer'],
  ['.status.conditions[].reason', 'string!'],
  ['.status.conditions[].status', 'string! enum=["True","False","Unknown"]'],
  ['.status.conditions[].type', 'string!'],
  ['.status.observedGeneration', 'integer'],
  ['.status.partitions', 'array'],
  ['.status.partitions[]', 'object'],
  ['.status.partitions[].availablePackages', 'integer'],
  ['.status.partitions[].name', 'string!'],
  ['.status.partitions[].observedGeneration', 'integer'],
  ['.status.partitions[].progressedPackages', 'integer'],
  ['.status.partitions[].totalPackages', 'integer'],
  ['.status.partitions[].updatedPackages', 'integer'],
  ['.status.processing', 'array'],
  ['.status.processing[]', 'object'],
  ['.status.processing[].name', 'string!'],
  ['.status.processing[].namespace', 'string'],
  ['.status.processing[].uid', 'string!'],
  ['.status.progressedPackages', 'integer'],
  ['.status.totalPackages', 'integer'],
  ['.status.updatedPackages', 'integer'],
];

const clusterObjectDeploymentFields: readonly Fact[] = [
  ['.apiVersion', 'string'],
  ['.kind', 'string'],
  ['.metadata', 'object'],
  ['.spec', 'object'],
  ['.spec.paused', 'boolean'],
  ['.spec.revisionHistoryLimit', 'integer default=10'],
  ['.spec.selector', 'object!'],
  ['.spec.selector.matchExpressions', 'array'],
  ['.spec.selector.matchExpressions[]', 'object'],
  ['.spec.selector.matchExpressions[].key', 'string!'],
  ['.spec.selector.matchExpressions[].operator', 'string!'],
  ['.spec.selector.matchExpressions[].values', 'array'],
  ['.spec.selector.matchExpressions[].values[]', 'string'],
  ['.spec.selector.matchLabels', 'object'],
  ['.spec.selector.matchLabels{}', 'string'],
  ['.spec.template', 'object!'],
  ['.spec.template.metadata', 'object!'],
  ['.spec.template.metadata.annotations', 'object'],
  ['.spec.template.metadata.annotations{}', 'string'],
  ['.spec.template.metadata.finalizers', 'array'],
  ['.spec.template.metadata.finalizers[]', 'string'],
  ['.spec.template.metadata.labels', 'object'],
  ['.spec.template.metadata.labels{}', 'string'],
  ['.spec.template.metadata.name', 'string'],
  ['.spec.template.metadata.namespace', 'string'],
  ['.spec.template.spec', 'object!'],
  ['.spec.template.spec.availabilityProbes', 'array'],
  ['.spec.template.spec.availabilityProbes[]', 'object'],
  ['.spec.template.spec.availabilityProbes[].probes', 'array!'],
  ['.spec.template.spec.availabilityProbes[].probes[]', 'object'],
  ['.spec.template.spec.availabilityProbes[].probes[].cel', 'object'],
  ['.spec.template.spec.availabilityProbes[].probes[].cel.message', 'string!'],
  ['.spec.template.spec.availabilityProbes[].probes[].cel.rule', 'string!'],
  ['.spec.template.spec.availabilityProbes[].probes[].condition', 'object'],
  ['.spec.template.spec.availabilityProbes[].probes[].condition.status', 'string! default="True"'],
  ['.spec.template.spec.availabilityProbes[].probes[].condition.type', 'string!'],
  ['.spec.template.spec.availabilityProbes[].probes[].fieldsEqual', 'object'],
  ['.spec.template.spec.availabilityProbes[].probes[].fieldsEqual.fieldA', 'string!'],
  ['.spec.template.spec.availabilityProbes[].probes[].fieldsEqual.fieldB', 'string!'],
  ['.spec.template.spec.availabilityProbes[].selector', 'object!'],
  ['.spec.template.spec.availabilityProbes[].selector.kind', 'object!'],
  ['.spec.template.spec.availabilityProbes[].selector.kind.group', 'string!'],
  ['.spec.template.spec.availabilityProbes[].selector.kind.kind', 'string!'],
  ['.spec.template.spec.availabilityProbes[].selector.selector', 'object'],
  ['.spec.template.spec.availabilityProbes[].selector.selector.matchExpressions', 'array'],
  ['.spec.template.spec.availabilityProbes[].selector.selector.matchExpressions[]', 'object'],
  ['.spec.template.spec.availabilityProbes[].selector.selector.matchExpressions[].key', 'string!'],
  ['.spec.template.spec.availabilityProbes[].selector.selector.matchExpressions[].operator', 'string!'],
  ['.spec.template.spec.availabilityProbes[].selector.selector.matchExpressions[].values', 'array'],
  ['.spec.template.spec.availabilityProbes[].selector.selector.matchExpressions[].values[]', 'string'],
  ['.spec.template.spec.availabilityProbes[].selector.selector.matchLabels', 'object'],
  ['.spec.template.spec.availabilityProbes[].selector.selector.matchLabels{}', 'string'],
  ['.spec.template.spec.phases', 'array'],
  ['.spec.template.spec.phases[]', 'object'],
  ['.spec.template.spec.phases[].class', 'string'],
  ['.spec.template.spec.phases[].name', 'string!'],
  ['.spec.template.spec.phases[].objects', 'array'],
  ['.spec.template.spec.phases[].objects[]', 'object'],
  ['.spec.template.spec.phases[].objects[].collisionProtection', 'string default="Prevent"'],
  ['.spec.template.spec.phases[].objects[].conditionMappings', 'array'],
  ['.spec.template.spec.phases[].objects[].conditionMappings[]', 'object'],
  ['.spec.template.spec.phases[].objects[].conditionMappings[].destinationType', 'string!'],
  ['.spec.template.spec.phases[].objects[].conditionMappings[].sourceType', 'string!'],
  ['.spec.template.spec.phases[].objects[].object', 'object!'],
  ['.spec.template.spec.phases[].slices', 'array'],
  ['.spec.template.spec.phases[].slices[]', 'string'],
  ['.spec.template.spec.successDelaySeconds', 'integer'],
  ['.status', 'object'],
  ['.status.collisionCount', 'integer'],
  ['.status.conditions', 'array'],
  ['.status.conditions[]', 'object'],
  ['.status.conditions[].lastTransitionTime', 'string!'],
  ['.status.conditions[].message', 'string!'],
  ['.status.conditions[].observedGeneration', 'integer'],
  ['.status.conditions[].reason', 'string!'],
  ['.status.conditions[].status', 'string! enum=["True","False","Unknown"]'],
  ['.status.conditions[].type', 'string!'],
  ['.status.controllerOf', 'array'],
  ['.status.controllerOf[]', 'object'],
  ['.status.controllerOf[].group', 'string!'],
  ['.status.controllerOf[].kind', 'string!'],
  ['.status.controllerOf[].name', 'string!'],
  ['.status.controllerOf[].namespace', 'string'],
  ['.status.controllerOf[].version', 'string!'],
  ['.status.revision', 'integer'],
  ['.status.templateHash', 'string'],
];

const clusterObjectSetPhaseFields: readonly Fact[] = [
  ['.apiVersion', 'string'],
  ['.kind', 'string'],
  ['.metadata', 'object'],
  ['.spec', 'object cel=["previous is immutable","availabilityProbes is immutable"]'],
  ['.spec.availabilityProbes', 'array cel=["availabilityProbes is immutable"]'],
  ['.spec.availabilityProbes[]', 'object'],
  ['.spec.availabilityProbes[].probes', 'array!'],
  ['.spec.availabilityProbes[].probes[]', 'object'],
  ['.spec.availabilityProbes[].probes[].cel', 'object'],
  ['.spec.availabilityProbes[].probes[].cel.message', 'string!'],
  ['.spec.availabilityProbes[].probes[].cel.rule', 'string!'],
  ['.spec.availabilityProbes[].probes[].condition', 'object'],
  ['.spec.availabilityProbes[].probes[].condition.status', 'string! default="True"'],
  ['.spec.availabilityProbes[].probes[].condition.type', 'string!'],
  ['.spec.availabilityProbes[].probes[].fieldsEqual', 'object'],
  ['.spec.availabilityProbes[].probes[].fieldsEqual.fieldA', 'string!'],
  ['.spec.availabilityProbes[].probes[].fieldsEqual.fieldB', 'string!'],
  ['.spec.availabilityProbes[].selector', 'object!'],
  ['.spec.availabilityProbes[].selector.kind', 'object!'],
  ['.spec.availabilityProbes[].selector.kind.group', 'string!'],
  ['.spec.availabilityProbes[].selector.kind.kind', 'string!'],
  ['.spec.availabilityProbes[].selector.selector', 'object'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions', 'array'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[]', 'object'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[].key', 'string!'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[].operator', 'string!'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[].values', 'array'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[].values[]', 'string'],
  ['.spec.availabilityProbes[].selector.selector.matchLabels', 'object'],
  ['.spec.availabilityProbes[].selector.selector.matchLabels{}', 'string'],
  ['.spec.objects', 'array! cel=["objects is immutable"]'],
  ['.spec.objects[]', 'object'],
  ['.spec.objects[].collisionProtection', 'string default="Prevent"'],
  ['.spec.objects[].conditionMappings', 'array'],
  ['.spec.objects[].conditionMappings[]', 'object'],
  ['.spec.objects[].conditionMappings[].destinationType', 'string!'],
  ['.spec.objects[].conditionMappings[].sourceType', 'string!'],
  ['.spec.objects[].object', 'object!'],
  ['.spec.paused', 'boolean'],
  ['.spec.previous', 'array cel=["previous is immutable"]'],
  ['.spec.previous[]', 'object'],
  ['.spec.previous[].name', 'string!'],
  ['.spec.revision', 'integer! cel=["revision is immutable"]'],
  ['.status', 'object'],
  ['.status.conditions', 'array'],
  ['.status.conditions[]', 'object'],
  ['.status.conditions[].lastTransitionTime', 'string!'],
  ['.status.conditions[].message', 'string!'],
  ['.status.conditions[].observedGeneration', 'integer'],
  ['.status.conditions[].reason', 'string!'],
  ['.status.conditions[].status', 'string! enum=["True","False","Unknown"]'],
  ['.status.conditions[].type', 'string!'],
  ['.status.controllerOf', 'array'],
  ['.status.controllerOf[]', 'object'],
  ['.status.controllerOf[].group', 'string!'],
  ['.status.controllerOf[].kind', 'string!'],
  ['.status.controllerOf[].name', 'string!'],
  ['.status.controllerOf[].namespace', 'string'],
  ['.status.controllerOf[].version', 'string!'],
];

const clusterObjectSetFields: readonly Fact[] = [
  ['.apiVersion', 'string'],
  ['.kind', 'string'],
  ['.metadata', 'object'],
  [
    '.spec',
    'object cel=["previous is immutable","phases is immutable","availabilityProbes is immutable","successDelaySeconds is immutable","revision is immutable"]',
  ],
  ['.spec.availabilityProbes', 'array'],
  ['.spec.availabilityProbes[]', 'object'],
  ['.spec.availabilityProbes[].probes', 'array!'],
  ['.spec.availabilityProbes[].probes[]', 'object'],
  ['.spec.availabilityProbes[].probes[].cel', 'object'],
  ['.spec.availabilityProbes[].probes[].cel.message', 'string!'],
  ['.spec.availabilityProbes[].probes[].cel.rule', 'string!'],
  ['.spec.availabilityProbes[].probes[].condition', 'object'],
  ['.spec.availabilityProbes[].probes[].condition.status', 'string! default="True"'],
  ['.spec.availabilityProbes[].probes[].condition.type', 'string!'],
  ['.spec.availabilityProbes[].probes[].fieldsEqual', 'object'],
  ['.spec.availabilityProbes[].probes[].fieldsEqual.fieldA', 'string!'],
  ['.spec.availabilityProbes[].probes[].fieldsEqual.fieldB', 'string!'],
  ['.spec.availabilityProbes[].selector', 'object!'],
  ['.spec.availabilityProbes[].selector.kind', 'object!'],
  ['.spec.availabilityProbes[].selector.kind.group', 'string!'],
  ['.spec.availabilityProbes[].selector.kind.kind', 'string!'],
  ['.spec.availabilityProbes[].selector.selector', 'object'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions', 'array'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[]', 'object'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[].key', 'string!'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[].operator', 'string!'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[].values', 'array'],
  ['.spec.availabilityProbes[].selector.selector.matchExpressions[].values[]', 'string'],
  ['.spec.availabilityProbes[].selector.selector.matchLabels', 'object'],
  ['.spec.availabilityProbes[].selector.selector.matchLabels{}', 'string'],
  ['.spec.lifecycleState', 'string enum=["Active","Paused","Archived"] default="Active"'],
  ['.spec.phases', 'array'],
  ['.spec.phases[]', 'object'],
  ['.spec.phases[].class', 'string'],
  ['.spec.phases[].name', 'string!'],
  ['.spec.phases[].objects', 'array'],
  ['.spec.phases[].objects[]', 'object'],
  ['.spec.phases[].objects[].collisionProtection', 'string default="Prevent"'],
  ['.spec.phases[].objects[].conditionMappings', 'array'],
  ['.spec.phases[].objects[].conditionMappings[]', 'object'],
  ['.spec.phases[].objects[].conditionMappings[].destinationType', 'string!'],
  ['.spec.phases[].objects[].conditionMappings[].sourceType', 'string!'],
  ['.spec.phases[].objects[].object', 'object!'],
  ['.spec.phases[].slices', 'array'],
  ['.spec.phases[].slices[]', 'string'],
  ['.spec.previous', 'array'],
  ['.spec.previous[]', 'object'],
  ['.spec.previous[].name', 'string!'],
  ['.spec.revision', 'integer'],
  ['.spec.successDelaySeconds', 'integer'],
  ['.status', 'object'],
  ['.status.conditions', 'array'],
  ['.status.conditions[]', 'object'],
  ['.status.conditions[].lastTransitionTime', 'string!'],
  ['.status.conditions[].message', 'string!'],
  ['.status.conditions[].observedGeneration', 'integer'],
  ['.status.conditions[].reason', 'string!'],
  ['.status.conditions[].status', 'string! enum=["True","False","Unknown"]'],
  ['.status.conditions[].type', 'string!'],
  ['.status.controllerOf', 'array'],
  ['.status.controllerOf[]', 'object'],
  ['.status.controllerOf[].group', 'string!'],
  ['.status.controllerOf[].kind', 'string!'],
  ['.status.controllerOf[].name', 'string!'],
  ['.status.controllerOf[].namespace', 'string'],
  ['.status.controllerOf[].version', 'string!'],
  ['.status.remotePhases', 'array'],
  ['.status.remotePhases[]', 'object'],
  ['.status.remotePhases[].name', 'string!'],
  ['.status.remotePhases[].uid', 'string!'],
  ['.status.revision', 'integer'],
];

const clusterObjectSliceFields: readonly Fact[] = [
  ['.apiVersion', 'string'],
  ['.kind', 'string'],
  ['.metadata', 'object'],
  ['.objects', 'array! cel=["objects is immutable"]'],
  ['.objects[]', 'object'],
  ['.objects[].collisionProtection', 'string default="Prevent"'],
  ['.objects[].conditionMappings', 'array'],
  ['.objects[].conditionMappings[]', 'object'],
  ['.objects[].conditionMappings[].destinationType', 'string!'],
  ['.objects[].conditionMappings[].sourceType', 'string!'],
  ['.objects[].object', 'object!'],
];

const clusterObjectTemplateFields: readonly Fact[] = [
  ['.apiVersion', 'string'],
  ['.kind', 'string'],
  ['.metadata', 'object'],
  ['.spec', 'object'],
  ['.spec.sources', 'array!'],
  ['.spec.sources[]', 'object'],
  ['.spec.sources[].apiVersion', 'string!'],
  ['.spec.sources[].items', 'array!'],
  ['.spec.sources[].items[]', 'object'],
  ['.spec.sources[].items[].destination', 'string!'],
  ['.spec.sources[].items[].key', 'string!'],
  ['.spec.sources[].kind', 'string!'],
  ['.spec.sources[].name', 'string!'],
  ['.spec.sources[].namespace', 'string'],
  ['.spec.sources[].optional', 'boolean'],
  ['.spec.template', 'string!'],
  ['.status', 'object'],
  ['.status.conditions', 'array'],
  ['.status.conditions[]', 'object'],
  ['.status.conditions[].lastTransitionTime', 'string!'],
  ['.status.conditions[].message', 'string!'],
  ['.status.conditions[].observedGeneration', 'integer'],
  ['.status.conditions[].reason', 'string!'],
  ['.status.conditions[].status', 'string! enum=["True","False","Unknown"]'],
  ['.status.conditions[].type', 'string!'],
  ['.status.controllerOf', 'object'],
  ['.status.controllerOf.group', 'string!'],
  ['.status.controllerOf.kind', 'string!'],
  ['.status.controllerOf.name', 'string!'],
  ['.status.controllerOf.namespace', 'string'],
  ['.status.controllerOf.version', 'string!'],
];

const clusterPackageFields: readonly Fact[] = [
  ['.apiVersion', 'string'],
  ['.kind', 'string'],
  ['.metadata', 'object'],
  ['.spec', 'object'],
  ['.spec.component', 'string'],
  ['.spec.config', 'object'],
  ['.spec.image', 'string!'],
  ['.spec.paused', 'boolean'],
  ['.status', 'object'],
  ['.status.conditions', 'array'],
  ['.status.conditions[]', 'object'],
  ['.status.conditions[].lastTransitionTime', 'string!'],
  ['.status.conditions[].message', 'string!'],
  ['.status.conditions[].observedGeneration', 'integer'],
  ['.status.conditions[].reason', 'string!'],
  ['.status.conditions[].status', 'string! enum=["True","False","Unknown"]'],
  ['.status.conditions[].type', 'string!'],
  ['.status.revision', 'integer'],
  ['.status.unpackedHash', 'string'],
];

export const PKO_API_SURFACE: Readonly<Record<string, KindSurface>> = {
  ClusterObjectDeployment: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Revision', 'string', '.status.revision'],
      ['Progressing', 'string', '.status.conditions[?(@.type=="Progressing")].status'],
      ['Paused', 'string', '.status.conditions[?(@.type=="Paused")].status'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: clusterObjectDeploymentFields,
  },
  ClusterObjectSetPhase: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Paused', 'string', '.status.conditions[?(@.type=="Paused")].status'],
      ['Revision', 'string', '.status.revision'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: clusterObjectSetPhaseFields,
  },
  ClusterObjectSet: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Paused', 'string', '.status.conditions[?(@.type=="Paused")].status'],
      ['Archived', 'string', '.status.conditions[?(@.type=="Archived")].status', 1],
      ['Succeeded', 'string', '.status.conditions[?(@.type=="Succeeded")].status', 1],
      ['InTransition', 'string', '.status.conditions[?(@.type=="InTransition")].status', 1],
      ['Revision', 'string', '.spec.revision'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: clusterObjectSetFields,
  },
  ClusterObjectSlice: {
    columns: [['Age', 'date', '.metadata.creationTimestamp']],
    fields: clusterObjectSliceFields,
  },
  ClusterObjectTemplate: {
    columns: [['Invalid', 'string', '.status.conditions[?(@.type=="package-operator.run/Invalid")].status']],
    fields: clusterObjectTemplateFields,
  },
  HostedClusterPackage: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Progressing', 'string', '.status.conditions[?(@.type=="Progressing")].status'],
      ['HasPausedPackage', 'string', '.status.conditions[?(@.type=="HasPausedPackage")].status'],
      ['ObservedGeneration', 'string', '.status.observedGeneration'],
      ['Image', 'string', '.spec.template.spec.image', 1],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: hostedClusterPackageFields,
  },
  ClusterPackage: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Progressing', 'string', '.status.conditions[?(@.type=="Progressing")].status'],
      ['Unpacked', 'string', '.status.conditions[?(@.type=="Unpacked")].status'],
      ['Invalid', 'string', '.status.conditions[?(@.type=="Invalid")].status'],
      ['Revision', 'string', '.status.revision'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: clusterPackageFields,
  },
  ObjectDeployment: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Progressing', 'string', '.status.conditions[?(@.type=="Progressing")].status'],
      ['Paused', 'string', '.status.conditions[?(@.type=="Paused")].status'],
      ['Revision', 'string', '.status.revision'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: clusterObjectDeploymentFields,
  },
  ObjectSetPhase: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Paused', 'string', '.status.conditions[?(@.type=="Paused")].status'],
      ['Revision', 'string', '.status.revision'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: clusterObjectSetPhaseFields,
  },
  ObjectSet: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Paused', 'string', '.status.conditions[?(@.type=="Paused")].status'],
      ['Archived', 'string', '.status.conditions[?(@.type=="Archived")].status', 1],
      ['Succeeded', 'string', '.status.conditions[?(@.type=="Succeeded")].status', 1],
      ['InTransition', 'string', '.status.conditions[?(@.type=="InTransition")].status', 1],
      ['Revision', 'string', '.spec.revision'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: clusterObjectSetFields,
  },
  ObjectSlice: {
    columns: [['Age', 'date', '.metadata.creationTimestamp']],
    fields: clusterObjectSliceFields,
  },
  ObjectTemplate: {
    columns: [['Invalid', 'string', '.status.conditions[?(@.type=="package-operator.run/Invalid")].status']],
    fields: clusterObjectTemplateFields,
  },
  Package: {
    columns: [
      ['Available', 'string', '.status.conditions[?(@.type=="Available")].status'],
      ['Progressing', 'string', '.status.conditions[?(@.type=="Progressing")].status'],
      ['Unpacked', 'string', '.status.conditions[?(@.type=="Unpacked")].status'],
      ['Invalid', 'string', '.status.conditions[?(@.type=="Invalid")].status'],
      ['Revision', 'string', '.status.revision'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    fields: clusterPackageFields,
  },
};
