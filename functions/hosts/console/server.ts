/**
 * @module hosts/console/server
 * The web console's requests: the page and its bundle, a small JSON API and a server-sent-events stream relaying the
 * watches (hosts/console/cache.ts), for the viewers hosts/console/access.ts finds. {@link ConsoleHandler} answers
 * them wherever they arrive; {@link ConsoleServer} is `gantry console`'s own loopback listener, and a serving host
 * mounts the handler under `/console/`. Every request is treated as hostile: actions need a JSON body of at most
 * {@link MAX_BODY} bytes and the console's own header (`1`, or a mounted console's per-session CSRF token; a
 * cross-site form or fetch cannot send it without a preflight, which is never allowed), streams are bounded, and
 * answers carry a strict Content-Security-Policy. `gantry console` answers only its own Host names (no DNS
 * rebinding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { API_VERSION } from '../../../shared/api/constants.js';
import { ANNOTATION_FOLLOW_REPOSITORY } from '../../../shared/catalog/model.js';
import type { VersionsView } from '../../../shared/catalog/version-states.js';
import type { ActionRights } from '../../../shared/console/api.js';
import { packageKey, type PackageSummary } from '../../../shared/console/view.js';
import { errorMessage } from '../../../shared/errors.js';
import { KubeApiError } from '../../../shared/kube-errors.js';
import { CommandError } from '../../../shared/rollout/history.js';
import type { KubeObject, ObjectRef } from '../../../shared/ports.js';
import type { TemplateDetail, TemplateSummary } from '../../../shared/console/template-types.js';
import type { RawKubeClient } from '../../adapters/kube/client.js';
import { LocalAccess, type ConsoleAccess, type Viewer } from './access.js';
import type { CacheChange, WatchCache } from './cache.js';
import { ACTION_HEADER, HttpError, isJson, readJsonBody, SECURITY_HEADERS, sendJson } from './http.js';
import {
  concerns,
  diffRevisions,
  packageDetail,
  packageList,
  parseKey,
  SliceReader,
  summaryOf,
  type DetailVisibility,
  type PackageAddress,
} from './model.js';
import { ConsoleStream } from './stream.js';
import { VersionReader } from './versions.js';
import {
  isTemplateKind,
  parseTemplateKey,
  templateDetailOf,
  templateList,
  templateResource,
  type TemplateAddress,
} from './templates.js';

/** Largest action body read. */
export const MAX_BODY = 4096;
export { ACTION_HEADER };

/** What the console's actions do (the `gantry pause|unpause|rollout undo` code, wired by the command). */
export interface ConsoleActions {
  pause(ref: ObjectRef, pause: boolean, message: string): Promise<void>;
  /** Roll back to `revision` (undefined: the one before the current); resolves with the revision chosen. */
  undo(ref: ObjectRef, revision: number | undefined): Promise<number>;
  /**
   * Approve or reject a catalog version for a Package (`gantry approve|reject`; undefined: the proposed one);
   * resolves with what was done.
   */
  decide(ref: ObjectRef, approve: boolean, version: string | undefined): Promise<string>;
}

/** The page and its bundle, read once at start. */
export interface ConsoleAssets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

export interface ConsoleHandlerOptions {
  readonly cache: WatchCache;
  /** The client of the watches: reads of slices (what a viewer may see of them is checked first). */
  readonly kube: RawKubeClient;
  readonly actions: ConsoleActions;
  readonly assets: ConsoleAssets;
  /** Who is asking and what they may do. */
  readonly access: ConsoleAccess;
}

export interface ConsoleServerOptions {
  readonly cache: WatchCache;
  /** The user's client: reads of slices, SelfSubjectAccessReviews. */
  readonly kube: RawKubeClient;
  readonly actions: ConsoleActions;
  readonly assets: ConsoleAssets;
  /** No action is offered or accepted. */
  readonly readOnly: boolean;
  readonly maxStreams?: number;
}

const actionSchema = z.strictObject({
  key: z.string().max(600),
  action: z.enum(['pause', 'unpause', 'undo', 'approve', 'reject']),
  message: z.string().max(1024).optional(),
  revision: z.number().int().positive().optional(),
  version: z
    .string()
    .max(128)
    .regex(/^[0-9A-Za-z.+-]+$/)
    .optional(),
});

