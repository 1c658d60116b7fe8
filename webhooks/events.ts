/**
 * @module webhooks/events
 * `POST /events`: every trigger that is not admission. CloudEvents (binary, structured and batch modes) from
 * Knative's ApiServerSource (`dev.knative.apiserver.resource.*` and `dev.knative.apiserver.ref.*`) and
 * PingSource (`dev.knative.sources.ping`), Harbor's CloudEvents and `run.gantry.image.pushed`; and the plain
 * webhooks of registries (CNCF distribution, Harbor, GitHub, ECR through an EventBridge API destination).
 *
 * Each source is authenticated as configured for it (a shared token in `Authorization`, or an HMAC-SHA256 of
 * the body); a source without configuration is refused. The credentials are checked before the body is parsed
 * (a request that satisfies no configured source costs no parsing), a batch is counted on its raw JSON before
 * any CloudEvent is built, and HMAC-signed `run.gantry.*` events must be fresh and not seen before (see
 * {@link ReplayGuard}). Events are hints: a key is re-read by its step, a push
 * is re-resolved against the registry, so a forged or replayed event that passed authentication changes nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { EVENT_SOURCES, type EventSource, type EventsAuth } from '../shared/triggers/events-auth.js';
import { apiVersionOf, isKindName } from '../shared/api/constants.js';
import { controllerOf, isRecord, parseMeta } from '../shared/api/objects.js';
import { errorMessage } from '../shared/errors.js';
import type { ObjectRef } from '../shared/ports.js';
import type { DispatchReason } from './admission.js';
import { json, mediaType, parseJson, problem, type HttpRequest, type HttpResponse } from './http.js';
import type { ReplayGuard } from './replay.js';
import {
  fromDistribution,
  fromEcr,
  fromGantryPush,
  fromGitHub,
  fromHarbor,
  fromHarborData,
  hasKey,
  type ImagePush,
  type PushParse,
} from './registry-events.js';

export { EVENT_SOURCES, eventsAuthSchema, sourceAuthSchema } from '../shared/triggers/events-auth.js';
export type { EventSource, EventsAuth, SourceAuth } from '../shared/triggers/events-auth.js';

export interface EventsDeps {
  readonly auth: EventsAuth;
  readonly dispatch: (ref: ObjectRef, reason: DispatchReason) => void;
  /** Run the schedule tick: dispatch every key that is due; resolves to how many. */
  readonly tick: () => Promise<number>;
  /** Re-resolve every Package whose image names a pushed repository and tag; resolves to how many matched. */
  readonly registryPush: (pushes: readonly ImagePush[]) => Promise<number>;
  /** Counted by the host's metrics. */
  readonly refused?: (source: EventSource | 'unknown', status: number) => void;
  /** The host's queue is full: events are answered 429 with Retry-After until it drains. */
  readonly busy?: () => boolean;
  /** Refuses stale and replayed HMAC-signed `run.gantry.*` events. */
  readonly replays: ReplayGuard;
}

const CE_BATCH = 'application/cloudevents-batch+json';
/** What a sender is asked to wait when the queue is full. */
const BUSY_RETRY_SECONDS = 5;
/** Events in one batch, and distinct pushes in one request, at most. */
const MAX_EVENTS = 100;
/** A key handed back by a host that had to stop (`gantry serve --handback-url`), or sent by anyone to run it now. */
export const RECONCILE_EVENT = 'run.gantry.reconcile';
const CE_STRUCTURED = 'application/cloudevents+json';
/** `application/vnd.docker.distribution.events.v1+json` (distribution v2), `….v2+json` (v3). */
const DISTRIBUTION = /^application\/vnd\.docker\.distribution\.events\.v\d+\+json$/;

function equalSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function authenticated(source: EventSource, request: HttpRequest, auth: EventsAuth): boolean {
  const config = auth[source];
  if (config === undefined) return false;
  if ('none' in config) return true;
  if ('token' in config) {
    const header = request.headers['authorization'] ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : header;
    return equalSecret(token, config.token);
  }
  const header =
    request.headers[source === 'github' ? 'x-hub-signature-256' : 'x-gantry-signature-256'] ?? '';
  if (header === '') return false; // no signature: no hashing of the body
  const expected = `sha256=${createHmac('sha256', config.hmacSecret).update(request.body).digest('hex')}`;
  return equalSecret(header, expected);
}

