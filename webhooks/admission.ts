/**
 * @module webhooks/admission
 * The validating and mutating admission webhooks (AdmissionReview v1), pure `(request, deps) → response`.
 *
 * Validating: Package / ClusterPackage (image reference, config an object, component name, and the config
 * against the package's own schema when the package can be fetched within the budget: denied at `kubectl apply`
 * time with the message the `Invalid` condition would carry); ObjectDeployment / ObjectSet / ObjectSetPhase
 * (unique phase names, one probe type per probe, CEL that compiles, `fieldsEqual` paths, the immutability rules
 * for API servers without CRD CEL); ObjectTemplate (destinations with a leading dot). Every admitted request that
 * is not a dry run is also a trigger: its key (and its controller's) is dispatched.
 *
 * Mutating: the finalizers the steps would add, set at creation, so the first step needs no extra write.
 */
import { z } from 'zod';
import {
  ANNOTATION_SERVICE_ACCOUNT,
  API_VERSION,
  GROUP,
  isKindName,
  kindEntry,
  type KindName,
} from '../shared/api/constants.js';
import { serviceAccountNameProblem } from '../shared/identity.js';
import { controllerKeyOf } from '../shared/triggers/index.js';
import { isRecord, parseMeta } from '../shared/api/objects.js';
import { compileCel } from '../shared/cel/index.js';
import { errorMessage } from '../shared/errors.js';
import { parseReference } from '../shared/oci/reference.js';
import type { PackageManifest } from '../shared/api/generated/packagemanifest.js';
import { admit } from '../shared/packages/render.js';
import { ViolationError } from '../shared/packages/violation.js';
import type { ObjectRef } from '../shared/ports.js';
import { approvalErrors, type CatalogVersions } from './approval.js';
import { followedRepository } from '../shared/catalog/model.js';
import { json, parseJson, problem, type HttpRequest, type HttpResponse } from './http.js';

const ADMISSION_API = 'admission.k8s.io/v1';

const reviewSchema = z.object({
  apiVersion: z.literal(ADMISSION_API),
  kind: z.literal('AdmissionReview'),
  request: z.object({
    uid: z.string().min(1),
    kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
    subResource: z.string().optional(),
    name: z.string().optional(),
    namespace: z.string().optional(),
    operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
    userInfo: z.object({ username: z.string().optional() }).loose(),
    object: z.unknown().optional(),
    oldObject: z.unknown().optional(),
    dryRun: z.boolean().optional(),
  }),
});
export type AdmissionRequest = z.infer<typeof reviewSchema>['request'];

/** Why a key was dispatched; a host may delay keys whose object is not stored yet. */
export type DispatchReason = 'create' | 'update' | 'delete' | 'status' | 'owner' | 'event' | 'registry';

/** What a package fetch within the admission budget gave. */
export type ManifestLookup =
  | { readonly kind: 'found'; readonly manifest: PackageManifest }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface AdmissionDeps {
  /** Hand a key to the host's dispatcher (never awaited by the API server's request). */
  readonly dispatch: (ref: ObjectRef, reason: DispatchReason) => void;
  /**
   * The package's manifest (component selected), fetched within the host's time budget; undefined when the
   * host does not fetch packages at admission (`--admission-fetch=false`).
   */
  readonly lookupManifest?: (image: string, component: string | undefined) => Promise<ManifestLookup>;
  /** The catalog's versions, to check an approval (`gantry.run/approved-version`) of a following Package. */
  readonly catalogVersions?: CatalogVersions;
  /** The host's own user: its status writes trigger only their owner, never themselves again. */
  readonly selfUsername?: string;
  /** Time for compiling an object's CEL rules (default CEL_ADMISSION_LIMITS.compileBudgetMs). */
  readonly celBudgetMs?: number;
}