const GROUP = 'package-operator.run';

function packagesResource(kind: PackageAddress['kind']): string {
  return kind === 'Package' ? 'packages' : 'clusterpackages';
}

/** The items the viewer may list: one review per kind and namespace (cached by the viewer), never one per item. */
async function listable<T extends { readonly kind: string; readonly namespace: string }>(
  items: readonly T[],
  may: (item: T) => Promise<boolean>,
): Promise<T[]> {
  const scopes = new Map<string, Promise<boolean>>();
  for (const item of items) {
    const scope = `${item.kind}/${item.namespace}`;
    if (!scopes.has(scope)) scopes.set(scope, may(item));
  }
  const allowed = new Map<string, boolean>();
  for (const [scope, answer] of scopes) allowed.set(scope, await answer);
  return items.filter((item) => allowed.get(`${item.kind}/${item.namespace}`) === true);
}

/** Whether the rights allow the action. */
function mayTake(action: z.infer<typeof actionSchema>['action'], rights: ActionRights): boolean {
  if (action === 'undo') return rights.undo;
  if (action === 'approve' || action === 'reject') return rights.approve;
  return rights.pause;
}

/** The console's requests, wherever they come from: its own listener, or a serving host's `/console/`. */
export class ConsoleHandler {
  private readonly streams = new Set<{
    stream: ConsoleStream;
    /** Whether a change of `object` (of `kind`) changes what the stream follows besides the list. */
    concerns: (kind: string, object: KubeObject) => boolean;
    viewer: Viewer;
    end: () => void;
  }>();
  private readonly slices: SliceReader;
  private readonly versions: VersionReader;
  private readonly unsubscribe: () => void;
  private readonly sweeper: NodeJS.Timeout;

  public constructor(private readonly options: ConsoleHandlerOptions) {
    this.slices = new SliceReader(options.kube);
    this.versions = new VersionReader(options.kube);
    this.unsubscribe = options.cache.subscribe((change) => {
      this.onChange(change);
    });
    // Streams of sessions that ended (signed out, expired) are closed.
    this.sweeper = setInterval(() => {
      for (const s of this.streams) if (!s.viewer.alive()) s.end();
    }, 5_000);
    this.sweeper.unref();
  }

  public close(): void {
    this.unsubscribe();
    clearInterval(this.sweeper);
    for (const s of this.streams) s.end();
  }

  /** Answer one request (its path relative to the console's root); never throws. */
  public serve(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch((error: unknown) => {
      this.fail(res, error);
    });
  }

  private onChange(change: CacheChange): void {
    if (change.type === 'RELISTED') {
      for (const s of this.streams) s.stream.relisted();
      return;
    }
    const { kind, object } = change;
    if (kind === 'Package' || kind === 'ClusterPackage') {
      const address = { kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name };
      const key = packageKey(kind, address.namespace, address.name);
      const summary = change.type === 'DELETED' ? null : (summaryOf(this.options.cache, address) ?? null);
      for (const s of this.streams) s.stream.packageChanged(key, summary);
    }
    for (const s of this.streams) if (s.concerns(kind, object)) s.stream.detailChanged();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const assets = this.options.assets;
    const statics: Readonly<Record<string, () => void>> = {
      'GET /': () => {
        this.asset(res, 'text/html; charset=utf-8', assets.html);
      },
      'GET /app.js': () => {
        this.asset(res, 'text/javascript; charset=utf-8', assets.js);
      },
      'GET /app.css': () => {
        this.asset(res, 'text/css; charset=utf-8', assets.css);
      },
    };
    const page = Object.hasOwn(statics, route) ? statics[route] : undefined;
    if (page !== undefined) {
      page();
      return;
    }
    if (await this.options.access.route(route, req, res)) return;
    const routes: Readonly<Record<string, (viewer: Viewer) => void | Promise<void>>> = {
      'GET /api/packages': async (viewer) => {
        sendJson(res, 200, await this.snapshot(viewer));
      },
      'GET /api/package': (viewer) => this.detail(res, url, viewer),
      'GET /api/diff': (viewer) => this.diff(res, url, viewer),
      'GET /api/templates': async (viewer) => {
        sendJson(res, 200, { templates: await this.templates(viewer) });
      },
      'GET /api/template': async (viewer) => {
        const detail = await this.templateOf(this.templateAddress(url), viewer);
        if (detail === null) throw new HttpError(404, 'no such template');
        sendJson(res, 200, detail);
      },
      'GET /api/stream': (viewer) => {
        this.stream(req, res, url, viewer);
      },
      'POST /api/action': (viewer) => this.action(req, res, viewer),
    };
    const handler = Object.hasOwn(routes, route) ? routes[route] : undefined;
    if (handler === undefined) throw new HttpError(404, 'not found');
    await handler(this.options.access.viewer(req));
  }

