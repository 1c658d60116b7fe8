import { describe, expect, it } from 'vitest';
import { diffName, maskSecrets, objectDiff, stripNoise } from './objects.js';

const ref = { apiVersion: 'v1', kind: 'Secret', namespace: 'ns', name: 'creds' };

function secret(data: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'ns', ...extra }, data };
}

describe('diff of objects', () => {
  it('leaves out what the server rewrites on every write', () => {
    expect(
      stripNoise({
        kind: 'ConfigMap',
        metadata: {
          name: 'a',
          uid: 'u',
          resourceVersion: '7',
          generation: 2,
          creationTimestamp: 't',
          managedFields: [],
          labels: { x: 'y' },
        },
      }),
    ).toEqual({ kind: 'ConfigMap', metadata: { name: 'a', labels: { x: 'y' } } });
  });

  it('masks Secret values as kubectl diff does', () => {
    expect(
      maskSecrets(secret({ a: 'MQ==', b: 'Mg==' }), secret({ a: 'MQ==', b: 'Mw==', c: 'NA==' })),
    ).toEqual({
      live: secret({ a: '***', b: '*** (before)' }),
      merged: secret({ a: '***', b: '*** (after)', c: '*** (after)' }),
    });
    const added = objectDiff(ref, undefined, { ...secret({}), stringData: { password: 'hunter2' } });
    expect(added).not.toContain('hunter2');
    expect(added).toContain('+  password: "*** (after)"');
  });

  it('names objects as kubectl diff does and prints nothing when equal', () => {
    expect(diffName({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'web' })).toBe(
      'apps.v1.Deployment.ns.web',
    );
    expect(diffName({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: 'shop' })).toBe(
      'v1.Namespace.shop',
    );
    expect(objectDiff(ref, secret({ a: 'MQ==' }, { uid: '1' }), secret({ a: 'MQ==' }, { uid: '2' }))).toBe(
      '',
    );
  });

  it('prints one unified diff with file headers', () => {
    const cm = (v: string): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { v },
    });
    expect(
      objectDiff({ apiVersion: 'v1', kind: 'ConfigMap', namespace: '', name: 'c' }, cm('1'), cm('2')),
    ).toBe(
      [
        '--- live/v1.ConfigMap.c',
        '+++ merged/v1.ConfigMap.c',
        '@@ -1,6 +1,6 @@',
        ' apiVersion: v1',
        ' data:',
        '-  v: "1"',
        '+  v: "2"',
        ' kind: ConfigMap',
        ' metadata:',
        '   name: c',
        '',
      ].join('\n'),
    );
  });
});
