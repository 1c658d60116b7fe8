/**
 * @module oci/repository-host
 * `PKO_REPOSITORY_HOST`, as PKO's CLI reads it: `update` resolves, and `build` checks the lock's digests, against
 * another registry (a mirror or a local registry in CI) while the manifest and lock keep naming the original image.
 */
import { formatReference, normaliseRepository, parseReference } from './reference.js';

/** Whether a registry host is a valid URI authority (`host[:port]`), as go-containerregistry checks it. */
function isAuthority(host: string): boolean {
  try {
    return host !== '' && new URL(`http://${host}`).host === host.toLowerCase() && !host.includes('/');
  } catch {
    return false;
  }
}

/**
 * The image with its registry replaced by `host` (the repository path kept; Docker Hub's `library/` added as
 * go-containerregistry does). An empty host changes nothing.
 */
export function withRepositoryHost(
  image: string,
  host: string,
): { ok: true; value: string } | { ok: false; error: string } {
  if (host === '') return { ok: true, value: image };
  if (!isAuthority(host))
    return {
      ok: false,
      error: `image registry override: registries must be valid RFC 3986 URI authorities: ${host}`,
    };
  const parsed = parseReference(image);
  if (!parsed.ok) return { ok: false, error: `image reference: ${parsed.error}` };
  const r = parsed.value;
  const { repository } = normaliseRepository(r.registry, r.repository);
  return {
    ok: true,
    value: formatReference({
      registry: host,
      repository,
      ...(r.tag !== undefined || r.digest === undefined ? { tag: r.tag ?? 'latest' } : {}),
      ...(r.digest !== undefined ? { digest: r.digest } : {}),
    }),
  };
}
