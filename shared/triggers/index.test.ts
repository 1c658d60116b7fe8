import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import {
  imageMatches,
  installPrecedenceMs,
  isDue,
  owns,
  parseShard,
  resolvedDigest,
  shardOf,
} from './index.js';

function obj(status: Record<string, unknown>, generation = 1, deleting = false): KubeObject {
  return {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'ObjectSet',
    metadata: { name: 'a', generation, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    status,
  };
}

describe('triggers', () => {
  const now = new Date('2026-11-29T10:00:00Z');

  it('runs what is due, being deleted, changed, or unfinished without a time', () => {
    expect(isDue(obj({}), now, false)).toBe(true);
    expect(isDue(obj({ progress: { step: 'done', observedGeneration: 1 } }), now, false)).toBe(false);
    expect(isDue(obj({ progress: { step: 'done', observedGeneration: 1 } }, 2), now, false)).toBe(true);
    expect(isDue(obj({ progress: { step: 'done', observedGeneration: 1 } }, 1, true), now, false)).toBe(true);
    expect(isDue(obj({ progress: { step: 'done', observedGeneration: 1 } }), now, true)).toBe(true);
    const waiting = (t: string): KubeObject =>
      obj({ progress: { step: 'probe', observedGeneration: 1, nextAttemptTime: t } });
    expect(isDue(waiting('2026-11-29T10:00:05Z'), now, false)).toBe(false);
    expect(isDue(waiting('2026-11-29T09:59:59Z'), now, false)).toBe(true);
    expect(isDue(obj({ progress: { step: 'render', observedGeneration: 1 } }), now, false)).toBe(true);
  });

  it('splits keys into stable shards', () => {
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    expect(parseShard('3/3')).toBe('--shard 3/3: need 0 <= I < N <= 1024');
    expect(parseShard('x')).toBe('--shard must be I/N (e.g. 0/3), got "x"');
    const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`);
    const counts = [0, 1, 2].map((i) => keys.filter((k) => owns({ index: i, count: 3 }, k)).length);
    expect(counts.reduce((a, b) => a + b)).toBe(300);
    expect(Math.min(...counts)).toBeGreaterThan(70);
    expect(shardOf('key-7', 3)).toBe(shardOf('key-7', 3));
    expect(owns(undefined, 'anything')).toBe(true);
  });

  it('matches pushes to image references by registry, repository and tag', () => {
    const push = { registry: 'reg.example.com:5000', repository: 'team/app', tag: 'v1' };
    expect(imageMatches('reg.example.com:5000/team/app:v1', push)).toBe(true);
    expect(imageMatches('reg.example.com:5000/team/app:v2', push)).toBe(false);
    expect(imageMatches('other.example.com/team/app:v1', push)).toBe(false);
    expect(imageMatches('reg.example.com:5000/team/app@sha256:' + 'a'.repeat(64), push)).toBe(false);
    expect(imageMatches('nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' })).toBe(
      true,
    );
    expect(imageMatches('reg.example.com:5000/team/app:v1', { ...push, registry: '' })).toBe(true);
  });

  it('reads the digest of status.resolvedImage', () => {
    expect(resolvedDigest(obj({ resolvedImage: 'r/a@sha256:abc' }))).toBe('sha256:abc');
    expect(resolvedDigest(obj({}))).toBeUndefined();
  });
});

describe('install precedence', () => {
  it('an install’s later steps go first: ObjectSets (and phases), then ObjectDeployments, then the rest', () => {
    expect(installPrecedenceMs('ObjectSet')).toBe(60_000);
    expect(installPrecedenceMs('ClusterObjectSetPhase')).toBe(60_000);
    expect(installPrecedenceMs('ClusterObjectDeployment')).toBe(30_000);
    expect(installPrecedenceMs('Package')).toBe(0);
    expect(installPrecedenceMs('ObjectTemplate')).toBe(0);
  });
});
