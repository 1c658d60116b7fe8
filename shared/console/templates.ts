/**
 * @module console/templates
 * The console's view of (Cluster)ObjectTemplates: each template's state (Ready: its object is rendered and applied;
 * Invalid: a source or the template failed, with PKO's reason and message; Pending: not yet), its sources with the
 * status of each (found, missing, not readable for the viewer, or the one the Invalid condition names as failing),
 * and the object it rendered, as YAML with Secret values masked. Pure: what was read is the caller's.
 */
import { stringify } from 'yaml';
import type { ApiObjectTemplate } from '../api/resources.js';
import { maskSecrets } from '../diff/objects.js';
import type { KubeObject } from '../ports.js';
import type {
  ReadResult,
  SourceView,
  TemplateDetail,
  TemplateState,
  TemplateSummary,
} from './template-types.js';

export * from './template-types.js';

/** Most characters of a template or rendered object the page gets. */
export const MAX_TEXT = 64 * 1024;

const INVALID = 'package-operator.run/Invalid';

export function templateKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function capped(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n… (cut at ${MAX_TEXT} characters)` : text;
}

function invalidOf(ot: ApiObjectTemplate): { reason: string; message: string } | undefined {
  const c = (ot.status.conditions ?? []).find((x) => x.type === INVALID && x.status === 'True');
  return c === undefined ? undefined : { reason: c.reason, message: c.message };
}

/** `Kind namespace/name` of the object a template rendered ('' none). */
export function outputOf(ot: ApiObjectTemplate): string {
  const c = ot.status.controllerOf;
  if (c === undefined) return '';
  return `${c.kind} ${c.namespace ?? ''}/${c.name}`;
}

export function templateSummary(ot: ApiObjectTemplate): TemplateSummary {
  const namespace = ot.metadata.namespace ?? '';
  const invalid = invalidOf(ot);
  const output = outputOf(ot);
  const state: TemplateState = invalid !== undefined ? 'Invalid' : output !== '' ? 'Ready' : 'Pending';
  return {
    key: templateKey(ot.kind, namespace, ot.metadata.name),
    kind: ot.kind,
    namespace,
    name: ot.metadata.name,
    state,
    reason: invalid?.reason ?? '',
    message: invalid?.message ?? '',
    output,
    sources: ot.spec.sources.length,
    created: ot.metadata.creationTimestamp ?? '',
  };
}

/**
 * The status of one source: the one an Invalid `SourceError` names (`for source <Kind> <ns>/<name>: …`, PKO's
 * words) is Failing with that message; otherwise what reading it gave.
 */
export function sourceView(
  source: ApiObjectTemplate['spec']['sources'][number],
  namespace: string,
  read: ReadResult,
  invalid: { reason: string; message: string } | undefined,
): SourceView {
  const ref = `${source.kind} ${namespace}/${source.name}`;
  const base = {
    ref,
    apiVersion: source.apiVersion,
    optional: source.optional === true,
    items: source.items.map((i) => ({ key: i.key, destination: i.destination })),
  };
  const prefix = `for source ${ref}: `;
  if (invalid?.reason === 'SourceError' && invalid.message.startsWith(prefix))
    return { ...base, status: 'Failing', message: invalid.message.slice(prefix.length) };
  if (read.found) return { ...base, status: 'Found', message: '' };
  if (read.reason === 'NotFound')
    return {
      ...base,
      status: 'Missing',
      message: source.optional === true ? 'not there (optional: its items are left out)' : 'not there',
    };
  if (read.reason === 'Forbidden')
    return { ...base, status: 'Forbidden', message: 'you may not read this source' };
  return { ...base, status: 'Unknown', message: read.message };
}

/** The object as the page shows it: YAML without managedFields, Secret values masked. */
export function objectYaml(object: KubeObject): string {
  const metadata = Object.fromEntries(Object.entries(object.metadata).filter(([k]) => k !== 'managedFields'));
  // kubectl's order: apiVersion, kind, metadata, then the rest as the server sent it.
  const rest = Object.fromEntries(
    Object.entries(object).filter(([k]) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata'),
  );
  const shown = { apiVersion: object.apiVersion, kind: object.kind, metadata, ...rest };
  // The same object on both sides: every value is `***`.
  const masked = maskSecrets(shown, shown).merged ?? {};
  return capped(stringify(masked, { lineWidth: 0 }));
}

/** One template in detail, from what was read of its sources (by index) and of its output. */
export function templateDetail(
  ot: ApiObjectTemplate,
  sources: readonly ReadResult[],
  output: ReadResult | undefined,
  sourceNamespaces: readonly string[],
): TemplateDetail {
  const invalid = invalidOf(ot);
  return {
    summary: templateSummary(ot),
    conditions: (ot.status.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    sources: ot.spec.sources.map((s, i) =>
      sourceView(
        s,
        sourceNamespaces[i] ?? '',
        sources[i] ?? { found: false, reason: 'Error', message: 'not read' },
        invalid,
      ),
    ),
    template: capped(ot.spec.template),
    output: output?.found === true ? objectYaml(output.object) : '',
    outputProblem:
      output === undefined || output.found
        ? ''
        : output.reason === 'Forbidden'
          ? 'you may not read the rendered object'
          : output.reason === 'NotFound'
            ? 'the rendered object is not there (any more)'
            : output.message,
  };
}
