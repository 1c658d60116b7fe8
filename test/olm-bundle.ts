/**
 * A small OLM registry+v1 bundle (a ClusterServiceVersion with one Deployment and permissions, a CRD, the bundle
 * annotations) for the kickstart tests: unit, against the real registry, and against PKO's CLI.
 */
import { fileMapFromText, type FileMap } from '../shared/packages/index.js';

export const BUNDLE_CSV = `apiVersion: operators.coreos.com/v1alpha1
kind: ClusterServiceVersion
metadata:
  name: example-operator.v0.1.0
  namespace: placeholder
  annotations:
    capabilities: Basic Install
spec:
  displayName: Example Operator
  installModes:
  - supported: false
    type: OwnNamespace
  - supported: false
    type: SingleNamespace
  - supported: false
    type: MultiNamespace
  - supported: true
    type: AllNamespaces
  install:
    strategy: deployment
    spec:
      clusterPermissions:
      - serviceAccountName: example-operator
        rules:
        - apiGroups: ["example.com"]
          resources: ["widgets"]
          verbs: ["get", "list", "watch"]
      permissions:
      - serviceAccountName: example-operator
        rules:
        - apiGroups: [""]
          resources: ["configmaps"]
          verbs: ["get"]
      deployments:
      - name: example-operator
        label:
          app: example-operator
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: example-operator
          template:
            metadata:
              labels:
                app: example-operator
            spec:
              serviceAccountName: example-operator
              containers:
              - name: manager
                image: registry.k8s.io/pause:3.10
`;

export const BUNDLE_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

export const BUNDLE_ANNOTATIONS = `
annotations:
  operators.operatorframework.io.bundle.mediatype.v1: registry+v1
  operators.operatorframework.io.bundle.manifests.v1: manifests/
  operators.operatorframework.io.bundle.metadata.v1: metadata/
  operators.operatorframework.io.bundle.package.v1: example-operator
  operators.operatorframework.io.bundle.channels.v1: alpha
`;

/** The bundle's files, at the image root as OLM lays them out. */
export function bundleFiles(): FileMap {
  return fileMapFromText({
    'manifests/example.clusterserviceversion.yaml': BUNDLE_CSV,
    'manifests/widgets.crd.yaml': BUNDLE_CRD,
    'metadata/annotations.yaml': BUNDLE_ANNOTATIONS,
  });
}

/** The (Cluster)Role names PKO's conversion gives the bundle's permissions (rukpak's hash of each permission). */
export const BUNDLE_ROLE = 'example-operator.v-1m2ulsceyfgoqu3df3rjeg3hu1fho9z7dfydqo61frgf';
export const BUNDLE_PROMOTED_ROLE = 'example-operator.v0.-p5ml80cvlv22a1oz92zjkfyz08kbezexx3agz36may';

/** The files PKO's kickstart writes for the bundle, sorted. */
export const BUNDLE_PACKAGE_FILES = [
  'crds/widgets.example.com.customresourcedefinition.yaml',
  'deploy/example-operator.deployment.yaml',
  'manifest.yaml',
  'namespaces/example-operator-system.namespace.yaml',
  'rbac/example-operator.serviceaccount.yaml',
  `rbac/${BUNDLE_ROLE}.clusterrole.yaml`,
  `rbac/${BUNDLE_ROLE}.clusterrolebinding.yaml`,
  `rbac/${BUNDLE_PROMOTED_ROLE}.clusterrole.yaml`,
  `rbac/${BUNDLE_PROMOTED_ROLE}.clusterrolebinding.yaml`,
];
