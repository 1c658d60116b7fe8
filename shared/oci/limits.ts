/**
 * @module oci/limits
 * Limits on everything a package source hands us. Every one has a name that appears in the error a package
 * gets when it exceeds it, so users know which knob to turn.
 */
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../packages/archive.js';

export interface SourceLimits extends ArchiveLimits {
  /** Largest manifest or index document, bytes. */
  readonly maxManifestBytes: number;
  /** Largest sum of compressed layer (or tarball) bytes, bytes. */
  readonly maxCompressedBytes: number;
  /** Most layers in an image. */
  readonly maxLayers: number;
  /** Time to the response headers of one request, milliseconds. */
  readonly requestTimeoutMs: number;
  /** Longest pause while reading a response body, milliseconds. */
  readonly idleTimeoutMs: number;
  /** Longest time to read one whole response body (a blob, a tarball), milliseconds. */
  readonly downloadTimeoutMs: number;
  /** Most redirects followed for one request. */
  readonly maxRedirects: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  ...DEFAULT_ARCHIVE_LIMITS,
  maxManifestBytes: 4 * 1024 * 1024,
  maxCompressedBytes: 128 * 1024 * 1024,
  maxLayers: 128,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  downloadTimeoutMs: 600_000,
  maxRedirects: 5,
};

/** The message of an exceeded limit: `… (limit maxCompressedBytes = 134217728)`. */
export function limitText(name: keyof SourceLimits, limits: SourceLimits): string {
  return `limit ${name} = ${String(limits[name])}`;
}
