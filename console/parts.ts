/** @module console/parts Small pieces the views share. */
import { html } from 'htm/preact';
import type { VNode } from 'preact';

const SYMBOL: Readonly<Record<string, string>> = {
  Available: '●',
  Progressing: '◐',
  Unpacking: '◌',
  Paused: '❚❚',
  Invalid: '✕',
  Failing: '✕',
  Unknown: '?',
  Done: '✓',
  Passed: '✓',
  Active: '◐',
  Pending: '○',
  Ready: '●',
  Found: '✓',
  Missing: '○',
  Forbidden: '⊘',
};

/** A state as a word with a symbol (never colour alone). */
/** What a detail page shows before it has its object (Loading…) or when the object is not there (deleted, or not
 * visible to the user). */
export function DetailPending({ missing }: { missing: string | undefined }): VNode {
  return missing === undefined
    ? html`<p role="status">Loading…</p>`
    : html`<p role="alert">${missing} is not there (deleted, or not visible to you).</p>`;
}

export function StateBadge({ state }: { state: string }): VNode {
  return html`<span class=${`badge badge-${state.toLowerCase()}`}
    ><span aria-hidden="true">${SYMBOL[state] ?? ''}</span> ${state}</span
  >`;
}

/** A timestamp as local time, with the exact value for machines and tooltips. */
export function Time({ at }: { at: string }): VNode {
  const ms = Date.parse(at);
  return html`<time datetime=${at} title=${at}
    >${Number.isFinite(ms) ? new Date(ms).toLocaleString() : at}</time
  >`;
}

/** A table head: one column header a name. */
export function Head({ columns }: { columns: readonly string[] }): VNode {
  return html`<thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>`;
}

/** A condition as the pages show it. */
interface ConditionRow {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** The conditions of an object as a table. */
export function ConditionsTable({ conditions }: { conditions: readonly ConditionRow[] }): VNode {
  return html`<table class="conditions">
    <${Head} columns=${['Type', 'Status', 'Reason', 'Message']} />
    <tbody>
      ${conditions.map(
        (c) =>
          html`<tr data-condition=${c.type}>
            <th scope="row">${c.type}</th>
            <td>${c.status}</td>
            <td>${c.reason}</td>
            <td>${c.message}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** An object's state, reason and message under its title. */
export function SummaryLine({ s }: { s: { state: string; reason: string; message: string } }): VNode {
  return html`<p class="summary">
    <${StateBadge} state=${s.state} />${' '}${s.reason !== '' ? html`<span class="reason">${s.reason}</span> ` : ''}<span class="state-message">${s.message}</span>
  </p>`;
}
