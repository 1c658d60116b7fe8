import { describe, expect, it } from 'vitest';
import { parseKubeObject } from '../api/objects.js';
import { objectTemplateSchema } from '../api/resources.js';
import { objectYaml, sourceView, templateDetail, templateSummary } from './templates.js';

const API = 'package-operator.run/v1alpha1';

function template(status: Record<string, unknown>) {
  return objectTemplateSchema.parse({
    apiVersion: API,
    kind: 'ObjectTemplate',
    metadata: { name: 't', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      template: 'apiVersion: v1\nkind: ConfigMap\n',
      sources: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          name: 'db',
          items: [{ key: '.data.host', destination: '.host' }],
        },
        { apiVersion: 'v1', kind: 'Secret', name: 'token', namespace: 'vault', optional: true, items: [] },
      ],
    },
    status,
  });
}

const invalid = (message: string) => ({
  conditions: [
    {
      type: 'package-operator.run/Invalid',
      status: 'True',
      reason: 'SourceError',
      message,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
  ],
});

describe('the ObjectTemplate views', () => {
  it('summarises a rendered template as Ready with its output, a failing one as Invalid with its reason', () => {
    const ready = templateSummary(
      template({
        controllerOf: { kind: 'ConfigMap', group: '', version: 'v1', name: 'out', namespace: 'shop' },
      }),
    );
    expect(ready).toEqual({
      key: 'ObjectTemplate/shop/t',
      kind: 'ObjectTemplate',
      namespace: 'shop',
      name: 't',
      state: 'Ready',
      reason: '',
      message: '',
      output: 'ConfigMap shop/out',
      sources: 2,
      created: '2026-01-01T00:00:00Z',
    });
    const failing = templateSummary(
      template(invalid('for source ConfigMap shop/db: configmaps "db" not found')),
    );
    expect([failing.state, failing.reason, failing.message]).toEqual([
      'Invalid',
      'SourceError',
      'for source ConfigMap shop/db: configmaps "db" not found',
    ]);
    expect(templateSummary(template({})).state).toBe('Pending');
  });

  it('gives each source its status: the one the SourceError names fails with its message, the others as read', () => {
    const t = template(invalid('for source ConfigMap shop/db: nope is not found'));
    const [db, token] = t.spec.sources;
    if (db === undefined || token === undefined) throw new Error('no sources');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db', namespace: 'shop' } };
    const inv = { reason: 'SourceError', message: 'for source ConfigMap shop/db: nope is not found' };
    expect(sourceView(db, 'shop', { found: true, object: cm }, inv)).toEqual({
      ref: 'ConfigMap shop/db',
      apiVersion: 'v1',
      optional: false,
      items: [{ key: '.data.host', destination: '.host' }],
      status: 'Failing',
      message: 'nope is not found',
    });
    const missing = { found: false, reason: 'NotFound', message: '' } as const;
    expect(
      [
        sourceView(token, 'vault', missing, inv),
        sourceView(token, 'vault', { found: false, reason: 'Forbidden', message: '' }, undefined),
        sourceView(db, 'shop', missing, undefined),
        sourceView(db, 'shop', { found: false, reason: 'Error', message: 'HTTP 500' }, undefined),
      ].map((s) => [s.ref, s.status, s.message]),
    ).toEqual([
      ['Secret vault/token', 'Missing', 'not there (optional: its items are left out)'],
      ['Secret vault/token', 'Forbidden', 'you may not read this source'],
      ['ConfigMap shop/db', 'Missing', 'not there'],
      ['ConfigMap shop/db', 'Unknown', 'HTTP 500'],
    ]);
  });

  it('shows the rendered object without managedFields and never a Secret value', () => {
    const secret = parseKubeObject({
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 's', namespace: 'shop', managedFields: [{ manager: 'x' }] },
      data: { password: 'aHVudGVyMg==' },
    });
    if (secret === undefined) throw new Error('not an object');
    expect(objectYaml(secret)).toBe(
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\ndata:\n  password: "***"\n',
    );
    const detail = templateDetail(
      template({}),
      [{ found: true, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db' } } }],
      { found: false, reason: 'Forbidden', message: '' },
      ['shop'],
    );
    expect([detail.sources.map((s) => s.status), detail.output, detail.outputProblem]).toEqual([
      ['Found', 'Unknown'],
      '',
      'you may not read the rendered object',
    ]);
  });
});
