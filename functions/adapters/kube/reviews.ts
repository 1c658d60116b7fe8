/**
 * @module adapters/kube/reviews
 * The API server's authentication and authorization reviews, for the console a host mounts: a TokenReview turns a
 * bearer token into a user (or none), a SubjectAccessReview asks whether that user may do something, and a
 * SelfSubjectAccessReview asks it for the client's own identity (`gantry console`). Every answer is parsed; any
 * failure to get a clear "yes" is a "no" for access reviews.
 */
import { z } from 'zod';
import type { ReviewedUser } from '../../../shared/console/sessions.js';
import { KubeUnavailableError } from '../../../shared/kube-errors.js';
import type { RawKubeClient } from './client.js';

/** What an access review asks about (`resourceAttributes`). */
export interface ResourceAttributes {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  readonly namespace?: string;
  readonly name?: string;
}

const tokenReviewSchema = z.object({
  status: z.object({
    authenticated: z.boolean().optional(),
    user: z
      .object({
        username: z.string().min(1).max(1024),
        uid: z.string().max(1024).optional(),
        groups: z.array(z.string().max(1024)).max(256).optional(),
        extra: z.record(z.string().max(1024), z.array(z.string().max(1024)).max(64)).optional(),
      })
      .optional(),
  }),
});

const accessReviewSchema = z.object({ status: z.object({ allowed: z.boolean() }) });

/** Most characters of a token sent for review (JWTs of OIDC providers are a few KiB). */
export const MAX_TOKEN_LENGTH = 8192;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The user a bearer token authenticates as (undefined: it does not). The host needs `create` on
 * `tokenreviews` (ClusterRole `system:auth-delegator`). A server that does not answer is a
 * {@link KubeUnavailableError}, never a "no".
 */
export async function reviewToken(kube: RawKubeClient, token: string): Promise<ReviewedUser | undefined> {
  if (token === '' || token.length > MAX_TOKEN_LENGTH || /[\s\0]/.test(token)) return undefined;
  const answer = await kube.raw(
    'POST',
    '/apis/authentication.k8s.io/v1/tokenreviews',
    JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
  );
  if (answer.status === 429 || answer.status >= 500)
    throw new KubeUnavailableError(`TokenReview: HTTP ${answer.status}`, 1000);
  if (answer.status !== 201 && answer.status !== 200)
    throw new KubeUnavailableError(
      `TokenReview: HTTP ${answer.status} (may this host create tokenreviews?)`,
      1000,
    );
  const review = tokenReviewSchema.safeParse(parseJson(answer.text));
  const user = review.data?.status.user;
  if (review.data?.status.authenticated !== true || user === undefined) return undefined;
  return {
    username: user.username,
    uid: user.uid ?? '',
    groups: user.groups ?? [],
    extra: user.extra ?? {},
  };
}

function attributes(a: ResourceAttributes): Record<string, string> {
  return {
    group: a.group,
    resource: a.resource,
    verb: a.verb,
    ...(a.namespace !== undefined && a.namespace !== '' ? { namespace: a.namespace } : {}),
    ...(a.name !== undefined ? { name: a.name } : {}),
  };
}

async function allowedBy(kube: RawKubeClient, path: string, body: unknown): Promise<boolean> {
  const answer = await kube.raw('POST', path, JSON.stringify(body));
  if (answer.status !== 201 && answer.status !== 200) return false;
  return accessReviewSchema.safeParse(parseJson(answer.text)).data?.status.allowed === true;
}

/** Whether `user` may do what `a` says (a SubjectAccessReview; the host needs `create` on `subjectaccessreviews`). */
export function subjectMay(kube: RawKubeClient, user: ReviewedUser, a: ResourceAttributes): Promise<boolean> {
  return allowedBy(kube, '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: user.username,
      ...(user.uid !== '' ? { uid: user.uid } : {}),
      groups: user.groups,
      extra: user.extra,
      resourceAttributes: attributes(a),
    },
  });
}

/** Whether the client's own identity may do what `a` says (a SelfSubjectAccessReview). */
export function selfMay(kube: RawKubeClient, a: ResourceAttributes): Promise<boolean> {
  return allowedBy(kube, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: attributes(a) },
  });
}
