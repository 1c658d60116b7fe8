/**
 * @module identity
 * Whose rights the objects of a package are applied, probed and deleted with (tenants confined to their rights):
 * a namespaced object acts as a ServiceAccount of its own namespace, named by its `gantry.run/service-account`
 * annotation or by the host's default, through impersonation; a cluster-scoped one (ClusterPackage, …) with the
 * engine's own identity. Pure: the hosts parse the policy, the steps ask for a client of the identity decided here.
 */
import { ANNOTATION_SERVICE_ACCOUNT } from './api/constants.js';
import { isDns1123Subdomain } from './packages/labels.js';

/** The host's impersonation settings (`--default-service-account`, `--require-impersonation`). */
export interface ImpersonationPolicy {
  /** The ServiceAccount of each object's namespace to act as when the object names none. */
  readonly defaultServiceAccount?: string;
  /** A namespaced object that names no ServiceAccount (and no default is set) is not applied. */
  readonly required: boolean;
}

export type Identity =
  /** The engine's own identity (cluster-scoped objects, or no impersonation asked for). */
  | { readonly kind: 'engine' }
  /** Impersonate this user (`system:serviceaccount:<namespace>:<name>`). */
  | {
      readonly kind: 'serviceAccount';
      readonly namespace: string;
      readonly name: string;
      readonly user: string;
    }
  /** Nothing may be applied: the message says what is missing or wrong. */
  | { readonly kind: 'refused'; readonly message: string };

/** What the decision reads of an object. */
export interface IdentitySubject {
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

/** The user name the API server gives a ServiceAccount (and that impersonation names). */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Why a name cannot be a ServiceAccount's; undefined when it can. */
export function serviceAccountNameProblem(name: string): string | undefined {
  return isDns1123Subdomain(name)
    ? undefined
    : 'a ServiceAccount name must be a lowercase RFC 1123 subdomain of at most 253 characters';
}

function asServiceAccount(namespace: string, name: string): Identity {
  return { kind: 'serviceAccount', namespace, name, user: serviceAccountUser(namespace, name) };
}

/**
 * The identity the package objects of `subject` are managed with: its annotation, else the host's default
 * ServiceAccount, else (when the host requires impersonation) refused, else the engine's own.
 */
export function identityOf(subject: IdentitySubject, policy: ImpersonationPolicy | undefined): Identity {
  const namespace = subject.metadata.namespace ?? '';
  if (namespace === '') return { kind: 'engine' };
  const where = `${subject.kind} ${namespace}/${subject.metadata.name}`;
  const named = subject.metadata.annotations?.[ANNOTATION_SERVICE_ACCOUNT];
  if (named !== undefined) {
    const problem = serviceAccountNameProblem(named);
    if (problem !== undefined)
      return {
        kind: 'refused',
        message: `${where}: annotation ${ANNOTATION_SERVICE_ACCOUNT}: Invalid value: ${JSON.stringify(named.slice(0, 253))}: ${problem}`,
      };
    return asServiceAccount(namespace, named);
  }
  if (policy?.defaultServiceAccount !== undefined)
    return asServiceAccount(namespace, policy.defaultServiceAccount);
  if (policy?.required === true)
    return {
      kind: 'refused',
      message: `${where}: this host requires impersonation and has no default ServiceAccount: set the annotation ${ANNOTATION_SERVICE_ACCOUNT} (on the Package) to a ServiceAccount of namespace "${namespace}"`,
    };
  return { kind: 'engine' };
}

/** The refusal for a host that cannot impersonate (no client for other identities wired). */
export function cannotImpersonateMessage(identity: { readonly user: string }): string {
  return `this host cannot act as ${identity.user}: no impersonating client`;
}

/**
 * The merge patch of `metadata.annotations` that gives a child (an ObjectSet of an ObjectDeployment, an
 * ObjectSetPhase of an ObjectSet) its parent's ServiceAccount annotation; undefined when they agree.
 */
export function identityAnnotationPatch(
  parent: Readonly<Record<string, string>> | undefined,
  child: Readonly<Record<string, string>> | undefined,
): Record<string, string | null> | undefined {
  const want = parent?.[ANNOTATION_SERVICE_ACCOUNT];
  if (want === child?.[ANNOTATION_SERVICE_ACCOUNT]) return undefined;
  return { [ANNOTATION_SERVICE_ACCOUNT]: want ?? null };
}
