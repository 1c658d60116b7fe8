/**
 * Who may call the admission endpoints: the API server's verified client certificate (optionally by name) or one of
 * the configured bearer tokens; everyone else is refused before the handler runs.
 */
import { describe, expect, it } from 'vitest';
import { admissionAuth, OPEN_ADMISSION, refuseAdmissionCaller } from './admission-auth.js';
import type { HttpRequest } from './http.js';
import { ReplayGuard } from './replay.js';
import { handleRequest, type RouterDeps } from './router.js';

const TOKEN = 'a-token-of-32-characters-0123456';

function request(extra: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'POST', path: '/webhooks/validate', headers: {}, body: new Uint8Array(), ...extra };
}

const certOnly = admissionAuth({ clientCertificate: true, clientNames: ['kube-apiserver-admission'] });
const tokenOnly = admissionAuth({ clientCertificate: false, tokens: [TOKEN, ''] });
const both = admissionAuth({ clientCertificate: true, tokens: [TOKEN] });
const CERT_REASON =
  'admission requests must present the API server client certificate configured for this webhook';

describe('refuseAdmissionCaller', () => {
  it.each([
    ['no credentials, open admission', OPEN_ADMISSION, request(), undefined],
    ['no credentials', certOnly, request(), CERT_REASON],
    [
      'a verified certificate with the allowed name',
      certOnly,
      request({ clientCertificate: { verified: true, names: ['kube-apiserver-admission'] } }),
      undefined,
    ],
    [
      'a verified certificate of another name',
      certOnly,
      request({ clientCertificate: { verified: true, names: ['someone', '127.0.0.1'] } }),
      CERT_REASON,
    ],
    [
      'an unverified certificate with the allowed name',
      certOnly,
      request({ clientCertificate: { verified: false, names: ['kube-apiserver-admission'] } }),
      CERT_REASON,
    ],
    ['the token', tokenOnly, request({ headers: { authorization: `Bearer ${TOKEN}` } }), undefined],
    [
      'the token, scheme in lower case',
      tokenOnly,
      request({ headers: { authorization: `bearer ${TOKEN}` } }),
      undefined,
    ],
    [
      'a wrong token',
      tokenOnly,
      request({ headers: { authorization: `Bearer ${TOKEN.slice(1)}x` } }),
      'admission requests must present a bearer token configured for this webhook',
    ],
    [
      'the token without a scheme',
      tokenOnly,
      request({ headers: { authorization: TOKEN } }),
      'admission requests must present a bearer token configured for this webhook',
    ],
    [
      'a token of 5000 characters',
      tokenOnly,
      request({ headers: { authorization: `Bearer ${'x'.repeat(5000)}` } }),
      'admission requests must present a bearer token configured for this webhook',
    ],
    [
      'a certificate of any name when no names are configured',
      both,
      request({ clientCertificate: { verified: true, names: ['x'] } }),
      undefined,
    ],
    [
      'the token where both are accepted',
      both,
      request({ headers: { authorization: `Bearer ${TOKEN}` } }),
      undefined,
    ],
    [
      'nothing where both are accepted',
      both,
      request(),
      'admission requests must present the API server client certificate or a bearer token configured for this webhook',
    ],
  ])('%s', (_name, auth, req, reason) => {
    expect(refuseAdmissionCaller(req, auth)).toBe(reason);
  });

  it('keeps digests of the tokens, not the tokens', () => {
    expect(JSON.stringify(tokenOnly)).not.toContain(TOKEN);
    expect(tokenOnly.tokenDigests).toHaveLength(1);
  });

  it('refuses tokens shorter than 16 characters', () => {
    expect(() => admissionAuth({ clientCertificate: false, tokens: ['short'] })).toThrow(
      'an admission token must be at least 16 characters long',
    );
  });
});

describe('the router with admission credentials', () => {
  let dispatched = 0;
  const deps: RouterDeps = {
    admission: {
      dispatch: () => {
        dispatched += 1;
      },
    },
    events: {
      auth: {},
      dispatch: () => undefined,
      tick: () => Promise.resolve(0),
      registryPush: () => Promise.resolve(0),
      refused: () => undefined,
      replays: new ReplayGuard(),
    },
    ready: () => true,
    admissionAuth: tokenOnly,
  };

  it('answers 401 on both admission paths before reading the body, and dispatches nothing', async () => {
    for (const path of ['/webhooks/validate', '/webhooks/mutate']) {
      const answer = await handleRequest(request({ path, body: new Uint8Array(2 * 1024 * 1024) }), deps);
      expect([path, answer.status, answer.body]).toEqual([
        path,
        401,
        '{"error":"admission requests must present a bearer token configured for this webhook"}',
      ]);
    }
    expect(dispatched).toBe(0);
  });

  it('leaves /healthz and /events to their own rules', async () => {
    expect((await handleRequest(request({ method: 'GET', path: '/healthz' }), deps)).status).toBe(200);
    // /events answers by its own sources' proofs (none is configured here), not by the admission credentials.
    const events = await handleRequest(request({ path: '/events' }), deps);
    expect([events.status, events.body]).toEqual([401, '{"error":"unauthenticated event"}']);
  });
});
