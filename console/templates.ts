/**
 * @module console/templates
 * The ObjectTemplates: a list with each template's state and the object it rendered, and one template with its
 * sources (the status of each, with the reason when it fails), its conditions, its template text and the object it
 * rendered (Secret values masked by the server).
 */
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { TemplateDetail, TemplateSummary } from '../shared/console/template-types.js';
import { ConditionsTable, DetailPending, Head, StateBadge, SummaryLine } from './parts.js';

function scope(t: TemplateSummary): string {
  return t.kind === 'ClusterObjectTemplate' ? '(cluster)' : t.namespace;
}

export function TemplateList({ rows }: { rows: readonly TemplateSummary[] | undefined }): VNode {
  if (rows === undefined) return html`<p role="status">Loading…</p>`;
  return html`<section aria-labelledby="templates-title">
    <h1 id="templates-title">ObjectTemplates</h1>
    <p class="counts" aria-live="polite">${rows.length} template${rows.length === 1 ? '' : 's'}</p>
    <table class="templates">
      <caption class="sr-only">
        ObjectTemplates and their state
      </caption>
      <${Head} columns=${['Name', 'Namespace', 'State', 'Sources', 'Rendered object', 'Message']} />
      <tbody>
        ${rows.map(
          (t) =>
            html`<tr key=${t.key} data-key=${t.key}>
              <th scope="row"><a href=${`#/template/${encodeURIComponent(t.key)}`}>${t.name}</a></th>
              <td>${scope(t)}</td>
              <td><${StateBadge} state=${t.state} /></td>
              <td class="num">${t.sources}</td>
              <td><code>${t.output}</code></td>
              <td class="message">${t.message}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function Sources({ detail }: { detail: TemplateDetail }): VNode {
  return html`<section aria-labelledby="sources-title">
    <h2 id="sources-title">Sources</h2>
    ${
      detail.sources.length === 0
        ? html`<p>None.</p>`
        : html`<table class="sources">
            <${Head} columns=${['Source', 'Items (key → destination)', 'Status', 'Message']} />
            <tbody>
              ${detail.sources.map(
                (s) =>
                  html`<tr data-source=${s.ref}>
                    <th scope="row">
                      <code>${s.ref}</code> <span class="muted">${s.apiVersion}</span>${s.optional ? ' (optional)' : ''}
                    </th>
                    <td>
                      <ul class="items">
                        ${s.items.map(
                          (i) => html`<li><code>${i.key}</code> → <code>${i.destination}</code></li>`,
                        )}
                      </ul>
                    </td>
                    <td><${StateBadge} state=${s.status} /></td>
                    <td class="source-message">${s.message}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

export function TemplateView({
  detail,
  missing,
}: {
  detail: TemplateDetail | null | undefined;
  missing: string;
}): VNode {
  if (detail === undefined || detail === null)
    return html`<${DetailPending} missing=${detail === null ? missing : undefined} />`;
  const s = detail.summary;
  return html`<article aria-labelledby="template-title">
    <p><a href="#/templates">← All ObjectTemplates</a></p>
    <h1 id="template-title">${s.kind} ${s.namespace === '' ? '' : `${s.namespace}/`}${s.name}</h1>
    <${SummaryLine} s=${s} />
    <${Sources} detail=${detail} />
    <section aria-labelledby="output-title">
      <h2 id="output-title">Rendered object${s.output !== '' ? html`: <code>${s.output}</code>` : ''}</h2>
      ${
        detail.output !== ''
          ? html`<pre class="yaml" tabindex="0" aria-label="The rendered object as YAML">${detail.output}</pre>`
          : html`<p class="output-problem">${detail.outputProblem !== '' ? detail.outputProblem : 'None yet.'}</p>`
      }
    </section>
    <section aria-labelledby="template-text-title">
      <h2 id="template-text-title">Template</h2>
      <pre class="yaml" tabindex="0" aria-label="The template text">${detail.template}</pre>
    </section>
    <section aria-labelledby="tconditions-title">
      <h2 id="tconditions-title">Conditions</h2>
      <${ConditionsTable} conditions=${detail.conditions} />
    </section>
  </article>`;
}
