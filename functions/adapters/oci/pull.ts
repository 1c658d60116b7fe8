/**
 * @module adapters/oci/pull
 * Pull a package image: resolve the reference to a manifest (an index resolves to linux/amd64 or its only
 * entry), read the config's labels, stream every layer through its digest check, decompression and PKO's
 * layer rules (docs/pko-compatibility.md §1.1) into one file map. Push: blobs first, then the manifest under every tag.
 */
import { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { z } from 'zod';
import { RetryableError, TerminalError } from '../../../shared/errors.js';
import type { PackageImage } from '../../../shared/oci/image.js';
import { MEDIA_TYPE_OCI_MANIFEST } from '../../../shared/oci/image.js';
import { limitText, type SourceLimits } from '../../../shared/oci/limits.js';
import {
  choosePlatform,
  LAYER_MEDIA_TYPES,
  type Descriptor,
  type ImageManifest,
} from '../../../shared/oci/manifest.js';
import { formatReference, type QualifiedReference } from '../../../shared/oci/reference.js';
import { newArchiveBudget, readTarball, type ArchiveBudget } from '../../../shared/packages/archive.js';
import { PULL_RETRY_MS } from './http.js';
import type { RegistryClient } from './registry.js';

/** PKO's message for an image without package files (docs/pko-compatibility.md §1.1); a pull error, so retried. */
export const EMPTY_IMAGE_MESSAGE = 'Package image contains no files. Might be corrupted.';

export interface PulledImage {
  readonly files: Map<string, Uint8Array>;
  readonly labels: Record<string, string>;
  /** The digest the reference resolved to (the index digest when it named an index). */
  readonly digest: string;
}

const imageConfig = z.object({
  config: z.object({ Labels: z.record(z.string(), z.string()).nullish() }).nullish(),
});

type Decompression = 'auto' | 'zstd';

function decompressionOf(layer: Descriptor): Decompression {
  const type = layer.mediaType ?? LAYER_MEDIA_TYPES.ociGzip;
  if (type === LAYER_MEDIA_TYPES.ociZstd) return 'zstd';
  const known: readonly string[] = [
    LAYER_MEDIA_TYPES.ociGzip,
    LAYER_MEDIA_TYPES.ociTar,
    LAYER_MEDIA_TYPES.dockerGzip,
    'application/vnd.docker.image.rootfs.diff.tar',
  ];
  if (known.includes(type)) return 'auto';
  throw new TerminalError(
    `layer ${layer.digest} has unsupported media type "${type}" (a package layer is a tar, tar+gzip or tar+zstd)`,
  );
}

/** Node's zstd decompressor (Node >= 22.15), or a clear error on older Nodes. */
function zstdDecompressor(layer: Descriptor): Transform {
  const factory: unknown = Reflect.get(zlib, 'createZstdDecompress');
  const stream: unknown = typeof factory === 'function' ? Reflect.apply(factory, zlib, []) : undefined;
  if (!(stream instanceof Transform))
    throw new TerminalError(
      `layer ${layer.digest} is zstd-compressed: zstd-compressed layers need Node >= 22.15 (this is ${process.version})`,
    );
  return stream;
}

async function manifestOf(
  client: RegistryClient,
  ref: QualifiedReference,
  signal: AbortSignal | undefined,
): Promise<{ digest: string; manifest: ImageManifest }> {
  const top = await client.manifest(ref, ref.digest ?? ref.tag ?? 'latest', signal);
  if (top.parsed.kind === 'manifest') return { digest: top.digest, manifest: top.parsed.manifest };
  const chosen = choosePlatform(top.parsed.manifests);
  if (chosen === undefined) {
    const platforms = top.parsed.manifests.map((m) =>
      m.platform === undefined ? 'unknown' : `${m.platform.os}/${m.platform.architecture}`,
    );
    throw new TerminalError(
      `image index ${formatReference(ref)} has no linux/amd64 manifest (it has ${platforms.join(', ') || 'none'})`,
    );
  }
  const inner = await client.manifest({ ...ref, digest: chosen.digest }, chosen.digest, signal);
  if (inner.parsed.kind !== 'manifest')
    throw new TerminalError(
      `image index ${formatReference(ref)} points at another index, which is not supported`,
    );
  return { digest: top.digest, manifest: inner.parsed.manifest };
}

function checkSizes(ref: QualifiedReference, manifest: ImageManifest, limits: SourceLimits): number {
  if (manifest.layers.length > limits.maxLayers)
    throw new TerminalError(
      `image ${formatReference(ref)} has ${manifest.layers.length} layers (${limitText('maxLayers', limits)})`,
    );
  const total = manifest.layers.reduce((sum, l) => sum + l.size, 0);
  if (total > limits.maxCompressedBytes)
    throw new TerminalError(
      `image ${formatReference(ref)} has ${total} bytes of layers, more than allowed (${limitText('maxCompressedBytes', limits)})`,
    );
  return total;
}

async function labelsOf(
  client: RegistryClient,
  ref: QualifiedReference,
  config: Descriptor,
  limits: SourceLimits,
  signal: AbortSignal | undefined,
): Promise<Record<string, string>> {
  if (config.size > limits.maxManifestBytes)
    throw new TerminalError(
      `image config ${config.digest} is ${config.size} bytes (${limitText('maxManifestBytes', limits)})`,
    );
  const stream = await client.blob(ref, config, signal);
  const parts: Uint8Array[] = [];
  for await (const c of stream.chunks()) parts.push(c);
  stream.done();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (error) {
    throw new TerminalError(`image config ${config.digest} is not JSON`, { cause: error });
  }
  const parsed = imageConfig.safeParse(json);
  return parsed.success ? { ...(parsed.data.config?.Labels ?? {}) } : {};
}

export interface PullOptions {
  readonly signal?: AbortSignal;
  /**
   * The folder of the layers whose files are wanted (default `package/`, a package image; an image without
   * package files is then an error); `''` is every file (a repository image's `repository/repository.yaml`).
   */
  readonly prefix?: 'package/' | '';
  /** Called as layer bytes arrive: bytes so far and the total of all layers. */
  readonly onProgress?: (bytes: number, total: number) => void;
}

async function readLayer(
  client: RegistryClient,
  ref: QualifiedReference,
  layer: Descriptor,
  into: {
    readonly files: Map<string, Uint8Array>;
    readonly limits: SourceLimits;
    /** One count of decompressed bytes for every layer of the image (maxTotalBytes holds for the image). */
    readonly budget: ArchiveBudget;
    readonly prefix: 'package/' | '';
  },
  options: PullOptions & { readonly before: number; readonly total: number },
): Promise<void> {
  const { files, limits, budget, prefix } = into;
  const decompression = decompressionOf(layer);
  const decoder = decompression === 'zstd' ? zstdDecompressor(layer) : undefined;
  const { onProgress, before, total } = options;
  const stream = await client.blob(
    ref,
    layer,
    options.signal,
    onProgress === undefined
      ? undefined
      : (n) => {
          onProgress(before + n, total);
        },
  );
  let input: AsyncIterable<Uint8Array> = stream.chunks();
  if (decoder !== undefined) {
    const source = Readable.from(input);
    source.on('error', (e) => decoder.destroy(e));
    input = source.pipe(decoder);
  }
  try {
    await readTarball(input, { prefix, into: files, limits, budget });
  } catch (error) {
    throw await stream.settle(error);
  }
  stream.done();
}

/** Pull and unpack a package image. */
export async function pullImage(
  client: RegistryClient,
  ref: QualifiedReference,
  limits: SourceLimits,
  options: PullOptions = {},
): Promise<PulledImage> {
  const { signal } = options;
  const { digest, manifest } = await manifestOf(client, ref, signal);
  const layerBytes = checkSizes(ref, manifest, limits);
  const labels = await labelsOf(client, ref, manifest.config, limits, signal);
  const files = new Map<string, Uint8Array>();
  for (const layer of manifest.layers)
    if (decompressionOf(layer) === 'zstd') zstdDecompressor(layer).destroy();
  let before = 0;
  const budget = newArchiveBudget();
  const prefix = options.prefix ?? 'package/';
  for (const layer of manifest.layers) {
    await readLayer(
      client,
      ref,
      layer,
      { files, limits, budget, prefix },
      { ...options, before, total: layerBytes },
    );
    before += layer.size;
  }
  if (files.size === 0 && options.prefix === undefined)
    throw new RetryableError(EMPTY_IMAGE_MESSAGE, PULL_RETRY_MS);
  return { files, labels, digest };
}

/** Push a built package image under every tag of `refs`: the blobs once per repository, then each tag. */
export async function pushImage(
  client: RegistryClient,
  refs: readonly QualifiedReference[],
  image: PackageImage,
): Promise<string> {
  const pushed = new Set<string>();
  let digest = image.manifest.digest;
  for (const ref of refs) {
    const repository = `${ref.registry}/${ref.repository}`;
    if (!pushed.has(repository)) {
      await client.pushBlob(ref, image.layer);
      await client.pushBlob(ref, image.config);
      pushed.add(repository);
    }
    digest = await client.pushManifest(ref, ref.tag ?? image.manifest.digest, {
      bytes: image.manifest.bytes,
      mediaType: image.manifestMediaType ?? MEDIA_TYPE_OCI_MANIFEST,
    });
  }
  return digest;
}
