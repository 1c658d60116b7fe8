/**
 * @module probing
 * Availability probes (docs/pko-compatibility.md §4.5, boxcutter's probing as PKO v1.19.0 runs it): `condition`,
 * `fieldsEqual` and `cel` probes, each entry wrapped in an observedGeneration check and scoped by a
 * GroupKind and label selector; AND semantics where Unknown wins over False; PKO's messages.
 */
import { field, groupOf, isRecord } from '../api/objects.js';
import { compileCel } from '../cel/index.js';
import { errorMessage } from '../errors.js';
import type { KubeObject } from '../ports.js';
import { matchesSelector, type LabelSelector } from './selector.js';

/** One availability probe entry as an ObjectSet holds it (kind is required by the CRD, optional here). */
export interface ObjectSetProbe {
  readonly probes: readonly {
    readonly condition?: { readonly type: string; readonly status: string };
    readonly fieldsEqual?: { readonly fieldA: string; readonly fieldB: string };
    readonly cel?: { readonly rule: string; readonly message: string };
  }[];
  readonly selector: {
    readonly kind?: { readonly group: string; readonly kind: string };
    readonly selector?: LabelSelector;
  };
}

export type ProbeStatus = 'True' | 'False' | 'Unknown';

export interface ProbeResult {
  readonly status: ProbeStatus;
  readonly messages: readonly string[];
}

const pass = (message: string): ProbeResult => ({ status: 'True', messages: [message] });
const failed = (message: string): ProbeResult => ({ status: 'False', messages: [message] });
const unknown = (message: string): ProbeResult => ({ status: 'Unknown', messages: [message] });

/** AND of results: Unknown if any is Unknown, else False if any is False; messages of that status. */
export function and(results: readonly ProbeResult[]): ProbeResult {
  for (const status of ['Unknown', 'False'] as const) {
    const matching = results.filter((r) => r.status === status);
    if (matching.length > 0) return { status, messages: matching.flatMap((r) => r.messages) };
  }
  return { status: 'True', messages: results.flatMap((r) => r.messages) };
}

function generation(object: KubeObject): number {
  return object.metadata.generation ?? 0;
}

/** `condition` probe: `condition "<type>" == "<status>": <problem>`. */
export function probeCondition(object: KubeObject, type: string, status: string): ProbeResult {
  const prefix = `condition "${type}" == "${status}"`;
  const conditions = field(object, 'status', 'conditions');
  if (conditions === undefined) return unknown(`${prefix}: missing .status.conditions`);
  if (!Array.isArray(conditions)) return unknown(`${prefix}: malformed`);
  for (const c of conditions) {
    if (!isRecord(c)) return unknown(`${prefix}: malformed`);
    if (c['type'] !== type) continue;
    const observed = c['observedGeneration'];
    if (typeof observed === 'number' && observed !== generation(object))
      return unknown(`${prefix}: outdated`);
    return c['status'] === status ? pass(prefix) : failed(`${prefix}: wrong status`);
  }
  return unknown(`${prefix}: not reported`);
}

function dotPath(path: string): string[] {
  return path.replace(/^\.+|\.+$/g, '').split('.');
}

/** Semantic deep equality of JSON values (numbers by value). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** `fieldsEqual` probe (dot paths, no array indexes). */
export function probeFieldsEqual(object: KubeObject, fieldA: string, fieldB: string): ProbeResult {
  const a = field(object, ...dotPath(fieldA));
  if (a === undefined) return failed(`"${fieldA}" missing`);
  const b = field(object, ...dotPath(fieldB));
  if (b === undefined) return failed(`"${fieldB}" missing`);
  if (!deepEqual(a, b))
    return failed(`"${fieldA}" != "${fieldB}" expected: ${JSON.stringify(a)} got: ${JSON.stringify(b)}`);
  return pass(`"${fieldA}" == "${fieldB}"`);
}

/** `cel` probe: `self` is the object. */
export function probeCel(object: KubeObject, rule: string, message: string): ProbeResult {
  try {
    return compileCel(rule, 'probe').evaluate({ self: object }) ? pass(message) : failed(message);
  } catch (error) {
    return failed(`CEL program failed: ${errorMessage(error)}`);
  }
}

type Probe = ObjectSetProbe['probes'][number];

function runProbe(object: KubeObject, probe: Probe): ProbeResult {
  const results: ProbeResult[] = [];
  if (probe.condition !== undefined)
    results.push(probeCondition(object, probe.condition.type, probe.condition.status));
  if (probe.fieldsEqual !== undefined)
    results.push(probeFieldsEqual(object, probe.fieldsEqual.fieldA, probe.fieldsEqual.fieldB));
  if (probe.cel !== undefined) results.push(probeCel(object, probe.cel.rule, probe.cel.message));
  return and(results);
}

/** One availability probe entry: selector, then observedGeneration, then the AND of its probes. */
function probeEntry(object: KubeObject, entry: ObjectSetProbe): ProbeResult | undefined {
  const kind = entry.selector.kind;
  if (kind !== undefined && (kind.kind !== object.kind || kind.group !== groupOf(object.apiVersion)))
    return undefined;
  if (
    entry.selector.selector !== undefined &&
    !matchesSelector(entry.selector.selector, object.metadata.labels ?? {})
  )
    return undefined;
  const observed = field(object, 'status', 'observedGeneration');
  if (typeof observed === 'number' && observed !== generation(object)) return unknown('.status outdated');
  return and(entry.probes.map((p) => runProbe(object, p)));
}

/** Every probe entry against one object; objects no entry selects pass. */
export function probeObject(object: KubeObject, probes: readonly ObjectSetProbe[]): ProbeResult {
  const results = probes.map((p) => probeEntry(object, p)).filter((r): r is ProbeResult => r !== undefined);
  return results.length === 0 ? { status: 'True', messages: [] } : and(results);
}

/** The identity of an object in probe messages: `<group> <Kind> <ns>/<name>`. */
export function objectLabel(object: {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}): string {
  return `${groupOf(object.apiVersion)} ${object.kind} ${object.namespace}/${object.name}`;
}

export interface ObjectProbeFailure {
  readonly object: { apiVersion: string; kind: string; namespace: string; name: string };
  readonly messages: readonly string[];
}

/** PKO's phase failure message: `Phase "<phase>" failed: <group> <Kind> <ns>/<name>: <m1>, <m2>, …`. */
export function phaseFailureMessage(phase: string, failures: readonly ObjectProbeFailure[]): string {
  return `Phase "${phase}" failed: ${probeFailuresMessage(failures)}`;
}

/** The failures without the phase (PKO's `StringWithoutPhase`): what an ObjectSetPhase reports. */
export function probeFailuresMessage(failures: readonly ObjectProbeFailure[]): string {
  return failures.map((f) => `${objectLabel(f.object)}: ${f.messages.join(', ')}`).join(', ');
}