/** The sources whose configured proof this request carries, checked before its body is parsed. */
function authenticatedSources(request: HttpRequest, auth: EventsAuth): Set<EventSource> {
  return new Set(EVENT_SOURCES.filter((source) => authenticated(source, request, auth)));
}

/** The source a request claims by its headers alone (for the refusal and its metric). */
function claimedSource(request: HttpRequest): EventSource | 'unknown' {
  if (request.headers['x-github-event'] !== undefined) return 'github';
  const ceType = request.headers['ce-type'];
  if (ceType !== undefined) return sourceOfType(ceType);
  const type = mediaType(request.headers);
  if (type === CE_STRUCTURED || type === CE_BATCH) return 'cloudevents';
  if (DISTRIBUTION.test(type)) return 'distribution';
  return 'unknown';
}

function isCloudEvents(request: HttpRequest): boolean {
  const type = mediaType(request.headers);
  return request.headers['ce-specversion'] !== undefined || type === CE_STRUCTURED || type === CE_BATCH;
}

function sourceOfType(type: string): EventSource {
  if (type.startsWith('dev.knative.')) return 'knative';
  if (type.startsWith('harbor.')) return 'harbor';
  return 'cloudevents';
}

/** A batch's length read from its raw JSON, before any CloudEvent is built. */
function rawBatchProblem(request: HttpRequest): string | undefined {
  if (mediaType(request.headers) !== CE_BATCH) return undefined;
  const raw = parseJson(request.body);
  if (!Array.isArray(raw)) return 'not a valid CloudEvent batch: the body is not a JSON array';
  return raw.length > MAX_EVENTS ? `a batch of ${raw.length} events; the limit is ${MAX_EVENTS}` : undefined;
}

function parseCloudEvents(request: HttpRequest): CloudEvent[] | string {
  try {
    const body = new TextDecoder('utf-8', { fatal: true }).decode(request.body);
    const parsed: unknown = HTTP.toEvent({ headers: request.headers, body });
    const events = Array.isArray(parsed) ? parsed : [parsed];
    const valid = events.filter((e): e is CloudEvent => e instanceof CloudEvent);
    // The SDK reads leniently; a CloudEvent without its required attributes is refused here.
    for (const e of valid) e.validate();
    if (valid.length === 0) return 'not a valid CloudEvent: an empty batch';
    return valid;
  } catch (error) {
    return `not a valid CloudEvent: ${errorMessage(error)}`;
  }
}

function gantryRef(
  apiVersion: unknown,
  kind: unknown,
  namespace: unknown,
  name: unknown,
): ObjectRef | undefined {
  if (typeof kind !== 'string' || !isKindName(kind) || apiVersion !== apiVersionOf(kind)) return undefined;
  if (typeof name !== 'string' || name === '') return undefined;
  return { apiVersion, kind, namespace: typeof namespace === 'string' ? namespace : '', name };
}

/** The keys an ApiServerSource event names: the object if it is a Gantry kind, and its Gantry controller. */
export function apiServerKeys(type: string, data: unknown): ObjectRef[] | string {
  if (!isRecord(data)) return `${type} without an object in its data`;
  if (type.startsWith('dev.knative.apiserver.ref.')) {
    const ref = gantryRef(data['apiVersion'], data['kind'], data['namespace'], data['name']);
    return ref === undefined ? [] : [ref];
  }
  const meta = parseMeta(data['metadata']);
  if (meta === undefined) return `${type} without an object in its data`;
  const keys: ObjectRef[] = [];
  const self = gantryRef(data['apiVersion'], data['kind'], meta.namespace, meta.name);
  if (self !== undefined) keys.push(self);
  const owner = controllerOf(meta);
  const ownerRef = owner && gantryRef(owner.apiVersion, owner.kind, meta.namespace, owner.name);
  if (ownerRef !== undefined) keys.push(ownerRef);
  return keys;
}

