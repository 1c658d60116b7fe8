import { describe, expect, it } from 'vitest';
import { parseFollow } from './model.js';
import type { Revision } from './revision.js';
import { versionsView } from './versions.js';

function revision(version: string, image: string, validated: 'True' | 'False' | undefined): Revision {
  return {
    apiVersion: 'gantry.run/v1alpha1',
    kind: 'PackageRevision',
    metadata: { name: `r.p.${version}`, namespace: 'shop' },
    spec: {
      repository: 'r',
      packageName: 'p',
      version,
      image,
      lifecycle: validated === 'True' ? 'Published' : 'Draft',
    },
    ...(validated !== undefined
      ? {
          status: {
            conditions: [
              {
                type: 'Validated',
                status: validated,
                reason: 'x',
                message: validated === 'True' ? '' : 'bad config\nmore lines',
              },
            ],
          },
        }
      : {}),
  };
}

describe('versionsView', () => {
  it('says what each version is to the Package, newest first', () => {
    const follow = parseFollow({
      'gantry.run/repository': 'r',
      'gantry.run/package': 'p',
      'gantry.run/version-range': '^1.0.0',
      'gantry.run/proposed-version': '1.2.0',
      'gantry.run/rejected-versions': '1.1.0',
    });
    if (follow === undefined || 'error' in follow) throw new Error('no follow');
    const view = versionsView(follow, 'reg/p@sha256:a', [
      revision('1.0.0', 'reg/p@sha256:a', 'True'),
      revision('2.0.0', 'reg/p@sha256:d', 'True'),
      revision('1.2.0', 'reg/p@sha256:c', 'True'),
      revision('1.1.0', 'reg/p@sha256:b', 'True'),
      revision('1.3.0', 'reg/p@sha256:e', 'False'),
      revision('1.0.1', 'reg/p@sha256:f', undefined),
    ]);
    expect({ ...view, rows: undefined }).toEqual({
      repository: 'r',
      packageName: 'p',
      range: '^1.0.0',
      approval: 'manual',
      current: '1.0.0',
      proposed: '1.2.0',
      newest: '1.2.0',
      rows: undefined,
    });
    expect(view.rows.map((r) => [r.version, r.lifecycle, r.validated, r.state, r.message])).toEqual([
      ['2.0.0', 'Published', 'True', 'out of range', ''],
      ['1.3.0', 'Draft', 'False', '-', 'bad config'],
      ['1.2.0', 'Published', 'True', 'proposed', ''],
      ['1.1.0', 'Published', 'True', 'rejected', ''],
      ['1.0.1', 'Draft', 'Unknown', '-', ''],
      ['1.0.0', 'Published', 'True', 'running', ''],
    ]);
  });
});
