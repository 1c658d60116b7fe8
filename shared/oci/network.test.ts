import { describe, expect, it } from 'vitest';
import {
  addressClass,
  parseNetworkClasses,
  parsePlainHttpRules,
  plainHttpRegistry,
  plainHttpRulesOf,
  reachable,
  type AddressClass,
} from './network.js';

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

describe('plain http, as go-containerregistry v0.20.7 (PKO v1.19.0) decides Registry.Scheme()', () => {
  it('names the rule each registry host matches', () => {
    const cases: [string, string[]][] = [
      ['localhost:5000', ['loopback']],
      ['localhost', ['loopback']],
      ['127.0.0.1:5000', ['loopback']],
      ['127.0.0.1.nip.io', ['loopback']],
      ['[::1]:5000', ['loopback']],
      ['registry.local', ['local']],
      ['registry.kube-system.svc.cluster.local:5000', ['local']],
      ['app.localhost:80', ['local']],
      ['registry.local:123456', []],
      ['10.0.0.5:5000', ['private']],
      ['172.16.3.4', ['private']],
      ['172.32.0.1', []],
      ['192.168.1.10:443', ['private']],
      ['100.64.0.1', []],
      ['169.254.169.254', []],
      ['[fd00::1]:5000', ['loopback']], // go-containerregistry matches "::1" anywhere in the name
      ['quay.io', []],
      ['local.example.com', []],
    ];
    for (const [host, rules] of cases) expect([host, plainHttpRulesOf(host)]).toEqual([host, rules]);
  });

  it('uses plain http only where an allowed rule matches', () => {
    const pko = new Set(['loopback', 'local', 'private'] as const);
    expect(plainHttpRegistry('10.1.2.3:5000', pko)).toBe(true);
    expect(plainHttpRegistry('10.1.2.3:5000', new Set(['loopback'] as const))).toBe(false);
    expect(plainHttpRegistry('localhost:5000', new Set(['loopback'] as const))).toBe(true);
    expect(plainHttpRegistry('quay.io', pko)).toBe(false);
  });

  it('parses the operator list, none, and refuses unknown names', () => {
    expect(parsePlainHttpRules('loopback, local')).toEqual({
      ok: true,
      value: new Set(['loopback', 'local']),
    });
    expect(parsePlainHttpRules('none')).toEqual({ ok: true, value: new Set() });
    expect(parsePlainHttpRules('loopback,public')).toEqual({
      ok: false,
      error: 'unknown plain-http rule "public" (one of loopback, local, private, or none)',
    });
  });
});
