import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../shared/ports.js';
import {
  handleMutate,
  handleValidate,
  type AdmissionDeps,
  type DispatchReason,
  type ManifestLookup,
} from './admission.js';
import type { HttpRequest } from './http.js';

const GVK = { group: 'package-operator.run', version: 'v1alpha1' };

function review(request: Record<string, unknown>): HttpRequest {
  return {
    method: 'POST',
    path: '/webhooks/validate',
    headers: { 'content-type': 'application/json' },
    body: new TextEncoder().encode(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u-1', userInfo: { username: 'alice' }, ...request },
      }),
    ),
  };
}

function deps(lookup?: ManifestLookup): AdmissionDeps & { dispatched: [ObjectRef, DispatchReason][] } {
  const dispatched: [ObjectRef, DispatchReason][] = [];
  return {
    dispatched,
    dispatch: (ref, reason) => dispatched.push([ref, reason]),
    ...(lookup !== undefined ? { lookupManifest: () => Promise.resolve(lookup) } : {}),
    selfUsername: 'system:serviceaccount:gantry:gantry',
  };
}

function pkg(spec: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: { ...GVK, kind: 'Package' },
    operation: 'CREATE',
    namespace: 'ns',
    object: {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: { name: 'p', namespace: 'ns' },
      spec,
    },
  };
}

async function answer(request: HttpRequest, d: AdmissionDeps): Promise<Record<string, unknown>> {
  const r = await handleValidate(request, d);
  expect(r.status).toBe(200);
  const body = JSON.parse(r.body) as { response: Record<string, unknown> };
  return body.response;
}

const schemaManifest: ManifestLookup = {
  kind: 'found',
  manifest: {
    apiVersion: 'manifests.package-operator.run/v1alpha1',
    kind: 'PackageManifest',
    metadata: { name: 'app' },
    spec: {
      scopes: ['Namespaced'],
      phases: [{ name: 'deploy' }],
      config: {
        openAPIV3Schema: { type: 'object', properties: { replicas: { type: 'integer', minimum: 1 } } },
      },
    },
  },
};

