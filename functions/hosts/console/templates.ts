/**
 * @module hosts/console/templates
 * The console's ObjectTemplates: the list from the watch cache, and one template in detail with each source and the
 * rendered object read on demand (at most {@link MAX_SOURCES} sources, one GET each, the same bound the template
 * step keeps), each read only when the viewer may `get` that object (a SubjectAccessReview on a mounted console).
 */
import { objectTemplateSchema, type ApiObjectTemplate } from '../../../shared/api/resources.js';
import {
  templateDetail,
  templateSummary,
  type ReadResult,
  type TemplateDetail,
  type TemplateSummary,
} from '../../../shared/console/templates.js';
import { errorMessage } from '../../../shared/errors.js';
import { isKubeReason, isNotFound } from '../../../shared/kube-errors.js';
import type { KubeApi, ObjectRef } from '../../../shared/ports.js';
import type { ResourceAttributes } from '../../adapters/kube/reviews.js';
import type { WatchCache } from './cache.js';

/** Sources read for one template's page (the template step reads at most as many). */
const MAX_SOURCES = 64;

/** A (Cluster)ObjectTemplate the console addresses: from a key `<kind>/<namespace>/<name>`. */
export interface TemplateAddress {
  readonly kind: 'ObjectTemplate' | 'ClusterObjectTemplate';
  readonly namespace: string;
  readonly name: string;
}

export function parseTemplateKey(key: string): TemplateAddress | undefined {
  const m = /^(ObjectTemplate|ClusterObjectTemplate)\/([a-z0-9.-]{0,253})\/([a-z0-9.-]{1,253})$/.exec(key);
  if (m === null) return undefined;
  const [, kind, namespace = '', name = ''] = m;
  if (kind === 'ObjectTemplate' && namespace !== '') return { kind, namespace, name };
  if (kind === 'ClusterObjectTemplate' && namespace === '') return { kind, namespace, name };
  return undefined;
}

function parsedTemplate(raw: unknown): ApiObjectTemplate | undefined {
  const r = objectTemplateSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

/** Every template in the cache. */
export function templateList(cache: WatchCache): TemplateSummary[] {
  return [...cache.list('ObjectTemplate'), ...cache.list('ClusterObjectTemplate')]
    .map(parsedTemplate)
    .filter((t): t is ApiObjectTemplate => t !== undefined)
    .map(templateSummary);
}

/** Whether a change of `kind` concerns the template list. */
export function isTemplateKind(kind: string): boolean {
  return kind === 'ObjectTemplate' || kind === 'ClusterObjectTemplate';
}

/** What reading a template's objects needs: the client and the viewer's right to `get` each. */
export interface TemplateReads {
  readonly kube: KubeApi;
  may(a: ResourceAttributes): Promise<boolean>;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

async function read(reads: TemplateReads, ref: ObjectRef): Promise<ReadResult> {
  try {
    const info = await reads.kube.resource(ref.apiVersion, ref.kind);
    if (info === undefined)
      return { found: false, reason: 'Error', message: `${ref.apiVersion} ${ref.kind} is not served` };
    const placed = info.namespaced ? ref : { ...ref, namespace: '' };
    const allowed = await reads.may({
      group: groupOf(ref.apiVersion),
      resource: info.plural,
      verb: 'get',
      name: ref.name,
      ...(placed.namespace !== '' ? { namespace: placed.namespace } : {}),
    });
    if (!allowed) return { found: false, reason: 'Forbidden', message: '' };
    return { found: true, object: await reads.kube.get(placed) };
  } catch (error) {
    if (isNotFound(error)) return { found: false, reason: 'NotFound', message: '' };
    if (isKubeReason(error, 'Forbidden')) return { found: false, reason: 'Forbidden', message: '' };
    return { found: false, reason: 'Error', message: errorMessage(error) };
  }
}

/** One template with its sources and output read now; undefined when it is not there. */
export async function templateDetailOf(
  cache: WatchCache,
  reads: TemplateReads,
  address: TemplateAddress,
): Promise<TemplateDetail | undefined> {
  const raw = cache.get(address.kind, address.namespace, address.name);
  const ot = raw === undefined ? undefined : parsedTemplate(raw);
  if (ot === undefined) return undefined;
  const sources = ot.spec.sources.slice(0, MAX_SOURCES);
  const refs = sources.map((s) => ({
    apiVersion: s.apiVersion,
    kind: s.kind,
    namespace: s.namespace !== undefined && s.namespace !== '' ? s.namespace : address.namespace,
    name: s.name,
  }));
  const results: ReadResult[] = [];
  const namespaces: string[] = [];
  for (const ref of refs) {
    const result = await read(reads, ref);
    results.push(result);
    namespaces.push(result.found ? (result.object.metadata.namespace ?? '') : ref.namespace);
  }
  const c = ot.status.controllerOf;
  const output =
    c === undefined
      ? undefined
      : await read(reads, {
          apiVersion: c.group === '' ? (c.version ?? 'v1') : `${c.group}/${c.version ?? 'v1'}`,
          kind: c.kind,
          namespace: c.namespace ?? '',
          name: c.name,
        });
  return templateDetail({ ...ot, spec: { ...ot.spec, sources } }, results, output, namespaces);
}

/** The kind of an ObjectTemplate's scope (for reviews of `list`). */
export function templateResource(kind: TemplateAddress['kind']): string {
  return kind === 'ObjectTemplate' ? 'objecttemplates' : 'clusterobjecttemplates';
}
