/**
 * Tenants confined to their rights, over the in-memory FakeKube: package objects (and ObjectTemplate sources and
 * outputs) are read, written and deleted through the client of the identity the object acts as; Gantry's own
 * writes (finalizers, status, child ObjectSets) stay with the engine's client; a refusal of the API server or a
 * missing identity ends in a condition with nothing applied.
 */
import { describe, expect, it } from 'vitest';
import { runStep } from '../../functions/steps/run-step.js';
import type { RunStepDeps } from '../../functions/steps/run-step.js';
import { isRecord, refOf } from '../../shared/api/objects.js';
import { KubeApiError } from '../../shared/kube-errors.js';
import type {
  DeletePreconditions,
  GoTemplateEngine,
  Impersonation,
  KubeApi,
  KubeObject,
  ListOptions,
  ObjectRef,
  ResourceInfo,
} from '../../shared/ports.js';
import { fakeStepDeps } from '../fakes/deps.js';
import { FakeKube } from '../fakes/kube.js';

const API = 'package-operator.run/v1alpha1';
const TENANT = 'system:serviceaccount:ns:tenant';
const SET: ObjectRef = { apiVersion: API, kind: 'ObjectSet', namespace: 'ns', name: 'set' };

/** The API server's words for a request the impersonated user may not make. */
function forbidden(user: string, verb: string, ref: ObjectRef): KubeApiError {
  const plural = `${ref.kind.toLowerCase()}s`;
  return new KubeApiError(
    `${plural} "${ref.name}" is forbidden: User "${user}" cannot ${verb} resource "${plural}" in API group "" in the namespace "${ref.namespace}"`,
    403,
    'Forbidden',
  );
}

/** The FakeKube as one impersonated user sees it: every request logged as `user verb Kind/name`, some refused. */
class AsUser implements KubeApi {
  public constructor(
    private readonly kube: FakeKube,
    private readonly user: string,
    private readonly log: string[],
    private readonly denied: ReadonlySet<string>,
  ) {}

  private check(verb: string, ref: ObjectRef): void {
    this.log.push(`${this.user} ${verb} ${ref.kind}/${ref.name}`);
    if (this.denied.has(`${verb} ${ref.kind}`)) throw forbidden(this.user, verb, ref);
  }

  private async run<T>(verb: string, ref: ObjectRef, call: () => Promise<T>): Promise<T> {
    this.check(verb, ref);
    return call();
  }

  public resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.kube.resource(apiVersion, kind);
  }
  public get(ref: ObjectRef): Promise<KubeObject> {
    return this.run('get', ref, () => this.kube.get(ref));
  }
  public list(
    apiVersion: string,
    kind: string,
    namespace: string,
    options?: ListOptions,
  ): Promise<KubeObject[]> {
    const ref = { apiVersion, kind, namespace, name: '' };
    return this.run('list', ref, () => this.kube.list(apiVersion, kind, namespace, options));
  }
  public apply(object: KubeObject, options?: { readonly force?: boolean }): Promise<KubeObject> {
    const ref = refOf(object);
    // As the API server authorizes it: a patch, and a create too when the apply creates the object.
    if (!this.kube.objects.has(`${ref.apiVersion}|${ref.kind}|${ref.namespace}|${ref.name}`))
      return this.run('create', ref, () => this.run('patch', ref, () => this.kube.apply(object, options)));
    return this.run('patch', ref, () => this.kube.apply(object, options));
  }
  public create(object: KubeObject): Promise<KubeObject> {
    return this.run('create', refOf(object), () => this.kube.create(object));
  }
  public update(object: KubeObject): Promise<KubeObject> {
    return this.run('update', refOf(object), () => this.kube.update(object));
  }
  public updateStatus(object: KubeObject): Promise<KubeObject> {
    return this.run('update-status', refOf(object), () => this.kube.updateStatus(object));
  }
  public mergePatch(ref: ObjectRef, patch: unknown): Promise<KubeObject> {
    return this.run('patch', ref, () => this.kube.mergePatch(ref, patch));
  }
  public delete(ref: ObjectRef, options?: { readonly preconditions?: DeletePreconditions }): Promise<void> {
    return this.run('delete', ref, () => this.kube.delete(ref, options));
  }
  public serverVersion(): Promise<string> {
    return this.kube.serverVersion();
  }
}

