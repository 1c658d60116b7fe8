/**
 * @module console/view
 * The pure view models of the web console (`gantry console`): what state a (Cluster)Package is in, the one-line
 * summary the Package list shows, the phase pipeline of a revision (each object with its probe result and message,
 * read from the ObjectSet's spec and conditions), which object a rollout waits for and since when, and the revision
 * history. Everything here is computed from objects as the API server sends them; no I/O, no clock.
 */
import { groupOf } from '../api/objects.js';
import type { ApiCondition, ApiObjectSet, ApiPackage } from '../api/resources.js';
import { ANNOTATION_CHANGE_CAUSE, ANNOTATION_PAUSE_MESSAGE } from '../api/constants.js';

/** The states the console shows a Package in, most urgent first. */
export const PACKAGE_STATES = [
  'Paused',
  'Invalid',
  'Failing',
  'Progressing',
  'Unpacking',
  'Available',
  'Unknown',
] as const;
export type PackageState = (typeof PACKAGE_STATES)[number];

/** One row of the Package list. */
export interface PackageSummary {
  /** `Package/<ns>/<name>` or `ClusterPackage//<name>`: the key the page and the stream use. */
  readonly key: string;
  readonly kind: 'Package' | 'ClusterPackage';
  readonly namespace: string;
  readonly name: string;
  readonly state: PackageState;
  /** The condition reason behind the state ('' when none). */
  readonly reason: string;
  /** The condition message behind the state ('' when none). */
  readonly message: string;
  readonly image: string;
  readonly revision: number;
  /** `metadata.creationTimestamp` ('' when unknown), for the age column. */
  readonly created: string;
}

/** The key of a (Cluster)Package in the console: `<kind>/<namespace>/<name>`. */
export function packageKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** A condition that speaks of the object's current generation (an older one says nothing of what is there now). */
function currentCondition(
  conditions: readonly ApiCondition[] | undefined,
  type: string,
  generation: number,
): ApiCondition | undefined {
  const c = (conditions ?? []).find((x) => x.type === type);
  if (c === undefined) return undefined;
  return c.observedGeneration === undefined || c.observedGeneration >= generation ? c : undefined;
}

interface StateView {
  readonly state: PackageState;
  readonly reason: string;
  readonly message: string;
}

function fromCondition(state: PackageState, c: ApiCondition): StateView {
  return { state, reason: c.reason, message: c.message };
}

/**
 * The state of a (Cluster)Package, by the priority PKO's legacy `status.phase` used (Paused, Invalid, Unpacking,
 * Progressing, Available) with one more: Failing, when the image cannot be pulled or the package is neither
 * Available nor moving towards it. Available and Progressing count only when they speak of the current generation
 * (the status step rewrites theirs on every pass); Unpacked, Invalid and Paused keep the generation they were set at
 * (an unpack is not run again for a change that does not touch the image, e.g. a pause).
 */
export function packageState(pkg: ApiPackage): StateView {
  const gen = pkg.metadata.generation;
  const conds = pkg.status.conditions;
  const at = (type: string): ApiCondition | undefined =>
    type === 'Available' || type === 'Progressing'
      ? currentCondition(conds, type, gen)
      : (conds ?? []).find((c) => c.type === type);
  const paused = at('Paused');
  if (paused?.status === 'True' || pkg.spec.paused === true)
    return paused !== undefined
      ? fromCondition('Paused', paused)
      : {
          state: 'Paused',
          reason: 'Paused',
          message: pkg.metadata.annotations?.[ANNOTATION_PAUSE_MESSAGE] ?? '',
        };
  const invalid = at('Invalid');
  if (invalid?.status === 'True') return fromCondition('Invalid', invalid);
  const unpacked = at('Unpacked');
  if (unpacked?.status === 'False') return fromCondition('Failing', unpacked);
  if (unpacked === undefined) return { state: 'Unpacking', reason: '', message: '' };
  const progressing = at('Progressing');
  if (progressing?.status === 'True') return fromCondition('Progressing', progressing);
  const available = at('Available');
  if (available?.status === 'True') return fromCondition('Available', available);
  if (available !== undefined) return fromCondition('Failing', available);
  return { state: 'Unknown', reason: '', message: '' };
}

/** The list row of a (Cluster)Package. */
export function packageSummary(pkg: ApiPackage): PackageSummary {
  const namespace = pkg.metadata.namespace ?? '';
  return {
    key: packageKey(pkg.kind, namespace, pkg.metadata.name),
    kind: pkg.kind,
    namespace,
    name: pkg.metadata.name,
    ...packageState(pkg),
    image: pkg.spec.image,
    revision: pkg.status.revision ?? 0,
    created: pkg.metadata.creationTimestamp ?? '',
  };
}