  private asset(res: ServerResponse, type: string, body: string): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type });
    res.end(body);
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const [status, message] =
      error instanceof HttpError
        ? [error.status, error.message]
        : error instanceof KubeApiError
          ? [error.code === 403 ? 403 : 409, errorMessage(error)]
          : // The day-2 commands' own refusals (no earlier revision, one that never succeeded): the user's to read.
            error instanceof CommandError
            ? [409, error.message]
            : [502, `the cluster did not answer: ${errorMessage(error)}`];
    sendJson(res, status, { error: message }, error instanceof HttpError ? error.headers : {});
  }

  /** Whether the viewer may list the Packages of `kind` in `namespace`. */
  private async visible(viewer: Viewer, kind: PackageAddress['kind'], namespace: string): Promise<boolean> {
    if (!viewer.filtered) return true;
    return viewer.may({ group: GROUP, resource: packagesResource(kind), verb: 'list', namespace });
  }

  private async snapshot(
    viewer: Viewer,
  ): Promise<{ packages: readonly PackageSummary[]; warnings: readonly string[] }> {
    const all = packageList(this.options.cache);
    const warnings = this.options.cache.warnings();
    if (!viewer.filtered) return { packages: all, warnings };
    return {
      packages: await listable(all, (p) => this.visible(viewer, p.kind, p.namespace)),
      warnings,
    };
  }

  private address(url: URL): PackageAddress {
    const address = parseKey(url.searchParams.get('key') ?? '');
    if (address === undefined)
      throw new HttpError(400, 'key must be Package/<namespace>/<name> or ClusterPackage//<name>');
    return address;
  }

  /** What of a Package's page the viewer may see; undefined when not the Package itself. */
  private async visibility(viewer: Viewer, address: PackageAddress): Promise<DetailVisibility | undefined> {
    if (!viewer.filtered) return { sets: true, slices: true, events: true };
    const namespace = address.namespace;
    const cluster = address.kind === 'ClusterPackage';
    const may = (resource: string, verb: string, group = GROUP, name?: string): Promise<boolean> =>
      viewer.may({ group, resource, verb, namespace, ...(name !== undefined ? { name } : {}) });
    const [pkg, sets, slices, events] = await Promise.all([
      may(packagesResource(address.kind), 'get', GROUP, address.name),
      may(cluster ? 'clusterobjectsets' : 'objectsets', 'list'),
      may(cluster ? 'clusterobjectslices' : 'objectslices', 'get'),
      may('events', 'list', ''),
    ]);
    return pkg ? { sets, slices: sets && slices, events } : undefined;
  }

  private async detailOf(address: PackageAddress, viewer: Viewer): Promise<unknown> {
    const seen = await this.visibility(viewer, address);
    if (seen === undefined) return null;
    const detail = await packageDetail(
      this.options.cache,
      this.slices,
      address,
      await this.rights(address, viewer),
      seen,
    );
    if (detail === undefined) return null;
    const versions = await this.versionsOf(address, viewer);
    return versions === undefined ? detail : { ...detail, versions };
  }

  private async detail(res: ServerResponse, url: URL, viewer: Viewer): Promise<void> {
    const detail = await this.detailOf(this.address(url), viewer);
    if (detail === null) throw new HttpError(404, 'no such package');
    sendJson(res, 200, detail);
  }

  private async diff(res: ServerResponse, url: URL, viewer: Viewer): Promise<void> {
    const address = this.address(url);
    const number = (name: string): number => {
      const value = url.searchParams.get(name) ?? '';
      if (!/^\d{1,9}$/.test(value)) throw new HttpError(400, `${name} must be a revision number`);
      return Number(value);
    };
    const from = number('from');
    const to = number('to');
    const seen = await this.visibility(viewer, address);
    const objects =
      seen?.sets === true && seen.slices
        ? await diffRevisions(this.options.cache, this.slices, address, from, to)
        : undefined;
    if (objects === undefined) throw new HttpError(404, 'no such revision');
    sendJson(res, 200, { objects });
  }

  /** What a stream follows besides the list: from `key` (a Package or template) or `view=templates`. */
  private streamTarget(
    url: URL,
    viewer: Viewer,
  ): {
    event: 'detail' | 'template' | 'templates' | undefined;
    detail: () => Promise<unknown>;
    concerns: (kind: string, object: KubeObject) => boolean;
  } {
    const key = url.searchParams.get('key') ?? '';
    if (url.searchParams.get('view') === 'templates')
      return {
        event: 'templates',
        detail: async () => ({ templates: await this.templates(viewer) }),
        concerns: (kind) => isTemplateKind(kind),
      };
    if (key === '') return { event: undefined, detail: () => Promise.resolve(null), concerns: () => false };
    if (key.includes('ObjectTemplate/')) {
      const t = this.templateAddress(url);
      return {
        event: 'template',
        detail: () => this.templateOf(t, viewer),
        concerns: (kind, object) =>
          kind === t.kind &&
          (object.metadata.namespace ?? '') === t.namespace &&
          object.metadata.name === t.name,
      };
    }
    const address = this.address(url);
    return {
      event: 'detail',
      detail: () => this.detailOf(address, viewer),
      concerns: (kind, object) => concerns(kind, object, address),
    };
  }

  private stream(req: IncomingMessage, res: ServerResponse, url: URL, viewer: Viewer): void {
    const target = this.streamTarget(url, viewer);
    const refused = viewer.openStream();
    if (refused !== undefined) throw refused;
    let ended = false;
    const entry = {
      concerns: target.concerns,
      viewer,
      stream: new ConsoleStream(
        res,
        {
          snapshot: () => this.snapshot(viewer),
          visible: async (changed: string) => {
            const a = parseKey(changed);
            return a !== undefined && (await this.visible(viewer, a.kind, a.namespace));
          },
          detail: target.detail,
        },
        target.event,
      ),
      end: () => {
        if (ended) return;
        ended = true;
        entry.stream.close();
        this.streams.delete(entry);
        viewer.closeStream();
        res.end();
      },
    };
    this.streams.add(entry);
    req.on('close', entry.end);
  }

  private templateAddress(url: URL): TemplateAddress {
    const address = parseTemplateKey(url.searchParams.get('key') ?? '');
    if (address === undefined)
      throw new HttpError(
        400,
        'key must be ObjectTemplate/<namespace>/<name> or ClusterObjectTemplate//<name>',
      );
    return address;
  }

  /** The ObjectTemplates the viewer may list. */
  private async templates(viewer: Viewer): Promise<readonly TemplateSummary[]> {
    const all = templateList(this.options.cache);
    if (!viewer.filtered) return all;
    return listable(all, (t) =>
      viewer.may({ group: GROUP, resource: templateResource(t.kind), verb: 'list', namespace: t.namespace }),
    );
  }

  /** One template with its sources and output, as the viewer may see them; null when not there or not allowed. */
  private async templateOf(address: TemplateAddress, viewer: Viewer): Promise<TemplateDetail | null> {
    if (
      viewer.filtered &&
      !(await viewer.may({
        group: GROUP,
        resource: templateResource(address.kind),
        verb: 'get',
        name: address.name,
        namespace: address.namespace,
      }))
    )
      return null;
    const detail = await templateDetailOf(
      this.options.cache,
      { kube: this.options.kube, may: (a) => (viewer.filtered ? viewer.may(a) : Promise.resolve(true)) },
      address,
    );
    return detail ?? null;
  }

  /** The versions of the package a Package follows, when the viewer may list PackageRevisions there. */
  private async versionsOf(address: PackageAddress, viewer: Viewer): Promise<VersionsView | undefined> {
    if (address.kind !== 'Package') return undefined;
    const raw = this.options.cache.get(address.kind, address.namespace, address.name);
    if (raw === undefined || raw.metadata.annotations?.[ANNOTATION_FOLLOW_REPOSITORY] === undefined)
      return undefined;
    if (
      viewer.filtered &&
      !(await viewer.may({
        group: 'gantry.run',
        resource: 'packagerevisions',
        verb: 'list',
        namespace: address.namespace,
      }))
    )
      return undefined;
    // A catalog that is not installed, or a list the user may not make: no Versions table, the rest of the page.
    return this.versions.of(raw).catch(() => undefined);
  }

  /** What the viewer may do on a Package: reviews of `update` (pause, undo, approve), cached briefly. */
  private async rights(address: PackageAddress, viewer: Viewer): Promise<ActionRights> {
    if (!viewer.actions) return { pause: false, undo: false, approve: false };
    const allowed = await viewer.may({
      group: GROUP,
      resource: packagesResource(address.kind),
      verb: 'update',
      name: address.name,
      namespace: address.namespace,
    });
    // The catalog follows namespaced Packages only.
    return { pause: allowed, undo: allowed, approve: allowed && address.kind === 'Package' };
  }

  private async action(req: IncomingMessage, res: ServerResponse, viewer: Viewer): Promise<void> {
    if (!isJson(req)) throw new HttpError(415, 'actions take a JSON body');
    const header = req.headers[ACTION_HEADER];
    if (!viewer.csrfOk(typeof header === 'string' ? header : undefined))
      throw new HttpError(403, `actions need the ${ACTION_HEADER} header`);
    const parsed = actionSchema.safeParse(
      await readJsonBody(req, MAX_BODY, `an action body is at most ${MAX_BODY} bytes`),
    );
    if (!parsed.success)
      throw new HttpError(400, `bad action: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const { key, action, message, revision, version } = parsed.data;
    const address = parseKey(key);
    if (address === undefined) throw new HttpError(400, 'bad action: no such package key');
    if (!mayTake(action, await this.rights(address, viewer)))
      throw new HttpError(
        403,
        viewer.actions ? 'you may not update this package' : 'this console is read-only',
      );
    const ref = { apiVersion: API_VERSION, ...address };
    if (action === 'approve' || action === 'reject') {
      sendJson(res, 200, {
        message: await this.options.actions.decide(ref, action === 'approve', version),
      });
      return;
    }
    if (action === 'undo') {
      const to = await this.options.actions.undo(ref, revision);
      sendJson(res, 200, { message: `rolling back to revision ${to}` });
      return;
    }
    // On a shared host the writer is the host: the message says who asked.
    const said = message ?? '';
    const by = viewer.user === '' ? said : `${said === '' ? 'paused' : said} by ${viewer.user}`;
    await this.options.actions.pause(ref, action === 'pause', action === 'pause' ? by : said);
    sendJson(res, 200, { message: action === 'pause' ? 'pausing' : 'unpausing' });
  }
}

/** `gantry console`: the console on a loopback listener of its own, for the kubeconfig's user. */
export class ConsoleServer {
  private readonly server: Server;
  private readonly handler: ConsoleHandler;
  private allowedHosts = new Set<string>();

  public constructor(options: ConsoleServerOptions) {
    this.handler = new ConsoleHandler({
      cache: options.cache,
      kube: options.kube,
      actions: options.actions,
      assets: options.assets,
      access: new LocalAccess(options.kube, options.readOnly, options.maxStreams ?? 32),
    });
    this.server = createServer((req, res) => {
      // Only the console's own Host names are answered: no DNS rebinding.
      if (!this.allowedHosts.has(req.headers.host ?? '')) {
        sendJson(res, 403, { error: 'this console answers only on the address it listens on' });
        return;
      }
      this.handler.serve(req, res);
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  /** Listen on `host:port` (port 0: any free one); resolves with the URL of the console. */
  public async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        resolve();
      });
    });
    const address = this.server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    const names = host.includes(':') ? [`[${host}]`] : [host];
    if (host === '127.0.0.1' || host === '::1') names.push('localhost');
    this.allowedHosts = new Set(names.map((n) => `${n}:${bound}`));
    return `http://${names[0] ?? host}:${bound}/`;
  }

  public async close(): Promise<void> {
    this.handler.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}
