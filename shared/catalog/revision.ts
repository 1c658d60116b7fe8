/**
 * @module catalog/revision
 * A PackageRevision as the engine reads it back, and what the follow decision sees of it.
 */
import { z } from 'zod';
import type { ApiCondition } from '../api/resources.js';
import type { Candidate } from './follow.js';
import { CONDITION_VALIDATED, revisionSpecSchema } from './model.js';

export const catalogConditionSchema = z
  .object({
    type: z.string(),
    status: z.enum(['True', 'False', 'Unknown']),
    reason: z.string(),
    message: z.string(),
  })
  .loose();

export const revisionSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: z
      .object({ name: z.string(), namespace: z.string(), resourceVersion: z.string().optional() })
      .loose(),
    spec: revisionSpecSchema,
    status: z
      .object({ conditions: z.array(catalogConditionSchema).optional(), validatedFor: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();
export type Revision = z.infer<typeof revisionSchema>;

/** The revision's Validated condition, if it has one. */
export function validatedOf(rev: Revision): ApiCondition | undefined {
  const c = rev.status?.conditions?.find((x) => x.type === CONDITION_VALIDATED);
  return c === undefined ? undefined : { lastTransitionTime: '', ...c };
}

/** The catalog's view of a revision for the follow decision: eligible only when Validated and Published (or Proposed). */
export function candidateOf(rev: Revision): Candidate {
  const validated = validatedOf(rev);
  const eligible =
    validated?.status === 'True' && (rev.spec.lifecycle === 'Published' || rev.spec.lifecycle === 'Proposed');
  const gone = rev.spec.lifecycle === 'DeletionProposed';
  const message = gone
    ? 'its tag is gone from the registry'
    : validated !== undefined && validated.status !== 'True'
      ? validated.message
      : undefined;
  return {
    version: rev.spec.version,
    image: rev.spec.image,
    eligible: eligible && !gone,
    ...(message !== undefined ? { message } : {}),
  };
}
