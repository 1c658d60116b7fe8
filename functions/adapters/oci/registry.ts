/**
 * @module adapters/oci/registry
 * A small OCI distribution client over HttpClient (node:http/https; docs/architecture.md, "Dependencies"):
 * manifests by tag or digest with the Accept list of OCI and Docker v2 media types, blobs streamed with their
 * sha256 and size verified, monolithic blob upload and manifest push. Auth: the registry's `WWW-Authenticate` challenge decides — Bearer (the token flow,
 * anonymous or with credentials, tokens cached per repository scope) or Basic.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { refusal, RetryableError, TerminalError } from '../../../shared/errors.js';
import {
  basicAuthorization,
  parseChallenge,
  type Challenge,
  type Credentials,
} from '../../../shared/oci/auth.js';
import { sha256 } from '../../../shared/oci/image.js';
import { limitText } from '../../../shared/oci/limits.js';
import {
  MANIFEST_ACCEPT,
  parseManifest,
  type Descriptor,
  type ParsedManifest,
} from '../../../shared/oci/manifest.js';
import { formatReference, type QualifiedReference } from '../../../shared/oci/reference.js';
import { PULL_RETRY_MS, shownUrl, type HttpClient, type HttpRequest, type HttpResponse } from './http.js';

export type Access = 'pull' | 'pull,push';

export interface RegistryClientOptions {
  readonly http: HttpClient;
  /** Credentials for a registry host, if any are configured. */
  readonly credentials: (host: string) => Credentials | undefined;
  /** Authorizations kept (one per registry, repository and access), least recently used dropped first. */
  readonly tokenCacheMax?: number;
  /** Characters of authorizations kept in all (a token may be up to 64 KiB). */
  readonly tokenCacheChars?: number;
}

/** Registry tokens are short-lived (docker's default is 5 minutes); one is kept at most this long. */
const TOKEN_TTL_MS = 4 * 60_000;
const TOKEN_CACHE_MAX = 512;
/** 512 tokens of the usual 2 KiB fit; a hostile realm's 64 KiB tokens are held 16 at a time. */
const TOKEN_CACHE_CHARS = 1024 * 1024;

export interface FetchedManifest {
  /** sha256 of the exact bytes the registry returned. */
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
  readonly parsed: ParsedManifest;
}

const tokenResponse = z.object({
  token: z.string().max(65_536).optional(),
  access_token: z.string().max(65_536).optional(),
});

const errorBody = z.object({
  errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional() })).optional(),
});

/**
 * The registry's structured error code (`MANIFEST_UNKNOWN`), if it sent one. Nothing else of a body is ever
 * shown: a registry (or a token realm) is anyone's server, and what it answers must not reach warnings, status,
 * Events or logs.
 */
function registryErrorCode(bytes: Uint8Array): string {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return '';
  }
  const parsed = errorBody.safeParse(json);
  const code = parsed.success ? parsed.data.errors?.[0]?.code : undefined;
  return code !== undefined && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : '';
}

/**
 * The OCI distribution spec's messages for its error codes: a registry's code is shown with the spec's words for
 * it (as PKO shows `MANIFEST_UNKNOWN: manifest unknown`), never with the registry's own text.
 */
const SPEC_MESSAGES: Readonly<Record<string, string>> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'manifest references a manifest or blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNSUPPORTED: 'the operation is unsupported',
  TOOMANYREQUESTS: 'too many requests',
};

/** `CODE: the spec's message` for a known code, `<status> CODE` for another, `<status>` without one. */
function describeStatus(status: number, code: string): string {
  if (code === '') return String(status);
  const message = SPEC_MESSAGES[code];
  return message === undefined ? `${status} ${code}` : `${code}: ${message}`;
}

/** The token of a token endpoint's answer; undefined when there is none (the body itself is never shown). */
function tokenOf(bytes: Uint8Array): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const parsed = tokenResponse.safeParse(body);
  const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
  return token === '' ? undefined : token;
}

function retryAfterMs(response: HttpResponse): number {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 300_000) : PULL_RETRY_MS;
}

