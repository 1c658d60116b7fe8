/**
 * @module config
 * The only reader of process.env (design.md §4): the engine's environment, parsed once with zod.
 */
import { z } from 'zod';

const schema = z.object({
  PKO_FORCE_ADOPTION: z.string().optional(),
  PKO_PACKAGE_HASH_MODIFIER: z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .optional(),
  /** The namespace and service account whose imagePullSecrets authenticate pulls (in-cluster). */
  POD_NAMESPACE: z.string().optional(),
  GANTRY_SERVICE_ACCOUNT: z.string().optional(),
});

export interface EngineEnv {
  readonly forceAdoption: boolean;
  readonly hashModifier?: number;
  readonly podNamespace?: string;
  readonly serviceAccount: string;
}

/** Parse the environment; an invalid value is an error naming the variable. */
export function engineEnv(env: Readonly<Record<string, string | undefined>> = process.env): EngineEnv {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`environment variable ${String(issue?.path[0] ?? '')}: ${issue?.message ?? 'invalid'}`);
  }
  const e = parsed.data;
  return {
    forceAdoption: (e.PKO_FORCE_ADOPTION ?? '') !== '',
    ...(e.PKO_PACKAGE_HASH_MODIFIER !== undefined
      ? { hashModifier: Number.parseInt(e.PKO_PACKAGE_HASH_MODIFIER, 10) }
      : {}),
    ...(e.POD_NAMESPACE !== undefined ? { podNamespace: e.POD_NAMESPACE } : {}),
    serviceAccount: e.GANTRY_SERVICE_ACCOUNT ?? 'gantry',
  };
}