interface Outcome {
  dispatched: number;
  ticks: number;
  pushes: ImagePush[];
  ignored: string[];
}

function handleCloudEvent(event: CloudEvent, outcome: Outcome, deps: EventsDeps): string | undefined {
  const type = event.type;
  if (type === 'dev.knative.sources.ping') {
    outcome.ticks += 1;
    return undefined;
  }
  if (type.startsWith('dev.knative.apiserver.resource.') || type.startsWith('dev.knative.apiserver.ref.')) {
    const keys = apiServerKeys(type, event.data);
    if (typeof keys === 'string') return keys;
    for (const key of keys) deps.dispatch(key, type.endsWith('.delete') ? 'delete' : 'event');
    outcome.dispatched += keys.length;
    return undefined;
  }
  if (type === RECONCILE_EVENT) {
    const ref = isRecord(event.data)
      ? gantryRef(event.data['apiVersion'], event.data['kind'], event.data['namespace'], event.data['name'])
      : undefined;
    if (ref === undefined)
      return `${RECONCILE_EVENT} needs data {apiVersion, kind, namespace, name} of a Gantry kind`;
    deps.dispatch(ref, 'event');
    outcome.dispatched += 1;
    return undefined;
  }
  let parsed: PushParse | undefined;
  if (type === 'harbor.artifact.pushed') parsed = fromHarborData(event.data);
  else if (type === 'run.gantry.image.pushed') parsed = fromGantryPush(event.data);
  if (parsed === undefined) return `unknown event type ${JSON.stringify(type)}`;
  if ('error' in parsed) return parsed.error;
  outcome.pushes.push(...parsed.pushes);
  return undefined;
}

/** A plain registry webhook: which source it is, and its pushes. */
function plainWebhook(
  request: HttpRequest,
  body: unknown,
): { source: EventSource; parsed: PushParse } | undefined {
  const github = request.headers['x-github-event'];
  if (github !== undefined) {
    if (github === 'ping') return { source: 'github', parsed: { pushes: [] } };
    if (github !== 'package' && github !== 'registry_package')
      return { source: 'github', parsed: { pushes: [] } };
    return { source: 'github', parsed: fromGitHub(body) };
  }
  if (DISTRIBUTION.test(mediaType(request.headers)) || hasKey(body, 'events'))
    return { source: 'distribution', parsed: fromDistribution(body) };
  if (hasKey(body, 'event_data')) return { source: 'harbor', parsed: fromHarbor(body) };
  if (hasKey(body, 'detail-type')) return { source: 'ecr', parsed: fromEcr(body) };
  return undefined;
}

function refuse(
  deps: EventsDeps,
  source: EventSource | 'unknown',
  status: number,
  reason: string,
): HttpResponse {
  deps.refused?.(source, status);
  return problem(status, reason);
}

/** One push per repository and tag (a notification envelope repeats them), at most MAX_EVENTS. */
function distinctPushes(pushes: readonly ImagePush[]): ImagePush[] {
  const byName = new Map<string, ImagePush>();
  for (const p of pushes) byName.set(`${p.registry}/${p.repository}:${p.tag}`, p);
  return [...byName.values()].slice(0, MAX_EVENTS);
}

async function finish(outcome: Outcome, deps: EventsDeps): Promise<HttpResponse> {
  // However many ticks a batch carries, one tick finds everything that is due.
  const ticked = outcome.ticks > 0 ? await deps.tick() : 0;
  const pushes = distinctPushes(outcome.pushes);
  const matched = pushes.length > 0 ? await deps.registryPush(pushes) : 0;
  return json(202, {
    dispatched: outcome.dispatched + ticked,
    pushes: pushes.length,
    packagesMatched: matched,
    ...(outcome.ignored.length > 0 ? { ignored: outcome.ignored } : {}),
  });
}

/**
 * The context attributes of each event as sent (the SDK fills a missing `time` with now, so freshness is judged
 * on the raw attributes): the `ce-*` headers in binary mode, the JSON object(s) otherwise.
 */
