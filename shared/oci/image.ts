/**
 * @module oci/image
 * A PKO-compatible package image (docs/pko-compatibility.md §1.1): one layer holding the package files under `package/`,
 * an image config with `os: linux`, `architecture: amd64` and the labels, as an OCI image-layout tarball that
 * also carries Docker's `manifest.json` (so both `docker load` and OCI tools read it). Deterministic: fixed
 * mtimes, uid/gid 0, sorted entries, gzip without a timestamp — the same files give the same digests.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { FileMap } from '../packages/files.js';

export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_TYPE_OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const EPOCH = new Date(0);

export interface Blob {
  readonly digest: string;
  readonly bytes: Uint8Array;
}

export interface PackageImage {
  /** The manifest's media type (default: OCI's). */
  readonly manifestMediaType?: string;
  readonly layer: Blob;
  /** sha256 of the uncompressed layer tar (`rootfs.diff_ids`). */
  readonly diffId: string;
  readonly config: Blob;
  readonly manifest: Blob;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

interface TarEntry {
  readonly name: string;
  readonly bytes?: Uint8Array;
  readonly directory?: boolean;
}

/** A tar archive of the given entries, in memory, with fixed metadata. */
export async function tarOf(entries: readonly TarEntry[]): Promise<Uint8Array> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => {
      if (c instanceof Uint8Array) chunks.push(Buffer.from(c));
    });
    p.on('end', () => {
      resolve();
    });
    p.on('error', reject);
  });
  for (const e of entries) {
    const common = { name: e.name, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
    if (e.directory === true) p.entry({ ...common, type: 'directory', mode: 0o755 });
    else p.entry({ ...common, type: 'file', mode: 0o644 }, e.bytes ?? new Uint8Array());
  }
  p.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

/** Build the image: layer, config, manifest. */
export async function buildPackageImage(
  files: FileMap,
  labels: Readonly<Record<string, string>> = {},
  /** Where the files go in the layer: `package/` for a package, '' for other images (an OLM bundle in tests). */
  root: 'package/' | '' = 'package/',
): Promise<PackageImage> {
  const paths = [...files.keys()].sort();
  // Files only, sorted, no directory entries: the layer go-containerregistry's crane.Layer writes for PKO's
  // `kubectl package build`, so PKO's loader (which would read a directory entry as an empty file) reads it.
  const entries: TarEntry[] = paths
    .map((p) => ({ name: `${root}${p}`, bytes: files.get(p) ?? new Uint8Array() }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const tar = await tarOf(entries);
  const layerBytes = new Uint8Array(gzipSync(tar, { level: 9 }));
  const layer = { digest: sha256(layerBytes), bytes: layerBytes };
  const diffId = sha256(tar);
  const sortedLabels = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  const configBytes = json({
    architecture: 'amd64',
    os: 'linux',
    config: Object.keys(sortedLabels).length > 0 ? { Labels: sortedLabels } : {},
    rootfs: { type: 'layers', diff_ids: [diffId] },
  });
  const config = { digest: sha256(configBytes), bytes: configBytes };
  const manifestBytes = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: config.digest, size: configBytes.length },
    layers: [{ mediaType: MEDIA_TYPE_OCI_LAYER_GZIP, digest: layer.digest, size: layerBytes.length }],
  });
  return { layer, diffId, config, manifest: { digest: sha256(manifestBytes), bytes: manifestBytes } };
}

export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const MEDIA_TYPE_DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const MEDIA_TYPE_DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** Where a repository image keeps its index. */
export const REPOSITORY_IMAGE_PATH = 'repository/repository.yaml';
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** A field of a tar header: octal digits, zero-padded, ending in NUL (as Go's archive/tar writes it). */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/**
 * A one-file tar archive exactly as Go's archive/tar writes go-containerregistry's `crane.Layer` entry: a USTAR
 * header with mode, owner and time 0, then the content padded to 512 bytes, then two zero blocks.
 */
export function goTarFile(name: string, bytes: Uint8Array): Uint8Array {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(bytes.length, 12), 124);
  header.write(octal(0, 12), 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\u000000', 257, 'latin1');
  header.write(octal(0, 8), 329);
  header.write(octal(0, 8), 337);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padded = Buffer.alloc(Math.ceil(bytes.length / 512) * 512);
  padded.set(bytes);
  return new Uint8Array(Buffer.concat([header, padded, Buffer.alloc(1024)]));
}

/**
 * A repository image as PKO's `repo push` makes it (go-containerregistry's `crane.Layer` appended to the empty
 * image, made canonical): a Docker v2 manifest, one gzip layer holding `repository/repository.yaml` (mode 0,
 * time 0), and the canonical config (no platform, zero times, one history entry).
 */
export function buildRepositoryImage(indexText: string): PackageImage {
  const tar = goTarFile(REPOSITORY_IMAGE_PATH, new TextEncoder().encode(indexText));
  const layerBytes = new Uint8Array(gzipSync(tar));
  const layer = { digest: sha256(layerBytes), bytes: layerBytes };
  const diffId = sha256(tar);
  const configBytes = json({
    architecture: '',
    created: GO_ZERO_TIME,
    history: [{ created: GO_ZERO_TIME }],
    os: '',
    rootfs: { type: 'layers', diff_ids: [diffId] },
    config: {},
  });
  const config = { digest: sha256(configBytes), bytes: configBytes };
  const manifestBytes = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
    config: { mediaType: MEDIA_TYPE_DOCKER_CONFIG, size: configBytes.length, digest: config.digest },
    layers: [{ mediaType: MEDIA_TYPE_DOCKER_LAYER, size: layerBytes.length, digest: layer.digest }],
  });
  return {
    manifestMediaType: MEDIA_TYPE_DOCKER_MANIFEST,
    layer,
    diffId,
    config,
    manifest: { digest: sha256(manifestBytes), bytes: manifestBytes },
  };
}

const blobPath = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;

/** The image as an OCI image-layout tarball (index.json per tag) plus Docker's manifest.json. */
export async function imageLayoutTarball(image: PackageImage, tags: readonly string[]): Promise<Uint8Array> {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_INDEX,
    manifests: tags.map((tag) => ({
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      digest: image.manifest.digest,
      size: image.manifest.bytes.length,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    })),
  };
  const dockerManifest = [
    { Config: blobPath(image.config.digest), RepoTags: [...tags], Layers: [blobPath(image.layer.digest)] },
  ];
  return tarOf([
    { name: 'blobs/', directory: true },
    { name: 'blobs/sha256/', directory: true },
    ...[image.config, image.layer, image.manifest]
      .map((b) => ({ name: blobPath(b.digest), bytes: b.bytes }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    { name: 'index.json', bytes: json(index) },
    { name: 'manifest.json', bytes: json(dockerManifest) },
    { name: 'oci-layout', bytes: json({ imageLayoutVersion: '1.0.0' }) },
  ]);
}

/** Read a package back out of an OCI layout / docker tarball made by `imageLayoutTarball` (or any single-image one). */
export function layerPathsOf(indexOrManifest: unknown): string[] {
  if (!Array.isArray(indexOrManifest)) return [];
  const first: unknown = indexOrManifest[0];
  if (typeof first !== 'object' || first === null || !('Layers' in first) || !Array.isArray(first.Layers))
    return [];
  return first.Layers.filter((l): l is string => typeof l === 'string');
}
