/**
 * The OLM registry+v1 conversion: the objects and names PKO v1.19.0's `kickstart --olm-bundle` produced for the
 * same bundle (test/olm-bundle.ts), and its refusals.
 */
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_PACKAGE_FILES,
  BUNDLE_PROMOTED_ROLE,
  BUNDLE_ROLE,
  bundleFiles,
  BUNDLE_ANNOTATIONS,
  BUNDLE_CSV,
} from '../olm-bundle.js';
import { fileMapFromText } from '../../shared/packages/index.js';
import { kickstart } from '../../shared/kickstart/kickstart.js';
import { BundleError, bundleObjects } from '../../shared/kickstart/olm.js';

const ROLE = BUNDLE_ROLE;
const PROMOTED = BUNDLE_PROMOTED_ROLE;

const nameOf = (o: Record<string, unknown>): string => {
  const metadata = o['metadata'];
  return typeof metadata === 'object' && metadata !== null ? String(Reflect.get(metadata, 'name')) : '';
};

describe('bundleObjects', () => {
  it('converts the CSV as PKO does: AllNamespaces promotes permissions to cluster roles', () => {
    const { packageName, objects } = bundleObjects(bundleFiles());
    expect(packageName).toBe('example-operator');
    expect(objects.map((o) => `${String(o['kind'])}/${nameOf(o)}`)).toEqual([
      'ServiceAccount/example-operator',
      `ClusterRole/${ROLE}`,
      `ClusterRole/${PROMOTED}`,
      `ClusterRoleBinding/${ROLE}`,
      `ClusterRoleBinding/${PROMOTED}`,
      'CustomResourceDefinition/widgets.example.com',
      'Deployment/example-operator',
    ]);
  });

  it("kickstarts to PKO's files for the bundle", () => {
    const { packageName, objects } = bundleObjects(bundleFiles());
    const files = kickstart(packageName, objects, []).files;
    expect([...files.keys()].sort()).toEqual(BUNDLE_PACKAGE_FILES);
    expect(files.get('deploy/example-operator.deployment.yaml')).toBe(`apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    capabilities: Basic Install
    olm.targetNamespaces: ""
    package-operator.run/phase: deploy
  labels:
    app: example-operator
  name: example-operator
  namespace: example-operator-system
spec:
  replicas: 1
  selector:
    matchLabels:
      app: example-operator
  strategy: {}
  template:
    metadata:
      labels:
        app: example-operator
    spec:
      containers:
      - image: registry.k8s.io/pause:3.10
        name: manager
        resources: {}
      serviceAccountName: example-operator
status: {}
`);
    expect(files.get(`rbac/${PROMOTED}.clusterrole.yaml`)).toBe(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  annotations:
    package-operator.run/phase: rbac
  name: ${PROMOTED}
rules:
- apiGroups:
  - ""
  resources:
  - configmaps
  verbs:
  - get
`);
    expect(files.get('crds/widgets.example.com.customresourcedefinition.yaml')).toContain(`status:
  acceptedNames:
    kind: ""
    plural: ""
  conditions: null
  storedVersions: null
`);
  });

  it('OwnNamespace: Roles in the suggested namespace, other manifests moved there (as PKO wrote them)', () => {
    const csv = BUNDLE_CSV.replace(
      '    capabilities: Basic Install\n',
      '    capabilities: Basic Install\n    operatorframework.io/suggested-namespace: ops\n',
    )
      .replace('  - supported: false\n    type: OwnNamespace', '  - supported: true\n    type: OwnNamespace')
      .replace(
        '  - supported: true\n    type: AllNamespaces',
        '  - supported: false\n    type: AllNamespaces',
      )
      .replace(
        '      permissions:\n      - serviceAccountName: example-operator\n',
        '      permissions:\n      - serviceAccountName: helper\n',
      );
    const { objects } = bundleObjects(
      fileMapFromText({
        'metadata/annotations.yaml': BUNDLE_ANNOTATIONS,
        'manifests/csv.yaml': csv,
        'manifests/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: metrics\n',
      }),
    );
    const files = kickstart('example-operator', objects, []).files;
    const role = 'example-operator.v0-t52mzzstnaetdqegbrdqrawle643dr4so4xwlu1r7j5';
    expect(files.get(`rbac/${role}.rolebinding.yaml`)).toBe(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  annotations:
    package-operator.run/phase: rbac
  name: ${role}
  namespace: ops
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ${role}
subjects:
- kind: ServiceAccount
  name: helper
  namespace: ops
`);
    expect([...files.keys()].filter((k) => k.startsWith('rbac/') || k.includes('metrics')).sort()).toEqual([
      'deploy/metrics.service.yaml',
      'rbac/example-operator.serviceaccount.yaml',
      `rbac/${ROLE}.clusterrole.yaml`,
      `rbac/${ROLE}.clusterrolebinding.yaml`,
      `rbac/${role}.role.yaml`,
      `rbac/${role}.rolebinding.yaml`,
      'rbac/helper.serviceaccount.yaml',
    ]);
    expect(files.get('deploy/metrics.service.yaml')).toContain('  name: metrics\n  namespace: ops\n');
  });

  it('refuses what rukpak refuses', () => {
    const withFiles = (extra: Record<string, string>): ReturnType<typeof fileMapFromText> =>
      fileMapFromText({ 'metadata/annotations.yaml': BUNDLE_ANNOTATIONS, ...extra });
    expect(() => bundleObjects(fileMapFromText({ 'manifests/a.yaml': BUNDLE_CSV }))).toThrow(
      'open metadata/annotations.yaml: file does not exist',
    );
    expect(() => bundleObjects(withFiles({ 'manifests/sub/a.yaml': BUNDLE_CSV }))).toThrow(
      'subdirectories are not allowed within the "manifests" directory of the bundle image filesystem: found "manifests/sub"',
    );
    const webhooks = BUNDLE_CSV.replace(
      'spec:\n  displayName',
      'spec:\n  webhookdefinitions: [{}]\n  displayName',
    );
    expect(() => bundleObjects(withFiles({ 'manifests/a.yaml': webhooks }))).toThrow(
      'webhookDefinitions are not supported',
    );
    // What was fetched is never echoed: a bad manifest in the bundle is named, its content left out.
    expect(() =>
      bundleObjects(
        withFiles({ 'manifests/bad.yaml': 'apiVersion: v1\nmetadata:\n  name: secret-looking\n' }),
      ),
    ).toThrow(
      new BundleError(
        `read "bad.yaml": unmarshalling yaml document at index 0: error unmarshaling JSON: while decoding JSON: Object 'Kind' is missing`,
      ),
    );
    const ownOnly = BUNDLE_CSV.replace(
      'supported: true\n    type: AllNamespaces',
      'supported: false\n    type: AllNamespaces',
    );
    expect(() => bundleObjects(withFiles({ 'manifests/a.yaml': ownOnly }))).toThrow(
      'supported install modes [] do not support targeting all namespaces',
    );
  });
});