/**
 * The token request: an OAuth2 refresh-token grant (POST) for an `identitytoken`, else a GET with Basic
 * credentials if any (anonymous otherwise), as docker and go-containerregistry do.
 */
function tokenRequest(
  url: URL,
  credentials: Credentials | undefined,
  signal: AbortSignal | undefined,
): HttpRequest {
  const common = signal !== undefined ? { signal } : {};
  if (credentials?.identityToken !== undefined) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credentials.identityToken,
      service: url.searchParams.get('service') ?? '',
      scope: url.searchParams.get('scope') ?? '',
      client_id: 'gantry',
    });
    return {
      url: `${url.origin}${url.pathname}`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new TextEncoder().encode(form.toString()),
      ...common,
    };
  }
  const basic = credentials !== undefined ? basicAuthorization(credentials) : undefined;
  return { url: url.href, ...(basic !== undefined ? { authorization: basic } : {}), ...common };
}

export class RegistryClient {
  private readonly authorizations: LRUCache<string, string>;

  public constructor(private readonly options: RegistryClientOptions) {
    this.authorizations = new LRUCache({
      max: options.tokenCacheMax ?? TOKEN_CACHE_MAX,
      maxSize: options.tokenCacheChars ?? TOKEN_CACHE_CHARS,
      sizeCalculation: (value) => Math.max(1, value.length),
      ttl: TOKEN_TTL_MS,
    });
  }

  /** How many authorizations are cached (bounded by `tokenCacheMax`). */
  public get cachedAuthorizations(): number {
    return this.authorizations.size;
  }

  private baseUrl(ref: QualifiedReference): string {
    const scheme = this.options.http.isInsecure(ref.registry) ? 'http' : 'https';
    return `${scheme}://${ref.registry}/v2/${ref.repository}`;
  }

  /** A request to the registry with auth: the cached authorization first, the challenge flow on a 401. */
  private async send(
    ref: QualifiedReference,
    access: Access,
    request: HttpRequest,
    expected: readonly number[],
  ): Promise<HttpResponse> {
    const key = `${ref.registry}/${ref.repository}:${access}`;
    const cached = this.authorizations.get(key);
    // Credentials belong to the registry's host: never to an upload Location or redirect on another host.
    const authorizationHost = new URL(this.baseUrl(ref)).host;
    const originHost = ref.registry;
    let response = await this.options.http.request({
      ...request,
      authorizationHost,
      originHost,
      ...(cached !== undefined ? { authorization: cached } : {}),
    });
    if (response.status === 401 && new URL(response.url).host !== authorizationHost) {
      // A challenge from the host a redirect named: its realm is not the registry's to name.
      await response.discard();
      return this.fail(
        ref,
        request,
        response,
        `the challenge came from ${new URL(response.url).host} after a redirect; not authenticating there`,
      );
    }
    if (response.status === 401) {
      const challenge = parseChallenge(response.headers.get('www-authenticate'));
      await response.discard();
      const authorization = await this.authorize(ref, access, challenge, request.signal);
      if (authorization !== undefined) {
        this.authorizations.set(key, authorization);
        response = await this.options.http.request({
          ...request,
          authorization,
          authorizationHost,
          originHost,
        });
      } else {
        return this.fail(
          ref,
          request,
          response,
          'authentication required and no credentials are configured for this registry (docker config.json or an imagePullSecret)',
        );
      }
    }
    if (!expected.includes(response.status)) {
      const missing = response.status === 404 && request.url.includes('/manifests/');
      return this.fail(ref, request, response, missing ? 'the repository has no such tag or digest' : '');
    }
    return response;
  }

  private async fail(
    ref: QualifiedReference,
    request: HttpRequest,
    response: HttpResponse,
    hint: string,
  ): Promise<never> {
    const text =
      response.status === 401 && hint !== ''
        ? ''
        : registryErrorCode(
            await response.bytes(64 * 1024, 'maxManifestBytes').catch(() => new Uint8Array()),
          );
    const hinted = hint !== '' && (text === '' || SPEC_MESSAGES[text] === undefined);
    const what = `${request.method ?? 'GET'} ${shownUrl(request.url)}: ${describeStatus(response.status, text)}${hinted ? ` (${hint})` : ''}`;
    const status = response.status;
    const kind =
      status === 401 || status === 403
        ? `unauthorized for ${ref.registry}/${ref.repository}`
        : status === 404
          ? 'not found'
          : status === 429 || status >= 500
            ? 'registry error'
            : 'registry refused the request';
    throw refusal(status, `${kind}: ${what}`, { retryAfterMs: retryAfterMs(response) });
  }

