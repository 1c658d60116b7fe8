import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../ports.js';
import {
  ANNOTATION_PACKAGE_IMAGE,
  changeCauseKey,
  historyTable,
  parseResourceArgument,
  revisions,
  revisionSource,
  undoTarget,
} from './history.js';

function objectSet(revision: number, annotations: Record<string, string>, succeeded = true): KubeObject {
  return {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'ObjectSet',
    metadata: { name: `p-${revision}`, namespace: 'ns', annotations },
    spec: { revision, phases: [] },
    status: {
      revision,
      conditions: succeeded
        ? [
            {
              type: 'Succeeded',
              status: 'True',
              reason: 'RolloutSuccess',
              message: '',
              lastTransitionTime: '',
            },
          ]
        : [],
    },
  };
}

describe('resource arguments', () => {
  it('accepts kind/name and kind name, lower-cases the kind', () => {
    expect(parseResourceArgument(['Package/web'])).toEqual({
      resource: 'Package',
      kind: 'package',
      name: 'web',
    });
    expect(parseResourceArgument(['package', 'web'])).toEqual({
      resource: 'package',
      kind: 'package',
      name: 'web',
    });
  });
  it("says PKO's errors", () => {
    expect(() => parseResourceArgument(['web'])).toThrow(
      'arguments invalid: arguments in resource/name form must have a single resource and name',
    );
    expect(() => parseResourceArgument([])).toThrow('accepts between 1 and 2 arg(s), received 0');
    expect(() => parseResourceArgument(['a', 'b', 'c'])).toThrow(
      'accepts between 1 and 2 arg(s), received 3',
    );
  });
});

describe('history', () => {
  const list = revisions([
    objectSet(2, { 'kubernetes.io/change-cause': 'Package config changed.' }, false),
    objectSet(1, { 'kubernetes.io/change-cause': 'Installing demo package.' }),
    objectSet(3, {}),
  ]);
  it("prints PKO's table: padded cells, two spaces, a closing empty line", () => {
    expect(historyTable(list)).toBe(
      [
        'REVISION  SUCCESSFUL  CHANGE-CAUSE            ',
        '1         true        Installing demo package.',
        '2         false       Package config changed. ',
        '3         true                                ',
        '',
        '',
      ].join('\n'),
    );
  });
  it('undo goes to the revision before the current one, or the one asked for', () => {
    expect(undoTarget(list, 3, undefined, true).revision).toBe(2);
    expect(undoTarget(list, 3, 1).revision).toBe(1);
    expect(() => undoTarget(list, 3, 7)).toThrow('unable to find specified revision 7 in history');
    expect(() => undoTarget(list, 1)).toThrow('no rollout history found: no revision before the current one');
  });
  it('undo to a revision that never succeeded is refused without force', () => {
    expect(() => undoTarget(list, 3)).toThrow(
      'revision 2 never succeeded (its ObjectSet was never Succeeded): rolling back to it needs --force',
    );
    expect(() => undoTarget(list, 3, 2)).toThrow('revision 2 never succeeded');
    expect(undoTarget(list, 3, 2, true).revision).toBe(2);
  });
});

describe('revision source', () => {
  it('reads image and config from the annotations, the image before prefix overrides first', () => {
    const [plain, rewritten, none] = revisions([
      objectSet(1, {
        'package-operator.run/package-source-image': 'quay.io/a:v1',
        'package-operator.run/package-config': '{"replicas":2}',
      }),
      objectSet(2, {
        'package-operator.run/package-source-image': 'mirror.local/a:v2',
        [ANNOTATION_PACKAGE_IMAGE]: 'quay.io/a:v2',
        'package-operator.run/package-config': 'null',
        'gantry.package-operator.run/package-component': 'backend',
      }),
      objectSet(3, {}),
    ]);
    if (plain === undefined || rewritten === undefined || none === undefined)
      throw new Error('three revisions');
    expect(revisionSource(plain)).toEqual({
      image: 'quay.io/a:v1',
      config: { replicas: 2 },
      component: undefined,
    });
    expect(revisionSource(rewritten)).toEqual({
      image: 'quay.io/a:v2',
      config: undefined,
      component: 'backend',
    });
    expect(() => revisionSource(none)).toThrow('revision 3 does not record its package image and config');
  });
  it('keys a change cause to one spec', () => {
    expect(changeCauseKey({ image: 'a', config: { x: 1, y: 2 } })).toBe(
      changeCauseKey({ image: 'a', config: { y: 2, x: 1 }, component: '' }),
    );
    expect(changeCauseKey({ image: 'a' })).not.toBe(changeCauseKey({ image: 'b' }));
  });
});
