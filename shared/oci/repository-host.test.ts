import { describe, expect, it } from 'vitest';
import { withRepositoryHost } from './repository-host.js';

describe('withRepositoryHost (PKO_REPOSITORY_HOST)', () => {
  it.each([
    ['quay.io/org/app:v1', 'localhost:5001', 'localhost:5001/org/app:v1'],
    ['nginx:1.27', 'mirror.example', 'mirror.example/library/nginx:1.27'],
    ['quay.io/org/app', 'mirror.example', 'mirror.example/org/app:latest'],
    [
      `quay.io/org/app@sha256:${'a'.repeat(64)}`,
      'm.example:8443',
      `m.example:8443/org/app@sha256:${'a'.repeat(64)}`,
    ],
    ['quay.io/org/app:v1', '', 'quay.io/org/app:v1'],
  ])('%s with host %s is %s', (image, host, expected) => {
    expect(withRepositoryHost(image, host)).toEqual({ ok: true, value: expected });
  });

  it('refuses a host that is not a URI authority, and a bad image, with PKO’s words', () => {
    expect(withRepositoryHost('quay.io/a:v1', 'https://mirror.example')).toEqual({
      ok: false,
      error:
        'image registry override: registries must be valid RFC 3986 URI authorities: https://mirror.example',
    });
    expect(withRepositoryHost('Quay.io/A:v1:x', 'mirror.example')).toMatchObject({ ok: false });
  });
});
