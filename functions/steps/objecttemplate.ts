/**
 * @module steps/objecttemplate
 * The (Cluster)ObjectTemplate step `template` (docs/pko-compatibility.md §5.2): read the sources (labelling them so a
 * watching host sees their changes), collect their items into `.config`, render the Go template, and create
 * the one object it yields with a controller reference (or update it in place). Bad sources and templates set
 * `package-operator.run/Invalid` and leave the output as it was.
 */
import { FINALIZER_CACHED, LABEL_CACHE } from '../../shared/api/constants.js';
import { refOf } from '../../shared/api/objects.js';
import {
  objectTemplateSchema,
  parseResource,
  type ApiObjectTemplate,
  type ApiTemplateSource,
} from '../../shared/api/resources.js';
import { isKubeReason, isNotFound } from '../../shared/kube-errors.js';
import {
  CONDITION_INVALID,
  OPTIONAL_SOURCE_RETRY_MS,
  SOURCE_RETRY_MS,
  conditionsToCopy,
  controlledRefOf,
  copyItems,
  desiredOutput,
  outputForCreate,
  outputForUpdate,
  parseOutput,
  preflight,
  sourceAsWritten,
  sourceErrorMessage,
  sourceRef,
  templateErrorMessage,
  watchedSourceRef,
  type TemplateOwner,
} from '../../shared/objecttemplate/index.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';
import { isTemplateError } from '../../shared/render/errors.js';
import { objectsDeps } from './identity.js';
import { Conditions, ensureFinalizer, removeFinalizer } from './status.js';
import type { StepDeps, StepResult } from './types.js';

const STEP = 'template';

/** Each source is a GET per step and each item a JSONPath evaluation: bounded (PKO has no limit; Gantry's own). */
const MAX_SOURCES = 64;
const MAX_ITEMS = 1024;

/** Why the template cannot be applied now: the Invalid condition's reason and message, and when to retry. */
interface Problem {
  /** PKO's SourceError and TemplateError; Gantry's IdentityError (no identity to act as), ApplyError (output refused). */
  readonly reason: 'SourceError' | 'TemplateError' | 'IdentityError' | 'ApplyError';
  readonly message: string;
  readonly requeueAfterMs?: number;
}

type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: Problem };

interface Sources {
  readonly config: Record<string, unknown>;
  /** An optional source is missing: look again after PKO's optional retry interval. */
  readonly missingOptional: boolean;
}

function ownerOf(ot: ApiObjectTemplate): TemplateOwner {
  return {
    apiVersion: ot.apiVersion,
    kind: ot.kind,
    name: ot.metadata.name,
    namespace: ot.metadata.namespace ?? '',
    uid: ot.metadata.uid,
  };
}

function sourceProblem(object: Parameters<typeof sourceErrorMessage>[0], error: string): Problem {
  return { reason: 'SourceError', message: sourceErrorMessage(object, error) };
}

/**
 * GET a source (its NotFound message when it is not there); found without the cache label, the label is added
 * so a watching host sees its changes.
 */
async function readSource(ref: ObjectRef, deps: StepDeps): Promise<KubeObject | string> {
  let object: KubeObject;
  try {
    object = await deps.kube.get(ref);
  } catch (error) {
    if (isNotFound(error)) return error.message;
    throw error;
  }
  if (object.metadata.labels?.[LABEL_CACHE] === 'True') return object;
  const labelled = await deps.kube.mergePatch(refOf(object), {
    metadata: { labels: { [LABEL_CACHE]: 'True' } },
  });
  deps.wrote?.(labelled);
  return labelled;
}

