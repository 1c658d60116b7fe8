import { describe, expect, it } from 'vitest';
import { fileMapFromText } from './files.js';
import { applyPrefixOverrides, lockedImages, repositoryOf } from './images.js';
import { comparePaths, parseConditionMap } from './objects.js';
import { isHiddenPath, loadPackage, selectComponent } from './structure.js';
import { formatViolation } from './violation.js';
import { splitYamlDocuments, parseYaml } from './yaml.js';

const manifest = (name: string, extra = ''): string =>
  `apiVersion: manifests.package-operator.run/v1alpha1\nkind: PackageManifest\nmetadata:\n  name: ${name}\nspec:\n  scopes: [Namespaced]\n  phases: [{name: p}]\n${extra}`;

describe('violation format', () => {
  it('is `<Reason>[ in <path>[ idx <n>]][ [<component>]][: <details>][\\n<subject>]`', () => {
    expect(formatViolation({ reason: 'Duplicate Object', path: 'a.yaml', index: 1 })).toBe(
      'Duplicate Object in a.yaml idx 1',
    );
    expect(
      formatViolation({ reason: 'R', path: 'a.yaml', index: 0, component: 'c', details: 'd', subject: 's' }),
    ).toBe('R in a.yaml idx 0 [c]: d\ns');
    expect(formatViolation({ reason: 'R', index: 3 })).toBe('R');
  });
});

describe('YAML', () => {
  it('splits documents as PKO does', () => {
    expect(splitYamlDocuments('---\na: 1\n---\n\n---\nb: 2\n---\n')).toEqual(['a: 1\n', 'b: 2']);
    expect(splitYamlDocuments('a: "---"\n')).toEqual(['a: "---"']);
  });

  it('reads YAML 1.1 like the Go decoder: yes is true, 0777 is octal, timestamps stay strings', () => {
    expect(parseYaml('a: yes\nb: 0777\nc: 2024-01-01\nd: on')).toEqual({
      ok: true,
      value: { a: true, b: 511, c: '2024-01-01', d: true },
    });
  });
});

describe('structure', () => {
  it('ignores hidden paths', () => {
    expect(isHiddenPath('.test-fixtures/a.yaml')).toBe(true);
    expect(isHiddenPath('a/.b/c')).toBe(true);
    expect(isHiddenPath('a/b.c')).toBe(false);
    const pkg = loadPackage({
      files: fileMapFromText({ 'manifest.yaml': manifest('x'), '.hidden/a.yaml': 'x', 'a.yaml': 'y' }),
      labels: {},
    });
    expect([...pkg.root.files.keys()]).toEqual(['a.yaml']);
  });

  it('orders files with `/` ranked lowest', () => {
    expect(['bat', 'b', 'a/b/c', 'a', 'a/b', 'a-b'].sort(comparePaths)).toEqual([
      'a',
      'a/b',
      'a/b/c',
      'a-b',
      'b',
      'bat',
    ]);
  });

  it('splits components, renames their manifests and selects them', () => {
    const pkg = loadPackage({
      files: fileMapFromText({
        'manifest.yaml': manifest('root', '  components: {}\n'),
        'components/be/manifest.yml': manifest('whatever'),
        'components/be/d.yaml': 'x',
        'components/.hidden': 'dot files are fine',
      }),
      labels: {},
    });
    expect([...pkg.components.keys()]).toEqual(['be']);
    expect(selectComponent(pkg, 'be').manifest.metadata?.name).toBe('be');
    expect([...selectComponent(pkg, 'be').files.keys()]).toEqual(['d.yaml']);
    expect(selectComponent(pkg).name).toBe('');
  });

  it('refuses a component when components are not enabled', () => {
    const pkg = loadPackage({
      files: fileMapFromText({ 'manifest.yaml': manifest('x'), 'components/a/x.yaml': 'y' }),
      labels: {},
    });
    expect(() => selectComponent(pkg, 'a')).toThrow('Components not enabled');
    expect([...pkg.root.files.keys()]).toEqual(['components/a/x.yaml']);
  });

  it('names a component without manifest', () => {
    expect(() =>
      loadPackage({
        files: fileMapFromText({
          'manifest.yaml': manifest('x', '  components: {}\n'),
          'components/a/x.yaml': 'y',
        }),
        labels: {},
      }),
    ).toThrow('PackageManifest not found: searched at manifest.yaml and manifest.yml [a]');
  });
});

describe('images', () => {
  it('normalises references like go-containerregistry', () => {
    expect(repositoryOf('nginx:1.23.3')).toBe('index.docker.io/library/nginx');
    expect(repositoryOf('bitnami/nginx')).toBe('index.docker.io/bitnami/nginx');
    expect(repositoryOf('docker.io/nginx@sha256:abc')).toBe('index.docker.io/library/nginx');
    expect(repositoryOf('quay.io/org/app:v1')).toBe('quay.io/org/app');
    expect(repositoryOf('localhost:5001/acc/app:v1')).toBe('localhost:5001/acc/app');
    expect(repositoryOf('localhost/app')).toBe('localhost/app');
  });

  it('applies the most specific prefix override, as PKO (the longest match, not the first listed)', () => {
    const overrides = [
      { from: 'quay.io/', to: 'other/' },
      { from: 'quay.io/org/', to: 'mirror.local/org/' },
      { from: 'quay.io/org/', to: 'second.local/org/' },
      { from: '', to: 'everything/' },
    ];
    expect(applyPrefixOverrides('quay.io/org/app:v1', overrides)).toBe('mirror.local/org/app:v1');
    expect(applyPrefixOverrides('quay.io/team/app:v1', overrides)).toBe('other/team/app:v1');
    expect(applyPrefixOverrides('ghcr.io/x', overrides)).toBe('ghcr.io/x');
  });

  it('pins lock images by digest', () => {
    const lock = {
      apiVersion: 'x',
      kind: 'PackageManifestLock',
      spec: { images: [{ name: 'web', image: 'nginx:1.23.3', digest: 'sha256:1' }] },
    };
    expect(lockedImages(lock)).toEqual({ web: 'index.docker.io/library/nginx@sha256:1' });
  });
});

describe('condition-map', () => {
  it('parses `src => dst` lines', () => {
    expect(parseConditionMap('Available => my.org/Available\n Ready=>my.org/Ready ')).toEqual({
      mappings: [
        { sourceType: 'Available', destinationType: 'my.org/Available' },
        { sourceType: 'Ready', destinationType: 'my.org/Ready' },
      ],
    });
    expect(parseConditionMap(' => x').error).toBe("sourceType can't be empty in line 1");
    expect(parseConditionMap('a\nabc').error).toBe('expected 2 part mapping got 1 in line 1');
    expect(parseConditionMap('a => b => c').mappings).toEqual([
      { sourceType: 'a', destinationType: 'b => c' },
    ]);
  });
});
