/**
 * @module console/diff
 * The diff between two revisions of a Package, object by object (the object-level diff `gantry diff` prints, from
 * shared/diff/objects.ts), and its side-by-side rendering: the rows of a two-column view, each with the old and the
 * new line (either may be absent) and whether it was removed, added or kept.
 */
import { refOf } from '../api/objects.js';
import { diffName, objectDiff } from '../diff/objects.js';
import type { KubeObject, ObjectRef } from '../ports.js';

/** One row of a side-by-side diff. */
export interface DiffRow {
  readonly kind: 'context' | 'change' | 'hunk';
  readonly left?: { readonly line: number; readonly text: string; readonly removed: boolean };
  readonly right?: { readonly line: number; readonly text: string; readonly added: boolean };
}

/** The diff of one object. */
export interface ObjectDiffView {
  /** `<group.>version.Kind.namespace.name`, as `gantry diff` names it. */
  readonly name: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly unified: string;
  readonly rows: readonly DiffRow[];
}

interface Pending {
  removed: { line: number; text: string }[];
  added: { line: number; text: string }[];
}

function flush(pending: Pending, rows: DiffRow[]): void {
  const n = Math.max(pending.removed.length, pending.added.length);
  for (let i = 0; i < n; i++) {
    const l = pending.removed[i];
    const r = pending.added[i];
    rows.push({
      kind: 'change',
      ...(l !== undefined ? { left: { ...l, removed: true } } : {}),
      ...(r !== undefined ? { right: { ...r, added: true } } : {}),
    });
  }
  pending.removed = [];
  pending.added = [];
}

/** The rows of a side-by-side view of a unified diff: removed lines beside the added lines that replace them. */
export function sideBySide(unified: string): readonly DiffRow[] {
  const rows: DiffRow[] = [];
  const pending: Pending = { removed: [], added: [] };
  let left = 0;
  let right = 0;
  for (const line of unified.split('\n')) {
    if (line.startsWith('---') || line.startsWith('+++') || line.startsWith('===') || line === '') continue;
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk !== null) {
      flush(pending, rows);
      left = Number(hunk[1]);
      right = Number(hunk[2]);
      rows.push({ kind: 'hunk' });
      continue;
    }
    const text = line.slice(1);
    if (line.startsWith('-')) pending.removed.push({ line: left++, text });
    else if (line.startsWith('+')) pending.added.push({ line: right++, text });
    else if (line.startsWith(' ')) {
      flush(pending, rows);
      rows.push({
        kind: 'context',
        left: { line: left++, text, removed: false },
        right: { line: right++, text, added: false },
      });
    }
  }
  flush(pending, rows);
  return rows;
}

function keyOf(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace}|${ref.name}`;
}

/** Objects by their identity as the revision's spec names them. */
function byKey(objects: readonly KubeObject[]): Map<string, KubeObject> {
  return new Map(objects.map((o) => [keyOf(refOf(o)), o]));
}

/** The object-level diff between two revisions' objects (`from` → `to`): changed, added and removed objects. */
export function revisionDiff(
  from: readonly KubeObject[],
  to: readonly KubeObject[],
): readonly ObjectDiffView[] {
  const before = byKey(from);
  const after = byKey(to);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: ObjectDiffView[] = [];
  for (const key of keys) {
    const a = before.get(key);
    const b = after.get(key);
    const object = b ?? a;
    if (object === undefined) continue;
    const unified = objectDiff(refOf(object), a, b);
    if (unified === '') continue;
    const name = diffName(refOf(object));
    out.push({
      name,
      change: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed',
      unified,
      rows: sideBySide(unified),
    });
  }
  return out;
}
