import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import {
  conditionsOf,
  conditionTransitions,
  eventKey,
  eventMessage,
  eventTypeOf,
  goodNewsToldByPackage,
  newEvent,
  recordsEvents,
  repeatedEvent,
} from './transitions.js';

const c = (type: string, status: string, reason: string, message = ''): Record<string, string> => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

const pkg: KubeObject = {
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'Package',
  metadata: { name: 'app', namespace: 'shop', uid: 'u-1', resourceVersion: '7' },
};

describe('condition transitions', () => {
  it('reports conditions that appear or change status or reason, not message-only changes or removals', () => {
    const before = conditionsOf({
      conditions: [c('Available', 'False', 'ProbeFailure', 'phase a'), c('Paused', 'True', 'Paused')],
    });
    const after = conditionsOf({
      conditions: [
        c('Available', 'False', 'ProbeFailure', 'phase b'),
        c('Progressing', 'True', 'Progressing', 'go'),
        c('Unpacked', 'False', 'ImagePullBackOff', 'no such tag'),
      ],
    });
    expect(conditionTransitions(before, after)).toEqual([
      { type: 'Progressing', status: 'True', reason: 'Progressing', message: 'go', eventType: 'Normal' },
      {
        type: 'Unpacked',
        status: 'False',
        reason: 'ImagePullBackOff',
        message: 'no such tag',
        eventType: 'Warning',
      },
    ]);
    expect(conditionsOf({ conditions: [{ type: 1 }, 'x'] })).toEqual([]);
  });

  it('Warning for failures, Normal for good news and for waiting', () => {
    expect(eventTypeOf({ type: 'Available', status: 'False', reason: 'ProbeFailure' })).toBe('Warning');
    expect(eventTypeOf({ type: 'Available', status: 'False', reason: 'ObjectSetUnready' })).toBe('Normal');
    expect(eventTypeOf({ type: 'Invalid', status: 'True', reason: 'LoadError' })).toBe('Warning');
    expect(eventTypeOf({ type: 'package-operator.run/Invalid', status: 'True', reason: 'x' })).toBe(
      'Warning',
    );
    expect(eventTypeOf({ type: 'Progressing', status: 'True', reason: 'Progressing' })).toBe('Normal');
  });
});

describe('events', () => {
  const t = {
    type: 'Available',
    status: 'True',
    reason: 'Available',
    message: 'ok',
    eventType: 'Normal',
  } as const;
  it('one Event per object and transition, aggregated by count', () => {
    const now = new Date('2026-11-29T01:00:00.123Z');
    const e = newEvent(pkg, t, now);
    expect(e).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventKey(pkg, t).name, namespace: 'shop' },
      involvedObject: {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'Package',
        name: 'app',
        namespace: 'shop',
        uid: 'u-1',
        resourceVersion: '7',
      },
      reason: 'Available',
      message: 'Available is now True: ok',
      type: 'Normal',
      count: 1,
      firstTimestamp: '2026-11-29T01:00:00Z',
      lastTimestamp: '2026-11-29T01:00:00Z',
      source: { component: 'gantry' },
      reportingComponent: 'package-operator.run/gantry',
      reportingInstance: 'gantry',
    });
    expect(eventKey(pkg, t).name).toMatch(/^app\.[a-z0-9]+$/);
    expect(eventKey(pkg, { ...t, status: 'False' }).name).not.toBe(eventKey(pkg, t).name);
    const again = repeatedEvent(e, t, new Date('2026-11-29T01:05:00Z'));
    expect(again['count']).toBe(2);
    expect(again['lastTimestamp']).toBe('2026-11-29T01:05:00Z');
    expect(again['firstTimestamp']).toBe('2026-11-29T01:00:00Z');
  });

  it('cluster-scoped objects report into default; long messages are cut to 1 kB', () => {
    const cluster: KubeObject = { ...pkg, kind: 'ClusterPackage', metadata: { name: 'app', uid: 'u-2' } };
    expect(eventKey(cluster, t).namespace).toBe('default');
    expect(eventMessage({ ...t, message: 'x'.repeat(5000) })).toHaveLength(1024);
  });
});

