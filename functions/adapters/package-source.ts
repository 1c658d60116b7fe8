/**
 * @module adapters/package-source
 * The ImageSource port: one entry point for OCI registries, S3 objects and HTTPS tarballs, with PKO's image
 * prefix and registry host overrides applied first, limits on everything, and a per-process cache keyed by
 * content digest (bounded in bytes, concurrent pulls of one digest de-duplicated). Nothing is cached unless
 * it was fully read, verified and unpacked. The AWS SDK is imported on the first `s3://` location only: it costs
 * a few hundred milliseconds of start-up that registry and HTTPS pulls (and offline commands) never pay.
 */
import type { ProxyConfig } from '../../shared/oci/proxy.js';
import { STATUS_CODES } from 'node:http';
import type { S3Client } from '@aws-sdk/client-s3';
import { errorMessage, isErrorCode, refusal, RetryableError, TerminalError } from '../../shared/errors.js';
import { credentialsFor, type DockerConfig } from '../../shared/oci/auth.js';
import type { PackageImage } from '../../shared/oci/image.js';
import type { AddressClass, PlainHttpRule } from '../../shared/oci/network.js';
import { DEFAULT_SOURCE_LIMITS, limitText, type SourceLimits } from '../../shared/oci/limits.js';
import {
  formatReference,
  overrideRegistryHost,
  qualifyReference,
  type QualifiedReference,
} from '../../shared/oci/reference.js';
import { parseLocation, type PackageLocation } from '../../shared/oci/source.js';
import { readPackageTarball } from '../../shared/packages/archive.js';
import type { FileMap } from '../../shared/packages/files.js';
import { BoundedCache, type CacheStats } from '../../shared/packages/cache.js';
import { applyPrefixOverrides, type ImagePrefixOverride } from '../../shared/packages/images.js';
import type { ImageSource, ListTagsOptions, PulledPackage, TagList } from '../../shared/ports.js';
import { HttpClient, PULL_RETRY_MS, shownUrl } from './oci/http.js';
import { EMPTY_IMAGE_MESSAGE, pullImage, pushImage } from './oci/pull.js';
import { RegistryClient, VerifiedStream } from './oci/registry.js';
import type { S3Sdk } from './s3-sdk.js';

export interface S3Options {
  /** Custom endpoint for S3-compatible servers (MinIO); path-style addressing is used with it. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Static credentials; otherwise the AWS SDK's default chain (env, profile, web identity, IMDS). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface PackageSourceOptions {
  readonly limits?: Partial<SourceLimits>;
  /** Registry hosts (`host:port`) where plain http is allowed; tarball URLs over http too when listed. */
  readonly insecureHosts?: readonly string[];
  /** Registries reached over plain http by PKO's rules (the engine's default: all of them, as PKO v1.19.0). */
  readonly plainHttp?: ReadonlySet<PlainHttpRule>;
  /** Non-public address classes token realms and redirects may reach for any registry (see oci/network). */
  readonly allowedNetworks?: ReadonlySet<AddressClass>;
  /** The proxy of pulls and pushes (HTTP_PROXY, HTTPS_PROXY, NO_PROXY; see oci/proxy). */
  readonly proxy?: ProxyConfig;
  /** Name resolution (default: the system resolver); see HttpClientOptions.lookup. */
  readonly lookup?: (hostname: string) => Promise<readonly string[]>;
  /** Docker configs (config.json, pull secrets), searched in order. */
  readonly dockerConfigs?: readonly DockerConfig[];
  /** PKO's `--image-prefix-overrides`. */
  readonly prefixOverrides?: readonly ImagePrefixOverride[];
  /** PKO's `--registry-host-overrides`. */
  readonly registryHostOverrides?: ReadonlyMap<string, string>;
  readonly s3?: S3Options;
  /** Cache size in bytes of unpacked files (default 256 MiB; 0 turns the cache off). */
  readonly cacheBytes?: number;
  /** Progress of long transfers: the location, bytes so far, total bytes if known. */
  readonly onProgress?: (location: string, bytes: number, total: number | undefined) => void;
}

export interface PackageSource extends ImageSource {
  /** Push a built image under the tags (all OCI references) or to `s3://` locations. */
  push(image: PackageImage, targets: readonly string[]): Promise<string>;
  cacheStats(): CacheStats;
}

/** The AWS SDK module and the one client made from it. */
interface S3 {
  readonly sdk: S3Sdk;
  readonly client: S3Client;
}

