/**
 * @module console/package
 * One Package: its state, the actions the user may take, the rollout in progress (which phase, which object it waits
 * for, since when), the phases of the current revision as a pipeline with each object's probe result and message,
 * the revision history with the side-by-side diff between any two revisions, its conditions and its Events.
 */
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { z } from 'zod/mini';
import type { diffSchema, PackageDetail } from '../shared/console/api.js';
import { fetchDiff, sendAction } from './client.js';
import { ConditionsTable, DetailPending, Head, StateBadge, SummaryLine, Time } from './parts.js';

type Diff = z.infer<typeof diffSchema>;

function Actions({ detail }: { detail: PackageDetail }): VNode | null {
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const { pause, undo, approve } = detail.actions;
  const proposed = approve ? detail.proposed : undefined;
  if (!pause && !undo && proposed === undefined) return null;
  const key = detail.summary.key;
  const act = async (request: Parameters<typeof sendAction>[0]): Promise<void> => {
    setBusy(true);
    setStatus('');
    try {
      setStatus(await sendAction(request));
    } catch (error) {
      setStatus(`Refused: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  };
  const older = detail.revisions.find((r) => r.revision < detail.summary.revision && r.successful);
  return html`<div class="actions" role="group" aria-label="Actions">
    ${
      pause &&
      (detail.paused
        ? html`<button type="button" disabled=${busy} onClick=${() => void act({ key, action: 'unpause' })}>
            Unpause
          </button>`
        : html`<button
            type="button"
            disabled=${busy}
            onClick=${() => void act({ key, action: 'pause', message: 'paused from the Gantry console' })}
          >
            Pause
          </button>`)
    }
    ${
      undo &&
      older !== undefined &&
      html`<button
        type="button"
        disabled=${busy}
        onClick=${() => void act({ key, action: 'undo', revision: older.revision })}
      >
        Roll back to revision ${older.revision}
      </button>`
    }
    ${
      proposed !== undefined &&
      html`<button type="button" disabled=${busy} onClick=${() => void act({ key, action: 'approve' })}>Approve ${proposed}</button>
        <button type="button" disabled=${busy} onClick=${() => void act({ key, action: 'reject' })}>Reject ${proposed}</button>`
    }
    <span role="status" class="action-status">${status}</span>
  </div>`;
}

/** The versions of the package a following Package follows, with approve and reject where the user may. */
function Versions({ detail }: { detail: PackageDetail }): VNode | null {
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const v = detail.versions;
  if (v === undefined) return null;
  const key = detail.summary.key;
  const act = async (action: 'approve' | 'reject', version: string): Promise<void> => {
    setBusy(true);
    setStatus('');
    try {
      setStatus(await sendAction({ key, action, version }));
    } catch (error) {
      setStatus(`Refused: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  };
  const decidable = (state: string): boolean =>
    detail.actions.approve && (state === 'proposed' || state === 'available');
  return html`<section aria-labelledby="versions-title">
    <h2 id="versions-title">Versions</h2>
    <p class="follows">
      Follows <code>${v.repository}${v.packageName !== '' ? `/${v.packageName}` : ''}</code> in
      range${' '}<code>${v.range}</code> (${v.approval} approval)${v.current !== '' ? `, running ${v.current}` : ''}${
        v.proposed !== '' ? `, ${v.proposed} proposed` : ''
      }.
    </p>
    <table class="versions">
      <${Head} columns=${['Version', 'Lifecycle', 'Validated', 'State', 'Message', 'Decide']} />
      <tbody>
        ${v.rows.map(
          (r) =>
            html`<tr data-version=${r.version}>
              <th scope="row">${r.version}</th>
              <td>${r.lifecycle}</td>
              <td>${r.validated}</td>
              <td class="version-state">${r.state}</td>
              <td class="message">${r.message}</td>
              <td>
                ${
                  decidable(r.state) &&
                  html`<button type="button" disabled=${busy} onClick=${() => void act('approve', r.version)}>
                      Approve version ${r.version}
                    </button>
                    <button type="button" disabled=${busy} onClick=${() => void act('reject', r.version)}>
                      Reject version ${r.version}
                    </button>`
                }
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p role="status" class="versions-status">${status}</p>
  </section>`;
}

function Waiting({ detail }: { detail: PackageDetail }): VNode | null {
  const w = detail.pipeline?.waiting;
  if (w === undefined) return null;
  return html`<div class="waiting" role="note" aria-label="Rollout in progress">
    <strong>Revision ${detail.pipeline?.revision} is rolling out:</strong> phase <em>${w.phase}</em>${
      w.object !== '' ? html` waits for <code>${w.object}</code>` : ''
    }${w.since !== '' ? html` since <${Time} at=${w.since} />` : ''}${w.reason !== '' ? ` (${w.reason})` : ''}.
    ${w.message !== '' ? html`<p class="waiting-message">${w.message}</p>` : ''}
  </div>`;
}

function Pipeline({ detail }: { detail: PackageDetail }): VNode {
  const p = detail.pipeline;
  if (p === undefined) return html`<p>No revision yet.</p>`;
  return html`<ol class="pipeline" aria-label=${`Phases of revision ${p.revision}`}>
    ${p.phases.map(
      (phase) =>
        html`<li class=${`phase phase-${phase.status.toLowerCase()}`} data-phase=${phase.name}>
          <h3>${phase.name} <${StateBadge} state=${phase.status} /></h3>
          <ul class="objects">
            ${phase.objects.map(
              (o) =>
                html`<li
                  class=${`object object-${o.status.toLowerCase()}`}
                  data-object=${`${o.kind}/${o.name}`}
                >
                  <${StateBadge} state=${o.status} />${' '}<code>${o.kind} ${o.namespace === '' ? '' : `${o.namespace}/`}${o.name}</code>
                  ${o.message !== '' ? html`<div class="probe-message">${o.message}</div>` : ''}
                </li>`,
            )}
          </ul>
        </li>`,
    )}
  </ol>`;
}

function DiffView({ diff, from, to }: { diff: Diff; from: number; to: number }): VNode {
  if (diff.objects.length === 0)
    return html`<p role="status">Revisions ${from} and ${to} have the same objects.</p>`;
  return html`<div class="diff" aria-label=${`Changes from revision ${from} to ${to}`}>
    ${diff.objects.map(
      (o) =>
        html`<table class="diff-table">
          <caption><code>${o.name}</code> (${o.change})</caption>
          <thead>
            <tr>
              <th scope="col" colspan="2">Revision ${from}</th>
              <th scope="col" colspan="2">Revision ${to}</th>
            </tr>
          </thead>
          <tbody>
            ${o.rows.map((r) =>
              r.kind === 'hunk'
                ? html`<tr class="hunk">
                    <td colspan="4">…</td>
                  </tr>`
                : html`<tr>
                    <td class="ln">${r.left?.line ?? ''}</td>
                    <td class=${r.left?.removed === true ? 'del' : ''}>
                      ${r.left?.removed === true ? html`<span class="sr-only">removed: </span>` : ''}${r.left?.text ?? ''}
                    </td>
                    <td class="ln">${r.right?.line ?? ''}</td>
                    <td class=${r.right?.added === true ? 'add' : ''}>
                      ${r.right?.added === true ? html`<span class="sr-only">added: </span>` : ''}${r.right?.text ?? ''}
                    </td>
                  </tr>`,
            )}
          </tbody>
        </table>`,
    )}
  </div>`;
}

function Revisions({ detail }: { detail: PackageDetail }): VNode {
  const numbers = detail.revisions.map((r) => r.revision);
  const [from, setFrom] = useState(numbers[1] ?? numbers[0] ?? 0);
  const [to, setTo] = useState(numbers[0] ?? 0);
  const [diff, setDiff] = useState<{ diff: Diff; from: number; to: number } | undefined>(undefined);
  const [problem, setProblem] = useState('');
  const num = (e: Event): number =>
    e.currentTarget instanceof HTMLSelectElement ? Number(e.currentTarget.value) : 0;
  const show = async (): Promise<void> => {
    setProblem('');
    try {
      setDiff({ diff: await fetchDiff(detail.summary.key, from, to), from, to });
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  const choice = (label: string, value: number, set: (n: number) => void): VNode =>
    html`<label
      >${label}
      <select
        value=${value}
        onChange=${(e: Event) => {
          set(num(e));
        }}
      >
        ${numbers.map((n) => html`<option value=${n}>${n}</option>`)}
      </select></label
    >`;
  return html`<section aria-labelledby="revisions-title">
    <h2 id="revisions-title">Revisions</h2>
    <table class="revisions">
      <${Head} columns=${['Revision', 'State', 'Successful', 'Change cause', 'Created']} />
      <tbody>
        ${detail.revisions.map(
          (r) =>
            html`<tr data-revision=${r.revision}>
              <th scope="row">
                ${r.revision}${r.revision === detail.summary.revision ? ' (current)' : ''}${r.revision === detail.previous ? ' (previous)' : ''}
              </th>
              <td>${r.lifecycleState}${r.available ? ', Available' : ''}</td>
              <td>${r.successful ? 'yes' : 'no'}</td>
              <td>${r.changeCause}</td>
              <td><${Time} at=${r.created} /></td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      numbers.length > 1 &&
      html`<form
        class="diff-form"
        aria-label="Compare revisions"
        onSubmit=${(e: Event) => {
          e.preventDefault();
          void show();
        }}
      >
        ${choice('From revision', from, setFrom)} ${choice('to revision', to, setTo)}
        <button type="submit">Show changes</button>
      </form>`
    }
    ${problem !== '' && html`<p role="alert">${problem}</p>`}
    ${diff !== undefined && html`<${DiffView} diff=${diff.diff} from=${diff.from} to=${diff.to} />`}
  </section>`;
}

function Events({ detail }: { detail: PackageDetail }): VNode {
  return html`<section aria-labelledby="events-title">
    <h2 id="events-title">Events</h2>
    ${
      detail.events.length === 0
        ? html`<p>No events.</p>`
        : html`<ol class="timeline">
            ${detail.events.map(
              (e) =>
                html`<li class=${`event event-${e.type.toLowerCase()}`}>
                  <${Time} at=${e.time} /> <strong>${e.type} ${e.reason}</strong> <code>${e.object}</code>${e.count > 1 ? ` (×${e.count})` : ''}
                  <div>${e.message}</div>
                </li>`,
            )}
          </ol>`
    }
  </section>`;
}

function Conditions({ detail }: { detail: PackageDetail }): VNode {
  return html`<section aria-labelledby="conditions-title">
    <h2 id="conditions-title">Conditions</h2>
    <${ConditionsTable} conditions=${detail.conditions} />
  </section>`;
}

export function PackageView({
  detail,
  missing,
}: {
  detail: PackageDetail | null | undefined;
  missing: string;
}): VNode {
  if (detail === undefined || detail === null)
    return html`<${DetailPending} missing=${detail === null ? missing : undefined} />`;
  const s = detail.summary;
  return html`<article aria-labelledby="package-title">
    <p><a href="#/">← All packages</a></p>
    <h1 id="package-title">${s.kind} ${s.namespace === '' ? '' : `${s.namespace}/`}${s.name}</h1>
    <${SummaryLine} s=${s} />
    <dl class="facts">
      <dt>Image</dt>
      <dd><code>${s.image}</code></dd>
      <dt>Revision</dt>
      <dd>${s.revision}${detail.previous !== undefined ? ` (previous: ${detail.previous})` : ''}</dd>
      ${detail.proposed !== undefined ? html`<dt>Proposed version</dt><dd>${detail.proposed}</dd>` : ''}
      ${
        detail.paused
          ? html`<dt>Paused</dt>
              <dd>${detail.pauseMessage === '' ? 'yes' : detail.pauseMessage}</dd>`
          : ''
      }
    </dl>
    <${Actions} detail=${detail} />
    <section aria-labelledby="pipeline-title">
      <h2 id="pipeline-title">Phases${detail.pipeline !== undefined ? ` of revision ${detail.pipeline.revision}` : ''}</h2>
      <${Waiting} detail=${detail} />
      <${Pipeline} detail=${detail} />
    </section>
    <${Versions} detail=${detail} />
    <${Revisions} key=${s.key} detail=${detail} />
    <${Conditions} detail=${detail} />
    <${Events} detail=${detail} />
  </article>`;
}
