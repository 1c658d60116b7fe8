import { describe, expect, it } from 'vitest';
import { parseKey } from './model.js';

describe('console package keys', () => {
  it('names a Package by namespace and name, a ClusterPackage by name only', () => {
    expect(parseKey('Package/shop/web')).toEqual({ kind: 'Package', namespace: 'shop', name: 'web' });
    expect(parseKey('ClusterPackage//cert-manager')).toEqual({
      kind: 'ClusterPackage',
      namespace: '',
      name: 'cert-manager',
    });
    for (const bad of [
      'Package//web',
      'ClusterPackage/ns/x',
      'Pod/ns/x',
      'Package/ns/',
      'Package/NS/x',
      'Package/a/b/c',
    ])
      expect(parseKey(bad)).toBeUndefined();
  });
});