/** One source: preflight, read, copy its items into `config`. */
async function oneSource(
  source: ApiTemplateSource,
  owner: TemplateOwner,
  config: Record<string, unknown>,
  deps: StepDeps,
): Promise<Outcome<{ ref: ObjectRef; found: boolean }>> {
  const written = sourceAsWritten(source);
  const info = await deps.kube.resource(source.apiVersion, source.kind);
  const violations = preflight(written, owner, info);
  if (violations !== undefined || info === undefined)
    return { ok: false, problem: sourceProblem(written, violations ?? '') };
  const ref = sourceRef(source, owner, info);
  let object: KubeObject | string;
  try {
    object = await readSource(ref, deps);
  } catch (error) {
    // The template's identity may not read (or label) it: the server's words, looked at again later.
    if (!isKubeReason(error, 'Forbidden')) throw error;
    return { ok: false, problem: { ...sourceProblem(ref, error.message), requeueAfterMs: SOURCE_RETRY_MS } };
  }
  if (typeof object === 'string') {
    if (source.optional === true) return { ok: true, value: { ref, found: false } };
    return {
      ok: false,
      problem: {
        ...sourceProblem(ref, object),
        requeueAfterMs: deps.objectTemplateRetryMs?.source ?? SOURCE_RETRY_MS,
      },
    };
  }
  const copied = copyItems(source, object, config);
  if (!copied.ok) return { ok: false, problem: sourceProblem(ref, copied.error) };
  return { ok: true, value: { ref, found: true } };
}

async function readSources(
  ot: ApiObjectTemplate,
  owner: TemplateOwner,
  deps: StepDeps,
): Promise<{
  /** Where every source was looked for (found or not), to be watched. */
  readonly refs: ObjectRef[];
  readonly result: Outcome<Sources>;
}> {
  const config: Record<string, unknown> = {};
  const refs: ObjectRef[] = [];
  let missingOptional = false;
  const items = ot.spec.sources.reduce((n, s) => n + s.items.length, 0);
  if (ot.spec.sources.length > MAX_SOURCES || items > MAX_ITEMS)
    return {
      refs,
      result: {
        ok: false,
        problem: {
          reason: 'SourceError',
          message: `${ot.spec.sources.length} sources with ${items} items; the limits are ${MAX_SOURCES} sources and ${MAX_ITEMS} items`,
        },
      },
    };
  for (const [i, source] of ot.spec.sources.entries()) {
    const one = await oneSource(source, owner, config, deps);
    if (!one.ok) {
      // Every source stays watched, so fixing any of them runs the template again.
      refs.push(...ot.spec.sources.slice(i).map((s) => watchedSourceRef(s, owner)));
      return { refs, result: one };
    }
    refs.push(one.value.ref);
    if (!one.value.found) missingOptional = true;
  }
  return { refs, result: { ok: true, value: { config, missingOptional } } };
}

/** Render the template with `{config, environment}` (Go engine, ObjectTemplate functions) and parse its one object. */
async function render(
  ot: ApiObjectTemplate,
  config: Record<string, unknown>,
  deps: StepDeps,
): Promise<Outcome<KubeObject>> {
  let text: string;
  try {
    const out = await deps.engines.gotmpl.render({
      templates: new Map([['', ot.spec.template]]),
      execute: [''],
      context: { config, environment: await deps.environment.environment(ot.metadata.namespace ?? '') },
      files: new Map(),
      functionSet: 'objectTemplate',
    });
    text = out.get('') ?? '';
  } catch (error) {
    if (!isTemplateError(error)) throw error;
    return { ok: false, problem: { reason: 'TemplateError', message: templateErrorMessage(error.message) } };
  }
  const parsed = parseOutput(text);
  if (!parsed.ok) return { ok: false, problem: { reason: 'TemplateError', message: parsed.error } };
  return { ok: true, value: parsed.value };
}