interface Tenancy {
  readonly kube: FakeKube;
  readonly deps: RunStepDeps;
  /** Requests made as impersonated users. */
  readonly log: string[];
}

function tenancy(
  policy: { defaultServiceAccount?: string; required: boolean },
  denied: string[] = [],
  overrides: Partial<RunStepDeps> = {},
): Tenancy {
  const kube = new FakeKube();
  const log: string[] = [];
  const impersonation: Impersonation = {
    ...policy,
    as: (user) => new AsUser(kube, user, log, new Set(denied)),
  };
  return { kube, log, deps: fakeStepDeps(kube, { impersonation, ...overrides }) };
}

function objectSet(
  kube: FakeKube,
  annotations: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): void {
  kube.put({
    apiVersion: API,
    kind: 'ObjectSet',
    metadata: { name: 'set', namespace: 'ns', generation: 1, annotations, ...extra },
    spec: {
      revision: 1,
      lifecycleState: 'Active',
      phases: [
        {
          name: 'rbac',
          objects: [{ object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token' } } }],
        },
        {
          name: 'deploy',
          objects: [
            { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } } },
          ],
        },
      ],
    },
  });
}

/** A condition of the object in the fake, without its times. */
function condition(kube: FakeKube, ref: ObjectRef, type: string): unknown {
  const status = kube.objects.get(`${ref.apiVersion}|${ref.kind}|${ref.namespace}|${ref.name}`)?.['status'];
  const conditions = isRecord(status) && Array.isArray(status['conditions']) ? status['conditions'] : [];
  const found: unknown = conditions.find((c: unknown) => isRecord(c) && c['type'] === type);
  if (!isRecord(found)) return undefined;
  const { lastTransitionTime: _t, observedGeneration: _g, ...rest } = found;
  return rest;
}

/** The writes that reached the fake, Events (the engine's, best effort) left out. */
function ownWrites(kube: FakeKube): string[] {
  return kube.writes.filter((w) => !w.startsWith('create Event/'));
}

const NAMED = { 'gantry.run/service-account': 'tenant' };