/** What the list's filters ask for. */
export interface PackageFilter {
  /** '' for every namespace. */
  readonly namespace: string;
  /** '' for every state. */
  readonly state: string;
  /** Case-insensitive text matched against name, namespace, image and message. */
  readonly text: string;
}

/** Code-point order (names are lower-case DNS names: no locale rules needed, and far cheaper than localeCompare). */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The rows the filters keep, in the list's order: namespace, then name. */
export function filterPackages(
  rows: readonly PackageSummary[],
  filter: PackageFilter,
): readonly PackageSummary[] {
  const text = filter.text.trim().toLowerCase();
  return rows
    .filter(
      (r) =>
        (filter.namespace === '' || r.namespace === filter.namespace) &&
        (filter.state === '' || r.state === filter.state) &&
        (text === '' ||
          [r.name, r.namespace, r.image, r.message].some((s) => s.toLowerCase().includes(text))),
    )
    .sort((a, b) => byText(a.namespace, b.namespace) || byText(a.name, b.name));
}

/** Age as kubectl prints it: `42s`, `5m`, `3h`, `12d`. */
export function age(created: string, nowMs: number): string {
  const at = Date.parse(created);
  if (!Number.isFinite(at)) return '';
  const s = Math.max(0, Math.floor((nowMs - at) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The probe result of one object of a phase. */
export type ObjectStatus = 'Passed' | 'Failing' | 'Pending';

export interface PipelineObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly status: ObjectStatus;
  /** Why it fails (the probe's or the API server's words), '' otherwise. */
  readonly message: string;
}

export type PhaseStatus = 'Done' | 'Failing' | 'Active' | 'Pending';

export interface PipelinePhase {
  readonly name: string;
  readonly status: PhaseStatus;
  readonly objects: readonly PipelineObject[];
}

/** Which object the rollout waits for, why, and since when. */
export interface Waiting {
  readonly phase: string;
  /** `<Kind> <ns>/<name>`, '' when the condition names no object of the phase. */
  readonly object: string;
  readonly reason: string;
  readonly message: string;
  /** The lastTransitionTime of the ObjectSet's Available condition. */
  readonly since: string;
}

export interface Pipeline {
  readonly revision: number;
  readonly phases: readonly PipelinePhase[];
  readonly waiting: Waiting | undefined;
}

/** A phase with its objects, those kept in ObjectSlices read in. */
export interface PhaseObjects {
  readonly name: string;
  readonly objects: readonly { readonly object: Readonly<Record<string, unknown>> }[];
}

interface ObjectIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

function identityOf(raw: Readonly<Record<string, unknown>>, setNamespace: string): ObjectIdentity {
  const meta = raw['metadata'];
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const m = typeof meta === 'object' && meta !== null ? meta : {};
  const ns = 'namespace' in m ? str(m.namespace) : '';
  return {
    apiVersion: str(raw['apiVersion']),
    kind: str(raw['kind']),
    namespace: ns !== '' ? ns : setNamespace,
    name: 'name' in m ? str(m.name) : '',
  };
}

/**
 * The ways PKO's messages name an object: probe failures `<group> <Kind> <ns>/<name>: …`, preflight errors
 * `<Kind[.group]> <ns>/<name>: …`, collisions `object <ns>/<name> kind:<Kind>: …` (cluster-scoped objects: `/<name>`).
 */
function labelsOf(o: ObjectIdentity): string[] {
  const group = groupOf(o.apiVersion);
  const groupKind = group === '' ? o.kind : `${o.kind}.${group}`;
  const names = [`${o.namespace}/${o.name}`, `/${o.name}`];
  return names.flatMap((n) => [
    `${group} ${o.kind} ${n}: `,
    `${groupKind} ${n}: `,
    `object ${n} kind:${o.kind}: `,
  ]);
}

/** Where in `message` the object is named, and the length of that label (undefined: not named). */
function locate(message: string, o: ObjectIdentity): { at: number; length: number } | undefined {
  for (const label of labelsOf(o)) {
    const at = message.indexOf(label);
    if (at >= 0) return { at, length: label.length };
  }
  return undefined;
}

/** The message of each object `message` names: the text after its label, up to the next object's label. */
function objectMessages(message: string, objects: readonly ObjectIdentity[]): Map<number, string> {
  const found = objects
    .map((o, index) => ({ index, place: locate(message, o) }))
    .filter((f): f is { index: number; place: { at: number; length: number } } => f.place !== undefined)
    .sort((a, b) => a.place.at - b.place.at);
  const out = new Map<number, string>();
  found.forEach((f, i) => {
    const next = found[i + 1];
    const end = next === undefined ? message.length : next.place.at;
    const text = message.slice(f.place.at + f.place.length, end).replace(/,\s*$/, '');
    out.set(f.index, text.trim());
  });
  return out;
}

/** The phase a failure message speaks of: `Phase "<name>" …`. */
function phaseNamed(message: string): string | undefined {
  return /^Phase "([^"]+)"/.exec(message)?.[1];
}

