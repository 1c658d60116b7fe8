/**
 * @module console/main
 * The console page: a hash router (`#/` the list with its filters, `#/package/<key>` one Package) over one
 * server-sent-events stream that keeps the list (and the Package shown) current; no polling.
 */
import { html, render } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PackageDetail, Session } from '../shared/console/api.js';
import type { TemplateDetail, TemplateSummary } from '../shared/console/template-types.js';
import type { PackageFilter, PackageSummary } from '../shared/console/view.js';
import { fetchSession, openStream, signIn, signOut } from './client.js';
import { PackageList } from './list.js';
import { PackageView } from './package.js';
import { TemplateList, TemplateView } from './templates.js';

interface Route {
  /** The Package or ObjectTemplate shown (undefined: a list). */
  readonly key: string | undefined;
  readonly view: 'packages' | 'package' | 'templates' | 'template';
  readonly filter: PackageFilter;
}

function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path.startsWith('/package/'))
    return { key: decodeURIComponent(path.slice('/package/'.length)), view: 'package', filter: emptyFilter };
  if (path.startsWith('/template/'))
    return {
      key: decodeURIComponent(path.slice('/template/'.length)),
      view: 'template',
      filter: emptyFilter,
    };
  if (path === '/templates') return { key: undefined, view: 'templates', filter: emptyFilter };
  const q = new URLSearchParams(path.replace(/^\/?\??/, ''));
  return {
    key: undefined,
    view: 'packages',
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
    // The address may have changed between the first render and this effect (a hashchange nobody heard).
    on();
    return () => {
      window.removeEventListener('hashchange', on);
    };
  }, []);
  return route;
}

/** The sign-in form of a console a host mounts: a Kubernetes bearer token, sent once, never kept by the page. */
function SignIn({ done }: { done: (s: Session) => void }): VNode {
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const input = document.getElementById('token');
    const token = input instanceof HTMLTextAreaElement ? input.value.trim() : '';
    setBusy(true);
    try {
      const session = await signIn(token);
      if (input instanceof HTMLTextAreaElement) input.value = '';
      done(session);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  return html`<header class="top"><span class="brand">Gantry console</span></header>
    <main id="main" tabindex="-1" class="sign-in">
      <h1>Sign in</h1>
      <form onSubmit=${(e: Event) => void submit(e)}>
        <label for="token">Kubernetes bearer token</label>
        <p class="hint" id="token-hint">
          You see and do what your RBAC rights allow. For a ServiceAccount: <code>kubectl create token NAME</code>.
        </p>
        <textarea id="token" rows="4" autocomplete="off" spellcheck="false" aria-describedby="token-hint" required></textarea>
        <button type="submit" disabled=${busy}>Sign in</button>
        ${problem !== '' && html`<p role="alert" class="sign-in-problem">${problem}</p>`}
      </form>
    </main>`;
}

/** The session first: `gantry console` has one at once; a host that mounts the console asks for a sign-in. */
function Root(): VNode {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [problem, setProblem] = useState('');
  useEffect(() => {
    fetchSession().then(
      (s) => {
        setSession(s ?? null);
      },
      (error: unknown) => {
        setProblem(error instanceof Error ? error.message : String(error));
      },
    );
  }, []);
  if (problem !== '') return html`<p role="alert">${problem}</p>`;
  if (session === undefined) return html`<p role="status">Loading…</p>`;
  if (session === null)
    return html`<${SignIn}
      done=${(s: Session) => {
        setSession(s);
      }}
    />`;
  return html`<${App}
    session=${session}
    signedOut=${() => {
      setSession(null);
    }}
  />`;
}

function App({ session, signedOut }: { session: Session; signedOut: () => void }): VNode {
  const route = useRoute();
  const [rows, setRows] = useState<ReadonlyMap<string, PackageSummary>>(new Map());
  const [detail, setDetail] = useState<PackageDetail | null | undefined>(undefined);
  const [templates, setTemplates] = useState<readonly TemplateSummary[] | undefined>(undefined);
  const [template, setTemplate] = useState<TemplateDetail | null | undefined>(undefined);
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
    setTemplate(undefined);
    const target =
      route.view === 'templates' ? { view: 'templates' } : route.key !== undefined ? { key: route.key } : {};
    return openStream(target, {
      templates: (t) => {
        setProblem('');
        setTemplates(t.templates);
      },
      template: (t) => {
        setProblem('');
        setTemplate(t);
      },
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
  }, [route.key, route.view]);
  useEffect(() => {
    document.title =
      route.key !== undefined
        ? `${route.key} · Gantry console`
        : route.view === 'templates'
          ? 'ObjectTemplates · Gantry console'
          : 'Packages · Gantry console';
    document.getElementById('main')?.focus();
  }, [route.key, route.view]);
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
      <nav aria-label="Views">
        <a href="#/" aria-current=${route.view === 'packages' || route.view === 'package' ? 'page' : undefined}>Packages</a>
        ${' '}
        <a href="#/templates" aria-current=${route.view === 'templates' || route.view === 'template' ? 'page' : undefined}
          >ObjectTemplates</a
        >
      </nav>
      <span class=${live ? 'live on' : 'live off'} role="status">${live ? 'Live' : 'Reconnecting…'}</span>
      ${
        session.signIn &&
        html`<span class="who"
          >Signed in as <strong>${session.user}</strong>
          <button
            type="button"
            onClick=${() => {
              signOut().then(signedOut, signedOut);
            }}
          >
            Sign out
          </button></span
        >`
      }
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
        route.view === 'templates'
          ? html`<${TemplateList} rows=${templates} />`
          : route.view === 'template'
            ? html`<${TemplateView} detail=${template} missing=${route.key ?? ''} />`
            : route.key === undefined
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
if (root !== null) render(html`<${Root} />`, root);
