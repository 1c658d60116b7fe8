import { describe, expect, it } from 'vitest';
import {
  approvalProblem,
  decideFollow,
  followPatch,
  lifecycleFor,
  proposedAfter,
  type Candidate,
} from './follow.js';
import { parseFollow, revisionName, versionOfTag, type Follow } from './model.js';

const img = (v: string): string => `reg.example/pkgs/app@sha256:${v.replace(/\./g, '').padEnd(64, '0')}`;
const c = (version: string, eligible = true, message?: string): Candidate => ({
  version,
  image: img(version),
  eligible,
  ...(message !== undefined ? { message } : {}),
});
const catalog = [c('1.0.0'), c('1.0.1'), c('1.0.2', false, 'template error'), c('1.1.0'), c('2.0.0')];

function follow(annotations: Record<string, string>): Follow {
  const f = parseFollow({ 'gantry.run/repository': 'repo', ...annotations });
  if (f === undefined || 'error' in f) throw new Error('bad follow');
  return f;
}

describe('parseFollow', () => {
  it('is undefined without a repository, and defaults to any version with manual approval', () => {
    expect(parseFollow({})).toBeUndefined();
    expect(parseFollow({ 'gantry.run/repository': 'repo' })).toEqual({
      repository: 'repo',
      range: '*',
      approval: 'manual',
      rejected: [],
    });
  });

  it('names the annotation that is wrong', () => {
    expect(parseFollow({ 'gantry.run/repository': 'r', 'gantry.run/version-range': 'not a range' })).toEqual({
      error: 'gantry.run/version-range: "not a range" is not a semver range',
    });
    expect(parseFollow({ 'gantry.run/repository': 'r', 'gantry.run/approval': 'sometimes' })).toEqual({
      error: 'gantry.run/approval: must be "manual" or "automatic", got "sometimes"',
    });
  });
});

describe('decideFollow', () => {
  it('manual: proposes the newest validated version in range and never one outside it', () => {
    const f = follow({ 'gantry.run/version-range': '~1.0' });
    expect(decideFollow(f, img('1.0.0'), catalog)).toEqual({ kind: 'propose', version: '1.0.1' });
  });

  it('manual: leaves a Package whose proposal stands, and withdraws a proposal once it runs the newest', () => {
    const f = follow({ 'gantry.run/version-range': '~1.0', 'gantry.run/proposed-version': '1.0.1' });
    expect(decideFollow(f, img('1.0.0'), catalog)).toEqual({ kind: 'none' });
    expect(decideFollow(f, img('1.0.1'), catalog)).toEqual({ kind: 'withdraw' });
  });

  it('manual: moves to an approved version, digest-pinned', () => {
    const f = follow({ 'gantry.run/version-range': '~1.0', 'gantry.run/approved-version': '1.0.1' });
    expect(decideFollow(f, img('1.0.0'), catalog)).toEqual({
      kind: 'move',
      version: '1.0.1',
      image: img('1.0.1'),
      approved: true,
    });
  });

  it('never moves to an approved version that is not validated', () => {
    const f = follow({ 'gantry.run/version-range': '~1.0', 'gantry.run/approved-version': '1.0.2' });
    expect(decideFollow(f, img('1.0.1'), catalog)).toEqual({ kind: 'none' });
    expect(approvalProblem(f, '1.0.2', catalog)).toBe('version 1.0.2 is not validated: template error');
    expect(approvalProblem(f, '1.1.0', catalog)).toBe('version 1.1.0 is outside the followed range "~1.0"');
    expect(approvalProblem(f, '3.0.0', catalog)).toBe('version 3.0.0 is not in repository repo');
  });

  it('automatic: moves to the newest validated version in range', () => {
    const f = follow({ 'gantry.run/version-range': '^1.0', 'gantry.run/approval': 'automatic' });
    expect(decideFollow(f, img('1.0.0'), catalog)).toEqual({
      kind: 'move',
      version: '1.1.0',
      image: img('1.1.0'),
      approved: false,
    });
    expect(decideFollow(f, img('1.1.0'), catalog)).toEqual({ kind: 'none' });
  });

  it('skips rejected versions and proposes the newest one left', () => {
    const f = follow({ 'gantry.run/version-range': '^1.0', 'gantry.run/rejected-versions': '1.1.0' });
    expect(decideFollow(f, img('1.0.0'), catalog)).toEqual({ kind: 'propose', version: '1.0.1' });
  });

  it('knows the current version of an image named by its tag', () => {
    const f = follow({ 'gantry.run/version-range': '~1.0' });
    expect(decideFollow(f, 'reg.example/pkgs/app:1.0.1', catalog)).toEqual({ kind: 'none' });
  });
});

describe('followPatch', () => {
  it('pins the image, records the version and clears the proposal on a move', () => {
    expect(followPatch({ kind: 'move', version: '1.0.1', image: img('1.0.1'), approved: false })).toEqual({
      metadata: {
        annotations: {
          'gantry.run/version': '1.0.1',
          'gantry.run/proposed-version': null,
          'gantry.run/approved-version': null,
        },
      },
      spec: { image: img('1.0.1') },
    });
    expect(followPatch({ kind: 'none' })).toBeUndefined();
  });
});

describe('catalog names', () => {
  it('reads semver tags (a leading v allowed) and names revisions after repository, package and version', () => {
    expect(versionOfTag('v1.2.3')).toBe('1.2.3');
    expect(versionOfTag('1.2.3-rc.1')).toBe('1.2.3-rc.1');
    expect(versionOfTag('latest')).toBeUndefined();
    expect(revisionName('repo', 'app', '1.2.3-RC_1')).toBe('repo.app.v1.2.3-rc-1');
  });
});

describe('follow annotations that could reach a label selector', () => {
  it('refuses a repository or package name that is not a name', () => {
    expect(parseFollow({ 'gantry.run/repository': 'repo,other!=x' })).toEqual({
      error: 'gantry.run/repository: "repo,other!=x" is not a PackageRepository name',
    });
    expect(parseFollow({ 'gantry.run/repository': 'repo', 'gantry.run/package': 'A B' })).toEqual({
      error: 'gantry.run/package: "A B" is not a package name',
    });
  });
});

describe('lifecycle of a proposed version', () => {
  it('is Proposed while a proposal for it stands, Published otherwise; Draft and DeletionProposed stay', () => {
    const f = follow({ 'gantry.run/proposed-version': '1.0.1' });
    expect(proposedAfter(f, { kind: 'none' })).toBe('1.0.1');
    expect(proposedAfter(f, { kind: 'withdraw' })).toBeUndefined();
    expect(proposedAfter(f, { kind: 'propose', version: '1.0.3' })).toBe('1.0.3');
    expect(proposedAfter(f, { kind: 'move', version: '1.0.1', image: 'x', approved: true })).toBeUndefined();
    expect(lifecycleFor('Published', true)).toBe('Proposed');
    expect(lifecycleFor('Proposed', false)).toBe('Published');
    expect(lifecycleFor('Draft', true)).toBe('Draft');
    expect(lifecycleFor('DeletionProposed', true)).toBe('DeletionProposed');
  });
});