describe('validating webhook', () => {
  it("denies a config that violates the package's schema, with the field path", async () => {
    const d = deps(schemaManifest);
    expect(
      await answer(review(pkg({ image: 'reg.example.com/app:v1', config: { replicas: 0 } })), d),
    ).toEqual({
      uid: 'u-1',
      allowed: false,
      status: {
        code: 422,
        reason: 'Invalid',
        message:
          'spec.config.replicas: Invalid value: 0: replicas in body should be greater than or equal to 1',
      },
    });
    expect(d.dispatched).toEqual([]);
  });

  it('admits a valid Package and dispatches its key; warns when the package cannot be fetched in time', async () => {
    const d = deps(schemaManifest);
    expect(
      await answer(review(pkg({ image: 'reg.example.com/app:v1', config: { replicas: 2 } })), d),
    ).toEqual({
      uid: 'u-1',
      allowed: true,
    });
    expect(d.dispatched).toEqual([
      [
        { apiVersion: 'package-operator.run/v1alpha1', kind: 'Package', namespace: 'ns', name: 'p' },
        'create',
      ],
    ]);
    const slow = deps({
      kind: 'unavailable',
      reason: 'fetching reg.example.com/app:v1 took longer than 2000 ms',
    });
    expect(await answer(review(pkg({ image: 'reg.example.com/app:v1' })), slow)).toEqual({
      uid: 'u-1',
      allowed: true,
      warnings: [
        "config not checked against the package's schema: fetching reg.example.com/app:v1 took longer than 2000 ms",
      ],
    });
  });

  it('denies bad image references and component names without fetching', async () => {
    const r = await answer(review(pkg({ image: 'Reg/App:v1', component: 'Bad_Name' })), deps());
    expect(r['status']).toEqual({
      code: 422,
      reason: 'Invalid',
      message:
        'spec.image: Invalid value: "Reg/App:v1": repository name must be lowercase, spec.component: Invalid value: "Bad_Name": a component name must consist of lower case alphanumeric characters or \'-\'',
    });
  });

  it('denies a ServiceAccount annotation that cannot name a ServiceAccount, before any fetch', async () => {
    const named = (value: string): HttpRequest =>
      review({
        ...pkg({ image: 'reg.example.com/app:v1' }),
        object: {
          apiVersion: 'package-operator.run/v1alpha1',
          kind: 'Package',
          metadata: { name: 'p', namespace: 'ns', annotations: { 'gantry.run/service-account': value } },
          spec: { image: 'reg.example.com/app:v1' },
        },
      });
    const lookups: string[] = [];
    const d: AdmissionDeps = {
      ...deps(),
      lookupManifest: (image) => {
        lookups.push(image);
        return Promise.resolve(schemaManifest);
      },
    };
    expect((await answer(named('kube-system:admin'), d))['status']).toEqual({
      code: 422,
      reason: 'Invalid',
      message:
        'metadata.annotations[gantry.run/service-account]: Invalid value: "kube-system:admin": a ServiceAccount name must be a lowercase RFC 1123 subdomain of at most 253 characters',
    });
    expect(lookups).toEqual([]);
    expect(await answer(named('deployer'), d)).toEqual({ uid: 'u-1', allowed: true });
    expect(lookups).toEqual(['reg.example.com/app:v1']);
  });

  it('checks phases, probes and CEL of ObjectDeployments, and ObjectSet immutability on update', async () => {
    const template = {
      phases: [{ name: 'a' }, { name: 'a' }],
      availabilityProbes: [
        {
          probes: [
            { condition: { type: 'Available', status: 'True' }, cel: { rule: 'true', message: 'x' } },
            { cel: { rule: 'self.status.(', message: 'x' } },
            { fieldsEqual: { fieldA: '.spec..x', fieldB: '.status.y' } },
          ],
        },
      ],
    };
    const od = await answer(
      review({
        kind: { ...GVK, kind: 'ObjectDeployment' },
        operation: 'CREATE',
        object: { metadata: { name: 'od', namespace: 'ns' }, spec: { template: { spec: template } } },
      }),
      deps(),
    );
    const message = (od['status'] as { message: string }).message;
    expect(message.split(', spec.')).toEqual([
      'spec.template.spec.phases[1].name: Duplicate value: "a"',
      'template.spec.availabilityProbes[0].probes[0]: Invalid value: "object": exactly one of condition, fieldsEqual or cel must be set',
      expect.stringMatching(
        /^template\.spec\.availabilityProbes\[0\]\.probes\[1\]\.cel\.rule: Invalid value: "self\.status\.\(": /,
      ) as unknown,
      'template.spec.availabilityProbes[0].probes[2].fieldsEqual.fieldA: Invalid value: ".spec..x": must be a dot-separated field path',
    ]);
    const set = (phases: unknown[], revision: number): Record<string, unknown> => ({
      metadata: { name: 's', namespace: 'ns' },
      spec: { phases, revision },
    });
    const update = await answer(
      review({
        kind: { ...GVK, kind: 'ObjectSet' },
        operation: 'UPDATE',
        object: set([{ name: 'b' }], 2),
        oldObject: set([{ name: 'a' }], 1),
      }),
      deps(),
    );
    expect((update['status'] as { message: string }).message).toBe(
      'spec: Invalid value: "object": phases is immutable, spec: Invalid value: "object": revision is immutable',
    );
  });

  it('dispatches only the controller for its own status writes, and nothing on dry runs', async () => {
    const owned = {
      kind: { ...GVK, kind: 'ObjectSet' },
      operation: 'UPDATE',
      subResource: 'status',
      object: {
        metadata: {
          name: 's',
          namespace: 'ns',
          ownerReferences: [
            {
              apiVersion: 'package-operator.run/v1alpha1',
              kind: 'ObjectDeployment',
              name: 'od',
              uid: 'x',
              controller: true,
            },
          ],
        },
      },
      oldObject: { metadata: { name: 's', namespace: 'ns' } },
    };
    const own = deps();
    await answer(review({ ...owned, userInfo: { username: 'system:serviceaccount:gantry:gantry' } }), own);
    expect(own.dispatched).toEqual([
      [
        {
          apiVersion: 'package-operator.run/v1alpha1',
          kind: 'ObjectDeployment',
          namespace: 'ns',
          name: 'od',
        },
        'owner',
      ],
    ]);
    const someone = deps();
    await answer(review(owned), someone);
    expect(someone.dispatched.map(([r, why]) => `${r.kind}/${r.name} ${why}`)).toEqual([
      'ObjectSet/s status',
      'ObjectDeployment/od owner',
    ]);
    const dry = deps();
    await answer(review({ ...owned, dryRun: true }), dry);
    expect(dry.dispatched).toEqual([]);
  });
});

