import { describe, expect, it } from 'vitest';
import {
  decideHostedCluster,
  parseAffinity,
  parseTolerations,
  remotePhasePackageRef,
} from './hosted-cluster.js';

const hc = (conditions: unknown[], extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'hypershift.openshift.io/v1beta1',
  kind: 'HostedCluster',
  metadata: { name: 'my.cluster', namespace: 'clusters', uid: 'hc-uid', ...extra },
  status: { conditions },
});
const AVAILABLE = [{ type: 'Available', status: 'True', reason: 'AsExpected', message: '' }];
const settings = { image: 'registry.example/pko-package:v1' };

describe("PKO's HostedCluster controller, as a decision", () => {
  it('waits for the Available condition and does nothing while the HostedCluster is deleted', () => {
    expect(decideHostedCluster(hc([]), undefined, settings)).toEqual({ kind: 'unavailable' });
    expect(decideHostedCluster(hc([{ type: 'Available', status: 'False' }]), undefined, settings)).toEqual({
      kind: 'unavailable',
    });
    expect(
      decideHostedCluster(hc(AVAILABLE, { deletionTimestamp: '2026-01-01T00:00:00Z' }), undefined, settings),
    ).toEqual({ kind: 'deleting' });
    expect(decideHostedCluster({ metadata: { name: 'x' } }, undefined, settings).kind).toBe('malformed');
  });

  it("creates the Package remote-phase in the control-plane namespace, owned through PKO's owners annotation", () => {
    expect(remotePhasePackageRef({ namespace: 'clusters', name: 'my.cluster' })).toEqual({
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      namespace: 'clusters-my-cluster',
      name: 'remote-phase',
    });
    expect(decideHostedCluster(hc(AVAILABLE), undefined, settings)).toEqual({
      kind: 'create',
      pkg: {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'Package',
        metadata: {
          name: 'remote-phase',
          namespace: 'clusters-my-cluster',
          annotations: {
            'package-operator.run/owners':
              '[{"apiVersion":"hypershift.openshift.io/v1beta1","kind":"HostedCluster","name":"my.cluster","namespace":"clusters","uid":"hc-uid","controller":true}]',
          },
        },
        spec: { image: 'registry.example/pko-package:v1', component: 'remote-phase' },
      },
    });
  });

  it('passes affinity and tolerations as the config, and puts a changed spec back', () => {
    const full = {
      ...settings,
      affinity: { nodeAffinity: {} },
      tolerations: [{ key: 'k', operator: 'Exists' }],
    };
    const created = decideHostedCluster(hc(AVAILABLE), undefined, full);
    expect(created.kind === 'create' && created.pkg['spec']).toEqual({
      image: 'registry.example/pko-package:v1',
      component: 'remote-phase',
      config: { affinity: { nodeAffinity: {} }, tolerations: [{ key: 'k', operator: 'Exists' }] },
    });
    const existing = {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'remote-phase', namespace: 'clusters-my-cluster', resourceVersion: '5' },
      spec: { image: 'registry.example/pko-package:v1', component: 'remote-phase' },
    };
    expect(decideHostedCluster(hc(AVAILABLE), existing, settings)).toEqual({ kind: 'unchanged' });
    expect(
      decideHostedCluster(hc(AVAILABLE), { ...existing, spec: { ...existing.spec, paused: true } }, settings),
    ).toEqual({
      kind: 'update',
      pkg: existing,
    });
  });

  it('reads the sub-component flags as JSON', () => {
    expect(parseAffinity('{"nodeAffinity":{}}')).toEqual({ ok: true, value: { nodeAffinity: {} } });
    expect(parseAffinity('[]')).toEqual({ ok: false });
    expect(parseTolerations('[{"key":"a"}]')).toEqual({ ok: true, value: [{ key: 'a' }] });
    expect(parseTolerations('{"key":"a"}')).toEqual({ ok: false });
    expect(parseTolerations('nope')).toEqual({ ok: false });
  });
});
