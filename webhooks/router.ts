/**
 * @module webhooks/router
 * One entry point for every host: the path picks the handler. `/metrics` stays with the host (it owns the
 * registry of metrics); everything else is answered here, so `gantry serve` and the Lambda handler agree.
 */
import { handleMutate, handleValidate, type AdmissionDeps } from './admission.js';
import { handleEvents, type EventsDeps } from './events.js';
import { json, MAX_BODY_BYTES, problem, type HttpRequest, type HttpResponse } from './http.js';

export interface RouterDeps {
  readonly admission: AdmissionDeps;
  readonly events: EventsDeps;
  /** Ready: the host can reach the API server. */
  readonly ready: () => boolean;
}

/** Answer one request. Never throws for bad input: a 4xx with a reason. */
export async function handleRequest(request: HttpRequest, deps: RouterDeps): Promise<HttpResponse> {
  if (request.body.byteLength > MAX_BODY_BYTES)
    return problem(413, `the body is over ${MAX_BODY_BYTES} bytes`);
  switch (request.path) {
    case '/webhooks/validate':
      return handleValidate(request, deps.admission);
    case '/webhooks/mutate':
      return handleMutate(request);
    case '/events':
      return handleEvents(request, deps.events);
    case '/healthz':
      return json(200, { status: 'ok' });
    case '/readyz':
      return deps.ready() ? json(200, { status: 'ready' }) : json(503, { status: 'not ready' });
    default:
      return problem(404, `no route ${request.path}`);
  }
}
