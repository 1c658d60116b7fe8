// Load + validate + render of a generated templated package of 1000 objects (issue 3 §7: target < 500 ms warm on
// 2 cores), and the ObjectDeployment build on top of it.
import { createGoTemplateEngine } from '../functions/adapters/gotmpl/index.js';
import { fileMapFromText, loadPackage, renderPackage } from '../shared/packages/index.js';
import { buildObjectDeployment } from '../shared/render/object-deployment.js';
import { sample, summarize, type BenchResult } from './types.js';

const OBJECTS = 1000;

function generatedPackage(): Record<string, string> {
  const files: Record<string, string> = {
    'manifest.yaml': `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: big
spec:
  scopes: [Namespaced]
  phases: [{name: config}, {name: deploy}]
  config:
    openAPIV3Schema:
      type: object
      properties:
        replicas: {type: integer, default: 2}
        prefix: {type: string, default: app}
`,
    '_helpers.gotmpl': '{{- define "labels" -}}\napp.kubernetes.io/name: {{ .config.prefix }}\n{{- end -}}\n',
  };
  for (let i = 0; i < OBJECTS; i++) {
    const phase = i % 2 === 0 ? 'config' : 'deploy';
    files[`objects/cm-${String(i).padStart(4, '0')}.yaml.gotmpl`] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .config.prefix }}-${i}
  annotations:
    package-operator.run/phase: ${phase}
  labels:
{{ include "labels" . | indent 4 }}
data:
  replicas: {{ .config.replicas | quote }}
  index: "${i}"
`;
  }
  return files;
}

export async function run(): Promise<BenchResult[]> {
  const engine = createGoTemplateEngine();
  const files = fileMapFromText(generatedPackage());
  const once = async (): Promise<void> => {
    const pkg = loadPackage({ files, labels: {} });
    const rendered = await renderPackage(
      {
        component: pkg.root,
        scope: 'Namespaced',
        package: { metadata: { name: 'big', namespace: 'bench' }, image: 'registry.example.com/big:v1' },
        config: { replicas: 3 },
        environment: { kubernetes: { version: 'v1.37.2' } },
      },
      { gotmpl: engine },
    );
    buildObjectDeployment(rendered, {
      packageKind: 'Package',
      name: 'big',
      namespace: 'bench',
      image: 'x',
      rawConfig: { replicas: 3 },
    });
  };
  const before = process.memoryUsage().rss;
  const samples = await sample(once, 10, 2);
  const grown = process.memoryUsage().rss - before;
  return [
    summarize(`load+validate+render+build ${OBJECTS}-object templated package (warm)`, samples, {
      memoryBytes: grown,
      note: 'target < 500 ms',
    }),
  ];
}
