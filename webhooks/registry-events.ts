/**
 * @module webhooks/registry-events
 * Registry push notifications, normalised to one shape: CNCF distribution notifications, Harbor (its default
 * JSON and its CloudEvents), GitHub `package` / `registry_package` webhooks, ECR "Image Action" events from
 * EventBridge, and Gantry's own CloudEvent `run.gantry.image.pushed`. A push is only a hint: the trigger
 * re-resolves the tag against the registry, so nothing in these bodies is trusted beyond naming a repository.
 */
import { z } from 'zod';
import { isRecord } from '../shared/api/objects.js';

/** A push of `registry/repository:tag` (registry '' when the sender did not name one). */
export interface ImagePush {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest?: string;
}

/** A parse result: pushes found, or a reason the body was not one of these formats. */
export type PushParse = { readonly pushes: readonly ImagePush[] } | { readonly error: string };

const distributionSchema = z.object({
  events: z.array(
    z
      .object({
        action: z.string(),
        target: z
          .object({
            repository: z.string(),
            tag: z.string().optional(),
            digest: z.string().optional(),
            url: z.string().optional(),
            mediaType: z.string().optional(),
          })
          .loose(),
        request: z.object({ host: z.string().optional() }).loose().optional(),
      })
      .loose(),
  ),
});

/** CNCF distribution (`application/vnd.docker.distribution.events.v1+json`): manifest pushes with a tag. */
export function fromDistribution(body: unknown): PushParse {
  const parsed = distributionSchema.safeParse(body);
  if (!parsed.success) return { error: 'not a distribution notification envelope' };
  const pushes: ImagePush[] = [];
  for (const e of parsed.data.events) {
    if (e.action !== 'push' || e.target.tag === undefined) continue;
    pushes.push({
      registry: e.request?.host ?? hostOfUrl(e.target.url),
      repository: e.target.repository,
      tag: e.target.tag,
      ...(e.target.digest !== undefined ? { digest: e.target.digest } : {}),
    });
  }
  return { pushes };
}

function hostOfUrl(url: string | undefined): string {
  if (url === undefined || !URL.canParse(url)) return '';
  return new URL(url).host;
}