interface Verdict {
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

const ok: Verdict = { errors: [], warnings: [] };

function review(uid: string, response: Record<string, unknown>): HttpResponse {
  return json(200, { apiVersion: ADMISSION_API, kind: 'AdmissionReview', response: { uid, ...response } });
}

/** Parse an AdmissionReview body; a 400 answer when it is not one. */
function parseReview(request: HttpRequest): AdmissionRequest | HttpResponse {
  if (request.method !== 'POST') return problem(405, 'admission reviews are POSTed');
  const body = parseJson(request.body);
  if (body === undefined) return problem(400, 'the body is not JSON');
  const parsed = reviewSchema.safeParse(body);
  if (!parsed.success)
    return problem(
      400,
      `not an admission.k8s.io/v1 AdmissionReview: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  return parsed.data.request;
}

function servedKind(req: AdmissionRequest): KindName | undefined {
  if (req.kind.group !== GROUP) return undefined;
  const kind = req.kind.kind;
  return isKindName(kind) ? kind : undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const FIELD_PATH = /^\.?[^.\s]+(\.[^.\s]+)*$/;

function quote(value: unknown): string {
  return JSON.stringify(typeof value === 'string' ? value : String(value));
}

function packageSpecErrors(spec: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const image = spec['image'];
  if (typeof image !== 'string' || image === '') errors.push('spec.image: Required value');
  else if (/^(https|s3):\/\//.test(image)) {
    if (!URL.canParse(image)) errors.push(`spec.image: Invalid value: ${quote(image)}: invalid URL`);
  } else {
    const ref = parseReference(image);
    if (!ref.ok) errors.push(`spec.image: Invalid value: ${quote(image)}: ${ref.error}`);
  }
  const config = spec['config'];
  if (config !== undefined && config !== null && !isRecord(config))
    errors.push(`spec.config: Invalid value: ${quote(typeof config)}: must be an object`);
  const component = spec['component'];
  if (component !== undefined && (typeof component !== 'string' || !DNS_LABEL.test(component)))
    errors.push(
      `spec.component: Invalid value: ${quote(component)}: a component name must consist of lower case alphanumeric characters or '-'`,
    );
  return errors;
}

async function validatePackage(req: AdmissionRequest, deps: AdmissionDeps): Promise<Verdict> {
  const spec = isRecord(req.object) && isRecord(req.object['spec']) ? req.object['spec'] : {};
  const errors = packageSpecErrors(spec);
  if (errors.length === 0)
    errors.push(
      ...(await approvalErrors(req.object, req.oldObject, req.namespace ?? '', deps.catalogVersions)),
    );
  if (errors.length > 0 || deps.lookupManifest === undefined) return { errors, warnings: [] };
  const image = String(spec['image']);
  const component = typeof spec['component'] === 'string' ? spec['component'] : undefined;
  const lookup = await deps.lookupManifest(image, component);
  if (lookup.kind === 'unavailable')
    return { errors: [], warnings: [`config not checked against the package's schema: ${lookup.reason}`] };
  const old = isRecord(req.oldObject) && isRecord(req.oldObject['spec']) ? req.oldObject['spec'] : undefined;
  try {
    admit(lookup.manifest, spec['config'], component ?? '', old?.['config']);
    return ok;
  } catch (error) {
    if (error instanceof ViolationError) return { errors: [error.message], warnings: [] };
    return { errors: [], warnings: [`config not checked: ${errorMessage(error)}`] };
  }
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Bounds on the CEL one object may carry: every rule is compiled at admission, on the API server's clock. */
export const CEL_ADMISSION_LIMITS = {
  maxRules: 64,
  maxRuleBytes: 4096,
  maxTotalBytes: 16 * 1024,
  /** Rules are compiled one at a time, yielding between them, until this much time has passed. */
  compileBudgetMs: 50,
} as const;

/** A CEL rule to compile, in its place among the other errors of its probe. */
interface CelSlot {
  readonly at: string;
  readonly rule: string;
}

function probeEntries(probes: unknown, path: string): (string | CelSlot)[] {
  const entries: (string | CelSlot)[] = [];
  list(probes).forEach((entry, i) => {
    const inner = isRecord(entry) ? entry['probes'] : undefined;
    list(inner).forEach((probe, j) => {
      const at = `${path}[${i}].probes[${j}]`;
      if (!isRecord(probe)) return;
      const types = ['condition', 'fieldsEqual', 'cel'].filter((t) => probe[t] !== undefined);
      if (types.length !== 1)
        entries.push(
          `${at}: Invalid value: "object": exactly one of condition, fieldsEqual or cel must be set`,
        );
      const cel = probe['cel'];
      if (isRecord(cel) && typeof cel['rule'] === 'string')
        entries.push({ at: `${at}.cel.rule`, rule: cel['rule'] });
      const fe = probe['fieldsEqual'];
      if (isRecord(fe))
        for (const f of ['fieldA', 'fieldB'])
          if (typeof fe[f] !== 'string' || !FIELD_PATH.test(fe[f]))
            entries.push(
              `${at}.fieldsEqual.${f}: Invalid value: ${quote(fe[f])}: must be a dot-separated field path`,
            );
    });
  });
  return entries;
}

/** The size limits on an object's CEL, checked before anything is compiled. */
function celLimitErrors(slots: readonly CelSlot[], path: string): string[] {
  const { maxRules, maxRuleBytes, maxTotalBytes } = CEL_ADMISSION_LIMITS;
  const bytes = slots.map((s) => Buffer.byteLength(s.rule));
  const errors = slots
    .filter((_, i) => (bytes[i] ?? 0) > maxRuleBytes)
    .map((s) => `${s.at}: Too long: may not be more than ${maxRuleBytes} bytes`);
  if (slots.length > maxRules)
    errors.push(`${path}: Too many: ${slots.length}: must have at most ${maxRules} CEL rules`);
  const total = bytes.reduce((a, b) => a + b, 0);
  if (total > maxTotalBytes)
    errors.push(
      `${path}: Invalid value: "object": CEL rules of ${total} bytes in all; the limit is ${maxTotalBytes} bytes per object`,
    );
  return errors;
}

/**
 * The probe errors of an object, its CEL compiled within the budget (one rule at a time, the event loop free
 * between rules). Rules left when the budget runs out are a warning: the step checks them when it runs.
 */
async function probeErrors(probes: unknown, path: string, budgetMs: number): Promise<Verdict> {
  const entries = probeEntries(probes, path);
  const slots = entries.filter((e): e is CelSlot => typeof e !== 'string');
  const limits = celLimitErrors(slots, path);
  if (limits.length > 0) return { errors: limits, warnings: [] };
  const deadline = performance.now() + budgetMs;
  const errors: string[] = [];
  let unchecked = 0;
  for (const entry of entries) {
    if (typeof entry === 'string') {
      errors.push(entry);
      continue;
    }
    if (performance.now() >= deadline) {
      unchecked += 1;
      continue;
    }
    try {
      compileCel(entry.rule, 'probe');
    } catch (error) {
      errors.push(`${entry.at}: Invalid value: ${quote(entry.rule)}: ${errorMessage(error)}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const warnings =
    unchecked > 0
      ? [
          `${unchecked} CEL rules not compiled within ${budgetMs} ms at admission; they are checked when the object is reconciled`,
        ]
      : [];
  return { errors, warnings };
}

function phaseErrors(phases: unknown, path: string): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  list(phases).forEach((phase, i) => {
    const name = isRecord(phase) ? phase['name'] : undefined;
    if (typeof name !== 'string') return;
    if (seen.has(name)) errors.push(`${path}[${i}].name: Duplicate value: ${quote(name)}`);
    seen.add(name);
  });
  return errors;
}

/** The template spec an object carries: an ObjectDeployment's `spec.template.spec`, else its `spec`. */
function templateSpecOf(kind: string, object: unknown): { spec: Record<string, unknown>; path: string } {
  const spec = isRecord(object) && isRecord(object['spec']) ? object['spec'] : {};
  if (kind.endsWith('ObjectDeployment')) {
    const t =
      isRecord(spec['template']) && isRecord(spec['template']['spec']) ? spec['template']['spec'] : {};
    return { spec: t, path: 'spec.template.spec' };
  }
  return { spec, path: 'spec' };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** docs/pko-compatibility.md §6.2: the CRD CEL immutability rules, for API servers that do not run them. */
function immutabilityErrors(kind: string, object: unknown, old: unknown): string[] {
  const now = templateSpecOf(kind, object).spec;
  const before = templateSpecOf(kind, old).spec;
  const fields = kind.endsWith('ObjectSetPhase')
    ? ['revision', 'previous', 'availabilityProbes', 'objects']
    : ['previous', 'phases', 'availabilityProbes', 'successDelaySeconds'];
  const errors = fields
    .filter((f) => !sameJson(now[f], before[f]))
    .map((f) => `spec: Invalid value: "object": ${f} is immutable`);
  if (
    !kind.endsWith('ObjectSetPhase') &&
    before['revision'] !== undefined &&
    now['revision'] !== before['revision']
  )
    errors.push('spec: Invalid value: "object": revision is immutable');
  return errors;
}

async function validateObjectSetLike(
  kind: string,
  req: AdmissionRequest,
  deps: AdmissionDeps,
): Promise<Verdict> {
  const { spec, path } = templateSpecOf(kind, req.object);
  const budget = deps.celBudgetMs ?? CEL_ADMISSION_LIMITS.compileBudgetMs;
  const probes = await probeErrors(spec['availabilityProbes'], `${path}.availabilityProbes`, budget);
  const errors = [...phaseErrors(spec['phases'], `${path}.phases`), ...probes.errors];
  const isSet = kind.endsWith('ObjectSet') || kind.endsWith('ObjectSetPhase');
  if (isSet && req.operation === 'UPDATE' && req.subResource === undefined)
    errors.push(...immutabilityErrors(kind, req.object, req.oldObject));
  return { errors, warnings: probes.warnings };
}

function validateObjectTemplate(req: AdmissionRequest): Verdict {
  const spec = isRecord(req.object) && isRecord(req.object['spec']) ? req.object['spec'] : {};
  const errors: string[] = [];
  list(spec['sources']).forEach((source, i) => {
    const items = isRecord(source) ? source['items'] : undefined;
    list(items).forEach((item, j) => {
      const d = isRecord(item) ? item['destination'] : undefined;
      if (typeof d === 'string' && !d.startsWith('.'))
        errors.push(
          `spec.sources[${i}].items[${j}].destination: Invalid value: ${quote(d)}: path ${d} must be a JSONPath with a leading dot`,
        );
    });
  });
  return { errors, warnings: [] };
}

/** The ServiceAccount annotation (tenants confined to their rights) names one that can exist. */
function identityErrors(object: unknown): string[] {
  const name = parseMeta(isRecord(object) ? object['metadata'] : undefined)?.annotations?.[
    ANNOTATION_SERVICE_ACCOUNT
  ];
  const problem = name === undefined ? undefined : serviceAccountNameProblem(name);
  if (name === undefined || problem === undefined) return [];
  return [
    `metadata.annotations[${ANNOTATION_SERVICE_ACCOUNT}]: Invalid value: ${quote(name.slice(0, 253))}: ${problem}`,
  ];
}

async function verdictFor(kind: string, req: AdmissionRequest, deps: AdmissionDeps): Promise<Verdict> {
  if (req.operation === 'DELETE' || req.operation === 'CONNECT' || req.subResource !== undefined) return ok;
  const identity = identityErrors(req.object);
  if (identity.length > 0) return { errors: identity, warnings: [] };
  return kindVerdict(kind, req, deps);
}

async function kindVerdict(kind: string, req: AdmissionRequest, deps: AdmissionDeps): Promise<Verdict> {
  if (kind === 'Package' || kind === 'ClusterPackage') return validatePackage(req, deps);
  if (kind.endsWith('ObjectDeployment') || kind.endsWith('ObjectSet') || kind.endsWith('ObjectSetPhase'))
    return validateObjectSetLike(kind, req, deps);
  if (kind.endsWith('ObjectTemplate')) return validateObjectTemplate(req);
  return ok;
}

function refFrom(kind: string, object: unknown, req: AdmissionRequest): ObjectRef {
  const meta = parseMeta(isRecord(object) ? object['metadata'] : undefined);
  return {
    apiVersion: API_VERSION,
    kind,
    namespace: meta?.namespace ?? req.namespace ?? '',
    name: meta?.name ?? req.name ?? '',
  };
}

/** The keys an admitted request triggers: the object (unless it is our own status write) and its controller. */
export function triggered(
  kind: string,
  req: AdmissionRequest,
  selfUsername?: string,
): [ObjectRef, DispatchReason][] {
  if (req.dryRun === true) return [];
  const object = req.operation === 'DELETE' ? req.oldObject : req.object;
  const ref = refFrom(kind, object, req);
  if (ref.name === '') return [];
  const own = selfUsername !== undefined && req.userInfo.username === selfUsername;
  const out: [ObjectRef, DispatchReason][] = [];
  const reason: DispatchReason =
    req.subResource === 'status'
      ? 'status'
      : req.operation === 'CREATE'
        ? 'create'
        : req.operation === 'DELETE'
          ? 'delete'
          : 'update';
  if (!(own && req.subResource === 'status')) out.push([ref, reason]);
  const meta = parseMeta(isRecord(object) ? object['metadata'] : undefined);
  const owner =
    meta === undefined ? undefined : controllerKeyOf({ metadata: { ...meta, namespace: ref.namespace } });
  if (owner !== undefined) out.push([owner, 'owner']);
  // A Package that follows a catalog repository (or changed how): the repository proposes to it at once (the
  // repository's own moves come back here too: its next pass finds nothing to do and writes nothing).
  const followed =
    meta === undefined || reason === 'status' || reason === 'delete'
      ? undefined
      : followedRepository({
          apiVersion: ref.apiVersion,
          kind,
          metadata: { ...meta, namespace: ref.namespace },
        });
  if (followed !== undefined) out.push([followed, 'update']);
  return out;
}

/** `POST /webhooks/validate`. */
export async function handleValidate(request: HttpRequest, deps: AdmissionDeps): Promise<HttpResponse> {
  const req = parseReview(request);
  if (!('uid' in req)) return req;
  const kind = servedKind(req);
  if (kind === undefined)
    return review(req.uid, {
      allowed: true,
      warnings: [`gantry does not validate ${req.kind.group}/${req.kind.version}, Kind=${req.kind.kind}`],
    });
  const verdict = await verdictFor(kind, req, deps);
  if (verdict.errors.length > 0)
    return review(req.uid, {
      allowed: false,
      status: { code: 422, reason: 'Invalid', message: verdict.errors.join(', ') },
    });
  for (const [ref, reason] of triggered(kind, req, deps.selfUsername)) deps.dispatch(ref, reason);
  return review(req.uid, {
    allowed: true,
    ...(verdict.warnings.length > 0 ? { warnings: verdict.warnings } : {}),
  });
}

/** The JSON Patch that adds a kind's finalizer at creation; empty when there is nothing to add. */
export function finalizerPatch(kind: string, object: unknown): unknown[] {
  const finalizer = kindEntry(kind)?.finalizer;
  if (finalizer === undefined || !isRecord(object) || !isRecord(object['metadata'])) return [];
  const current = object['metadata']['finalizers'];
  if (!Array.isArray(current)) return [{ op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
  if (current.includes(finalizer)) return [];
  return [{ op: 'add', path: '/metadata/finalizers/-', value: finalizer }];
}

/** `POST /webhooks/mutate`. */
export function handleMutate(request: HttpRequest): HttpResponse {
  const req = parseReview(request);
  if (!('uid' in req)) return req;
  const kind = servedKind(req);
  if (kind === undefined || req.operation !== 'CREATE' || req.subResource !== undefined)
    return review(req.uid, { allowed: true });
  const patch = finalizerPatch(kind, req.object);
  if (patch.length === 0) return review(req.uid, { allowed: true });
  return review(req.uid, {
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
  });
}
