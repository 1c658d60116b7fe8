/**
 * @module api/resources
 * zod parsers for the custom resources the engine reads back from the API server. The server has already
 * validated them against the CRDs; these check the fields the steps use (and keep every other field), so no
 * step trusts a shape it has not checked.
 */
import { z } from 'zod';
import { TerminalError } from '../errors.js';
import type { KubeObject } from '../ports.js';

const condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().default(''),
  message: z.string().default(''),
  lastTransitionTime: z.string().default(''),
  observedGeneration: z.number().optional(),
});
export type ApiCondition = z.infer<typeof condition>;

const progress = z
  .object({
    step: z.string().optional(),
    phase: z.string().optional(),
    attempt: z.number().optional(),
    nextAttemptTime: z.string().optional(),
    lastError: z.string().optional(),
    observedGeneration: z.number().optional(),
  })
  .loose();
export type ApiProgress = z.infer<typeof progress>;

const ownerRef = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

const metadata = z
  .object({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().default(''),
    resourceVersion: z.string().optional(),
    generation: z.number().default(0),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    finalizers: z.array(z.string()).optional(),
    ownerReferences: z.array(ownerRef).optional(),
  })
  .loose();

const labelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
      .optional(),
  })
  .loose();

const probe = z
  .object({
    condition: z.object({ type: z.string(), status: z.string().default('True') }).optional(),
    fieldsEqual: z.object({ fieldA: z.string(), fieldB: z.string() }).optional(),
    cel: z.object({ rule: z.string(), message: z.string() }).optional(),
  })
  .loose();

const objectSetProbe = z
  .object({
    probes: z.array(probe),
    selector: z
      .object({
        kind: z.object({ group: z.string().default(''), kind: z.string() }).optional(),
        selector: labelSelector.optional(),
      })
      .loose()
      .default({}),
  })
  .loose();

const setObject = z
  .object({
    object: z.record(z.string(), z.unknown()),
    collisionProtection: z.string().optional(),
    conditionMappings: z.array(z.object({ sourceType: z.string(), destinationType: z.string() })).optional(),
  })
  .loose();
export type ApiSetObject = z.infer<typeof setObject>;

const phase = z
  .object({
    name: z.string(),
    class: z.string().optional(),
    objects: z.array(setObject).optional(),
    slices: z.array(z.string()).optional(),
  })
  .loose();
export type ApiPhase = z.infer<typeof phase>;

const templateSpec = z
  .object({
    phases: z.array(phase).default([]),
    availabilityProbes: z.array(objectSetProbe).optional(),
    successDelaySeconds: z.number().optional(),
  })
  .loose();
export type ApiTemplateSpec = z.infer<typeof templateSpec>;

const controlled = z.object({
  kind: z.string(),
  group: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
  version: z.string().optional(),
});
export type ApiControlledRef = z.infer<typeof controlled>;

export const packageSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.enum(['Package', 'ClusterPackage']),
    metadata,
    spec: z
      .object({
        image: z.string(),
        config: z.record(z.string(), z.unknown()).optional(),
        component: z.string().optional(),
        paused: z.boolean().optional(),
      })
      .loose(),
    status: z
      .object({
        conditions: z.array(condition).optional(),
        unpackedHash: z.string().optional(),
        revision: z.number().optional(),
        resolvedImage: z.string().optional(),
        progress: progress.optional(),
      })
      .loose()
      .default({}),
  })
  .loose();
export type ApiPackage = z.infer<typeof packageSchema>;

export const objectDeploymentSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.enum(['ObjectDeployment', 'ClusterObjectDeployment']),
    metadata,
    spec: z
      .object({
        revisionHistoryLimit: z.number().default(10),
        selector: labelSelector,
        template: z.object({
          metadata: z
            .object({ labels: z.record(z.string(), z.string()).optional() })
            .loose()
            .default({}),
          spec: templateSpec,
        }),
        paused: z.boolean().optional(),
      })
      .loose(),
    status: z
      .object({
        conditions: z.array(condition).optional(),
        collisionCount: z.number().optional(),
        templateHash: z.string().optional(),
        revision: z.number().optional(),
        controllerOf: z.array(controlled).optional(),
        progress: progress.optional(),
      })
      .loose()
      .default({}),
  })
  .loose();
export type ApiObjectDeployment = z.infer<typeof objectDeploymentSchema>;

export const objectSetSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.enum(['ObjectSet', 'ClusterObjectSet']),
    metadata,
    spec: templateSpec
      .extend({
        lifecycleState: z.enum(['Active', 'Paused', 'Archived']).default('Active'),
        previous: z.array(z.object({ name: z.string() })).optional(),
        revision: z.number().default(0),
      })
      .loose(),
    status: z
      .object({
        conditions: z.array(condition).optional(),
        revision: z.number().optional(),
        remotePhases: z.array(z.object({ name: z.string(), uid: z.string() })).optional(),
        controllerOf: z.array(controlled).optional(),
        progress: progress.optional(),
      })
      .loose()
      .default({}),
  })
  .loose();
export type ApiObjectSet = z.infer<typeof objectSetSchema>;

export const objectSliceSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.enum(['ObjectSlice', 'ClusterObjectSlice']),
    metadata,
    objects: z.array(setObject),
  })
  .loose();
export type ApiObjectSlice = z.infer<typeof objectSliceSchema>;

/** An object (or one embedded in it: a slice, a child) that does not match its schema: terminal until it changes. */
export class MalformedObjectError extends TerminalError {
  public override readonly name: string = 'MalformedObjectError';
}

/** Parse with a schema; the error names the object and the first problems. */
export function parseResource<T>(schema: z.ZodType<T>, object: KubeObject): T {
  const result = schema.safeParse(object);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.')}: ${i.message}`)
    .join('; ');
  throw new MalformedObjectError(
    `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name} is malformed: ${problems}`,
  );
}

const templateSource = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    name: z.string(),
    namespace: z.string().optional(),
    items: z.array(z.object({ key: z.string(), destination: z.string() }).loose()).default([]),
    optional: z.boolean().optional(),
  })
  .loose();
export type ApiTemplateSource = z.infer<typeof templateSource>;

export const objectTemplateSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.enum(['ObjectTemplate', 'ClusterObjectTemplate']),
    metadata,
    spec: z.object({ template: z.string(), sources: z.array(templateSource).default([]) }).loose(),
    status: z
      .object({
        conditions: z.array(condition).optional(),
        controllerOf: controlled.optional(),
        progress: progress.optional(),
      })
      .loose()
      .default({}),
  })
  .loose();
export type ApiObjectTemplate = z.infer<typeof objectTemplateSchema>;

export const objectSetPhaseSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.enum(['ObjectSetPhase', 'ClusterObjectSetPhase']),
    metadata,
    spec: z
      .object({
        paused: z.boolean().optional(),
        revision: z.number().default(0),
        previous: z.array(z.object({ name: z.string() })).optional(),
        availabilityProbes: z.array(objectSetProbe).optional(),
        objects: z.array(setObject).default([]),
      })
      .loose(),
    status: z
      .object({
        conditions: z.array(condition).optional(),
        controllerOf: z.array(controlled).optional(),
        progress: progress.optional(),
      })
      .loose()
      .default({}),
  })
  .loose();
export type ApiObjectSetPhase = z.infer<typeof objectSetPhaseSchema>;
