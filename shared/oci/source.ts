/**
 * @module oci/source
 * Where a package lives, from the text of `spec.image` or a `--pull` argument: an OCI image reference,
 * `s3://bucket/key[?versionId=…]`, or `https://…/pkg.tar.gz@sha256:<digest>` (the digest is mandatory, so
 * what is fetched over plain HTTPS is still verified).
 */
import { qualifyReference, type QualifiedReference } from './reference.js';

export type PackageLocation =
  | { readonly kind: 'oci'; readonly ref: QualifiedReference }
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string; readonly versionId?: string }
  | { readonly kind: 'https'; readonly url: string; readonly digest: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function parseS3(text: string): { ok: true; value: PackageLocation } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, error: `invalid S3 location "${text}": expected s3://bucket/key` };
  }
  const bucket = text.slice('s3://'.length).split(/[/?]/)[0] ?? '';
  let key: string;
  try {
    key = decodeURIComponent(url.pathname.replace(/^\//, ''));
  } catch {
    return { ok: false, error: `invalid S3 location "${text}": the key is not valid percent-encoding` };
  }
  if (!BUCKET.test(bucket)) return { ok: false, error: `invalid S3 bucket name "${bucket}" in ${text}` };
  if (key === '' || key.endsWith('/'))
    return {
      ok: false,
      error: `invalid S3 location "${text}": the key must name an object (a tar or tar.gz)`,
    };
  const versionId = url.searchParams.get('versionId');
  return {
    ok: true,
    value: { kind: 's3', bucket, key, ...(versionId !== null && versionId !== '' ? { versionId } : {}) },
  };
}

function parseHttps(
  text: string,
  allowHttp: boolean,
): { ok: true; value: PackageLocation } | { ok: false; error: string } {
  const at = text.lastIndexOf('@sha256:');
  if (at < 0)
    return {
      ok: false,
      error: `tarball URL "${text}" has no digest: append @sha256:<digest of the file> so its content can be verified`,
    };
  const digest = text.slice(at + 1);
  if (!/^sha256:[a-f0-9]{64}$/.test(digest))
    return { ok: false, error: `invalid digest "${digest}" in ${text}: expected sha256:<64 lowercase hex>` };
  let url: URL;
  try {
    url = new URL(text.slice(0, at));
  } catch {
    return { ok: false, error: `invalid tarball URL "${text.slice(0, at)}"` };
  }
  if (url.protocol === 'http:' && !allowHttp)
    return { ok: false, error: `refusing plain http for ${url.href}; use https (or --insecure)` };
  if (url.username !== '' || url.password !== '')
    return { ok: false, error: `tarball URL must not carry credentials: ${url.host}` };
  return { ok: true, value: { kind: 'https', url: url.href, digest } };
}

/** Classify and parse a package location. */
export function parseLocation(
  text: string,
  options: { readonly allowHttp?: boolean } = {},
): { ok: true; value: PackageLocation } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('s3://')) return parseS3(trimmed);
  if (trimmed.startsWith('https://') || trimmed.startsWith('http://'))
    return parseHttps(trimmed, options.allowHttp === true);
  const ref = qualifyReference(trimmed);
  return ref.ok
    ? { ok: true, value: { kind: 'oci', ref: ref.value } }
    : { ok: false, error: `invalid image reference "${trimmed}": ${ref.error}` };
}
