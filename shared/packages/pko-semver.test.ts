/**
 * PKO v1.19.0's version ranges (its pkg.package-operator.run/semver at aa83909): every expectation below is what
 * that library answered for the same range and version (Check, Version.String(), or a parse error).
 */
import { describe, expect, it } from 'vitest';
import { parseConstraint, parseVersion, satisfies, versionText } from './pko-semver.js';

/** [range, version, met, the version as PKO prints it]. */
const CHECKS: readonly (readonly [string, string, boolean, string])[] = [
  ['>=1.25', '1.37.0', true, '1.37.0'],
  ['>=1.25', '1.26.0-rc.1', true, '1.26.0-rc.1'],
  ['<1.30', '1.30.0-rc.1', false, '1.30.0-rc.1'],
  ['<1.30', '1.29.9-rc.1', true, '1.29.9-rc.1'],
  ['<1.30.0', '1.30.0-rc.1', false, '1.30.0-rc.1'],
  ['<1.30.1', '1.30.0', true, '1.30.0'],
  ['<2', '1.99.0-rc.1', true, '1.99.0-rc.1'],
  ['<2', '2.0.0-alpha', false, '2.0.0-alpha'],
  ['<=1.0.0', '1.0.0-alpha', true, '1.0.0-alpha'],
  ['<=1.0', '1.0.5', false, '1.0.5'],
  ['~1.30', '1.30.5-rc.1', true, '1.30.5-rc.1'],
  ['~1.30', '1.31.0-rc.1', false, '1.31.0-rc.1'],
  ['~1', '1.9.0', true, '1.9.0'],
  ['~1.2.3', '1.2.9', true, '1.2.9'],
  ['^1.30', '1.31.0-alpha', true, '1.31.0-alpha'],
  ['^0.2.3', '0.2.9', true, '0.2.9'],
  ['^0.2.3', '0.3.0', false, '0.3.0'],
  ['^1.2.3', '2.0.0-rc.1', false, '2.0.0-rc.1'],
  ['>=1.30', '1.30.0-rc.1', false, '1.30.0-rc.1'],
  ['>=1.30', '1.30.0', true, '1.30.0'],
  ['>1.30', '1.30.5', false, '1.30.5'],
  ['>1.30', '1.31.0-rc.1', false, '1.31.0-rc.1'],
  ['>4.15', '4.16.0-ec.2', false, '4.16.0-ec.2'],
  ['>4.15.2', '4.15.3-rc.0', false, '4.15.3-rc.0'],
  ['>4', '5.0.0-rc.1', false, '5.0.0-rc.1'],
  ['1.2.3 - 1.4', '1.4.7-beta', false, '1.4.7-beta'],
  ['1.2.3 - 1.4.x', '1.4.7-beta', true, '1.4.7-beta'],
  ['1.2.3 - 1.x', '1.9.0-beta', true, '1.9.0-beta'],
  ['1.2.3 - 1.4', '1.2.3-beta', false, '1.2.3-beta'],
  ['=4.16', '4.16.3-rc.1', true, '4.16.3-rc.1'],
  ['=4.16', '4.16.0-rc.1', false, '4.16.0-rc.1'],
  ['=4', '4.0.0-rc.1', false, '4.0.0-rc.1'],
  ['=4', '4.99.1', true, '4.99.1'],
  ['!=4.16', '4.16.0-rc.1', true, '4.16.0-rc.1'],
  ['!=4.16', '4.16.2', false, '4.16.2'],
  ['>=4.16', '4.16.3+build.5', true, '4.16.3+build.5'],
  ['>=1.0', '1.0.0-alpha.0', false, '1.0.0-alpha.0'],
  ['>=1.0.0', '1.0.0-0', false, '1.0.0-0'],
  ['>=1.0.0 <2.0.0', '1.5.0-rc.1', true, '1.5.0-rc.1'],
  ['>=1.0.0, <2.0.0', '2.0.0-rc.1', false, '2.0.0-rc.1'],
  ['>=1.0.0 && <2.0.0', '2.0.0', false, '2.0.0'],
  ['>=1.0.0 || <0.5', '0.4.0-rc.1', true, '0.4.0-rc.1'],
  ['<0.5 || >=1.0.0', '0.7.0', false, '0.7.0'],
  ['x-x', '1.0.0-rc.1', true, '1.0.0-rc.1'],
  ['1.x - 2.x', '2.5.0-beta', true, '2.5.0-beta'],
  ['~1.x', '1.99.0-rc', true, '1.99.0-rc'],
  ['>= 1.2', '1.2.0', true, '1.2.0'],
  ['>=1.2 <1.0', '1.1.0', false, '1.1.0'],
  ['~1.2 ~1.2', '1.2.1', true, '1.2.1'],
  ['>=1.2 ||', '1.3.0', true, '1.3.0'],
  ['-1.2', '1.0.0', true, '1.0.0'],
  ['1.2 -', '1.0.0', false, '1.0.0'],
  ['>=4.16', '4.16.0-ec.2', false, '4.16.0-ec.2'],
  ['>=4.16', '4.17.0-0.nightly-2024-01-01-000000', true, '4.17.0-0.nightly-2024-01-01-000000'],
  ['<4.17', '4.17.0-0.nightly-2024-01-01-000000', false, '4.17.0-0.nightly-2024-01-01-000000'],
  ['>=1.2', '1.2.0-alpha.beta.1', false, '1.2.0-alpha.beta.1'],
  ['<=1.2.0-x', '1.2.0', true, '1.2.0'],
  ['^0.0.3', '0.0.5', true, '0.0.5'],
  ['~0.0.3', '0.0.5', true, '0.0.5'],
  ['~0.3', '0.3.9', true, '0.3.9'],
  ['>=1.0.0', '1.0.0-ab', false, '1.0.0-ab'],
  ['<=1.0.0', '1.0.0-alpha.0', true, '1.0.0-alpha.0'],
  ['>=0.0.0', '0.0.0-0', false, '0.0.0-0'],
  ['<1.0.0', '1.0.0-alpha', false, '1.0.0-alpha'],
  ['<1.0', '0.9.9-rc', true, '0.9.9-rc'],
];

