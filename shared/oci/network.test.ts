import { describe, expect, it } from 'vitest';
import { addressClass, parseNetworkClasses, reachable, type AddressClass } from './network.js';

describe('address classes', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['fc00::1', 'private'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2001:db8::1', 'public'],
    ['fec0::1', 'public'],
  ])('%s is %s', (address, cls) => {
    expect(addressClass(address)).toBe(cls);
  });

  it('is undefined for names and malformed literals', () => {
    expect(addressClass('registry.example.com')).toBeUndefined();
    expect(addressClass('256.1.1.1')).toBeUndefined();
    expect(addressClass('1::2::3')).toBeUndefined();
  });
});

describe('reachable', () => {
  const none = new Set<AddressClass>();
  it('reaches public addresses always, others only from the same class or when allowed', () => {
    expect(reachable('public', none, none)).toBe(true);
    expect(reachable('loopback', new Set(['public']), none)).toBe(false);
    expect(reachable('link-local', new Set(['loopback']), none)).toBe(false);
    expect(reachable('private', new Set(['private']), none)).toBe(true);
    expect(reachable('private', new Set(['public']), new Set(['private']))).toBe(true);
  });

  it('parses the operator list and names an unknown class', () => {
    expect(parseNetworkClasses(' private, link-local ')).toEqual({
      ok: true,
      value: new Set(['private', 'link-local']),
    });
    expect(parseNetworkClasses('')).toEqual({ ok: true, value: new Set() });
    expect(parseNetworkClasses('intranet')).toEqual({
      ok: false,
      error: 'unknown network class "intranet" (one of loopback, link-local, private)',
    });
  });
});
