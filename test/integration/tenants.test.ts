/**
 * Tenants get only their rights, against the real API server (RBAC on): a Package's objects are applied as a
 * ServiceAccount of its namespace (impersonation). A tenant's package that binds `cluster-admin` ends with the API
 * server's Forbidden message and nothing applied; the same package under an identity that may bind it installs;
 * `collisionProtection: None` takes over nothing the tenant may not write; an ObjectTemplate copies nothing the
 * tenant may not read; a host that requires impersonation refuses a Package that names no ServiceAccount.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, ObjectRef } from '../../shared/ports.js';
import {
  conditions,
  conditionsReach,
  eventually,
  getOrUndefined,
  manifest,
  configMap,
  pkgRef,
  pushPackage,
  useEngine,
} from './setup/engine.js';

const API = 'package-operator.run/v1alpha1';
const RBAC = 'rbac.authorization.k8s.io/v1';
// Required, no default: only Packages that name a ServiceAccount are applied.
const suite = useEngine({ impersonation: { required: true } });
const { namespace } = suite;
let kube: KubeApi;
beforeAll(() => {
  kube = suite.kube();
});

/** ServiceAccount `name` of `ns`, bound in `ns` to the ClusterRole or Role `role`. */
async function serviceAccount(ns: string, name: string, role: { kind: string; name: string }): Promise<void> {
  await kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } });
  await kube.create({
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: `${name}-rights`, namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...role },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  });
}

