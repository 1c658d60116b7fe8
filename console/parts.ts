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