  private async authorize(
    ref: QualifiedReference,
    access: Access,
    challenge: Challenge | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const credentials = this.options.credentials(ref.registry);
    if (challenge?.scheme === 'basic')
      return credentials === undefined ? undefined : basicAuthorization(credentials);
    if (challenge?.scheme !== 'bearer') return undefined;
    if (credentials?.registryToken !== undefined) return `Bearer ${credentials.registryToken}`;
    const realm = challenge.params['realm'];
    if (realm === undefined || realm === '')
      throw new TerminalError(`registry ${ref.registry} sent a Bearer challenge without a realm`);
    const url = new URL(realm);
    const service = challenge.params['service'];
    if (service !== undefined) url.searchParams.set('service', service);
    url.searchParams.set('scope', `repository:${ref.repository}:${access}`);
    // The realm is reached on behalf of the registry: only addresses of the registry's own class (or allowed).
    const response = await this.options.http.request({
      ...tokenRequest(url, credentials, signal),
      originHost: ref.registry,
    });
    if (response.status !== 200) {
      const code = registryErrorCode(
        await response.bytes(64 * 1024, 'maxManifestBytes').catch(() => new Uint8Array()),
      );
      throw refusal(
        response.status,
        `unauthorized for ${ref.registry}/${ref.repository}: token endpoint on ${url.host} answered ${response.status}${code !== '' ? ` ${code}` : ''}`,
      );
    }
    const token = tokenOf(await response.bytes(256 * 1024, 'maxManifestBytes'));
    if (token === undefined)
      throw new RetryableError(`token endpoint on ${url.host} returned no token`, PULL_RETRY_MS);
    return `Bearer ${token}`;
  }

