/**
 * The OLM registry+v1 conversion: the objects and names PKO v1.19.0's `kickstart --olm-bundle` produced for the
 * same bundle (test/olm-bundle.ts), and its refusals.
 */
import { describe, expect, it } from 'vitest';
import { bundleFiles, BUNDLE_ANNOTATIONS, BUNDLE_CSV } from '../olm-bundle.js';
import { fileMapFromText } from '../../shared/packages/index.js';
import { kickstart } from '../../shared/kickstart/kickstart.js';
import { bundleObjects } from '../../shared/kickstart/olm.js';

const ROLE = 'example-operator.v-1m2ulsceyfgoqu3df3rjeg3hu1fho9z7dfydqo61frgf';
const PROMOTED = 'example-operator.v0.-p5ml80cvlv22a1oz92zjkfyz08kbezexx3agz36may';

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
    expect([...files.keys()].sort()).toEqual([
      'crds/widgets.example.com.customresourcedefinition.yaml',
      'deploy/example-operator.deployment.yaml',
      'manifest.yaml',
      'namespaces/example-operator-system.namespace.yaml',
      'rbac/example-operator.serviceaccount.yaml',
      `rbac/${ROLE}.clusterrole.yaml`,
      `rbac/${ROLE}.clusterrolebinding.yaml`,
      `rbac/${PROMOTED}.clusterrole.yaml`,
      `rbac/${PROMOTED}.clusterrolebinding.yaml`,
    ]);
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
    const ownOnly = BUNDLE_CSV.replace(
      'supported: true\n    type: AllNamespaces',
      'supported: false\n    type: AllNamespaces',
    );
    expect(() => bundleObjects(withFiles({ 'manifests/a.yaml': ownOnly }))).toThrow(
      'supported install modes [] do not support targeting all namespaces',
    );
  });
});
