import { describe, expect, it } from 'vitest';
import type { Candidate } from '../shared/catalog/follow.js';
import { approvalErrors, type CatalogVersions } from './approval.js';

const candidates: Candidate[] = [
  { version: '1.0.0', image: 'r/app@sha256:a', eligible: true },
  { version: '1.0.1', image: 'r/app@sha256:b', eligible: true },
  {
    version: '1.0.2',
    image: 'r/app@sha256:c',
    eligible: false,
    message: 'template error in deploy.yaml.gotmpl',
  },
];

function pkg(annotations: Record<string, string>): unknown {
  return { metadata: { name: 'p', namespace: 'ns', annotations }, spec: { image: 'r/app:1.0.0' } };
}

const follow = { 'gantry.run/repository': 'repo', 'gantry.run/version-range': '~1.0' };

describe('approvalErrors', () => {
  it('admits an approval of a validated version in range, and looks only at the namespace of the Package', async () => {
    const asked: string[] = [];
    const versions: CatalogVersions = async (ns, repo, name) => {
      asked.push(`${ns}/${repo}/${name ?? ''}`);
      return Promise.resolve(candidates);
    };
    const approved = pkg({ ...follow, 'gantry.run/approved-version': '1.0.1' });
    expect(await approvalErrors(approved, pkg(follow), 'ns', versions)).toEqual([]);
    expect(asked).toEqual(['ns/repo/']);
  });

  it('refuses approving a version that failed validation, with its message', async () => {
    const approved = pkg({ ...follow, 'gantry.run/approved-version': '1.0.2' });
    expect(
      await approvalErrors(approved, pkg(follow), 'ns', async () => Promise.resolve(candidates)),
    ).toEqual([
      'metadata.annotations[gantry.run/approved-version]: Invalid value: "1.0.2": version 1.0.2 is not validated: template error in deploy.yaml.gotmpl',
    ]);
  });

  it('does not look again at an approval that did not change, and refuses follow annotations that do not parse', async () => {
    const approved = pkg({ ...follow, 'gantry.run/approved-version': '1.0.2' });
    const never: CatalogVersions = async () => Promise.reject(new Error('not called'));
    expect(await approvalErrors(approved, approved, 'ns', never)).toEqual([]);
    expect(
      await approvalErrors(
        pkg({ 'gantry.run/repository': 'repo', 'gantry.run/approval': 'yes' }),
        undefined,
        'ns',
        never,
      ),
    ).toEqual(['metadata.annotations: gantry.run/approval: must be "manual" or "automatic", got "yes"']);
  });
});