function rawAttributes(request: HttpRequest): Record<string, unknown>[] {
  if (request.headers['ce-specversion'] !== undefined)
    return [
      {
        id: request.headers['ce-id'],
        source: request.headers['ce-source'],
        type: request.headers['ce-type'],
        time: request.headers['ce-time'],
      },
    ];
  const raw = parseJson(request.body);
  return (Array.isArray(raw) ? raw : [raw]).filter(isRecord);
}

/** Why an HMAC-signed `run.gantry.*` event is refused (stale or replayed); undefined when it is not. */
function replayProblem(request: HttpRequest, deps: EventsDeps): string | undefined {
  const config = deps.auth.cloudevents;
  if (config === undefined || !('hmacSecret' in config)) return undefined;
  for (const e of rawAttributes(request)) {
    const text = (name: string): string | undefined => (typeof e[name] === 'string' ? e[name] : undefined);
    if (!(text('type') ?? '').startsWith('run.gantry.')) continue;
    const problem = deps.replays.check(text('source') ?? '', text('id') ?? '', text('time'));
    if (problem !== undefined) return problem;
  }
  return undefined;
}

async function handleCloudEvents(
  request: HttpRequest,
  sources: ReadonlySet<EventSource>,
  deps: EventsDeps,
): Promise<HttpResponse> {
  const batch = rawBatchProblem(request);
  if (batch !== undefined) return refuse(deps, 'unknown', 400, batch);
  const events = parseCloudEvents(request);
  if (typeof events === 'string') return refuse(deps, 'unknown', 400, events);
  for (const source of new Set(events.map((e) => sourceOfType(e.type))))
    if (!sources.has(source)) return refuse(deps, source, 401, `unauthenticated ${source} event`);
  const replay = replayProblem(request, deps);
  if (replay !== undefined) return refuse(deps, 'cloudevents', 409, replay);
  const outcome: Outcome = { dispatched: 0, ticks: 0, pushes: [], ignored: [] };
  const problems: string[] = [];
  for (const event of events) {
    const error = handleCloudEvent(event, outcome, deps);
    if (error !== undefined) problems.push(error);
  }
  if (problems.length > 0 && problems.length === events.length)
    return refuse(deps, 'unknown', 400, problems.join('; '));
  outcome.ignored.push(...problems);
  return finish(outcome, deps);
}

/** `POST /events`. */
export async function handleEvents(request: HttpRequest, deps: EventsDeps): Promise<HttpResponse> {
  if (request.method !== 'POST') return problem(405, 'events are POSTed');
  const sources = authenticatedSources(request, deps.auth);
  if (sources.size === 0) {
    const claimed = claimedSource(request);
    return refuse(deps, claimed, 401, `unauthenticated ${claimed === 'unknown' ? '' : `${claimed} `}event`);
  }
  if (deps.busy?.() === true) {
    deps.refused?.(claimedSource(request), 429);
    const answer = problem(429, `the work queue is full; retry after ${BUSY_RETRY_SECONDS} s`);
    return { ...answer, headers: { ...answer.headers, 'retry-after': String(BUSY_RETRY_SECONDS) } };
  }
  if (isCloudEvents(request)) return handleCloudEvents(request, sources, deps);
  const type = mediaType(request.headers);
  if (type !== 'application/json' && !DISTRIBUTION.test(type))
    return refuse(deps, 'unknown', 415, `unsupported content type ${JSON.stringify(type)}`);
  const body = parseJson(request.body);
  if (body === undefined) return refuse(deps, 'unknown', 400, 'the body is not JSON');
  const hook = plainWebhook(request, body);
  if (hook === undefined)
    return refuse(deps, 'unknown', 400, 'not an event Gantry knows (CloudEvent or registry webhook)');
  if (!sources.has(hook.source))
    return refuse(deps, hook.source, 401, `unauthenticated ${hook.source} event`);
  if ('error' in hook.parsed) return refuse(deps, hook.source, 400, hook.parsed.error);
  return finish({ dispatched: 0, ticks: 0, pushes: [...hook.parsed.pushes], ignored: [] }, deps);
}