/** Create the output, or update it in place keeping its owners and finalizers; returns what was written. */
async function writeOutput(
  desired: KubeObject,
  owner: TemplateOwner,
  conds: Conditions,
  deps: StepDeps,
): Promise<KubeObject> {
  let existing: KubeObject | undefined;
  try {
    existing = await deps.kube.get(refOf(desired));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const written =
    existing === undefined
      ? await deps.kube.create(outputForCreate(desired, owner))
      : await deps.kube.update(outputForUpdate(desired, existing));
  if (existing !== undefined) for (const c of conditionsToCopy(existing)) conds.copy(c);
  // Not reported as the step's own write: an output of a kind the engine reconciles (a Package) must still be
  // picked up by a watching host; for other kinds the event costs one more (no-op) step.
  return written;
}

/** {@link writeOutput}; a write the template's identity may not make is an ApplyError with the server's words. */
async function applyOutput(
  desired: KubeObject,
  owner: TemplateOwner,
  conds: Conditions,
  deps: StepDeps,
): Promise<Outcome<KubeObject>> {
  try {
    return { ok: true, value: await writeOutput(desired, owner, conds, deps) };
  } catch (error) {
    if (!isKubeReason(error, 'Forbidden')) throw error;
    const where = `${desired.kind} ${desired.metadata.namespace ?? ''}/${desired.metadata.name}`;
    const message = `for output ${where}: ${error.message}`;
    return { ok: false, problem: { reason: 'ApplyError', message, requeueAfterMs: SOURCE_RETRY_MS } };
  }
}

function invalid(
  ot: ApiObjectTemplate,
  raw: KubeObject,
  conds: Conditions,
  problem: Problem,
  refs: readonly ObjectRef[],
): StepResult {
  conds.set(CONDITION_INVALID, 'True', problem.reason, problem.message);
  return {
    step: STEP,
    outcome: problem.requeueAfterMs !== undefined ? 'waiting' : 'failed',
    status: { ...ot.status, conditions: conds.toJSON() },
    object: raw,
    sources: refs,
    error: problem.message,
    ...(problem.requeueAfterMs !== undefined ? { requeueAfterMs: problem.requeueAfterMs } : {}),
  };
}

/** One reconcile of a (Cluster)ObjectTemplate. */
export async function reconcileObjectTemplate(input: KubeObject, deps: StepDeps): Promise<StepResult> {
  const ot = parseResource(objectTemplateSchema, input);
  if (ot.metadata.deletionTimestamp !== undefined) {
    await removeFinalizer(deps.kube, input, FINALIZER_CACHED);
    return { step: STEP, outcome: 'done' };
  }
  const raw = await ensureFinalizer(deps.kube, input, FINALIZER_CACHED);
  deps.wrote?.(raw);
  const owner = ownerOf(ot);
  const conds = new Conditions(ot.status.conditions, ot.metadata.generation, deps.clock.now());
  // Sources are read and the output written as the template's identity (tenants confined to their rights).
  const tenant = objectsDeps(ot, deps);
  if (!tenant.ok) {
    const refs = ot.spec.sources.map((s) => watchedSourceRef(s, owner));
    return invalid(ot, raw, conds, { reason: 'IdentityError', message: tenant.message }, refs);
  }
  const as = tenant.deps;
  const { refs, result: sources } = await readSources(ot, owner, as);
  if (!sources.ok) return invalid(ot, raw, conds, sources.problem, refs);
  const rendered = await render(ot, sources.value.config, deps);
  if (!rendered.ok) return invalid(ot, raw, conds, rendered.problem, refs);
  const output = rendered.value;
  const violations = preflight(
    {
      apiVersion: output.apiVersion,
      kind: output.kind,
      namespace: output.metadata.namespace ?? '',
      name: output.metadata.name,
      ...(output.metadata.ownerReferences !== undefined
        ? { ownerReferences: output.metadata.ownerReferences }
        : {}),
    },
    owner,
    await as.kube.resource(output.apiVersion, output.kind),
  );
  if (violations !== undefined) {
    const problem = sourceProblem(
      { kind: output.kind, namespace: output.metadata.namespace ?? '', name: output.metadata.name },
      violations,
    );
    return invalid(ot, raw, conds, problem, refs);
  }
  const applied = await applyOutput(desiredOutput(output, owner), owner, conds, as);
  if (!applied.ok) return invalid(ot, raw, conds, applied.problem, refs);
  const written = applied.value;
  conds.remove(CONDITION_INVALID);
  return {
    step: STEP,
    outcome: sources.value.missingOptional ? 'waiting' : 'done',
    status: { ...ot.status, controllerOf: controlledRefOf(written), conditions: conds.toJSON() },
    object: raw,
    sources: refs,
    managedKinds: [{ apiVersion: written.apiVersion, kind: written.kind }],
    ...(sources.value.missingOptional
      ? { requeueAfterMs: deps.objectTemplateRetryMs?.optional ?? OPTIONAL_SOURCE_RETRY_MS }
      : {}),
  };
}
