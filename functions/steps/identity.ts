/**
 * @module steps/identity
 * The step deps a package's objects are managed with: the engine's own, or those of the ServiceAccount the object
 * acts as (shared/identity.ts), whose client impersonates it. Gantry's own kinds (status, finalizers, the
 * ObjectSets and phases the engine creates) always stay with the engine's deps.
 */
import { cannotImpersonateMessage, identityOf, type IdentitySubject } from '../../shared/identity.js';
import { isKubeReason } from '../../shared/kube-errors.js';
import type { StepDeps } from './types.js';

export type ObjectsDeps =
  | { readonly ok: true; readonly deps: StepDeps; readonly user?: string }
  | { readonly ok: false; readonly message: string };

/** The deps for the package objects of `subject`, or why none may be touched. */
export function objectsDeps(subject: IdentitySubject, deps: StepDeps): ObjectsDeps {
  const identity = identityOf(subject, deps.impersonation);
  if (identity.kind === 'engine') return { ok: true, deps };
  if (identity.kind === 'refused') return { ok: false, message: identity.message };
  if (deps.impersonation === undefined) return { ok: false, message: cannotImpersonateMessage(identity) };
  // The engine's watch cache is not the tenant's view: what the tenant may read is asked as the tenant.
  const { cache: _engineView, ...own } = deps;
  return { ok: true, deps: { ...own, kube: deps.impersonation.as(identity.user) }, user: identity.user };
}

/**
 * Teardown of a deleted owner as an identity that may no longer act (its ServiceAccount or RoleBinding went first,
 * as when a namespace is deleted): done, the garbage collector removes what the owner controlled through its
 * owner references. Any other failure is thrown.
 */
export async function teardownAs(
  tenant: ObjectsDeps,
  ownerDeleted: boolean,
  work: (deps: StepDeps) => Promise<boolean>,
): Promise<boolean> {
  if (!tenant.ok) return true;
  try {
    return await work(tenant.deps);
  } catch (error) {
    if (ownerDeleted && tenant.user !== undefined && isKubeReason(error, 'Forbidden')) return true;
    throw error;
  }
}
