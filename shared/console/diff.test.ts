import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import { revisionDiff, sideBySide } from './diff.js';

const cm = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'prod' },
  data,
});

describe('revisionDiff', () => {
  it('diffs object by object: changed, added, removed; equal objects are left out', () => {
    const from = [cm('same', { a: '1' }), cm('settings', { v: 'one', keep: 'k' }), cm('gone', { x: '1' })];
    const to = [cm('same', { a: '1' }), cm('settings', { v: 'two', keep: 'k' }), cm('new', { y: '2' })];
    const out = revisionDiff(from, to);
    expect(out.map((d) => [d.name, d.change])).toEqual([
      ['v1.ConfigMap.prod.gone', 'removed'],
      ['v1.ConfigMap.prod.new', 'added'],
      ['v1.ConfigMap.prod.settings', 'changed'],
    ]);
    expect(out[2]?.rows).toEqual([
      { kind: 'hunk' },
      {
        kind: 'context',
        left: { line: 1, text: 'apiVersion: v1', removed: false },
        right: { line: 1, text: 'apiVersion: v1', added: false },
      },
      {
        kind: 'context',
        left: { line: 2, text: 'data:', removed: false },
        right: { line: 2, text: 'data:', added: false },
      },
      {
        kind: 'context',
        left: { line: 3, text: '  keep: k', removed: false },
        right: { line: 3, text: '  keep: k', added: false },
      },
      {
        kind: 'change',
        left: { line: 4, text: '  v: one', removed: true },
        right: { line: 4, text: '  v: two', added: true },
      },
      {
        kind: 'context',
        left: { line: 5, text: 'kind: ConfigMap', removed: false },
        right: { line: 5, text: 'kind: ConfigMap', added: false },
      },
      {
        kind: 'context',
        left: { line: 6, text: 'metadata:', removed: false },
        right: { line: 6, text: 'metadata:', added: false },
      },
      {
        kind: 'context',
        left: { line: 7, text: '  name: settings', removed: false },
        right: { line: 7, text: '  name: settings', added: false },
      },
    ]);
  });

  it('masks Secret values as gantry diff does', () => {
    const secret = (v: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'prod' },
      data: { k: v },
    });
    const [d] = revisionDiff([secret('b2xk')], [secret('bmV3')]);
    expect(d?.unified).not.toContain('b2xk');
    expect(d?.unified).not.toContain('bmV3');
    expect(d?.rows.filter((r) => r.kind === 'change')).toEqual([
      {
        kind: 'change',
        left: { line: 3, text: '  k: "*** (before)"', removed: true },
        right: { line: 3, text: '  k: "*** (after)"', added: true },
      },
    ]);
  });
});

describe('sideBySide', () => {
  it('pairs removed lines with the added lines after them; extra lines stand alone', () => {
    const unified = [
      '--- a',
      '+++ b',
      '@@ -1,3 +1,2 @@',
      ' x',
      '-a',
      '-b',
      '+c',
      '@@ -10 +9,2 @@',
      '+d',
      '+e',
    ].join('\n');
    expect(sideBySide(unified)).toEqual([
      { kind: 'hunk' },
      {
        kind: 'context',
        left: { line: 1, text: 'x', removed: false },
        right: { line: 1, text: 'x', added: false },
      },
      {
        kind: 'change',
        left: { line: 2, text: 'a', removed: true },
        right: { line: 2, text: 'c', added: true },
      },
      { kind: 'change', left: { line: 3, text: 'b', removed: true } },
      { kind: 'hunk' },
      { kind: 'change', right: { line: 9, text: 'd', added: true } },
      { kind: 'change', right: { line: 10, text: 'e', added: true } },
    ]);
  });
});
