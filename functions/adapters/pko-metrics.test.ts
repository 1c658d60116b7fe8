import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/ports.js';
import { PkoMetrics } from './pko-metrics.js';

const API = 'package-operator.run/v1alpha1';

function pkg(image: string, available: string | undefined, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: API,
    kind: 'Package',
    metadata: { name: 'shop', namespace: 'apps', creationTimestamp: '2026-01-01T00:00:10Z', ...extra },
    spec: { image },
    status: {
      revision: 3,
      conditions: available === undefined ? [] : [{ type: 'Available', status: available }],
    },
  };
}

function set(extra: Record<string, unknown> = {}, conditions: unknown[] = []): KubeObject {
  return {
    apiVersion: API,
    kind: 'ObjectSet',
    metadata: {
      name: 'shop-abc',
      namespace: 'apps',
      uid: 'u1',
      creationTimestamp: '2026-01-01T00:00:20Z',
      labels: { 'package-operator.run/instance': 'shop' },
      annotations: { 'package-operator.run/package-source-image': 'r.example/shop:v1' },
      ...extra,
    },
    spec: {
      lifecycleState: 'Active',
      phases: [
        {
          name: 'deploy',
          objects: [
            { object: { apiVersion: 'v1', kind: 'ConfigMap' } },
            { object: { apiVersion: 'v1', kind: 'ConfigMap' } },
            { object: { apiVersion: 'apps/v1', kind: 'Deployment' } },
          ],
        },
      ],
    },
    status: { conditions },
  };
}

async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith('package_operator_'));
}

describe("PKO's metrics", () => {
  it('a Package: availability (one series, its image), creation time and revision; gone when deleted', async () => {
    const registry = new Registry();
    const m = new PkoMetrics(registry);
    m.observe(pkg('r.example/shop:v1', 'False'));
    m.observe(pkg('r.example/shop:v2', 'True'));
    m.packageLoaded('shop', 'apps', 0.25);
    expect(await lines(registry)).toEqual([
      'package_operator_package_availability{pko_name="shop",pko_namespace="apps",image="r.example/shop:v2"} 1',
      'package_operator_package_created_timestamp_seconds{pko_name="shop",pko_namespace="apps"} 1767225610',
      'package_operator_package_load_duration_seconds{pko_name="shop",pko_namespace="apps"} 0.25',
      'package_operator_package_revision{pko_name="shop",pko_namespace="apps"} 3',
    ]);
    m.observe(pkg('r.example/shop:v2', undefined));
    expect((await lines(registry))[0]).toBe(
      'package_operator_package_availability{pko_name="shop",pko_namespace="apps",image="r.example/shop:v2"} 2',
    );
    m.observe(pkg('r.example/shop:v2', 'True', { deletionTimestamp: '2026-01-02T00:00:00Z' }));
    expect(await lines(registry)).toEqual([]);
  });

  it('an ObjectSet: created, succeeded and the managed objects per kind; archived drops succeeded and the counts', async () => {
    const registry = new Registry();
    const m = new PkoMetrics(registry);
    m.observe(set({}, [{ type: 'Succeeded', status: 'True', lastTransitionTime: '2026-01-01T00:01:00Z' }]));
    expect(await lines(registry)).toEqual([
      'package_operator_object_set_created_timestamp_seconds{pko_name="shop-abc",pko_namespace="apps",pko_package_instance="shop"} 1767225620',
      'package_operator_object_set_succeeded_timestamp_seconds{pko_name="shop-abc",pko_namespace="apps",pko_package_instance="shop",image="r.example/shop:v1"} 1767225660',
      'package_operator_managed_cache_informers_total{owner="u1"} 2',
      'package_operator_managed_cache_objects_total{owner="u1",gvk="/v1, Kind=ConfigMap"} 2',
      'package_operator_managed_cache_objects_total{owner="u1",gvk="apps/v1, Kind=Deployment"} 1',
    ]);
    const archived = set({}, [{ type: 'Archived', status: 'True' }]);
    m.observe({ ...archived, spec: { lifecycleState: 'Archived', phases: [] } });
    expect(await lines(registry)).toEqual([
      'package_operator_object_set_created_timestamp_seconds{pko_name="shop-abc",pko_namespace="apps",pko_package_instance="shop"} 1767225620',
    ]);
    m.observe(set({ deletionTimestamp: '2026-01-02T00:00:00Z' }));
    expect(await lines(registry)).toEqual([]);
  });
});
