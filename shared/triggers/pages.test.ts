import { describe, expect, it } from 'vitest';
import { pageQuery, parseListPage } from './pages.js';

describe('pageQuery', () => {
  it('a first page without a revision is a consistent read: only the limit', () => {
    expect(pageQuery({ limit: 500 })).toEqual([['limit', '500']]);
  });

  it('a first page after a list asks for no older than that list, so the watch cache answers at once', () => {
    expect(pageQuery({ limit: 500, notOlderThan: '4711' })).toEqual([
      ['limit', '500'],
      ['resourceVersion', '4711'],
      ['resourceVersionMatch', 'NotOlderThan'],
    ]);
  });

  it('a continued page names only its token (the server refuses resourceVersionMatch with continue)', () => {
    expect(pageQuery({ limit: 2, continue: 'tok', notOlderThan: '4711', labelSelector: 'a=b' })).toEqual([
      ['labelSelector', 'a=b'],
      ['limit', '2'],
      ['continue', 'tok'],
    ]);
  });
});

describe('parseListPage', () => {
  const API = 'package-operator.run/v1alpha1';

  it('gives list items the collection apiVersion and kind, and reads the revision and continue token', () => {
    expect(
      parseListPage(
        {
          kind: 'PackageList',
          metadata: { resourceVersion: '12', continue: 'next' },
          items: [{ metadata: { name: 'a', namespace: 'ns' }, spec: { image: 'x' } }],
        },
        API,
        'Package',
      ),
    ).toEqual({
      items: [
        { apiVersion: API, kind: 'Package', metadata: { name: 'a', namespace: 'ns' }, spec: { image: 'x' } },
      ],
      resourceVersion: '12',
      continue: 'next',
    });
  });

  it('an empty continue token is the last page; null items are none; items without metadata are skipped', () => {
    expect(
      parseListPage(
        { metadata: { resourceVersion: '3', continue: '' }, items: [{ spec: {} }, 'x', null] },
        API,
        'Package',
      ),
    ).toEqual({ items: [], resourceVersion: '3', continue: undefined });
    expect(parseListPage({ metadata: {}, items: null }, API, 'Package')).toEqual({
      items: [],
      resourceVersion: '',
      continue: undefined,
    });
  });

  it('an answer that is not a list is undefined', () => {
    expect(parseListPage('nope', API, 'Package')).toBeUndefined();
    expect(parseListPage({ items: 'x' }, API, 'Package')).toBeUndefined();
    expect(parseListPage({ metadata: { continue: 7 }, items: [] }, API, 'Package')).toBeUndefined();
  });
});
