// A package of ConfigMaps in two phases (the first half in `first`, the rest in `second`), built and pushed to a
// local registry with `gantry build --push`: the small package the scale benchmarks install many times. The
// ConfigMaps are Go templates named after the Package (`<package>-cm-<i>`), so many Packages share a namespace.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGantry } from '../test/run-cli.js';

/** Build `<registryHost>/bench/<name>:v1` of `count` ConfigMaps and push it; resolves to the image reference. */
export async function pushConfigMapPackage(
  registryHost: string,
  name: string,
  count: number,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gantry-bench-${name}-`));
  try {
    await writeFile(
      join(dir, 'manifest.yaml'),
      [
        'apiVersion: manifests.package-operator.run/v1alpha1',
        'kind: PackageManifest',
        `metadata: {name: ${name}}`,
        'spec:',
        '  scopes: [Namespaced]',
        '  phases: [{name: first}, {name: second}]',
        '',
      ].join('\n'),
    );
    await mkdir(join(dir, 'cms'));
    for (let i = 0; i < count; i++)
      await writeFile(
        join(dir, 'cms', `cm-${i}.yaml.gotmpl`),
        [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          `  name: "{{ .package.metadata.name }}-cm-${i}"`,
          `  annotations: {package-operator.run/phase: ${i < count / 2 ? 'first' : 'second'}}`,
          `data: {value: "${'x'.repeat(64)}-${i}"}`,
          '',
        ].join('\n'),
      );
    const image = `${registryHost}/bench/${name}:v1`;
    const r = await runGantry(['build', dir, '-t', image, '--push', '--insecure'], { cwd: dir });
    if (r.code !== 0) throw new Error(r.stderr);
    return image;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
