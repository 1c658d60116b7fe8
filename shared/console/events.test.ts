import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import { packageTimeline } from './events.js';

function event(name: string, kind: string, object: string, time: string, extra: object = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'prod', uid: `uid-${name}` },
    involvedObject: { kind, name: object, namespace: 'prod' },
    type: 'Normal',
    reason: 'Reason',
    message: `about ${object}`,
    lastTimestamp: time,
    ...extra,
  };
}

describe('packageTimeline', () => {
  it("keeps the Package's Events and its children's, newest first", () => {
    const events = [
      event('a', 'Package', 'shop', '2026-01-01T00:00:01Z'),
      event('b', 'ObjectSet', 'shop-5d8f', '2026-01-01T00:00:03Z', { count: 4, type: 'Warning' }),
      event('c', 'ObjectDeployment', 'shop', '2026-01-01T00:00:02Z'),
      event('d', 'Package', 'shopping', '2026-01-01T00:00:04Z'),
      event('e', 'ConfigMap', 'shop-x', '2026-01-01T00:00:05Z'),
      event('f', 'ClusterPackage', 'shop', '2026-01-01T00:00:06Z'),
      { apiVersion: 'v1', kind: 'Event', metadata: { name: 'bad' }, involvedObject: 'not an object' },
      event('g', 'Package', 'shop', '', { lastTimestamp: null, eventTime: '2026-01-01T00:00:00.5Z' }),
    ];
    expect(packageTimeline(events, 'Package', 'prod', 'shop')).toEqual([
      {
        uid: 'uid-b',
        time: '2026-01-01T00:00:03Z',
        type: 'Warning',
        reason: 'Reason',
        message: 'about shop-5d8f',
        object: 'ObjectSet/shop-5d8f',
        count: 4,
      },
      {
        uid: 'uid-c',
        time: '2026-01-01T00:00:02Z',
        type: 'Normal',
        reason: 'Reason',
        message: 'about shop',
        object: 'ObjectDeployment/shop',
        count: 1,
      },
      {
        uid: 'uid-a',
        time: '2026-01-01T00:00:01Z',
        type: 'Normal',
        reason: 'Reason',
        message: 'about shop',
        object: 'Package/shop',
        count: 1,
      },
      {
        uid: 'uid-g',
        time: '2026-01-01T00:00:00.5Z',
        type: 'Normal',
        reason: 'Reason',
        message: 'about shop',
        object: 'Package/shop',
        count: 1,
      },
    ]);
    expect(packageTimeline(events, 'ClusterPackage', '', 'shop').map((e) => e.uid)).toEqual(['uid-f']);
    expect(packageTimeline(events, 'Package', 'prod', 'shop', 1).map((e) => e.uid)).toEqual(['uid-b']);
  });
});