function sizeOf(files: ReadonlyMap<string, Uint8Array>): number {
  let n = 0;
  for (const [k, v] of files) n += k.length + v.length;
  return n;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

async function* bytesOf(body: AsyncIterable<unknown>): AsyncIterable<Uint8Array> {
  for await (const chunk of body) if (chunk instanceof Uint8Array) yield chunk;
}

/** The HTTP status of an AWS SDK service error (`$metadata.httpStatusCode`); undefined for network errors. */
function s3Status(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata: unknown = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

const SDK_PLACEHOLDERS = new Set(['Error', 'Unknown', 'UnknownError']);

/**
 * An S3 failure typed by what it means: a refusal (AccessDenied, a bad request) is terminal, a missing object,
 * throttling, a server error or a network error is retried. An answer is shown as its S3 error code (`<Code>`)
 * and HTTP status only: the `<Message>` is the server's free text and never reaches a message.
 */
function s3Error(action: string, location: string, error: unknown): Error {
  const status = s3Status(error);
  if (status === undefined)
    return new RetryableError(`${action} ${location}: ${errorMessage(error)}`, PULL_RETRY_MS, {
      cause: error,
    });
  const name = error instanceof Error ? error.name : '';
  const http = `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trim();
  // The SDK's words for an answer without a code (a HEAD has no body) are not codes either.
  const shown = isErrorCode(name) && !SDK_PLACEHOLDERS.has(name) ? `${name} (${http})` : http;
  return refusal(status, `${action} ${location}: ${shown}`, { cause: error, retryAfterMs: PULL_RETRY_MS });
}

/** The next chunk of a body; a network failure in the middle of it is the world, not the package: retried. */
async function nextChunk(
  iterator: AsyncIterator<Uint8Array>,
  where: string,
): Promise<IteratorResult<Uint8Array>> {
  try {
    return await iterator.next();
  } catch (error) {
    throw new RetryableError(`GET ${where}: reading the body: ${errorMessage(error)}`, PULL_RETRY_MS, {
      cause: error,
    });
  }
}

class Sources implements PackageSource {
  private readonly limits: SourceLimits;
  private readonly http: HttpClient;
  private readonly registry: RegistryClient;
  private readonly cache: BoundedCache<PulledPackage>;
  private s3Client: Promise<S3> | undefined;

  public constructor(private readonly options: PackageSourceOptions) {
    this.limits = { ...DEFAULT_SOURCE_LIMITS, ...options.limits };
    this.http = new HttpClient({
      limits: this.limits,
      insecureHosts: new Set(options.insecureHosts ?? []),
      ...(options.plainHttp !== undefined ? { plainHttp: options.plainHttp } : {}),
      ...(options.allowedNetworks !== undefined ? { allowedNetworks: options.allowedNetworks } : {}),
      ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
      ...(options.lookup !== undefined ? { lookup: options.lookup } : {}),
    });
    const configs = options.dockerConfigs ?? [];
    this.registry = new RegistryClient({
      http: this.http,
      credentials: (host) => credentialsFor(configs, host),
    });
    this.cache = new BoundedCache(options.cacheBytes ?? 256 * 1024 * 1024);
  }

  public cacheStats(): CacheStats {
    return this.cache.stats();
  }

  /** The location after PKO's prefix and registry host overrides. */
  private locate(reference: string): PackageLocation {
    const overridden = applyPrefixOverrides(reference.trim(), this.options.prefixOverrides);
    const parsed = parseLocation(overridden, { allowHttp: this.allowsHttp(overridden) });
    if (!parsed.ok) throw new TerminalError(parsed.error);
    const loc = parsed.value;
    if (loc.kind !== 'oci') return loc;
    return {
      kind: 'oci',
      ref: overrideRegistryHost(loc.ref, this.options.registryHostOverrides ?? new Map()),
    };
  }

  private allowsHttp(text: string): boolean {
    if (!text.startsWith('http://')) return false;
    try {
      return this.http.isInsecure(new URL(text.split('@sha256:')[0] ?? '').host);
    } catch {
      return false;
    }
  }

  public async resolveDigest(reference: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const loc = this.locate(reference);
    if (loc.kind === 'oci') return this.registry.resolve(loc.ref, options.signal);
    if (loc.kind === 'https') return loc.digest;
    return (await this.s3Head(loc)).identity;
  }

  public async listTags(repository: string, options: ListTagsOptions): Promise<TagList> {
    const last = repository.split('/').pop() ?? '';
    if (last.includes(':') || last.includes('@'))
      throw new TerminalError(`${repository}: name a repository, without a tag or digest`);
    const loc = this.locate(repository);
    if (loc.kind !== 'oci')
      throw new TerminalError(`${repository}: versions can only be listed in an OCI registry`);
    return this.registry.tags(loc.ref, options.max, options.signal);
  }

  public async pull(reference: string, options: { signal?: AbortSignal } = {}): Promise<PulledPackage> {
    const loc = this.locate(reference);
    if (loc.kind === 'oci') return this.pullOci(loc.ref, options.signal);
    if (loc.kind === 'https') return this.pullHttps(loc, options.signal);
    return this.pullS3(loc);
  }

  public async pullImageFiles(reference: string): Promise<{ files: FileMap; digest: string }> {
    const loc = this.locate(reference);
    if (loc.kind !== 'oci') throw new TerminalError(`${reference} is not an image reference`);
    const onProgress = this.progress(formatReference(loc.ref));
    const image = await pullImage(this.registry, loc.ref, this.limits, {
      prefix: '',
      ...(onProgress !== undefined ? { onProgress } : {}),
    });
    return { files: image.files, digest: image.digest };
  }

  private progress(location: string): ((bytes: number, total: number | undefined) => void) | undefined {
    const report = this.options.onProgress;
    return report === undefined
      ? undefined
      : (bytes, total) => {
          report(location, bytes, total);
        };
  }

  private async pullOci(ref: QualifiedReference, signal: AbortSignal | undefined): Promise<PulledPackage> {
    // A pinned reference needs no request before the cache is asked (its content is checked as it is pulled).
    const digest = ref.digest ?? (await this.registry.resolve(ref, signal));
    const pinned: QualifiedReference = { registry: ref.registry, repository: ref.repository, digest };
    const resolved = formatReference(pinned);
    return this.cache.getOrLoad(resolved, async () => {
      const onProgress = this.progress(formatReference(ref));
      const image = await pullImage(this.registry, pinned, this.limits, {
        ...(signal !== undefined ? { signal } : {}),
        ...(onProgress !== undefined ? { onProgress } : {}),
      });
      const value: PulledPackage = { files: image.files, labels: image.labels, resolved, digest };
      return { value, bytes: sizeOf(image.files) };
    });
  }

  private async pullHttps(
    loc: Extract<PackageLocation, { kind: 'https' }>,
    signal: AbortSignal | undefined,
  ): Promise<PulledPackage> {
    const resolved = `${loc.url}@${loc.digest}`;
    return this.cache.getOrLoad(resolved, async () => {
      const response = await this.http.request({ url: loc.url, ...(signal !== undefined ? { signal } : {}) });
      if (response.status !== 200) {
        await response.discard();
        const message = `GET ${shownUrl(loc.url)}: ${response.status}`;
        throw refusal(response.status, message, { retryAfterMs: PULL_RETRY_MS });
      }
      const declared = Number(response.headers.get('content-length') ?? '0');
      this.checkCompressed(declared, shownUrl(loc.url));
      const onProgress = this.progress(shownUrl(loc.url));
      const stream = new VerifiedStream(
        response.chunks(this.limits.maxCompressedBytes, 'maxCompressedBytes'),
        { digest: loc.digest },
        onProgress === undefined
          ? undefined
          : (n) => {
              onProgress(n, declared > 0 ? declared : undefined);
            },
      );
      const files = await this.readVerified(stream);
      return { value: { files, labels: {}, resolved, digest: loc.digest }, bytes: sizeOf(files) };
    });
  }

  private checkCompressed(size: number, what: string): void {
    if (size > this.limits.maxCompressedBytes)
      throw new TerminalError(
        `${what} is ${size} bytes, more than allowed (${limitText('maxCompressedBytes', this.limits)})`,
      );
  }

  private async readVerified(stream: VerifiedStream): Promise<FileMap> {
    let files: FileMap;
    try {
      files = await readPackageTarball(stream.chunks(), { limits: this.limits });
    } catch (error) {
      throw await stream.settle(error);
    }
    stream.done();
    if (files.size === 0) throw new RetryableError(EMPTY_IMAGE_MESSAGE, PULL_RETRY_MS);
    return files;
  }

  private s3(): Promise<S3> {
    this.s3Client ??= import('./s3-sdk.js').then(({ s3Sdk }) => ({
      sdk: s3Sdk,
      client: this.newS3Client(s3Sdk),
    }));
    return this.s3Client;
  }

  private newS3Client(sdk: S3Sdk): S3Client {
    const o = this.options.s3 ?? {};
    return new sdk.S3Client({
      ...(o.endpoint !== undefined ? { endpoint: o.endpoint, forcePathStyle: true } : {}),
      region: o.region ?? 'us-east-1',
      ...(o.credentials !== undefined ? { credentials: { ...o.credentials } } : {}),
      requestHandler: {
        requestTimeout: this.limits.requestTimeoutMs,
        connectionTimeout: this.limits.requestTimeoutMs,
      },
      maxAttempts: 2,
    });
  }

  private async s3Head(
    loc: Extract<PackageLocation, { kind: 's3' }>,
  ): Promise<{ identity: string; etag: string; size: number; versionId?: string }> {
    const where = `s3://${loc.bucket}/${loc.key}`;
    try {
      const { sdk, client } = await this.s3();
      const head = await client.send(
        new sdk.HeadObjectCommand({
          Bucket: loc.bucket,
          Key: loc.key,
          ...(loc.versionId !== undefined ? { VersionId: loc.versionId } : {}),
        }),
      );
      const etag = (head.ETag ?? '').replace(/"/g, '');
      const versionId =
        head.VersionId !== undefined && head.VersionId !== 'null' ? head.VersionId : loc.versionId;
      return {
        identity: versionId !== undefined ? `versionId=${versionId}` : `etag=${etag}`,
        etag,
        size: head.ContentLength ?? 0,
        ...(versionId !== undefined ? { versionId } : {}),
      };
    } catch (error) {
      throw s3Error('HEAD', where, error);
    }
  }

  private async pullS3(loc: Extract<PackageLocation, { kind: 's3' }>): Promise<PulledPackage> {
    const where = `s3://${loc.bucket}/${loc.key}`;
    const head = await this.s3Head(loc);
    this.checkCompressed(head.size, where);
    const resolved = `${where}${head.versionId !== undefined ? `?versionId=${head.versionId}` : `#etag=${head.etag}`}`;
    return this.cache.getOrLoad(resolved, async () => {
      let body: unknown;
      try {
        const { sdk, client } = await this.s3();
        const object = await client.send(
          new sdk.GetObjectCommand({
            Bucket: loc.bucket,
            Key: loc.key,
            ...(head.versionId !== undefined ? { VersionId: head.versionId } : { IfMatch: `"${head.etag}"` }),
          }),
        );
        body = object.Body;
      } catch (error) {
        throw s3Error('GET', where, error);
      }
      if (!isAsyncIterable(body)) throw new RetryableError(`GET ${where}: no body`, PULL_RETRY_MS);
      const stream: AsyncIterable<unknown> = body;
      const onProgress = this.progress(where);
      let total = 0;
      const limits = this.limits;
      async function* capped(): AsyncIterable<Uint8Array> {
        const iterator = bytesOf(stream)[Symbol.asyncIterator]();
        try {
          for (;;) {
            const next = await nextChunk(iterator, where);
            if (next.done === true) return;
            total += next.value.length;
            if (total > limits.maxCompressedBytes)
              throw new TerminalError(
                `${where} is larger than allowed (${limitText('maxCompressedBytes', limits)})`,
              );
            onProgress?.(total, head.size);
            yield next.value;
          }
        } finally {
          await iterator.return?.();
        }
      }
      const files = await readPackageTarball(capped(), { limits: this.limits });
      if (files.size === 0) throw new RetryableError(EMPTY_IMAGE_MESSAGE, PULL_RETRY_MS);
      return { value: { files, labels: {}, resolved, digest: head.identity }, bytes: sizeOf(files) };
    });
  }

  public async push(image: PackageImage, targets: readonly string[]): Promise<string> {
    const refs: QualifiedReference[] = [];
    for (const target of targets) {
      if (target.startsWith('s3://')) {
        const loc = parseLocation(target);
        if (!loc.ok || loc.value.kind !== 's3')
          throw new TerminalError(loc.ok ? `not an S3 location: ${target}` : loc.error);
        try {
          const { sdk, client } = await this.s3();
          await client.send(
            new sdk.PutObjectCommand({
              Bucket: loc.value.bucket,
              Key: loc.value.key,
              Body: image.layer.bytes,
              ContentType: 'application/gzip',
            }),
          );
        } catch (error) {
          throw s3Error('PUT', target, error);
        }
        continue;
      }
      const ref = qualifyReference(target);
      if (!ref.ok) throw new TerminalError(`invalid tag specified as parameter ${target}: ${ref.error}`);
      refs.push(overrideRegistryHost(ref.value, this.options.registryHostOverrides ?? new Map()));
    }
    return refs.length > 0 ? pushImage(this.registry, refs, image) : image.manifest.digest;
  }
}

/** Build the package source. */
export function createPackageSource(options: PackageSourceOptions = {}): PackageSource {
  return new Sources(options);
}
