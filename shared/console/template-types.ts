/**
 * @module console/template-types
 * What the console shows of an ObjectTemplate, as types and the words of its states (the page imports these; the
 * logic that makes them is console/templates.ts).
 */
import type { KubeObject } from '../ports.js';

export const TEMPLATE_STATES = ['Invalid', 'Pending', 'Ready'] as const;
export type TemplateState = (typeof TEMPLATE_STATES)[number];

export interface TemplateSummary {
  readonly key: string;
  readonly kind: 'ObjectTemplate' | 'ClusterObjectTemplate';
  readonly namespace: string;
  readonly name: string;
  readonly state: TemplateState;
  readonly reason: string;
  readonly message: string;
  /** `Kind namespace/name` of the object it rendered ('' none yet). */
  readonly output: string;
  readonly sources: number;
  readonly created: string;
}

export const SOURCE_STATES = ['Found', 'Failing', 'Missing', 'Forbidden', 'Unknown'] as const;
export type SourceState = (typeof SOURCE_STATES)[number];

export interface SourceView {
  /** `Kind namespace/name`, the namespace defaulted to the template's for a namespaced kind. */
  readonly ref: string;
  readonly apiVersion: string;
  readonly optional: boolean;
  readonly items: readonly { readonly key: string; readonly destination: string }[];
  readonly status: SourceState;
  readonly message: string;
}

/** What reading a source (or the output) gave. */
export type ReadResult =
  | { readonly found: true; readonly object: KubeObject }
  | { readonly found: false; readonly reason: 'NotFound' | 'Forbidden' | 'Error'; readonly message: string };

export interface TemplateDetail {
  readonly summary: TemplateSummary;
  readonly conditions: readonly {
    readonly type: string;
    readonly status: string;
    readonly reason: string;
    readonly message: string;
  }[];
  readonly sources: readonly SourceView[];
  /** The template text, at most 64 KiB of characters. */
  readonly template: string;
  /** The rendered object as YAML (Secret values masked), at most 64 KiB of characters; '' when none. */
  readonly output: string;
  /** Why the rendered object is not shown ('' when it is, or when there is none). */
  readonly outputProblem: string;
}