  /** GET a manifest or index by tag or digest; the digest is verified against the bytes. */
  public async manifest(
    ref: QualifiedReference,
    reference: string,
    signal?: AbortSignal,
  ): Promise<FetchedManifest> {
    const limits = this.options.http.limits;
    const request: HttpRequest = {
      url: `${this.baseUrl(ref)}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      ...(signal !== undefined ? { signal } : {}),
    };
    const response = await this.send(ref, 'pull', request, [200]);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > limits.maxManifestBytes)
      throw new TerminalError(
        `manifest ${formatReference(ref)} is ${declared} bytes, larger than allowed (${limitText('maxManifestBytes', limits)})`,
      );
    const bytes = await response.bytes(limits.maxManifestBytes, 'maxManifestBytes');
    const digest = sha256(bytes);
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new RetryableError(
        `manifest ${ref.registry}/${ref.repository}@${reference}: the registry returned content with digest ${digest}`,
        PULL_RETRY_MS,
      );
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new TerminalError(`manifest ${formatReference(ref)} is not JSON`, { cause: error });
    }
    const parsed = parseManifest(json, mediaType);
    if (!parsed.ok) throw new TerminalError(`manifest ${formatReference(ref)}: ${parsed.error}`);
    return { digest, mediaType, bytes, parsed: parsed.value };
  }

  /**
   * The digest a tag points at now: HEAD with the manifest Accept list, a GET when HEAD gives no digest. A digest
   * reference is confirmed to exist still (one HEAD, as crane.Digest does it).
   */
  public async resolve(ref: QualifiedReference, signal?: AbortSignal): Promise<string> {
    const tag = ref.digest ?? ref.tag ?? 'latest';
    const request: HttpRequest = {
      url: `${this.baseUrl(ref)}/manifests/${tag}`,
      method: 'HEAD',
      headers: { accept: MANIFEST_ACCEPT },
      ...(signal !== undefined ? { signal } : {}),
    };
    const head = await this.send(ref, 'pull', request, [200, 404]);
    await head.discard();
    // A HEAD answer has no body: the GET says why (the registry's error code), or serves what HEAD did not.
    if (head.status === 404) return (await this.manifest(ref, tag, signal)).digest;
    if (ref.digest !== undefined) return ref.digest;
    const digest = head.headers.get('docker-content-digest');
    if (digest !== null && /^sha256:[a-f0-9]{64}$/.test(digest)) return digest;
    return (await this.manifest(ref, tag, signal)).digest;
  }

  /**
   * The repository's tags (the distribution API's `tags/list`), following `Link` pages up to `maxTags` tags in
   * all: a repository with more is cut off at the bound (the caller says so), never read without end.
   */
  public async tags(
    ref: QualifiedReference,
    maxTags: number,
    signal?: AbortSignal,
  ): Promise<{ readonly tags: readonly string[]; readonly truncated: boolean }> {
    const tags: string[] = [];
    let url: string | undefined = `${this.baseUrl(ref)}/tags/list?n=${Math.min(maxTags, 1000)}`;
    while (url !== undefined && tags.length < maxTags) {
      const response = await this.send(
        ref,
        'pull',
        { url, ...(signal !== undefined ? { signal } : {}) },
        [200],
      );
      const bytes = await response.bytes(TAG_PAGE_BYTES, 'maxManifestBytes');
      const page = tagPageSchema.safeParse(parseJsonBytes(bytes));
      if (!page.success)
        throw new TerminalError(
          `tags of ${ref.registry}/${ref.repository}: the registry's answer is not a tag list`,
        );
      tags.push(...(page.data.tags ?? []));
      url = nextPage(response.headers.get('link'), url);
    }
    return { tags: tags.slice(0, maxTags), truncated: tags.length > maxTags || url !== undefined };
  }

  /** Stream a blob; the chunks are checked against the descriptor's size and digest as they pass. */
  public async blob(
    ref: QualifiedReference,
    descriptor: Descriptor,
    signal?: AbortSignal,
    onBytes?: (total: number) => void,
  ): Promise<VerifiedStream> {
    const request: HttpRequest = {
      url: `${this.baseUrl(ref)}/blobs/${descriptor.digest}`,
      ...(signal !== undefined ? { signal } : {}),
    };
    const response = await this.send(ref, 'pull', request, [200]);
    return new VerifiedStream(
      response.chunks(descriptor.size + 1, 'maxCompressedBytes'),
      descriptor,
      onBytes,
    );
  }

  /** Whether the registry already has a blob (so a push can skip it). */
  public async hasBlob(ref: QualifiedReference, digest: string): Promise<boolean> {
    const request: HttpRequest = { url: `${this.baseUrl(ref)}/blobs/${digest}`, method: 'HEAD' };
    const response = await this.send(ref, 'pull,push', request, [200, 404]);
    await response.discard();
    return response.status === 200;
  }

  /** Monolithic upload: POST to open an upload session, PUT the bytes with the digest. */
  public async pushBlob(ref: QualifiedReference, blob: { digest: string; bytes: Uint8Array }): Promise<void> {
    if (await this.hasBlob(ref, blob.digest)) return;
    const start = await this.send(
      ref,
      'pull,push',
      { url: `${this.baseUrl(ref)}/blobs/uploads/`, method: 'POST', headers: { 'content-length': '0' } },
      [202],
    );
    await start.discard();
    const location = start.headers.get('location');
    if (location === null)
      throw new RetryableError(`registry ${ref.registry} opened an upload without a Location`, PULL_RETRY_MS);
    const url = new URL(location, start.url);
    url.searchParams.set('digest', blob.digest);
    const put = await this.send(
      ref,
      'pull,push',
      {
        url: url.href,
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: blob.bytes,
      },
      [201],
    );
    await put.discard();
  }

  /** PUT a manifest (or index) under a tag or its digest; returns the digest the registry reports. */
  public async pushManifest(
    ref: QualifiedReference,
    reference: string,
    manifest: { bytes: Uint8Array; mediaType: string },
  ): Promise<string> {
    const response = await this.send(
      ref,
      'pull,push',
      {
        url: `${this.baseUrl(ref)}/manifests/${reference}`,
        method: 'PUT',
        headers: { 'content-type': manifest.mediaType },
        body: manifest.bytes,
      },
      [201],
    );
    await response.discard();
    return response.headers.get('docker-content-digest') ?? sha256(manifest.bytes);
  }
}

