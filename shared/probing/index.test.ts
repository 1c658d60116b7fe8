import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import {
  and,
  phaseFailureMessage,
  probeCel,
  probeCondition,
  probeFieldsEqual,
  probeObject,
} from './index.js';

const obj = (extra: Record<string, unknown>, generation = 1): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', generation, labels: { app: 'web' } },
  ...extra,
});

describe('condition probe (boxcutter as PKO v1.19.0 runs it)', () => {
  it.each([
    [
      'passes',
      { status: { conditions: [{ type: 'Available', status: 'True', observedGeneration: 1 }] } },
      'True',
      'condition "Available" == "True"',
    ],
    [
      'wrong status',
      { status: { conditions: [{ type: 'Available', status: 'False' }] } },
      'False',
      'condition "Available" == "True": wrong status',
    ],
    [
      'outdated',
      { status: { conditions: [{ type: 'Available', status: 'True', observedGeneration: 0 }] } },
      'Unknown',
      'condition "Available" == "True": outdated',
    ],
    [
      'not reported',
      { status: { conditions: [{ type: 'Progressing', status: 'True' }] } },
      'Unknown',
      'condition "Available" == "True": not reported',
    ],
    ['missing', { status: {} }, 'Unknown', 'condition "Available" == "True": missing .status.conditions'],
    [
      'malformed list',
      { status: { conditions: 42 } },
      'Unknown',
      'condition "Available" == "True": malformed',
    ],
    [
      'malformed entry',
      { status: { conditions: ['x'] } },
      'Unknown',
      'condition "Available" == "True": malformed',
    ],
  ])('%s', (_name, extra, status, message) => {
    expect(probeCondition(obj(extra), 'Available', 'True')).toEqual({ status, messages: [message] });
  });
});

describe('fieldsEqual probe', () => {
  const o = obj({ spec: { replicas: 3, a: { x: 1 } }, status: { readyReplicas: 2, b: { x: 1.0 } } });
  it('equal maps by value', () => {
    expect(probeFieldsEqual(o, '.spec.a', '.status.b').status).toBe('True');
  });
  it('unequal values show both as JSON', () => {
    expect(probeFieldsEqual(o, '.spec.replicas', 'status.readyReplicas')).toEqual({
      status: 'False',
      messages: ['".spec.replicas" != "status.readyReplicas" expected: 3 got: 2'],
    });
  });
  it('a missing field is named', () => {
    expect(probeFieldsEqual(o, '.spec.replicas', '.status.nope')).toEqual({
      status: 'False',
      messages: ['".status.nope" missing'],
    });
  });
});

describe('cel probe', () => {
  it('false gives the message; an evaluation error says so', () => {
    const o = obj({ spec: { replicas: 1 } });
    expect(probeCel(o, 'self.spec.replicas == 1', 'one replica').status).toBe('True');
    expect(probeCel(o, 'self.spec.replicas > 1', 'needs more')).toEqual({
      status: 'False',
      messages: ['needs more'],
    });
    expect(probeCel(o, 'self.spec.nope > 1', 'x').messages[0]).toMatch(/^CEL program failed: /);
  });
});

describe('probe entries', () => {
  const probes = [
    {
      selector: { kind: { group: 'apps', kind: 'Deployment' } },
      probes: [{ condition: { type: 'Available', status: 'True' } }],
    },
  ];
  it('objects no entry selects pass', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(probeObject(cm, probes).status).toBe('True');
  });
  it('observedGeneration behind generation is Unknown ".status outdated"', () => {
    expect(probeObject(obj({ status: { observedGeneration: 1 } }, 2), probes)).toEqual({
      status: 'Unknown',
      messages: ['.status outdated'],
    });
  });
  it('a label selector narrows the entry', () => {
    const narrowed = [
      { ...probes[0]!, selector: { ...probes[0]!.selector, selector: { matchLabels: { app: 'other' } } } },
    ];
    expect(probeObject(obj({}), narrowed).status).toBe('True');
  });
  it('Unknown wins over False in an AND', () => {
    expect(
      and([
        { status: 'False', messages: ['f'] },
        { status: 'Unknown', messages: ['u'] },
      ]),
    ).toEqual({
      status: 'Unknown',
      messages: ['u'],
    });
  });
  it("PKO's phase message (empty group for core kinds)", () => {
    expect(
      phaseFailureMessage('deploy', [
        {
          object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'acc', name: 'acc-web' },
          messages: ['condition "Available" == "True": wrong status'],
        },
        {
          object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'acc', name: 'c' },
          messages: ['a', 'b'],
        },
      ]),
    ).toBe(
      'Phase "deploy" failed: apps Deployment acc/acc-web: condition "Available" == "True": wrong status,  ConfigMap acc/c: a, b',
    );
  });
});