describe('an ObjectSet acting as a ServiceAccount', () => {
  it('applies and probes its objects as the ServiceAccount; finalizer and status stay the engine’s', async () => {
    const t = tenancy({ required: false });
    objectSet(t.kube, NAMED);
    const result = await runStep(SET, t.deps);
    expect(result.outcome).toBe('done');
    expect(t.log).toEqual([
      `${TENANT} get Secret/token`,
      `${TENANT} create Secret/token`,
      `${TENANT} patch Secret/token`,
      `${TENANT} get ConfigMap/cm`,
      `${TENANT} create ConfigMap/cm`,
      `${TENANT} patch ConfigMap/cm`,
    ]);
    expect(ownWrites(t.kube)).toEqual([
      'patch ObjectSet/set',
      'apply Secret/token',
      'apply ConfigMap/cm',
      'status ObjectSet/set',
    ]);
    expect(condition(t.kube, SET, 'Available')).toEqual({
      type: 'Available',
      status: 'True',
      reason: 'Available',
      message: 'Object is available and passes all probes.',
    });
  });

  it('the host default when the object names none', async () => {
    const t = tenancy({ required: true, defaultServiceAccount: 'tenant' });
    objectSet(t.kube);
    await runStep(SET, t.deps);
    expect(t.log).toContain(`${TENANT} create ConfigMap/cm`);
  });

  it('a write the ServiceAccount may not make: PreflightError with the server’s words, later phases untouched', async () => {
    const t = tenancy({ required: false }, ['create Secret']);
    objectSet(t.kube, NAMED);
    const result = await runStep(SET, t.deps);
    expect(result).toMatchObject({ outcome: 'waiting', requeueAfterMs: 30_000 });
    expect(condition(t.kube, SET, 'Available')).toEqual({
      type: 'Available',
      status: 'False',
      reason: 'PreflightError',
      message: `Phase "rbac", Secret /token: secrets "token" is forbidden: User "${TENANT}" cannot create resource "secrets" in API group "" in the namespace "ns"`,
    });
    expect(t.kube.objects.has('v1|Secret|ns|token')).toBe(false);
    expect(t.kube.objects.has('v1|ConfigMap|ns|cm')).toBe(false);
  });

  it('a read the ServiceAccount may not make: PreflightError with the server’s words, nothing written', async () => {
    const t = tenancy({ required: false }, ['get Secret']);
    objectSet(t.kube, NAMED);
    await runStep(SET, t.deps);
    expect(condition(t.kube, SET, 'Available')).toEqual({
      type: 'Available',
      status: 'False',
      reason: 'PreflightError',
      message: `Phase "rbac": secrets "token" is forbidden: User "${TENANT}" cannot get resource "secrets" in API group "" in the namespace "ns"`,
    });
    expect(t.log).toEqual([`${TENANT} get Secret/token`]);
  });

  it('required, no annotation, no default: refused with a condition naming the annotation, nothing applied', async () => {
    const t = tenancy({ required: true });
    objectSet(t.kube);
    const result = await runStep(SET, t.deps);
    expect(result.outcome).toBe('waiting');
    expect(condition(t.kube, SET, 'Available')).toEqual({
      type: 'Available',
      status: 'False',
      reason: 'PreflightError',
      message:
        'ObjectSet ns/set: this host requires impersonation and has no default ServiceAccount: set the annotation gantry.run/service-account (on the Package) to a ServiceAccount of namespace "ns"',
    });
    expect(t.log).toEqual([]);
    expect(ownWrites(t.kube)).toEqual(['patch ObjectSet/set', 'status ObjectSet/set']);
  });

  it('a host without impersonation refuses an object that names a ServiceAccount', async () => {
    const kube = new FakeKube();
    objectSet(kube, NAMED);
    await runStep(SET, fakeStepDeps(kube));
    expect(condition(kube, SET, 'Available')).toMatchObject({
      reason: 'PreflightError',
      message: `this host cannot act as ${TENANT}: no impersonating client`,
    });
    expect(kube.objects.has('v1|Secret|ns|token')).toBe(false);
  });

  it('without annotation or policy: the engine’s own identity, as before', async () => {
    const t = tenancy({ required: false });
    objectSet(t.kube);
    expect((await runStep(SET, t.deps)).outcome).toBe('done');
    expect(t.log).toEqual([]);
    expect(t.kube.objects.has('v1|ConfigMap|ns|cm')).toBe(true);
  });

  it('teardown deletes as the ServiceAccount; refused after its rights went: left to the garbage collector', async () => {
    const t = tenancy({ required: false });
    objectSet(t.kube, NAMED);
    await runStep(SET, t.deps);
    await t.kube.delete(SET);
    t.log.length = 0;
    await runStep(SET, t.deps);
    expect(t.log).toEqual([`${TENANT} get ConfigMap/cm`, `${TENANT} delete ConfigMap/cm`]);

    const gone = tenancy({ required: false }, ['get ConfigMap', 'get Secret']);
    for (const [k, v] of t.kube.objects) gone.kube.objects.set(k, v);
    const result = await runStep(SET, gone.deps);
    expect(result.outcome).toBe('done');
    expect(gone.log).toEqual([`${TENANT} get ConfigMap/cm`, `${TENANT} get Secret/token`]);
    expect(gone.kube.objects.has(`${API}|ObjectSet|ns|set`)).toBe(false);
  });
});

