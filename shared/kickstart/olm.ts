/**
 * @module kickstart/olm
 * An OLM registry+v1 bundle (`metadata/annotations.yaml`, `manifests/*`) as plain objects, the conversion PKO
 * took from rukpak: the package name from the bundle annotations, the install namespace from the CSV's
 * `operatorframework.io/suggested-namespace` (else `<package>-system`), the CSV's deployments, service accounts,
 * (Cluster)Roles and bindings from its permissions (AllNamespaces promotes permissions to cluster ones), the CRDs,
 * and every other manifest moved into the install namespace.
 *
 * PKO round-trips the CSV's objects through Go types; kickstart/olm-typed adds what that round trip adds.
 */
import { TerminalError } from '../errors.js';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseYaml } from '../packages/yaml.js';
import { objectsFromText } from './objects.js';
import { typedCrd, typedDeploymentSpec } from './olm-typed.js';

export class BundleError extends TerminalError {
  public override readonly name: string = 'BundleError';
}

const rule = z.object({
  verbs: z.array(z.string()).nullish(),
  apiGroups: z.array(z.string()).nullish(),
  resources: z.array(z.string()).nullish(),
  resourceNames: z.array(z.string()).nullish(),
  nonResourceURLs: z.array(z.string()).nullish(),
});
const permission = z.object({ serviceAccountName: z.string().nullish(), rules: z.array(rule).nullish() });
type Permission = z.infer<typeof permission>;

const csvSchema = z.object({
  metadata: z.object({ name: z.string(), annotations: z.record(z.string(), z.string()).nullish() }),
  spec: z.object({
    installModes: z.array(z.object({ type: z.string(), supported: z.boolean() })).nullish(),
    apiservicedefinitions: z.object({ owned: z.array(z.unknown()).nullish() }).nullish(),
    webhookdefinitions: z.array(z.unknown()).nullish(),
    install: z.object({
      spec: z.object({
        deployments: z
          .array(
            z.object({
              name: z.string(),
              label: z.record(z.string(), z.string()).nullish(),
              spec: z.record(z.string(), z.unknown()),
            }),
          )
          .nullish(),
        permissions: z.array(permission).nullish(),
        clusterPermissions: z.array(permission).nullish(),
      }),
    }),
  }),
});
type Csv = z.infer<typeof csvSchema>;

const annotationsFile = z.object({
  annotations: z.object({ 'operators.operatorframework.io.bundle.package.v1': z.string().nullish() }),
});

export interface Bundle {
  readonly packageName: string;
  readonly objects: readonly Record<string, unknown>[];
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new BundleError(`${what}: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`);
  return parsed.data;
}

