/**
 * @module console/list
 * The Package list: state, image, revision and age of every (Cluster)Package, filtered by namespace, state and text
 * (the filters live in the URL's hash, so a filtered view can be bookmarked and the back button works).
 */
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import {
  age,
  filterPackages,
  PACKAGE_STATES,
  type PackageFilter,
  type PackageSummary,
} from '../shared/console/view.js';
import { Head, StateBadge } from './parts.js';

export interface ListProps {
  readonly rows: readonly PackageSummary[];
  readonly filter: PackageFilter;
  readonly setFilter: (f: PackageFilter) => void;
  readonly now: number;
}

function Filters({ rows, filter, setFilter }: Omit<ListProps, 'now'>): VNode {
  const namespaces = [...new Set(rows.map((r) => r.namespace))].sort();
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target;
      const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
      if (e.key === '/' && !typing) {
        e.preventDefault();
        search.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
    };
  }, []);
  const value = (e: Event): string =>
    e.currentTarget instanceof HTMLInputElement || e.currentTarget instanceof HTMLSelectElement
      ? e.currentTarget.value
      : '';
  return html`<form
    class="filters"
    role="search"
    aria-label="Filter packages"
    onSubmit=${(e: Event) => {
      e.preventDefault();
    }}
  >
    <label
      >Namespace
      <select
        value=${filter.namespace}
        onChange=${(e: Event) => {
          setFilter({ ...filter, namespace: value(e) });
        }}
      >
        <option value="">All namespaces</option>
        ${namespaces.map((n) => html`<option value=${n}>${n === '' ? '(cluster)' : n}</option>`)}
      </select>
    </label>
    <label
      >State
      <select
        value=${filter.state}
        onChange=${(e: Event) => {
          setFilter({ ...filter, state: value(e) });
        }}
      >
        <option value="">All states</option>
        ${PACKAGE_STATES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
    </label>
    <label
      >Search <kbd>/</kbd>
      <input
        type="search"
        ref=${search}
        value=${filter.text}
        placeholder="name, image, message"
        onInput=${(e: Event) => {
          setFilter({ ...filter, text: value(e) });
        }}
      />
    </label>
  </form>`;
}

function counts(rows: readonly PackageSummary[]): string {
  const by = new Map<string, number>();
  for (const r of rows) by.set(r.state, (by.get(r.state) ?? 0) + 1);
  return PACKAGE_STATES.filter((s) => by.has(s))
    .map((s) => `${by.get(s) ?? 0} ${s}`)
    .join(', ');
}

function Row({ row, now }: { row: PackageSummary; now: number }): VNode {
  return html`<tr data-key=${row.key}>
    <th scope="row"><a href=${`#/package/${encodeURIComponent(row.key)}`}>${row.name}</a></th>
    <td>${row.kind === 'ClusterPackage' ? '(cluster)' : row.namespace}</td>
    <td><${StateBadge} state=${row.state} /></td>
    <td class="image">${row.image}</td>
    <td class="num">${row.revision === 0 ? '' : row.revision}</td>
    <td class="num">${age(row.created, now)}</td>
    <td class="message">${row.message}</td>
  </tr>`;
}

export function PackageList(props: ListProps): VNode {
  const shown = filterPackages(props.rows, props.filter);
  return html`<section aria-labelledby="list-title">
    <h1 id="list-title">Packages</h1>
    <${Filters} rows=${props.rows} filter=${props.filter} setFilter=${props.setFilter} />
    <p class="counts" aria-live="polite">
      ${shown.length} of ${props.rows.length} shown${props.rows.length > 0 ? ` (${counts(props.rows)})` : ''}
    </p>
    <table class="packages">
      <caption class="sr-only">
        Packages and their state
      </caption>
      <${Head} columns=${['Name', 'Namespace', 'State', 'Image', 'Revision', 'Age', 'Message']} />
      <tbody>
        ${shown.map((r) => html`<${Row} key=${r.key} row=${r} now=${props.now} />`)}
      </tbody>
    </table>
  </section>`;
}
