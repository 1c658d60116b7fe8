/**
 * kickstart(): the files and report PKO v1.19.0's `kubectl package kickstart` writes for the same objects (each
 * expected text was taken from PKO's output), its errors, and Gantry's intended differences.
 */
import { describe, expect, it } from 'vitest';
import { kickstart, KickstartError, kickstartReport } from './kickstart.js';
import { objectsFromText } from './objects.js';

/** PKO's own kickstart test input (internal/cmd/kickstart/testdata/all-the-objects.yaml). */
const ALL_THE_OBJECTS = `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-app
  namespace: my-app
  labels:
    app: my-app
spec:
  strategy:
    type: Recreate
  replicas: 1
  selector:
    matchLabels:
      app: my-app
    spec:
      containers:
        - name: my-container
          image: quay.io/example
---
apiVersion: v1
kind: Namespace
metadata:
  name: my-app
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: fruits/v1
kind: Banana
metadata:
  name: cavendish
spec:
  sweet: True
`;

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    spec:
      containers:
        - name: nginx
          image: nginx:1.25
          env:
            - name: A
              value: "1"
          resources:
            limits:
              cpu: 100m
---
apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec: {}
`;

const run = (text: string, flags: readonly string[] = []): ReturnType<typeof kickstart> =>
  kickstart('my-pkg', objectsFromText(text), flags);

describe('kickstart', () => {
  it("writes PKO's files for PKO's own test input", () => {
    const result = run(ALL_THE_OBJECTS);
    expect(Object.fromEntries(result.files)).toEqual({
      'deploy/my-app.deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    package-operator.run/phase: deploy
  labels:
    app: my-app
  name: my-app
  namespace: my-app
spec:
  replicas: 1
  selector:
    matchLabels:
      app: my-app
    spec:
      containers:
      - image: quay.io/example
        name: my-container
  strategy:
    type: Recreate
`,
      'namespaces/my-app.namespace.yaml': `apiVersion: v1
kind: Namespace
metadata:
  annotations:
    package-operator.run/phase: namespaces
  labels:
    pod-security.kubernetes.io/enforce: restricted
  name: my-app
`,
      'other/cavendish.banana.yaml': `apiVersion: fruits/v1
kind: Banana
metadata:
  annotations:
    package-operator.run/phase: other
  name: cavendish
spec:
  sweet: true
`,
      'manifest.yaml': `apiVersion: manifests.package-operator.run/v1alpha1
kind: PackageManifest
metadata:
  name: my-pkg
spec:
  availabilityProbes:
  - probes:
    - condition:
        status: "True"
        type: Available
    - fieldsEqual:
        fieldA: .status.updatedReplicas
        fieldB: .status.replicas
    selector:
      kind:
        group: apps
        kind: Deployment
  config: {}
  filter: {}
  images: null
  phases:
  - name: namespaces
  - name: deploy
  - name: other
  scopes:
  - Cluster
  - Namespaced
test: {}
`,
    });
    expect(kickstartReport('my-pkg', result)).toBe(
      `Kickstarted the "my-pkg" package with 3 objects.\n[WARN] Some kinds don't have availability probes defined:\n- Banana.fruits\n`,
    );
  });

  it('reports no warning line when every kind has a probe, and writes phases: null without objects', () => {
    const result = kickstart('empty', [], []);
    expect(kickstartReport('empty', result)).toBe('Kickstarted the "empty" package with 0 objects.');
    expect(result.files.get('manifest.yaml')).toContain('  phases: null\n');
  });

  it('adds missing Namespaces and numbers files whose names collide', () => {
    const text = ['a', 'b'].map(
      (ns) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aaah\n  namespace: ${ns}\n`,
    );
    expect([...run(text.join('---\n')).files.keys()].sort()).toEqual([
      'deploy/aaah.configmap-1.yaml',
      'deploy/aaah.configmap.yaml',
      'manifest.yaml',
      'namespaces/a.namespace.yaml',
      'namespaces/b.namespace.yaml',
    ]);
    const parametrized = run(text.join('---\n'), ['namespaces']);
    expect(parametrized.files.get('namespaces/a.namespace.yaml.gotmpl')).toBe(`apiVersion: v1
kind: Namespace
metadata:
  annotations:
    package-operator.run/phase: namespaces
  name: {{ default (index .config.namespaces "a") .config.namespace }}
`);
  });

  it('-p replicas: the config schema and a defaults test case in the manifest', () => {
    const manifest = run(WEB, ['replicas']).files.get('manifest.yaml') ?? '';
    expect(manifest.slice(manifest.indexOf('  config:'))).toBe(`  config:
    openAPIV3Schema:
      properties:
        deployments:
          default: {}
          properties:
            shop:
              default: {}
              properties:
                web:
                  default: {}
                  properties:
                    replicas:
                      default: 3
                      description: Replica count for Deployment shop/web.
                      format: int32
                      type: integer
                  type: object
              type: object
          type: object
      type: object
  filter: {}
  images: null
  phases:
  - name: namespaces
  - name: deploy
  scopes:
  - Cluster
  - Namespaced
test:
  template:
  - context:
      environment:
        kubernetes:
          version: ""
      package:
        image: ""
        metadata:
          annotations: null
          labels: null
          name: ""
          namespace: ""
    name: defaults
`);
  });

  it('-p all: the Deployment template, its env merge block keeping the list item (PKO drops the `-`)', () => {
    const files = run(WEB, ['all']).files;
    const text = files.get('deploy/web.deployment.yaml.gotmpl') ?? '';
    const markers = [...text.matchAll(/define "([0-9a-f-]{36})"/g)].map((m) => m[1] ?? '');
    expect(markers).toHaveLength(2);
    const [env, tolerations] = markers;
    expect(text).toBe(`apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    package-operator.run/phase: deploy
  name: web
  namespace: {{ default (index .config.namespaces "shop") .config.namespace }}
spec:
  replicas: {{ index .config "deployments" "shop" "web" "replicas" }}
  selector:
    matchLabels:
      app: web
  template:
    spec:
      containers:
      -
        {{- define "${env}" }}
        env:
        - name: A
          value: "1"
        {{- end }}{{"\\n"}}
        {{- dict "env" (concat (fromYAML (include "${env}" .)).env (index .config "deployments" "shop" "web" "containers" "nginx" "env")) | toYAML | indent 8 }}
        image: {{ index .images "nginx" }}
        name: nginx
        resources: {{ index .config "deployments" "shop" "web" "containers" "nginx" "resources" | toJson }}
      nodeSelector: {{ index .config "deployments" "shop" "web" "nodeSelector" | toJson }}
      {{- define "${tolerations}" }}
      tolerations: []
      {{- end }}{{"\\n"}}
      {{- dict "tolerations" (concat (fromYAML (include "${tolerations}" .)).tolerations (index .config "deployments" "shop" "web" "tolerations")) | toYAML | indent 6 }}
`);
    expect(files.get('deploy/j.job.yaml.gotmpl')).toContain('  namespace: {{ .config.namespace }}\n');
    // Markers are derived from the object and path: the same input kickstarts to the same text.
    expect(run(WEB, ['all']).files.get('deploy/web.deployment.yaml.gotmpl')).toBe(text);
  });

  it('fails as PKO does on objects it cannot place, quoting the object', () => {
    const cases: [string, string][] = [
      [
        'apiVersion: v1\nkind: ConfigMap\n',
        "parsing namespace and name: object is missing metadata: 'apiVersion: v1\nkind: ConfigMap\n'",
      ],
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n',
        "parsing namespace and name: object is missing name: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'",
      ],
      [
        'kind: Secret\nmetadata:\n  name: bar\n',
        "parsing groupKind: object has invalid apiVersion: 'kind: Secret\nmetadata:\n  name: bar\n'",
      ],
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
        "duplicate object: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n'",
      ],
      [
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec: {}\n',
        "parametrizing: cannot get non-existent property 'template' on a map",
      ],
    ];
    for (const [text, message] of cases) expect(() => run(text, ['tolerations']), message).toThrow(message);
  });

  it('names a fetched object through the caller instead of quoting it', () => {
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { token: 'x' } };
    expect(() => kickstart('p', [object, object], [], () => 'object 1 of the OLM bundle')).toThrow(
      new KickstartError('duplicate object: object 1 of the OLM bundle'),
    );
  });

  it("reads manifests as PKO's loader: a missing kind names the document index", () => {
    expect(() =>
      objectsFromText('kind: A\n---\n# empty\n---\napiVersion: v1\nmetadata:\n  name: bar\n'),
    ).toThrow(
      `unmarshalling yaml document at index 2: error unmarshaling JSON: while decoding JSON: Object 'Kind' is missing in '{"apiVersion":"v1","metadata":{"name":"bar"}}'`,
    );
    expect(objectsFromText('---\n# only a comment\n---\n')).toEqual([]);
  });
});