/** The bundle's objects and package name, from the files of its image (paths relative to the image root). */
export function bundleObjects(files: ReadonlyMap<string, Uint8Array>): Bundle {
  const annotations = files.get('metadata/annotations.yaml');
  if (annotations === undefined) throw new BundleError('open metadata/annotations.yaml: file does not exist');
  const meta = parseYaml(text(annotations));
  if (!meta.ok) throw new BundleError(`metadata/annotations.yaml: ${meta.error}`);
  const packageName = parse(annotationsFile, meta.value, 'metadata/annotations.yaml').annotations[
    'operators.operatorframework.io.bundle.package.v1'
  ];
  const objects: Record<string, unknown>[] = [];
  for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!path.startsWith('manifests/')) continue;
    if (path.slice('manifests/'.length).includes('/'))
      throw new BundleError(
        `subdirectories are not allowed within the "manifests" directory of the bundle image filesystem: found ${JSON.stringify(path.split('/').slice(0, 2).join('/'))}`,
      );
    try {
      objects.push(...objectsFromText(text(bytes), false));
    } catch (error) {
      throw new BundleError(
        `read ${JSON.stringify(path.slice('manifests/'.length))}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { packageName: packageName ?? '', objects: convert(packageName ?? '', objects) };
}

const targetsFor = (modes: ReadonlySet<string>, installNamespace: string): string[] =>
  modes.has('AllNamespaces') ? [''] : modes.has('OwnNamespace') ? [installNamespace] : [];

function checkTargets(modes: ReadonlySet<string>, targets: readonly string[]): void {
  if (targets.length === 1 && targets[0] === '' && modes.has('AllNamespaces')) return;
  if (targets.length === 1 && targets[0] !== '' && modes.has('OwnNamespace')) return;
  const list = [...modes].sort().join(' ');
  if (targets.length === 0)
    throw new BundleError(`supported install modes [${list}] do not support targeting all namespaces`);
  throw new BundleError(
    `supported install modes [${list}] do not support target namespaces [${targets.join(' ')}]`,
  );
}

/** rukpak's generateName: base + base36(sha224(Go JSON of the permission + "\n")), cut to 63 characters. */
export function generateName(base: string, p: Permission): string {
  const json = JSON.stringify({
    serviceAccountName: p.serviceAccountName ?? '',
    rules: p.rules ? rulesOf(p) : null,
  }).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const hash = BigInt(`0x${createHash('sha224').update(`${json}\n`).digest('hex')}`).toString(36);
  const cut = base.length + hash.length > 63 ? base.slice(0, 63 - hash.length - 1) : base;
  return `${cut}-${hash}`;
}

/** A PolicyRule as Go's rbac/v1 type writes it: `verbs` always, the other lists when not empty. */
function rulesOf(p: Permission): Record<string, unknown>[] {
  return (p.rules ?? []).map((r) => ({
    verbs: r.verbs ?? null,
    ...(r.apiGroups?.length ? { apiGroups: r.apiGroups } : {}),
    ...(r.resources?.length ? { resources: r.resources } : {}),
    ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
    ...(r.nonResourceURLs?.length ? { nonResourceURLs: r.nonResourceURLs } : {}),
  }));
}

const RBAC = 'rbac.authorization.k8s.io/v1';
const saName = (name: string | null | undefined): string =>
  name === undefined || name === null || name === '' ? 'default' : name;
const subject = (ns: string, name: string): Record<string, string> => ({
  kind: 'ServiceAccount',
  name,
  namespace: ns,
});

/** A (Cluster)Role for a permission and the binding of its service account; `namespace` undefined: cluster. */
function roleAndBinding(
  csv: Csv,
  p: Permission,
  installNamespace: string,
  namespace: string | undefined,
): [Record<string, unknown>, Record<string, unknown>] {
  const sa = saName(p.serviceAccountName);
  const name = generateName(`${csv.metadata.name}-${sa}`, p);
  const kind = namespace === undefined ? 'ClusterRole' : 'Role';
  const metadata = namespace === undefined ? { name } : { name, namespace };
  return [
    { apiVersion: RBAC, kind, metadata, rules: p.rules ? rulesOf(p) : null },
    {
      apiVersion: RBAC,
      kind: `${kind}Binding`,
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects: [subject(installNamespace, sa)],
    },
  ];
}

/** Roles, RoleBindings, ClusterRoles, ClusterRoleBindings, in rukpak's order. */
function rbacObjects(
  csv: Csv,
  installNamespace: string,
  targets: readonly string[],
): Record<string, unknown>[] {
  const strategy = csv.spec.install.spec;
  let permissions = strategy.permissions ?? [];
  let clusterPermissions = strategy.clusterPermissions ?? [];
  if (targets.length === 1 && targets[0] === '') {
    clusterPermissions = [...clusterPermissions, ...permissions];
    permissions = [];
  }
  const namespaced = targets.flatMap((ns) =>
    permissions.map((p) => roleAndBinding(csv, p, installNamespace, ns)),
  );
  const cluster = clusterPermissions.map((p) => roleAndBinding(csv, p, installNamespace, undefined));
  return [
    ...namespaced.map(([role]) => role),
    ...namespaced.map(([, binding]) => binding),
    ...cluster.map(([role]) => role),
    ...cluster.map(([, binding]) => binding),
  ];
}

const templateAnnotations = z.object({
  template: z
    .object({ metadata: z.object({ annotations: z.record(z.string(), z.string()).nullish() }).nullish() })
    .nullish(),
});

function deploymentsOf(
  csv: Csv,
  installNamespace: string,
  targets: readonly string[],
): Record<string, unknown>[] {
  return (csv.spec.install.spec.deployments ?? []).map((d) => {
    const own = templateAnnotations.safeParse(d.spec);
    const annotations = {
      ...(csv.metadata.annotations ?? {}),
      ...(own.success ? (own.data.template?.metadata?.annotations ?? {}) : {}),
      'olm.targetNamespaces': targets.join(','),
    };
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: d.name,
        namespace: installNamespace,
        annotations,
        ...(d.label ? { labels: d.label } : {}),
      },
      spec: typedDeploymentSpec(d.spec),
      status: {},
    };
  });
}

function serviceAccountNames(csv: Csv): string[] {
  const strategy = csv.spec.install.spec;
  const names = new Set<string>();
  for (const d of strategy.deployments ?? []) {
    const name = z
      .object({ template: z.object({ spec: z.object({ serviceAccountName: z.string().nullish() }) }) })
      .safeParse(d.spec);
    names.add(saName(name.success ? name.data.template.spec.serviceAccountName : undefined));
  }
  for (const p of [...(strategy.permissions ?? []), ...(strategy.clusterPermissions ?? [])])
    names.add(saName(p.serviceAccountName));
  return [...names].filter((n) => n !== 'default').sort();
}

/** rukpak's Convert with PKO's arguments (no install namespace, no target namespaces given). */
function convert(
  packageName: string,
  objects: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
  const csvObject = objects.find((o) => o['kind'] === 'ClusterServiceVersion');
  if (csvObject === undefined) throw new BundleError('the bundle has no ClusterServiceVersion');
  const csv = parse(csvSchema, csvObject, 'ClusterServiceVersion');
  const installNamespace =
    csv.metadata.annotations?.['operatorframework.io/suggested-namespace'] || `${packageName}-system`;
  const modes = new Set((csv.spec.installModes ?? []).filter((m) => m.supported).map((m) => m.type));
  const targets = targetsFor(modes, installNamespace);
  checkTargets(modes, targets);
  if ((csv.spec.apiservicedefinitions?.owned ?? []).length > 0)
    throw new BundleError('apiServiceDefintions are not supported');
  if ((csv.spec.webhookdefinitions ?? []).length > 0)
    throw new BundleError('webhookDefinitions are not supported');
  const crds = objects.filter((o) => o['kind'] === 'CustomResourceDefinition').map(typedCrd);
  const others = objects
    .filter((o) => o['kind'] !== 'ClusterServiceVersion' && o['kind'] !== 'CustomResourceDefinition')
    .map((o) => ({
      ...o,
      metadata: { ...(isMap(o['metadata']) ? o['metadata'] : {}), namespace: installNamespace },
    }));
  const serviceAccounts = serviceAccountNames(csv).map((name) => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: installNamespace },
  }));
  return [
    ...serviceAccounts,
    ...rbacObjects(csv, installNamespace, targets),
    ...crds,
    ...others,
    ...deploymentsOf(csv, installNamespace, targets),
  ];
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
