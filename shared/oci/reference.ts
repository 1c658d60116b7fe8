/**
 * @module oci/reference
 * Image references (`[registry[:port]/]repository[:tag][@digest]`), validated with the grammar of
 * distribution/reference so `gantry build --tag` refuses what a registry would refuse.
 */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}';
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

export interface ImageReference {
  /** Registry host (with port), '' when the reference names none (Docker Hub). */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Parse a reference; returns an error text instead of throwing. */
export function parseReference(
  text: string,
): { ok: true; value: ImageReference } | { ok: false; error: string } {
  if (text === '') return { ok: false, error: 'repository name must have at least one component' };
  if (text.length > 255 + 128 + 80) return { ok: false, error: 'reference is too long' };
  const m = REFERENCE.exec(text);
  if (m === null) {
    if (/[A-Z]/.test(text.split(/[:@]/)[0]?.split('/').slice(-1)[0] ?? ''))
      return { ok: false, error: 'repository name must be lowercase' };
    return { ok: false, error: 'invalid reference format' };
  }
  let registry = m[1] ?? '';
  let repository = m[2] ?? '';
  // `a/b` without a dot, colon or localhost in the first part is a Docker Hub path, not a registry.
  if (
    registry !== '' &&
    !registry.includes('.') &&
    !registry.includes(':') &&
    registry !== 'localhost' &&
    !registry.startsWith('[')
  ) {
    repository = `${registry}/${repository}`;
    registry = '';
  }
  if (registry !== registry.toLowerCase() && !registry.includes(':'))
    return { ok: false, error: 'invalid reference format' };
  return {
    ok: true,
    value: {
      registry,
      repository,
      ...(m[3] !== undefined ? { tag: m[3] } : {}),
      ...(m[4] !== undefined ? { digest: m[4] } : {}),
    },
  };
}
