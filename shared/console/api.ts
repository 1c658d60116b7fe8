/**
 * @module console/api
 * What the console's server sends its page, as zod schemas: the page parses every answer and stream event with
 * them (nothing is trusted because it came from our own server), and the server's types are checked against them.
 */
import { z } from 'zod/mini';
import { PACKAGE_STATES, type PackageSummary, type Pipeline, type RevisionView } from './view.js';
import type { EventView } from './events.js';
import type { ObjectDiffView } from './diff.js';
import { VERSION_STATES, type VersionsView } from '../catalog/version-states.js';
import {
  SOURCE_STATES,
  TEMPLATE_STATES,
  type TemplateDetail,
  type TemplateSummary,
} from './template-types.js';

export const summarySchema = z.object({
  key: z.string(),
  kind: z.enum(['Package', 'ClusterPackage']),
  namespace: z.string(),
  name: z.string(),
  state: z.enum(PACKAGE_STATES),
  reason: z.string(),
  message: z.string(),
  image: z.string(),
  revision: z.number(),
  created: z.string(),
});

export const snapshotSchema = z.object({
  packages: z.readonly(z.array(summarySchema)),
  warnings: z.readonly(z.array(z.string())),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

export const changesSchema = z.object({
  upserts: z.readonly(z.array(summarySchema)),
  deletes: z.readonly(z.array(z.string())),
});
export type PackageChanges = z.infer<typeof changesSchema>;

const pipelineObjectSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  status: z.enum(['Passed', 'Failing', 'Pending']),
  message: z.string(),
});

export const pipelineSchema = z.object({
  revision: z.number(),
  phases: z.readonly(
    z.array(
      z.object({
        name: z.string(),
        status: z.enum(['Done', 'Failing', 'Active', 'Pending']),
        objects: z.readonly(z.array(pipelineObjectSchema)),
      }),
    ),
  ),
  waiting: z.optional(
    z.object({
      phase: z.string(),
      object: z.string(),
      reason: z.string(),
      message: z.string(),
      since: z.string(),
    }),
  ),
});

const revisionSchema = z.object({
  revision: z.number(),
  name: z.string(),
  lifecycleState: z.string(),
  successful: z.boolean(),
  available: z.boolean(),
  changeCause: z.string(),
  created: z.string(),
});

const eventSchema = z.object({
  uid: z.string(),
  time: z.string(),
  type: z.string(),
  reason: z.string(),
  message: z.string(),
  object: z.string(),
  count: z.number(),
});

/** Which actions the user may take on a Package (each checked with a SelfSubjectAccessReview). */
export const rightsSchema = z.object({ pause: z.boolean(), undo: z.boolean(), approve: z.boolean() });
export type ActionRights = z.infer<typeof rightsSchema>;

/** The versions of the package a Package follows (shared/catalog/versions.ts). */
export const versionsSchema = z.object({
  repository: z.string(),
  packageName: z.string(),
  range: z.string(),
  approval: z.string(),
  current: z.string(),
  proposed: z.string(),
  newest: z.string(),
  rows: z.readonly(
    z.array(
      z.object({
        version: z.string(),
        lifecycle: z.string(),
        validated: z.string(),
        state: z.enum(VERSION_STATES),
        message: z.string(),
      }),
    ),
  ),
});

export const detailSchema = z.object({
  summary: summarySchema,
  paused: z.boolean(),
  pauseMessage: z.string(),
  conditions: z.array(
    z.object({ type: z.string(), status: z.string(), reason: z.string(), message: z.string() }),
  ),
  pipeline: z.optional(pipelineSchema),
  previous: z.optional(z.number()),
  /** The catalog version proposed to the Package (`gantry.run/proposed-version`), when it follows a repository. */
  proposed: z.optional(z.string()),
  /** The versions of the package it follows, when it follows a repository and the viewer may list them. */
  versions: z.optional(versionsSchema),
  revisions: z.readonly(z.array(revisionSchema)),
  events: z.readonly(z.array(eventSchema)),
  actions: rightsSchema,
});
/** Everything the Package page shows. */
export type PackageDetail = z.infer<typeof detailSchema>;

const rowSide = { line: z.number(), text: z.string() };
export const diffSchema = z.object({
  objects: z.array(
    z.object({
      name: z.string(),
      change: z.enum(['added', 'removed', 'changed']),
      unified: z.string(),
      rows: z.array(
        z.object({
          kind: z.enum(['context', 'change', 'hunk']),
          left: z.optional(z.object({ ...rowSide, removed: z.boolean() })),
          right: z.optional(z.object({ ...rowSide, added: z.boolean() })),
        }),
      ),
    }),
  ),
});

export const templateSummarySchema = z.object({
  key: z.string(),
  kind: z.enum(['ObjectTemplate', 'ClusterObjectTemplate']),
  namespace: z.string(),
  name: z.string(),
  state: z.enum(TEMPLATE_STATES),
  reason: z.string(),
  message: z.string(),
  output: z.string(),
  sources: z.number(),
  created: z.string(),
});

export const templatesSchema = z.object({ templates: z.readonly(z.array(templateSummarySchema)) });
export type { TemplateDetail };

export const templateDetailSchema = z.object({
  summary: templateSummarySchema,
  conditions: z.readonly(
    z.array(z.object({ type: z.string(), status: z.string(), reason: z.string(), message: z.string() })),
  ),
  sources: z.readonly(
    z.array(
      z.object({
        ref: z.string(),
        apiVersion: z.string(),
        optional: z.boolean(),
        items: z.readonly(z.array(z.object({ key: z.string(), destination: z.string() }))),
        status: z.enum(SOURCE_STATES),
        message: z.string(),
      }),
    ),
  ),
  template: z.string(),
  output: z.string(),
  outputProblem: z.string(),
});

export const messageSchema = z.object({ message: z.string() });

/** Who the page acts for (`GET /api/session`, `POST /api/login`); `signIn` false: `gantry console`, no sign-in. */
export const sessionSchema = z.object({ user: z.string(), csrf: z.string(), signIn: z.boolean() });
export type Session = z.infer<typeof sessionSchema>;
export const errorSchema = z.object({ error: z.string() });

/** What the page sends to act on a Package. */
export interface ActionRequest {
  readonly key: string;
  readonly action: 'pause' | 'unpause' | 'undo' | 'approve' | 'reject';
  readonly message?: string;
  readonly revision?: number;
  /** The catalog version to approve or reject (default: the proposed one). */
  readonly version?: string;
}

// The schemas describe exactly what the view models are (a change to one without the other fails typechecking).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const schemasMatch: [
  Same<z.infer<typeof summarySchema>, PackageSummary>,
  Same<z.infer<typeof pipelineSchema>['phases'], Pipeline['phases']>,
  Same<z.infer<typeof revisionSchema>, RevisionView>,
  Same<z.infer<typeof eventSchema>, EventView>,
  Same<z.infer<typeof diffSchema>['objects'][number]['name'], ObjectDiffView['name']>,
  Same<z.infer<typeof templateSummarySchema>, TemplateSummary>,
  Same<z.infer<typeof templateDetailSchema>, TemplateDetail>,
  Same<z.infer<typeof versionsSchema>, VersionsView>,
] = [true, true, true, true, true, true, true, true];
