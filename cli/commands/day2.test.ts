import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/ports.js';
import { changeCauseKey, revisions } from '../../shared/rollout/history.js';
import { withPaused } from './pause.js';
import { rolledBack } from './rollout.js';

const pkg: KubeObject = {
  apiVersion: 'package-operator.run/v1alpha1',
  kind: 'Package',
  metadata: { name: 'app', namespace: 'shop', resourceVersion: '9', annotations: { keep: 'me' } },
  spec: { image: 'quay.io/a:v3', config: { v: 'three', extra: true }, component: 'backend' },
};

describe('pause and unpause', () => {
  it('sets spec.paused and the pause message in one object; unpause removes the message', () => {
    const paused = withPaused(pkg, true, 'because');
    expect(paused.metadata.annotations).toEqual({
      keep: 'me',
      'package-operator.run/pause-message': 'because',
    });
    expect(paused['spec']).toEqual({ ...(pkg['spec'] as object), paused: true });
    expect(paused.metadata.resourceVersion).toBe('9');
    const unpaused = withPaused(paused, false, '');
    expect(unpaused.metadata.annotations).toEqual({ keep: 'me' });
    expect((unpaused['spec'] as { paused: boolean }).paused).toBe(false);
  });
});

describe('rollout undo', () => {
  it('replaces image, config and component with the revision’s and records the change cause for that spec', () => {
    const [one] = revisions([
      {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'ObjectSet',
        metadata: {
          name: 'app-1',
          annotations: {
            'package-operator.run/package-source-image': 'quay.io/a:v1',
            'package-operator.run/package-config': '{"v":"one"}',
          },
        },
        spec: { revision: 1, phases: [] },
        status: { revision: 1 },
      },
    ]);
    if (one === undefined) throw new Error('one revision');
    const back = rolledBack(pkg, one);
    expect(back['spec']).toEqual({ image: 'quay.io/a:v1', config: { v: 'one' } });
    expect(back.metadata.annotations).toEqual({
      keep: 'me',
      'kubernetes.io/change-cause': 'Rolled back to revision 1.',
      'gantry.package-operator.run/change-cause-for': changeCauseKey({
        image: 'quay.io/a:v1',
        config: { v: 'one' },
      }),
    });
    expect(back.metadata.resourceVersion).toBe('9');
  });
});