const harborData = z
  .object({
    resources: z
      .array(
        z
          .object({
            digest: z.string().optional(),
            tag: z.string().optional(),
            resource_url: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
    repository: z.object({ repo_full_name: z.string() }).loose(),
  })
  .loose();

/** Harbor's event data (`event_data` of its default payload, `data` of its CloudEvents). */
export function fromHarborData(data: unknown): PushParse {
  const parsed = harborData.safeParse(data);
  if (!parsed.success) return { error: 'not a Harbor artifact event' };
  const pushes: ImagePush[] = [];
  for (const r of parsed.data.resources) {
    if (r.tag === undefined || r.tag === '') continue;
    const url = r.resource_url ?? '';
    const registry = url.includes('/') ? (url.split('/')[0] ?? '') : '';
    pushes.push({
      registry,
      repository: parsed.data.repository.repo_full_name,
      tag: r.tag,
      ...(r.digest !== undefined ? { digest: r.digest } : {}),
    });
  }
  return { pushes };
}

const harborDefault = z.object({ type: z.string(), event_data: z.unknown() }).loose();

/** Harbor's default webhook payload: `PUSH_ARTIFACT` events only. */
export function fromHarbor(body: unknown): PushParse {
  const parsed = harborDefault.safeParse(body);
  if (!parsed.success) return { error: 'not a Harbor webhook payload' };
  if (parsed.data.type !== 'PUSH_ARTIFACT') return { pushes: [] };
  return fromHarborData(parsed.data.event_data);
}

const githubSchema = z
  .object({
    action: z.string(),
    package: z
      .object({
        name: z.string(),
        namespace: z.string().optional(),
        package_type: z.string().optional(),
        owner: z.object({ login: z.string() }).loose().optional(),
        package_version: z
          .object({
            version: z.string().optional(),
            package_url: z.string().optional(),
            container_metadata: z
              .object({
                tag: z.object({ name: z.string(), digest: z.string().optional() }).loose().optional(),
              })
              .loose()
              .optional(),
          })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
    registry_package: z.unknown().optional(),
  })
  .loose();

/** GitHub `package` / `registry_package` webhooks for container packages on ghcr.io. */
export function fromGitHub(body: unknown): PushParse {
  const parsed = githubSchema.safeParse(body);
  if (!parsed.success) return { error: 'not a GitHub package event' };
  const pkg = parsed.data.package ?? githubPackage(parsed.data.registry_package);
  if (pkg === undefined) return { error: 'a GitHub event without a package' };
  if (parsed.data.action !== 'published' && parsed.data.action !== 'updated') return { pushes: [] };
  const tag = pkg.package_version?.container_metadata?.tag;
  const owner = pkg.namespace ?? pkg.owner?.login;
  if (tag === undefined || tag.name === '' || owner === undefined) return { pushes: [] };
  return {
    pushes: [
      {
        registry: 'ghcr.io',
        repository: `${owner.toLowerCase()}/${pkg.name.toLowerCase()}`,
        tag: tag.name,
        ...(tag.digest !== undefined ? { digest: tag.digest } : {}),
      },
    ],
  };
}

function githubPackage(value: unknown): z.infer<typeof githubSchema>['package'] {
  const parsed = githubSchema.shape.package.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const ecrSchema = z
  .object({
    source: z.literal('aws.ecr'),
    'detail-type': z.literal('ECR Image Action'),
    account: z.string(),
    region: z.string(),
    detail: z
      .object({
        'action-type': z.string(),
        result: z.string(),
        'repository-name': z.string(),
        'image-digest': z.string().optional(),
        'image-tag': z.string().optional(),
      })
      .loose(),
  })
  .loose();

/** ECR "Image Action" (EventBridge): successful PUSH actions with a tag. */
export function fromEcr(body: unknown): PushParse {
  const parsed = ecrSchema.safeParse(body);
  if (!parsed.success) return { error: 'not an ECR Image Action event' };
  const d = parsed.data.detail;
  if (
    d['action-type'] !== 'PUSH' ||
    d.result !== 'SUCCESS' ||
    d['image-tag'] === undefined ||
    d['image-tag'] === ''
  )
    return { pushes: [] };
  return {
    pushes: [
      {
        registry: `${parsed.data.account}.dkr.ecr.${parsed.data.region}.amazonaws.com`,
        repository: d['repository-name'],
        tag: d['image-tag'],
        ...(d['image-digest'] !== undefined ? { digest: d['image-digest'] } : {}),
      },
    ],
  };
}

const gantryPushSchema = z.object({
  repository: z.string().min(1),
  tag: z.string().min(1),
  digest: z.string().optional(),
});

/** `run.gantry.image.pushed`: data `{repository: "host/path", tag, digest?}`. */
export function fromGantryPush(data: unknown): PushParse {
  const parsed = gantryPushSchema.safeParse(data);
  if (!parsed.success) return { error: 'run.gantry.image.pushed needs data {repository, tag}' };
  const slash = parsed.data.repository.indexOf('/');
  const first = slash > 0 ? parsed.data.repository.slice(0, slash) : '';
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  return {
    pushes: [
      {
        registry: hasHost ? first : '',
        repository: hasHost ? parsed.data.repository.slice(slash + 1) : parsed.data.repository,
        tag: parsed.data.tag,
        ...(parsed.data.digest !== undefined ? { digest: parsed.data.digest } : {}),
      },
    ],
  };
}

/** Is `value` a JSON object (used to tell formats apart before parsing). */
export function hasKey(value: unknown, key: string): boolean {
  return isRecord(value) && value[key] !== undefined;
}
