/**
 * @module packages/structure
 * RawPackage (a file map) → LoadedPackage: manifest and lock found and parsed, components split out
 * (docs/pko-compatibility.md §1.2, §1.11). Hidden paths (a segment starting with `.`) are ignored.
 */
import { MANIFESTS_API_VERSION } from '../api/constants.js';
import type { PackageManifest } from '../api/generated/packagemanifest.js';
import type { PackageManifestLock } from '../api/generated/packagemanifestlock.js';
import { parsePackageManifest, parsePackageManifestLock } from '../api/manifest-schema.js';
import { fileText, type FileMap } from './files.js';
import { ViolationError, type ViolationFields } from './violation.js';
import { parseYaml } from './yaml.js';

export interface RawPackage {
  readonly files: FileMap;
  readonly labels: Readonly<Record<string, string>>;
}

export interface PackageComponent {
  /** '' for the root component. */
  readonly name: string;
  readonly manifest: PackageManifest;
  readonly lock?: PackageManifestLock;
  /** Files relative to the component root; manifest and lock files removed. */
  readonly files: FileMap;
}

export interface LoadedPackage {
  readonly root: PackageComponent;
  readonly components: ReadonlyMap<string, PackageComponent>;
  readonly labels: Readonly<Record<string, string>>;
}

/** Any path segment starting with `.` is ignored (docs/pko-compatibility.md §1.1). */
export function isHiddenPath(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.'));
}

interface FoundFile {
  readonly path: string;
  readonly text: string;
}

function findOne(
  files: FileMap,
  names: readonly string[],
  kind: string,
  component: string,
): FoundFile | undefined {
  const found = names.filter((n) => files.has(n));
  if (found.length > 1) throw new ViolationError({ reason: `${kind} present multiple times`, component });
  const path = found[0];
  const bytes = path === undefined ? undefined : files.get(path);
  return path === undefined || bytes === undefined ? undefined : { path, text: fileText(bytes) };
}

function checkGvk(value: unknown, kind: string, path: string, component: string): void {
  const obj = typeof value === 'object' && value !== null ? value : {};
  const apiVersion = 'apiVersion' in obj && typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const actualKind = 'kind' in obj && typeof obj.kind === 'string' ? obj.kind : '';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const expected = `${kind}.manifests.package-operator.run`;
  const actual = group === '' ? actualKind : `${actualKind}.${group ?? ''}`;
  if (actual !== expected) {
    throw new ViolationError({
      reason: `unknown GVK in ${path}`,
      details: `GroupKind must be ${expected}, is: ${actual}`,
      component,
    });
  }
  if (`${group ?? ''}/${version ?? ''}` !== MANIFESTS_API_VERSION) {
    throw new ViolationError({
      reason: `unknown GVK in ${path}`,
      details: `unknown version ${version ?? ''}, supported versions: v1alpha1`,
      component,
    });
  }
}

function parseFile<T>(
  file: FoundFile,
  kind: string,
  component: string,
  parse: (v: unknown) => { ok: true; value: T } | { ok: false; errors: string[] },
): T {
  const yaml = parseYaml(file.text);
  if (!yaml.ok)
    throw new ViolationError({ reason: 'Invalid YAML', path: file.path, details: yaml.error, component });
  checkGvk(yaml.value, kind, file.path, component);
  const shape = parse(yaml.value);
  if (!shape.ok)
    throw new ViolationError({
      reason: `Invalid ${kind}`,
      path: file.path,
      details: shape.errors.join(', '),
      component,
    });
  return shape.value;
}

