/**
 * @module oci/manifest
 * Image manifests and indexes (OCI and Docker v2 media types), parsed with zod at the boundary, and PKO's
 * platform choice: linux/amd64 from an index, or its only entry.
 */
import { z } from 'zod';
import { MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_LAYER_GZIP, MEDIA_TYPE_OCI_MANIFEST } from './image.js';

export const MANIFEST_MEDIA_TYPES = {
  ociManifest: MEDIA_TYPE_OCI_MANIFEST,
  ociIndex: MEDIA_TYPE_OCI_INDEX,
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** What a pull asks the registry for, in order of preference. */
export const MANIFEST_ACCEPT = Object.values(MANIFEST_MEDIA_TYPES).join(', ');

export const LAYER_MEDIA_TYPES = {
  ociGzip: MEDIA_TYPE_OCI_LAYER_GZIP,
  ociTar: 'application/vnd.oci.image.layer.v1.tar',
  ociZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

const descriptor = z.object({
  mediaType: z.string().optional(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'digest must be sha256:<64 hex>'),
  size: z.number().int().nonnegative(),
  platform: z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }).optional(),
});
export type Descriptor = z.infer<typeof descriptor>;

const imageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor).max(128),
});
export type ImageManifest = z.infer<typeof imageManifest>;

const imageIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptor).max(256),
});

export type ParsedManifest =
  | { readonly kind: 'manifest'; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly manifests: readonly Descriptor[] };

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** Parse a manifest document; `contentType` is the registry's Content-Type header. */
export function parseManifest(
  json: unknown,
  contentType: string,
): { ok: true; value: ParsedManifest } | { ok: false; error: string } {
  const media =
    typeof json === 'object' && json !== null && 'mediaType' in json && typeof json.mediaType === 'string'
      ? json.mediaType
      : contentType;
  const isIndex =
    media === MANIFEST_MEDIA_TYPES.ociIndex ||
    media === MANIFEST_MEDIA_TYPES.dockerList ||
    (typeof json === 'object' && json !== null && 'manifests' in json);
  if (isIndex) {
    const parsed = imageIndex.safeParse(json);
    return parsed.success
      ? { ok: true, value: { kind: 'index', manifests: parsed.data.manifests } }
      : { ok: false, error: `invalid image index: ${parsed.error.issues[0]?.message ?? ''}` };
  }
  if (
    media !== MANIFEST_MEDIA_TYPES.ociManifest &&
    media !== MANIFEST_MEDIA_TYPES.dockerManifest &&
    media !== ''
  ) {
    // A registry's own text is not echoed: the media type is shown only when it is one (RFC 6838's form).
    const shown = MEDIA_TYPE.test(media) ? `"${media}"` : '(not a media type)';
    return { ok: false, error: `unsupported manifest media type ${shown}` };
  }
  const parsed = imageManifest.safeParse(json);
  return parsed.success
    ? { ok: true, value: { kind: 'manifest', manifest: parsed.data } }
    : { ok: false, error: `invalid image manifest: ${parsed.error.issues[0]?.message ?? ''}` };
}

/** linux/amd64 from an index, or its only entry (docs/pko-compatibility.md: PKO pulls the default platform). */
export function choosePlatform(manifests: readonly Descriptor[]): Descriptor | undefined {
  return (
    manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ??
    (manifests.length === 1 ? manifests[0] : undefined)
  );
}
