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

/** A reference with its registry made explicit, as go-containerregistry reads it. */
export interface QualifiedReference {
  /** Registry host with port, Docker Hub as `index.docker.io`. */
  readonly registry: string;
  /** Repository path, Docker Hub official images under `library/`. */
  readonly repository: string;
  /** Tag, `latest` when the reference names neither tag nor digest. */
  readonly tag?: string;
  readonly digest?: string;
}

export const DOCKER_HUB = 'index.docker.io';

/**
 * Docker Hub's names as go-containerregistry writes them: no registry or `docker.io` → `index.docker.io`, and
 * a single-segment repository there → `library/<name>`.
 */
export function normaliseRepository(
  registry: string,
  repository: string,
): { registry: string; repository: string } {
  const hub = registry === '' || registry === 'docker.io' || registry === DOCKER_HUB;
  if (!hub) return { registry, repository };
  return {
    registry: DOCKER_HUB,
    repository: repository.includes('/') ? repository : `library/${repository}`,
  };
}

/** Parse and qualify: `nginx:1.2` → `index.docker.io/library/nginx:1.2`, no tag or digest → `:latest`. */
export function qualifyReference(
  text: string,
): { ok: true; value: QualifiedReference } | { ok: false; error: string } {
  const parsed = parseReference(text);
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  const { registry, repository } = normaliseRepository(r.registry, r.repository);
  if (r.digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(r.digest))
    return {
      ok: false,
      error: `unsupported digest "${r.digest}": only sha256:<64 lowercase hex> is accepted`,
    };
  const tag = r.tag ?? (r.digest === undefined ? 'latest' : undefined);
  return {
    ok: true,
    value: {
      registry,
      repository,
      ...(tag !== undefined ? { tag } : {}),
      ...(r.digest !== undefined ? { digest: r.digest } : {}),
    },
  };
}

/** `registry/repository[:tag][@digest]`. */
export function formatReference(ref: QualifiedReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${
    ref.digest !== undefined ? `@${ref.digest}` : ''
  }`;
}

/** PKO's `--registry-host-overrides=a=b`: the registry host `a` is replaced by `b` before pulling. */
export function overrideRegistryHost(
  ref: QualifiedReference,
  overrides: ReadonlyMap<string, string>,
): QualifiedReference {
  const to = overrides.get(ref.registry);
  return to === undefined ? ref : { ...ref, registry: to };
}

/** Parse `from=to,from2=to2` (PKO's override flag syntax). */
export function parseOverrideList(
  text: string,
): { ok: true; value: { from: string; to: string }[] } | { ok: false; error: string } {
  const out: { from: string; to: string }[] = [];
  for (const item of text.split(',').filter((s) => s.trim() !== '')) {
    const at = item.indexOf('=');
    if (at <= 0 || at === item.length - 1)
      return { ok: false, error: `invalid override "${item}": expected FROM=TO` };
    out.push({ from: item.slice(0, at).trim(), to: item.slice(at + 1).trim() });
  }
  return { ok: true, value: out };
}