/** A tenant's rights: like `edit`, plus managing Roles and RoleBindings in its namespace (never `bind`/`escalate`). */
async function tenantRole(ns: string): Promise<void> {
  await kube.create({
    apiVersion: RBAC,
    kind: 'Role',
    metadata: { name: 'tenant', namespace: ns },
    rules: [
      {
        apiGroups: [''],
        resources: ['configmaps', 'secrets', 'services'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['roles', 'rolebindings'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
    ],
  });
}

const BINDING = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: take-over
  annotations:
    package-operator.run/phase: rbac
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: mallory
`;

async function createPackage(
  ns: string,
  name: string,
  image: string,
  serviceAccountName?: string,
): Promise<void> {
  await kube.create({
    apiVersion: API,
    kind: 'Package',
    metadata: {
      name,
      namespace: ns,
      ...(serviceAccountName !== undefined
        ? { annotations: { 'gantry.run/service-account': serviceAccountName } }
        : {}),
    },
    spec: { image },
  });
}

async function objectSetOf(ns: string, pkg: string): Promise<KubeObject> {
  return eventually(`the ObjectSet of ${ns}/${pkg}`, async () => {
    const sets = await kube.list(API, 'ObjectSet', ns, {
      labelSelector: `package-operator.run/instance=${pkg}`,
    });
    return sets[0];
  });
}

const bindingRef = (ns: string): ObjectRef => ({
  apiVersion: RBAC,
  kind: 'RoleBinding',
  namespace: ns,
  name: 'take-over',
});
const cmRef = (ns: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name: 'after',
});

describe('tenants confined to their rights', () => {
  let image: string;
  beforeAll(async () => {
    image = await pushPackage('take-over', {
      'manifest.yaml': manifest('take-over', ['rbac', 'deploy']),
      'binding.yaml': BINDING,
      'after.yaml': configMap('after', 'deploy', { a: 'b' }),
    });
  });

  it('a tenant binding cluster-admin: the API server’s Forbidden message, nothing applied', async () => {
    const ns = await namespace('tenant');
    await tenantRole(ns);
    await serviceAccount(ns, 'tenant', { kind: 'Role', name: 'tenant' });
    await createPackage(ns, 'grab', image, 'tenant');
    const user = `system:serviceaccount:${ns}:tenant`;
    const forbidden =
      `Phase "rbac", RoleBinding /take-over: rolebindings.rbac.authorization.k8s.io "take-over" is forbidden: ` +
      `user "${user}" (groups=["system:serviceaccounts" "system:serviceaccounts:${ns}" "system:authenticated"]) ` +
      `is attempting to grant RBAC permissions not currently held:\n` +
      `{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n` +
      `{NonResourceURLs:["*"], Verbs:["*"]}`;
    const c = await conditionsReach(kube, pkgRef(ns, 'grab'), {
      Progressing: {
        status: 'True',
        reason: 'LatestRevisionPendingSuccess',
        message: `Latest Revision is Unavailable: ${forbidden}`,
      },
    });
    expect(c['Available']?.status).toBe('False');
    const set = await objectSetOf(ns, 'grab');
    expect(set.metadata.annotations?.['gantry.run/service-account']).toBe('tenant');
    expect(conditions(set)['Available']).toEqual({
      status: 'False',
      reason: 'PreflightError',
      message: forbidden,
    });
    expect(await getOrUndefined(kube, bindingRef(ns))).toBeUndefined();
    expect(await getOrUndefined(kube, cmRef(ns))).toBeUndefined();
  });

  it('the same package as an identity that may bind cluster-admin installs', async () => {
    const ns = await namespace('deployer');
    await serviceAccount(ns, 'deployer', { kind: 'ClusterRole', name: 'cluster-admin' });
    await createPackage(ns, 'grab', image, 'deployer');
    await conditionsReach(kube, pkgRef(ns, 'grab'), {
      Available: { status: 'True', reason: 'Available', message: 'Latest Revision is Available.' },
    });
    const binding = await kube.get(bindingRef(ns));
    expect(binding['roleRef']).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'cluster-admin',
    });
    expect((await kube.get(cmRef(ns)))['data']).toEqual({ a: 'b' });
  });

  it('collisionProtection None does not let a tenant take over an admin’s NetworkPolicy', async () => {
    const ns = await namespace('takeover');
    await tenantRole(ns);
    await serviceAccount(ns, 'tenant', { kind: 'Role', name: 'tenant' });
    const policy: ObjectRef = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      namespace: ns,
      name: 'deny-all',
    };
    await kube.create({
      ...policy,
      metadata: { name: 'deny-all', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    const takeOver = await pushPackage('take-over-policy', {
      'manifest.yaml': manifest('take-over-policy', ['deploy']),
      'policy.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  annotations:
    package-operator.run/phase: deploy
    package-operator.run/collision-protection: None
spec:
  podSelector: {}
  ingress: [{}]
`,
    });
    await createPackage(ns, 'open', takeOver, 'tenant');
    const set = await eventually('the refusal', async () => {
      const s = await objectSetOf(ns, 'open');
      return conditions(s)['Available']?.reason === 'PreflightError' ? s : undefined;
    });
    expect(conditions(set)['Available']?.message).toBe(
      `Phase "deploy": networkpolicies.networking.k8s.io "deny-all" is forbidden: User "system:serviceaccount:${ns}:tenant" cannot get resource "networkpolicies" in API group "networking.k8s.io" in the namespace "${ns}"`,
    );
    const live = await kube.get(policy);
    expect(live['spec']).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(live.metadata.ownerReferences).toBeUndefined();
  });

  it('an ObjectTemplate cannot copy a Secret its ServiceAccount may not read', async () => {
    const ns = await namespace('template');
    await kube.create({
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: 'configmaps', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update', 'patch'] }],
    });
    await serviceAccount(ns, 'reader', { kind: 'Role', name: 'configmaps' });
    await kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'admin-token', namespace: ns },
      stringData: { token: 'secret' },
    });
    const ref: ObjectRef = { apiVersion: API, kind: 'ObjectTemplate', namespace: ns, name: 'copy' };
    await kube.create({
      apiVersion: API,
      kind: 'ObjectTemplate',
      metadata: { name: 'copy', namespace: ns, annotations: { 'gantry.run/service-account': 'reader' } },
      spec: {
        template: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: copied\ndata:\n  t: {{ .config.t }}\n',
        sources: [
          {
            apiVersion: 'v1',
            kind: 'Secret',
            name: 'admin-token',
            items: [{ key: '.data.token', destination: '.t' }],
          },
        ],
      },
    });
    await conditionsReach(kube, ref, {
      'package-operator.run/Invalid': {
        status: 'True',
        reason: 'SourceError',
        message: `for source Secret ${ns}/admin-token: secrets "admin-token" is forbidden: User "system:serviceaccount:${ns}:reader" cannot get resource "secrets" in API group "" in the namespace "${ns}"`,
      },
    });
    expect(
      await getOrUndefined(kube, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'copied' }),
    ).toBeUndefined();
    const secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'admin-token' });
    expect(secret.metadata.labels).toBeUndefined();
  });

  it('a host that requires impersonation refuses a Package that names no ServiceAccount', async () => {
    const ns = await namespace('unnamed');
    await createPackage(ns, 'grab', image);
    const set = await eventually('the refusal', async () => {
      const s = await objectSetOf(ns, 'grab');
      return conditions(s)['Available']?.reason === 'PreflightError' ? s : undefined;
    });
    expect(conditions(set)['Available']?.message).toBe(
      `ObjectSet ${ns}/${set.metadata.name}: this host requires impersonation and has no default ServiceAccount: set the annotation gantry.run/service-account (on the Package) to a ServiceAccount of namespace "${ns}"`,
    );
    expect(await getOrUndefined(kube, bindingRef(ns))).toBeUndefined();
    expect(await getOrUndefined(kube, cmRef(ns))).toBeUndefined();
  });
});