describe('which objects record Events', () => {
  const owner = (kind: string, apiVersion = 'package-operator.run/v1alpha1'): KubeObject['metadata'] => ({
    name: 'app',
    namespace: 'shop',
    ownerReferences: [{ apiVersion, kind, name: 'app', uid: 'u-0', controller: true }],
  });
  const of = (kind: string, metadata: KubeObject['metadata']): KubeObject => ({
    apiVersion: 'package-operator.run/v1alpha1',
    kind,
    metadata,
  });
  it('Packages and ObjectSets always; an ObjectDeployment only when no Package controls it', () => {
    expect(recordsEvents(pkg)).toBe(true);
    expect(recordsEvents(of('ObjectSet', owner('ObjectDeployment')))).toBe(true);
    expect(recordsEvents(of('ClusterObjectSet', { name: 'x' }))).toBe(true);
    expect(recordsEvents(of('ObjectDeployment', owner('Package')))).toBe(false);
    expect(recordsEvents(of('ClusterObjectDeployment', owner('ClusterPackage')))).toBe(false);
    expect(recordsEvents(of('ObjectDeployment', { name: 'standalone', namespace: 'shop' }))).toBe(true);
    expect(recordsEvents(of('ObjectDeployment', owner('Package', 'example.com/v1')))).toBe(true);
    expect(recordsEvents(of('ObjectSetPhase', { name: 'x' }))).toBe(false);
    expect(recordsEvents(of('ObjectTemplate', { name: 'x' }))).toBe(false);
  });

  it('a Package’s revision leaves its good news to the Package; other ObjectSets tell their own', () => {
    const revision = (labels: Record<string, string>, kind = 'ObjectDeployment'): KubeObject['metadata'] => ({
      ...owner(kind),
      labels,
    });
    const instance = { 'package-operator.run/instance': 'app' };
    expect(goodNewsToldByPackage(of('ObjectSet', revision(instance)))).toBe(true);
    expect(goodNewsToldByPackage(of('ClusterObjectSet', revision(instance, 'ClusterObjectDeployment')))).toBe(
      true,
    );
    // a standalone ObjectDeployment's revision, a hand-made ObjectSet, a Package itself
    expect(goodNewsToldByPackage(of('ObjectSet', revision({ app: 'x' })))).toBe(false);
    expect(goodNewsToldByPackage(of('ObjectSet', { name: 'x', namespace: 'shop', labels: instance }))).toBe(
      false,
    );
    expect(goodNewsToldByPackage(pkg)).toBe(false);
  });
});

describe('a condition that first appears only to say "not yet"', () => {
  it('is no Event; the same state after availability is lost is one', () => {
    const waiting = c('Available', 'False', 'ObjectSetUnready', 'No ObjectSet is available.');
    expect(conditionTransitions([], conditionsOf({ conditions: [waiting] }))).toEqual([]);
    const before = conditionsOf({ conditions: [c('Available', 'True', 'Available')] });
    expect(conditionTransitions(before, conditionsOf({ conditions: [waiting] }))).toEqual([
      {
        type: 'Available',
        status: 'False',
        reason: 'ObjectSetUnready',
        message: 'No ObjectSet is available.',
        eventType: 'Normal',
      },
    ]);
    const failing = c('Available', 'False', 'ProbeFailure', 'phase a');
    expect(conditionTransitions([], conditionsOf({ conditions: [failing] }))).toHaveLength(1);
  });
});

/** A condition as conditionsOf reads it, with its Event type. */
const told = (condition: Record<string, string>): unknown => ({
  ...conditionsOf({ conditions: [condition] })[0],
  eventType: 'Normal',
});

describe('news told once', () => {
  it('a first Unpacked True is left to the Progressing that follows; a recovery from a failed pull is recorded', () => {
    const unpacked = c('Unpacked', 'True', 'UnpackSuccess', 'Unpack job succeeded');
    expect(conditionTransitions([], conditionsOf({ conditions: [unpacked] }))).toEqual([]);
    const failed = conditionsOf({ conditions: [c('Unpacked', 'False', 'ImagePullBackOff', 'no such tag')] });
    expect(conditionTransitions(failed, conditionsOf({ conditions: [unpacked] }))).toEqual([told(unpacked)]);
  });

  it('Progressing False with Available True in one write is one Event; alone (an update concluded) it is its own', () => {
    const progressing = c(
      'Progressing',
      'True',
      'LatestRevisionPendingSuccess',
      'Latest Revision Status Unknown',
    );
    const idle = c('Progressing', 'False', 'Idle', 'Update concluded.');
    const available = c('Available', 'True', 'Available', 'Latest Revision is Available.');
    expect(
      conditionTransitions(
        conditionsOf({ conditions: [progressing] }),
        conditionsOf({ conditions: [available, idle] }),
      ),
    ).toEqual([told(available)]);
    expect(
      conditionTransitions(
        conditionsOf({ conditions: [available, progressing] }),
        conditionsOf({ conditions: [available, idle] }),
      ),
    ).toEqual([told(idle)]);
  });
});