function loadComponent(files: FileMap, name: string): PackageComponent {
  const manifestFile = findOne(files, ['manifest.yaml', 'manifest.yml'], 'PackageManifest', name);
  if (manifestFile === undefined) {
    throw new ViolationError({
      reason: 'PackageManifest not found: searched at manifest.yaml and manifest.yml',
      component: name,
    });
  }
  const lockFile = findOne(files, ['manifest.lock.yaml', 'manifest.lock.yml'], 'PackageManifestLock', name);
  const parsed = parseFile(manifestFile, 'PackageManifest', name, parsePackageManifest);
  const manifest: PackageManifest =
    name === '' ? parsed : { ...parsed, metadata: { ...parsed.metadata, name } };
  const lock =
    lockFile === undefined
      ? undefined
      : parseFile(lockFile, 'PackageManifestLock', name, parsePackageManifestLock);
  const rest = new Map([...files].filter(([p]) => p !== manifestFile.path && p !== lockFile?.path));
  return { name, manifest, ...(lock !== undefined ? { lock } : {}), files: rest };
}

function componentsEnabled(manifest: PackageManifest): boolean {
  return manifest.spec?.components !== undefined;
}

function splitComponents(files: FileMap): {
  root: Map<string, Uint8Array>;
  components: Map<string, Map<string, Uint8Array>>;
  violations: ViolationFields[];
} {
  const root = new Map<string, Uint8Array>();
  const components = new Map<string, Map<string, Uint8Array>>();
  const violations: ViolationFields[] = [];
  for (const [path, bytes] of files) {
    if (!path.startsWith('components/')) {
      root.set(path, bytes);
      continue;
    }
    const rest = path.slice('components/'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) {
      violations.push({ reason: 'The components directory may only contain folders and dot files', path });
      continue;
    }
    const name = rest.slice(0, slash);
    const inner = components.get(name) ?? new Map<string, Uint8Array>();
    inner.set(rest.slice(slash + 1), bytes);
    components.set(name, inner);
  }
  return { root, components, violations };
}

/** Load the structure of a package: manifests, locks, components. Throws ViolationError. */
export function loadPackage(raw: RawPackage): LoadedPackage {
  const visible = new Map([...raw.files].filter(([p]) => !isHiddenPath(p)));
  const rootOnly = loadComponent(visible, '');
  if (!componentsEnabled(rootOnly.manifest))
    return { root: rootOnly, components: new Map(), labels: raw.labels };
  const split = splitComponents(visible);
  if (split.violations.length > 0) throw new ViolationError(split.violations);
  const root = loadComponent(split.root, '');
  const components = new Map<string, PackageComponent>();
  for (const name of [...split.components.keys()].sort()) {
    const files = split.components.get(name) ?? new Map<string, Uint8Array>();
    const component = loadComponent(files, name);
    if (componentsEnabled(component.manifest))
      throw new ViolationError({ reason: `Nesting multi-component packages not allowed [${name}]` });
    components.set(name, component);
  }
  return { root, components, labels: raw.labels };
}

/**
 * PKO's `LoadComponent(raw, "")`, which its `tree` uses: the root component alone. The files under
 * `components/` are left out unread, so a broken component (or a stray file in `components/`) does not matter.
 */
export function loadRootComponent(raw: RawPackage): LoadedPackage {
  const visible = new Map([...raw.files].filter(([p]) => !isHiddenPath(p)));
  const rootOnly = loadComponent(visible, '');
  if (!componentsEnabled(rootOnly.manifest))
    return { root: rootOnly, components: new Map(), labels: raw.labels };
  const root = loadComponent(new Map([...visible].filter(([p]) => !p.startsWith('components/'))), '');
  return { root, components: new Map(), labels: raw.labels };
}

/** The component a (Cluster)Package selects with `spec.component` (docs/pko-compatibility.md §1.11). */
export function selectComponent(pkg: LoadedPackage, component?: string): PackageComponent {
  if (component === undefined || component === '') return pkg.root;
  if (!componentsEnabled(pkg.root.manifest)) throw new ViolationError({ reason: 'Components not enabled' });
  const found = pkg.components.get(component);
  if (found === undefined) throw new ViolationError({ reason: `Component not found [${component}]` });
  return found;
}