/**
 * A blob's chunks with its size and sha256 checked on the way through. A mismatch is recorded and thrown at
 * the end of the stream (or as soon as the size is exceeded). When the consumer (gunzip, tar) fails first,
 * `settle()` reads the rest of the blob so the real cause — a corrupted or truncated blob — is reported
 * instead of the decompression error it caused.
 */
export class VerifiedStream {
  private readonly hash = createHash('sha256');
  private readonly iterator: AsyncIterator<Uint8Array>;
  private total = 0;
  private finished = false;
  public failure: RetryableError | undefined;

  public constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly descriptor: { readonly digest: string; readonly size?: number },
    private readonly onBytes?: (total: number) => void,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next verified chunk, or undefined at the end (where size and digest are checked). */
  private async next(): Promise<Uint8Array | undefined> {
    let step: IteratorResult<Uint8Array>;
    try {
      step = await this.iterator.next();
    } catch (error) {
      if (this.failure === undefined && error instanceof RetryableError) this.failure = error;
      throw error;
    }
    if (step.done === true) {
      this.finished = true;
      this.check();
      return undefined;
    }
    const chunk = step.value;
    this.total += chunk.length;
    this.onBytes?.(this.total);
    if (this.descriptor.size !== undefined && this.total > this.descriptor.size) {
      this.failure = new RetryableError(
        `blob ${this.descriptor.digest}: the source sent more than the ${this.descriptor.size} bytes its descriptor names`,
        PULL_RETRY_MS,
      );
      throw this.failure;
    }
    this.hash.update(chunk);
    return chunk;
  }

  public async *chunks(): AsyncIterable<Uint8Array> {
    for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) yield chunk;
  }

  private check(): void {
    if (this.descriptor.size !== undefined && this.total !== this.descriptor.size) {
      this.failure = new RetryableError(
        `blob ${this.descriptor.digest}: truncated, got ${this.total} of ${this.descriptor.size} bytes`,
        PULL_RETRY_MS,
      );
      throw this.failure;
    }
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.descriptor.digest) {
      this.failure = new RetryableError(
        `blob ${this.descriptor.digest}: content does not match its digest (got ${actual}); refusing the corrupted layer`,
        PULL_RETRY_MS,
      );
      throw this.failure;
    }
  }

  /**
   * After the consumer failed with `error`: read the rest of the blob and return what to report, the blob's
   * own failure if it has one, else `error`. Always releases the connection.
   */
  public async settle(error: unknown): Promise<unknown> {
    try {
      while (!this.finished && this.failure === undefined) await this.next();
    } catch {
      // the failure (if any) is recorded
    } finally {
      await this.iterator.return?.();
    }
    return this.failure ?? error;
  }

  /** After the consumer is done: throws the recorded failure, or if the blob was not read to its end. */
  public done(): void {
    if (this.failure !== undefined) throw this.failure;
    if (!this.finished)
      throw new RetryableError(
        `blob ${this.descriptor.digest}: not read to its end (${this.total} bytes read), so its digest could not be verified`,
        PULL_RETRY_MS,
      );
  }
}

/** One page of `tags/list` is at most this big (1,000 tags of 128 characters with JSON's quoting). */
const TAG_PAGE_BYTES = 256 * 1024;

const tagPageSchema = z.object({ tags: z.array(z.string().max(128)).nullable().optional() });

function parseJsonBytes(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** The next page a `Link: <…>; rel="next"` header names, on the same host as the page that named it. */
function nextPage(link: string | null, current: string): string | undefined {
  const match = link === null ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (match?.[1] === undefined) return undefined;
  const next = new URL(match[1], current);
  return next.host === new URL(current).host ? next.toString() : undefined;
}
