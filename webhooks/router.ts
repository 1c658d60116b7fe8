/**
 * @module webhooks/router
 * One entry point for every host: the path picks the handler. `/metrics` stays with the host (it owns the
 * registry of metrics); everything else is answered here, so `gantry serve` and the Lambda handler agree.
 */
import { handleMutate, handleValidate, type AdmissionDeps } from './admission.js';
import { refuseAdmissionCaller, type AdmissionAuth } from './admission-auth.js';
import { handleEvents, type EventsDeps } from './events.js';
import { json, MAX_BODY_BYTES, problem, type HttpRequest, type HttpResponse } from './http.js';

export interface RouterDeps {
  readonly admission: AdmissionDeps;
  readonly events: EventsDeps;
  /** Ready: the host can reach the API server. */
  readonly ready: () => boolean;
  /** Who may call the admission endpoints (default: anyone; see webhooks/admission-auth). */
  readonly admissionAuth?: AdmissionAuth;
}

/** The admission handler of a path, or undefined. */
function admissionRoute(
  path: string,
): ((request: HttpRequest, deps: RouterDeps) => Promise<HttpResponse>) | undefined {
  if (path === '/webhooks/validate') return (request, deps) => handleValidate(request, deps.admission);
  if (path === '/webhooks/mutate') return (request) => Promise.resolve(handleMutate(request));
  return undefined;
}

/** Answer one request. Never throws for bad input: a 4xx with a reason. */
export async function handleRequest(request: HttpRequest, deps: RouterDeps): Promise<HttpResponse> {
  const admission = admissionRoute(request.path);
  if (admission !== undefined && deps.admissionAuth !== undefined) {
    const refused = refuseAdmissionCaller(request, deps.admissionAuth);
    if (refused !== undefined) return problem(401, refused);
  }
  if (request.body.byteLength > MAX_BODY_BYTES)
    return problem(413, `the body is over ${MAX_BODY_BYTES} bytes`);
  if (admission !== undefined) return admission(request, deps);
  switch (request.path) {
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
