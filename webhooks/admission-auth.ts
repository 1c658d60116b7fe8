/**
 * @module webhooks/admission-auth
 * Who may call the admission endpoints. kube-apiserver authenticates itself to a webhook the way its
 * AdmissionConfiguration's `kubeConfigFile` says: a client certificate, a bearer token, or both. When a host is
 * configured with either, an admission request passes only with a client certificate that the host verified
 * against its CA (and, when names are given, whose common name or a DNS/IP SAN is one of them) or with one of the
 * tokens; anything else is answered 401 before its body is read, and causes no work. Unconfigured, admission stays
 * open (managed control planes cannot present credentials to a webhook): the endpoints are then made harmless
 * instead (bounded work, no outbound fetch for callers that are not the API server, nothing fetched echoed).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from './http.js';

export interface AdmissionAuth {
  /** A client certificate verified against the host's CA passes (the host checks the chain; see `HttpRequest`). */
  readonly clientCertificate: boolean;
  /** When not empty, the verified certificate's CN or one of its SANs must be one of these. */
  readonly clientNames: readonly string[];
  /** SHA-256 digests of the accepted bearer tokens (the tokens themselves are not kept). */
  readonly tokenDigests: readonly Buffer[];
}

/** No credentials configured: every caller passes. */
export const OPEN_ADMISSION: AdmissionAuth = { clientCertificate: false, clientNames: [], tokenDigests: [] };

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** The configuration for a client CA (names optional) and/or tokens; tokens shorter than 16 characters are refused. */
export function admissionAuth(options: {
  readonly clientCertificate: boolean;
  readonly clientNames?: readonly string[];
  readonly tokens?: readonly string[];
}): AdmissionAuth {
  const tokens = (options.tokens ?? []).map((t) => t.trim()).filter((t) => t !== '');
  const short = tokens.find((t) => t.length < 16);
  if (short !== undefined) throw new Error('an admission token must be at least 16 characters long');
  return {
    clientCertificate: options.clientCertificate,
    clientNames: options.clientNames ?? [],
    tokenDigests: tokens.map(digest),
  };
}

export function isOpen(auth: AdmissionAuth): boolean {
  return !auth.clientCertificate && auth.tokenDigests.length === 0;
}

function bearer(headers: Readonly<Record<string, string>>): string | undefined {
  const m = /^Bearer ([^\s,]+)$/i.exec(headers['authorization'] ?? '');
  return m?.[1];
}

function tokenMatches(auth: AdmissionAuth, token: string | undefined): boolean {
  if (token === undefined || token.length > 4096) return false;
  const d = digest(token);
  // Every digest is compared (constant time per comparison), so the time says nothing about which one matched.
  return auth.tokenDigests.reduce((ok, known) => timingSafeEqual(known, d) || ok, false);
}

function certificateMatches(auth: AdmissionAuth, request: HttpRequest): boolean {
  const peer = request.clientCertificate;
  if (!auth.clientCertificate || peer === undefined || !peer.verified) return false;
  return auth.clientNames.length === 0 || peer.names.some((n) => auth.clientNames.includes(n));
}

/** undefined when the caller may be served; otherwise the reason for a 401 (it names no credential). */
export function refuseAdmissionCaller(request: HttpRequest, auth: AdmissionAuth): string | undefined {
  if (isOpen(auth)) return undefined;
  if (certificateMatches(auth, request) || tokenMatches(auth, bearer(request.headers))) return undefined;
  const ways = [
    ...(auth.clientCertificate ? ['the API server client certificate'] : []),
    ...(auth.tokenDigests.length > 0 ? ['a bearer token'] : []),
  ];
  return `admission requests must present ${ways.join(' or ')} configured for this webhook`;
}