function failingPhaseIndex(set: ApiObjectSet, phases: readonly PhaseObjects[], message: string): number {
  const named = set.status.progress?.phase ?? phaseNamed(message);
  const index = phases.findIndex((p) => p.name === named);
  if (index >= 0) return index;
  // A collision message names no phase: the first phase holding an object the message names.
  const holding = phases.findIndex((p) =>
    p.objects.some((o) => locate(message, identityOf(o.object, set.metadata.namespace ?? '')) !== undefined),
  );
  return holding >= 0 ? holding : 0;
}

function phaseView(
  phase: PhaseObjects,
  status: PhaseStatus,
  setNamespace: string,
  message: string,
): PipelinePhase {
  const ids = phase.objects.map((o) => identityOf(o.object, setNamespace));
  const messages = status === 'Failing' ? objectMessages(message, ids) : new Map<number, string>();
  const objectStatus = (index: number): ObjectStatus => {
    if (status === 'Done') return 'Passed';
    if (status === 'Pending') return 'Pending';
    if (messages.has(index)) return 'Failing';
    return status === 'Failing' ? 'Passed' : 'Pending';
  };
  return {
    name: phase.name,
    status,
    objects: ids.map((id, index) => ({
      ...id,
      status: objectStatus(index),
      message: messages.get(index) ?? '',
    })),
  };
}

/**
 * The phases of a revision as a pipeline: all Done once the ObjectSet is Available; else the phases before the one
 * its Available=False condition (or progress record) names are Done, that one is Failing with the objects the
 * message names, and the rest are Pending. Without an Available condition yet, the first phase is Active.
 */
export function pipelineOf(set: ApiObjectSet, phases: readonly PhaseObjects[]): Pipeline {
  const ns = set.metadata.namespace ?? '';
  const revision = set.status.revision ?? set.spec.revision;
  const available = currentCondition(set.status.conditions, 'Available', set.metadata.generation);
  if (available?.status === 'True')
    return { revision, phases: phases.map((p) => phaseView(p, 'Done', ns, '')), waiting: undefined };
  const message = available?.message ?? '';
  const failing = available === undefined ? -1 : failingPhaseIndex(set, phases, message);
  const current = failing < 0 ? 0 : failing;
  const view = phases.map((p, i) =>
    phaseView(
      p,
      i < current ? 'Done' : i > current ? 'Pending' : failing < 0 ? 'Active' : 'Failing',
      ns,
      message,
    ),
  );
  const phase = view[current];
  const blocker = phase?.objects.find((o) => o.status === 'Failing');
  return {
    revision,
    phases: view,
    waiting:
      phase === undefined
        ? undefined
        : {
            phase: phase.name,
            object: blocker === undefined ? '' : `${blocker.kind} ${blocker.namespace}/${blocker.name}`,
            reason: available?.reason ?? '',
            message: blocker?.message ?? message,
            since: available?.lastTransitionTime ?? set.metadata.creationTimestamp ?? '',
          },
  };
}

/** One revision of a Package's history, as the console lists it. */
export interface RevisionView {
  readonly revision: number;
  /** The ObjectSet's name. */
  readonly name: string;
  readonly lifecycleState: string;
  readonly successful: boolean;
  readonly available: boolean;
  readonly changeCause: string;
  readonly created: string;
}

function revisionNumber(set: ApiObjectSet): number {
  return set.status.revision ?? set.spec.revision;
}

/** The revisions of a Package, newest first. */
export function revisionViews(sets: readonly ApiObjectSet[]): readonly RevisionView[] {
  return [...sets]
    .sort((a, b) => revisionNumber(b) - revisionNumber(a))
    .map((s) => ({
      revision: revisionNumber(s),
      name: s.metadata.name,
      lifecycleState: s.spec.lifecycleState,
      successful: (s.status.conditions ?? []).some((c) => c.type === 'Succeeded' && c.status === 'True'),
      available: (s.status.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True'),
      changeCause: s.metadata.annotations?.[ANNOTATION_CHANGE_CAUSE] ?? '',
      created: s.metadata.creationTimestamp ?? '',
    }));
}

/**
 * The revision to show as the pipeline: the newest not archived (the one rolling out, or the live one when
 * nothing is).
 */
export function currentSet(sets: readonly ApiObjectSet[]): ApiObjectSet | undefined {
  return [...sets]
    .filter((s) => s.spec.lifecycleState !== 'Archived')
    .sort((a, b) => revisionNumber(b) - revisionNumber(a))[0];
}
