// Aggregated discovery read: every group version's kinds, stale versions left out, and a plain APIGroupList (a
// server without aggregated discovery) refused so the client asks group versions one by one.
import { describe, expect, it } from 'vitest';
import { parseAggregatedDiscovery } from './discovery.js';

describe('parseAggregatedDiscovery', () => {
  it('maps group/version → kind → plural and scope; skips stale versions and subresource-less kinds', () => {
    const groups = parseAggregatedDiscovery({
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2',
      items: [
        {
          metadata: { name: 'package-operator.run' },
          versions: [
            {
              version: 'v1alpha1',
              resources: [
                {
                  resource: 'packages',
                  responseKind: { group: '', version: '', kind: 'Package' },
                  scope: 'Namespaced',
                },
                { resource: 'clusterpackages', responseKind: { kind: 'ClusterPackage' }, scope: 'Cluster' },
                { resource: 'odd', scope: 'Cluster' },
              ],
              freshness: 'Current',
            },
          ],
        },
        {
          metadata: { name: 'metrics.example.com' },
          versions: [{ version: 'v1', resources: [], freshness: 'Stale' }],
        },
      ],
    });
    expect(groups).toEqual(
      new Map([
        [
          'package-operator.run/v1alpha1',
          new Map([
            ['Package', { plural: 'packages', namespaced: true }],
            ['ClusterPackage', { plural: 'clusterpackages', namespaced: false }],
          ]),
        ],
      ]),
    );
  });

  it('refuses a plain APIGroupList and anything else', () => {
    expect(parseAggregatedDiscovery({ kind: 'APIGroupList', groups: [] })).toBeUndefined();
    expect(parseAggregatedDiscovery('nope')).toBeUndefined();
  });
});
