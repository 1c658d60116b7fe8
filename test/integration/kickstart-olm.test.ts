/**
 * `gantry kickstart --olm-bundle` against the real registry (CNCF distribution v3): an OLM bundle image (a CSV and
 * a CRD in manifests/, metadata/annotations.yaml) is pushed, kickstarted into a package named after the bundle,
 * and the package validates. A bundle without annotations fails with rukpak's message.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPackageSource } from '../../functions/adapters/package-source.js';
import { buildPackageImage } from '../../shared/oci/image.js';
import { fileMapFromText } from '../../shared/packages/index.js';
import { BUNDLE_PACKAGE_FILES, BUNDLE_ROLE, bundleFiles, BUNDLE_CSV } from '../olm-bundle.js';
import { runGantry } from '../run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'gantry-kickstart-olm-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function tree(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tree(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)],
  );
}

const ROLE = BUNDLE_ROLE;

describe('gantry kickstart --olm-bundle (real registry)', () => {
  it('pulls the bundle image and kickstarts the package the bundle names', async () => {
    const { host } = inject('registry');
    const image = await buildPackageImage(bundleFiles(), {}, '');
    await createPackageSource({ insecureHosts: [host] }).push(image, [`${host}/olm/example-bundle:v0.1.0`]);

    const result = await runGantry(
      ['kickstart', 'operator', '-b', `${host}/olm/example-bundle:v0.1.0`, '--insecure'],
      { cwd: work },
    );
    expect(result).toEqual({
      code: 0,
      stdout: 'Kickstarted the "example-operator" package with 7 objects.',
      stderr: '',
    });
    expect(tree(join(work, 'operator')).sort()).toEqual(BUNDLE_PACKAGE_FILES);
    const manifest = readFileSync(join(work, 'operator', 'manifest.yaml'), 'utf8');
    expect(manifest.slice(0, manifest.indexOf('spec:'))).toBe(
      'apiVersion: manifests.package-operator.run/v1alpha1\nkind: PackageManifest\nmetadata:\n  name: example-operator\n',
    );
    expect(manifest).toContain(
      '  phases:\n  - name: namespaces\n  - name: rbac\n  - name: crds\n  - name: deploy\n',
    );
    expect(readFileSync(join(work, 'operator', `rbac/${ROLE}.clusterrolebinding.yaml`), 'utf8')).toBe(
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  annotations:
    package-operator.run/phase: rbac
  name: ${ROLE}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ${ROLE}
subjects:
- kind: ServiceAccount
  name: example-operator
  namespace: example-operator-system
`,
    );
    expect(await runGantry(['validate', 'operator'], { cwd: work })).toEqual({
      code: 0,
      stdout: 'Package validated successfully!',
      stderr: '',
    });
  });

  it('fails with rukpak’s message for an image without bundle annotations, and writes nothing', async () => {
    const { host } = inject('registry');
    const image = await buildPackageImage(fileMapFromText({ 'manifests/csv.yaml': BUNDLE_CSV }), {}, '');
    await createPackageSource({ insecureHosts: [host] }).push(image, [`${host}/olm/no-annotations:v1`]);
    const result = await runGantry(
      ['kickstart', 'broken', '-b', `${host}/olm/no-annotations:v1`, '--insecure'],
      {
        cwd: work,
      },
    );
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: kickstarting package: import olm bundle: converting OLM Bundle to static manifests: open metadata/annotations.yaml: file does not exist\n',
    });
    expect(readdirSync(work)).not.toContain('broken');
  });
});
