/**
 * @module catalog/version-states
 * What the console and `gantry versions` show of each version of a followed package, as types and words (the page
 * imports these; catalog/versions.ts computes them).
 */

export const VERSION_STATES = [
  'running',
  'proposed',
  'approved',
  'rejected',
  'available',
  'out of range',
  '-',
] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export interface VersionRow {
  readonly version: string;
  readonly lifecycle: string;
  /** The Validated condition's status (`Unknown` without one). */
  readonly validated: string;
  readonly state: VersionState;
  /** Why it is not eligible (first line, at most 100 characters). */
  readonly message: string;
}

export interface VersionsView {
  readonly repository: string;
  readonly packageName: string;
  readonly range: string;
  readonly approval: string;
  readonly current: string;
  readonly proposed: string;
  readonly newest: string;
  /** Newest first. */
  readonly rows: readonly VersionRow[];
}