describe('an ObjectDeployment passes its ServiceAccount annotation on', () => {
  it('to an ObjectSet it made before the annotation changed (no new revision)', async () => {
    const kube = new FakeKube();
    const od = kube.put({
      apiVersion: API,
      kind: 'ObjectDeployment',
      metadata: { name: 'web', namespace: 'ns', generation: 1, uid: 'od-uid', annotations: NAMED },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { phases: [{ name: 'p', objects: [] }] } },
      },
    });
    const ref = { apiVersion: API, kind: 'ObjectDeployment', namespace: 'ns', name: 'web' };
    await runStep(ref, fakeStepDeps(kube));
    const sets = await kube.list(API, 'ObjectSet', 'ns');
    expect(sets.map((s) => s.metadata.annotations?.['gantry.run/service-account'])).toEqual(['tenant']);
    kube.put({ ...od, metadata: { ...od.metadata, annotations: { 'gantry.run/service-account': 'other' } } });
    await runStep(ref, fakeStepDeps(kube));
    const after = await kube.list(API, 'ObjectSet', 'ns');
    expect(
      after.map((s) => [s.metadata.name, s.metadata.annotations?.['gantry.run/service-account']]),
    ).toEqual([[sets[0]?.metadata.name, 'other']]);
  });
});

describe('an ObjectTemplate acting as a ServiceAccount', () => {
  const OT: ObjectRef = { apiVersion: API, kind: 'ObjectTemplate', namespace: 'ns', name: 't' };
  const gotmpl: GoTemplateEngine = {
    render: () =>
      Promise.resolve(new Map([['', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\n']])),
  };

  function template(kube: FakeKube, annotations: Record<string, string>): void {
    kube.put({
      apiVersion: API,
      kind: 'ObjectTemplate',
      metadata: { name: 't', namespace: 'ns', generation: 1, annotations },
      spec: {
        template: 'fixed by the fake engine',
        sources: [
          { apiVersion: 'v1', kind: 'Secret', name: 'db', items: [{ key: '.data.p', destination: '.p' }] },
        ],
      },
    });
    kube.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'ns' },
      data: { p: 'cw==' },
    });
  }

  const engines = { engines: { gotmpl, handlebars: { render: () => Promise.reject(new Error('no')) } } };

  it('reads its sources and writes its output as the ServiceAccount', async () => {
    const t = tenancy({ required: false }, [], engines);
    template(t.kube, NAMED);
    expect((await runStep(OT, t.deps)).outcome).toBe('done');
    expect(t.log).toEqual([
      `${TENANT} get Secret/db`,
      `${TENANT} patch Secret/db`,
      `${TENANT} get ConfigMap/out`,
      `${TENANT} create ConfigMap/out`,
    ]);
  });

  it.each([
    ['a source it may not read', 'get Secret', 'SourceError', 'for source Secret ns/db: secrets "db"', 'get'],
    [
      'an output it may not write',
      'create ConfigMap',
      'ApplyError',
      'for output ConfigMap ns/out: configmaps "out"',
      'create',
    ],
  ])(
    '%s: %s refused, the server’s words as %s, no output, again in 30 s',
    async (_name, denied, reason, what, verb) => {
      const t = tenancy({ required: false }, [denied], engines);
      template(t.kube, NAMED);
      expect(await runStep(OT, t.deps)).toMatchObject({ outcome: 'waiting', requeueAfterMs: 30_000 });
      const plural = denied === 'get Secret' ? 'secrets' : 'configmaps';
      expect(condition(t.kube, OT, 'package-operator.run/Invalid')).toEqual({
        type: 'package-operator.run/Invalid',
        status: 'True',
        reason,
        message: `${what} is forbidden: User "${TENANT}" cannot ${verb} resource "${plural}" in API group "" in the namespace "ns"`,
      });
      expect(t.kube.objects.has('v1|ConfigMap|ns|out')).toBe(false);
    },
  );

  it('required, no annotation, no default: IdentityError, no source read', async () => {
    const t = tenancy({ required: true }, [], engines);
    template(t.kube, {});
    expect((await runStep(OT, t.deps)).outcome).toBe('failed');
    expect(condition(t.kube, OT, 'package-operator.run/Invalid')).toEqual({
      type: 'package-operator.run/Invalid',
      status: 'True',
      reason: 'IdentityError',
      message:
        'ObjectTemplate ns/t: this host requires impersonation and has no default ServiceAccount: set the annotation gantry.run/service-account (on the Package) to a ServiceAccount of namespace "ns"',
    });
    expect(t.log).toEqual([]);
    expect(t.kube.objects.get('v1|Secret|ns|db')?.metadata.labels).toBeUndefined();
  });
});
