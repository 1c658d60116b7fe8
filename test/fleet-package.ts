/**
 * The package the fleet test and the fleet bench roll out into hosted clusters: ConfigMaps `cm-<i>` (their
 * `data.version` says which version) in two phases, `config` and `deploy`, both of class `hosted-cluster`, so every
 * object is applied into the hosted cluster.
 */

/** The package's files (path → text) for `version`, with `objects` ConfigMaps. */
export function fleetPackageFiles(name: string, version: string, objects: number): Record<string, string> {
  const files: Record<string, string> = {
    'manifest.yaml': `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: ${name}
spec:
  scopes: [Namespaced]
  phases:
    - name: config
      class: hosted-cluster
    - name: deploy
      class: hosted-cluster
`,
  };
  for (let i = 0; i < objects; i++)
    files[`cms/cm-${i}.yaml`] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-${i}
  annotations:
    package-operator.run/phase: ${i < objects / 2 ? 'config' : 'deploy'}
data:
  version: ${version}
`;
  return files;
}