/** Ranges PKO refuses (a bare version, `*` alone, pre-releases, leading zeros, overlaps, dangling operators). */
const BAD_RANGES: readonly string[] = [
  '',
  '!1.2',
  '*',
  '1.30',
  '<1.2 <=1.3',
  '=1.0.0-alpha',
  '>',
  '>=01.2',
  '>=1.',
  '>=1.0.0-alpha',
  '>=1.2 >=1.3',
  '>=1.2.3.4',
  '||',
];

/** Versions PKO refuses (one-character and zero-led pre-release identifiers, empty build metadata). */
const BAD_VERSIONS: readonly string[] = ['1.0.0+', '1.0.0-01', '1.0.0-a', '1.0.0-rc.01'];

describe("PKO's version ranges", () => {
  it.each(CHECKS)('%s against %s: %s', (range, version, met, shown) => {
    const c = parseConstraint(range);
    const v = parseVersion(version);
    if (!c.ok || !v.ok) throw new Error(`unexpected parse error for ${range} / ${version}`);
    expect(satisfies(c.value, v.value)).toBe(met);
    expect(versionText(v.value)).toBe(shown);
  });

  it.each(BAD_RANGES)('refuses the range %j', (range) => {
    expect(parseConstraint(range)).toHaveProperty('error');
  });

  it.each(BAD_VERSIONS)('refuses the version %j', (version) => {
    expect(parseVersion(version)).toHaveProperty('error');
  });

  it("refuses Kubernetes' v-prefixed version, as PKO's own parser does (constraints strip the v first)", () => {
    expect(parseVersion('v1.37.0-rc.1+k3s1')).toHaveProperty('error');
    const v = parseVersion('1.37.0-rc.1+k3s1');
    if (!v.ok) throw new Error(v.error);
    expect(versionText(v.value)).toBe('1.37.0-rc.1+k3s1');
  });
});

describe('a leading zero in a range', () => {
  it('is refused with the column and character PKO names', () => {
    expect(parseConstraint('>=01.2')).toEqual({ ok: false, error: "col 4: unexpected character U+0031 '1'" });
  });
});
