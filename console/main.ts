/**
 * @module console/main
 * The console page: a hash router (`#/` the list with its filters, `#/package/<key>` one Package) over one
 * server-sent-events stream that keeps the list (and the Package shown) current; no polling.
 */
import { html, render } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PackageDetail } from '../shared/console/api.js';
import type { PackageFilter, PackageSummary } from '../shared/console/view.js';
import { openStream } from './client.js';
import { PackageList } from './list.js';
import { PackageView } from './package.js';

interface Route {
  readonly key: string | undefined;
  readonly filter: PackageFilter;
}

function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path.startsWith('/package/'))
    return { key: decodeURIComponent(path.slice('/package/'.length)), filter: emptyFilter };
  const q = new URLSearchParams(path.replace(/^\/?\??/, ''));
  return {
    key: undefined,
    filter: { namespace: q.get('ns') ?? '', state: q.get('state') ?? '', text: q.get('q') ?? '' },
  };
}

const emptyFilter: PackageFilter = { namespace: '', state: '', text: '' };

function filterHash(f: PackageFilter): string {
  const q = new URLSearchParams();
  if (f.namespace !== '') q.set('ns', f.namespace);
  if (f.state !== '') q.set('state', f.state);
  if (f.text !== '') q.set('q', f.text);
  const s = q.toString();
  return s === '' ? '#/' : `#/?${s}`;
}

function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = (): void => {
      setRoute(parseRoute(location.hash));
    };
    window.addEventListener('hashchange', on);
    return () => {
      window.removeEventListener('hashchange', on);
    };
  }, []);
  return route;
}

function App(): VNode {
  const route = useRoute();
  const [rows, setRows] = useState<ReadonlyMap<string, PackageSummary>>(new Map());
  const [detail, setDetail] = useState<PackageDetail | null | undefined>(undefined);
  const [live, setLive] = useState(false);
  const [warnings, setWarnings] = useState<readonly string[]>([]);
  const [problem, setProblem] = useState('');
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
    }, 30_000);
    return () => {
      clearInterval(t);
    };
  }, []);
  useEffect(() => {
    setDetail(undefined);
    return openStream(route.key, {
      snapshot: (s) => {
        setRows(new Map(s.packages.map((p) => [p.key, p])));
        setWarnings(s.warnings);
      },
      changes: (c) => {
        setRows((old) => {
          const next = new Map(old);
          for (const k of c.deletes) next.delete(k);
          for (const p of c.upserts) next.set(p.key, p);
          return next;
        });
      },
      detail: (d) => {
        setProblem('');
        setDetail(d);
      },
      connected: setLive,
      problem: setProblem,
    });
  }, [route.key]);
  useEffect(() => {
    document.title = route.key === undefined ? 'Packages · Gantry console' : `${route.key} · Gantry console`;
    document.getElementById('main')?.focus();
  }, [route.key]);
  const setFilter = (f: PackageFilter): void => {
    history.replaceState(null, '', filterHash(f));
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  };
  return html`<a
      class="skip"
      href="#main"
      onClick=${(e: Event) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}
      >Skip to content</a
    >
    <header class="top">
      <a class="brand" href="#/">Gantry console</a>
      <span class=${live ? 'live on' : 'live off'} role="status">${live ? 'Live' : 'Reconnecting…'}</span>
    </header>
    ${
      warnings.length > 0 &&
      html`<div class="warnings" role="note" aria-label="What this console cannot show">
        <ul>
          ${warnings.map((w) => html`<li>${w}</li>`)}
        </ul>
      </div>`
    }
    ${problem !== '' && html`<p role="alert">${problem}</p>`}
    <main id="main" tabindex="-1">
      ${
        route.key === undefined
          ? html`<${PackageList}
              rows=${[...rows.values()]}
              filter=${route.filter}
              setFilter=${setFilter}
              now=${now}
            />`
          : html`<${PackageView} detail=${detail} missing=${route.key} />`
      }
    </main>`;
}

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