describe('mutating webhook', () => {
  it("adds the kind's finalizer at creation", () => {
    const r = handleMutate(review(pkg({ image: 'a/b:c' })));
    const response = (JSON.parse(r.body) as { response: { patch: string; patchType: string } }).response;
    expect(response.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(response.patch, 'base64').toString())).toEqual([
      { op: 'add', path: '/metadata/finalizers', value: ['package-operator.run/metrics'] },
    ]);
  });
});

describe('bounded CEL at admission', () => {
  function objectSet(rules: readonly string[]): HttpRequest {
    return review({
      kind: { ...GVK, kind: 'ObjectSet' },
      operation: 'CREATE',
      object: {
        metadata: { name: 's', namespace: 'ns' },
        spec: {
          phases: [],
          availabilityProbes: [{ probes: rules.map((rule) => ({ cel: { rule, message: 'm' } })) }],
        },
      },
    });
  }
  const expensive = (i: number, size: number): string => {
    let rule = `self.x${i} == 1`;
    while (rule.length < size - 40) rule += ` && self.f${i}.g${rule.length} > ${rule.length}`;
    return rule;
  };

  it('refuses the 1 MiB review with 100 distinct ~10 KB rules within 50 ms, compiling nothing', async () => {
    const rules = Array.from({ length: 100 }, (_, i) => expensive(i, 10_200));
    const request = objectSet(rules);
    expect(request.body.byteLength).toBeGreaterThan(1_000_000);
    const started = performance.now();
    const r = await answer(request, deps());
    const elapsed = performance.now() - started;
    const at = (i: number): string => `spec.availabilityProbes[0].probes[${i}].cel.rule`;
    const total = rules.reduce((n, rule) => n + rule.length, 0);
    expect(r['allowed']).toBe(false);
    expect((r['status'] as { message: string }).message).toBe(
      [
        ...rules.map((_, i) => `${at(i)}: Too long: may not be more than 4096 bytes`),
        'spec.availabilityProbes: Too many: 100: must have at most 64 CEL rules',
        `spec.availabilityProbes: Invalid value: "object": CEL rules of ${total} bytes in all; the limit is 16384 bytes per object`,
      ].join(', '),
    );
    expect(elapsed).toBeLessThan(50);
  });

  it('refuses more than 64 rules, and more than 16 KiB of rules in all', async () => {
    const many = await answer(objectSet(Array.from({ length: 65 }, (_, i) => `self.a == ${i}`)), deps());
    expect((many['status'] as { message: string }).message).toBe(
      'spec.availabilityProbes: Too many: 65: must have at most 64 CEL rules',
    );
    const big = await answer(objectSet(Array.from({ length: 5 }, (_, i) => expensive(i, 4000))), deps());
    const total = Array.from({ length: 5 }, (_, i) => expensive(i, 4000).length).reduce((a, b) => a + b, 0);
    expect((big['status'] as { message: string }).message).toBe(
      `spec.availabilityProbes: Invalid value: "object": CEL rules of ${total} bytes in all; the limit is 16384 bytes per object`,
    );
  });

  it('admits with a warning the rules it had no time to compile', async () => {
    const rules = Array.from({ length: 3 }, (_, i) => expensive(i, 4000));
    const r = await answer(objectSet(rules), { ...deps(), celBudgetMs: 0 });
    expect(r['allowed']).toBe(true);
    expect(r['warnings']).toEqual([
      '3 CEL rules not compiled within 0 ms at admission; they are checked when the object is reconciled',
    ]);
  });
});
