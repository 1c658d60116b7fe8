/**
 * @module hosts/console/server
 * The web console's HTTP server (`gantry console`): the page and its bundle, a small JSON API and a server-sent-events
 * stream relaying the watches (hosts/console/cache.ts). Every request is treated as hostile: only the console's own
 * Host names are answered (no DNS rebinding), actions need a JSON body of at most {@link MAX_BODY} bytes and the
 * console's own header (a cross-site form or fetch cannot send it without a preflight, which is never allowed),
 * at most `maxStreams` streams run at once, and answers carry a strict Content-Security-Policy.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { API_VERSION } from '../../../shared/api/constants.js';
import type { ActionRights } from '../../../shared/console/api.js';
import { packageKey, type PackageSummary } from '../../../shared/console/view.js';
import { errorMessage } from '../../../shared/errors.js';
import { KubeApiError } from '../../../shared/kube-errors.js';
import { CommandError } from '../../../shared/rollout/history.js';
import type { ObjectRef } from '../../../shared/ports.js';
import type { RawKubeClient } from '../../adapters/kube/client.js';
import type { CacheChange, WatchCache } from './cache.js';
import {
  concerns,
  diffRevisions,
  packageDetail,
  packageList,
  parseKey,
  SliceReader,
  summaryOf,
  type PackageAddress,
} from './model.js';
import { ConsoleStream } from './stream.js';

/** Largest action body read. */
export const MAX_BODY = 4096;
/** The header every action request must carry. */
export const ACTION_HEADER = 'x-gantry-console';

/** What the console's actions do (the `gantry pause|unpause|rollout undo` code, wired by the command). */
export interface ConsoleActions {
  pause(ref: ObjectRef, pause: boolean, message: string): Promise<void>;
  /** Roll back to `revision` (undefined: the one before the current); resolves with the revision chosen. */
  undo(ref: ObjectRef, revision: number | undefined): Promise<number>;
  /** Approve or reject the catalog version proposed to a Package (`gantry approve|reject`); resolves with what was done. */
  decide(ref: ObjectRef, approve: boolean): Promise<string>;
}

/** The page and its bundle, read once at start. */
export interface ConsoleAssets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
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

/** A request refused with an HTTP status and a message for the page. */
class HttpError extends Error {
  public override readonly name = 'HttpError';
  public constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const actionSchema = z.strictObject({
  key: z.string().max(600),
  action: z.enum(['pause', 'unpause', 'undo', 'approve', 'reject']),
  message: z.string().max(1024).optional(),
  revision: z.number().int().positive().optional(),
});

const reviewSchema = z.object({ status: z.object({ allowed: z.boolean() }) });

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const RIGHTS_TTL_MS = 30_000;

/** The console server. */
export class ConsoleServer {
  private readonly server: Server;
  private readonly streams = new Set<{ stream: ConsoleStream; address: PackageAddress | undefined }>();
  private readonly slices: SliceReader;
  private readonly rightsCache = new Map<string, { at: number; allowed: Promise<boolean> }>();
  private readonly unsubscribe: () => void;
  private allowedHosts = new Set<string>();

  public constructor(private readonly options: ConsoleServerOptions) {
    this.slices = new SliceReader(options.kube);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.fail(res, error);
      });
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.unsubscribe = options.cache.subscribe((change) => {
      this.onChange(change);
    });
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
    this.unsubscribe();
    for (const s of this.streams) s.stream.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
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
    for (const s of this.streams)
      if (s.address !== undefined && concerns(kind, object, s.address)) s.stream.detailChanged();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.allowedHosts.has(req.headers.host ?? ''))
      throw new HttpError(403, 'this console answers only on the address it listens on');
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const assets = this.options.assets;
    const routes: Readonly<Record<string, () => void | Promise<void>>> = {
      'GET /': () => {
        this.asset(res, 'text/html; charset=utf-8', assets.html);
      },
      'GET /app.js': () => {
        this.asset(res, 'text/javascript; charset=utf-8', assets.js);
      },
      'GET /app.css': () => {
        this.asset(res, 'text/css; charset=utf-8', assets.css);
      },
      'GET /api/packages': () => {
        this.json(res, 200, this.snapshot());
      },
      'GET /api/package': () => this.detail(res, url),
      'GET /api/diff': () => this.diff(res, url),
      'GET /api/stream': () => {
        this.stream(req, res, url);
      },
      'POST /api/action': () => this.action(req, res),
    };
    const handler = Object.hasOwn(routes, route) ? routes[route] : undefined;
    if (handler === undefined) throw new HttpError(404, 'not found');
    await handler();
  }

  private asset(res: ServerResponse, type: string, body: string): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type });
    res.end(body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
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
    this.json(res, status, { error: message });
  }

  private snapshot(): { packages: readonly PackageSummary[]; warnings: readonly string[] } {
    return { packages: packageList(this.options.cache), warnings: this.options.cache.warnings() };
  }

  private address(url: URL): PackageAddress {
    const address = parseKey(url.searchParams.get('key') ?? '');
    if (address === undefined)
      throw new HttpError(400, 'key must be Package/<namespace>/<name> or ClusterPackage//<name>');
    return address;
  }

  private async detailOf(address: PackageAddress): Promise<unknown> {
    const detail = await packageDetail(this.options.cache, this.slices, address, await this.rights(address));
    return detail ?? null;
  }

  private async detail(res: ServerResponse, url: URL): Promise<void> {
    const detail = await this.detailOf(this.address(url));
    if (detail === null) throw new HttpError(404, 'no such package');
    this.json(res, 200, detail);
  }

  private async diff(res: ServerResponse, url: URL): Promise<void> {
    const address = this.address(url);
    const number = (name: string): number => {
      const value = url.searchParams.get(name) ?? '';
      if (!/^\d{1,9}$/.test(value)) throw new HttpError(400, `${name} must be a revision number`);
      return Number(value);
    };
    const objects = await diffRevisions(
      this.options.cache,
      this.slices,
      address,
      number('from'),
      number('to'),
    );
    if (objects === undefined) throw new HttpError(404, 'no such revision');
    this.json(res, 200, { objects });
  }

  private stream(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (this.streams.size >= (this.options.maxStreams ?? 32))
      throw new HttpError(503, 'too many console pages are open; close one and reload');
    const key = url.searchParams.get('key');
    const address = key === null || key === '' ? undefined : this.address(url);
    const entry = {
      address,
      stream: new ConsoleStream(
        res,
        {
          snapshot: () => this.snapshot(),
          detail: async () => (address === undefined ? null : this.detailOf(address)),
        },
        address !== undefined,
      ),
    };
    this.streams.add(entry);
    req.on('close', () => {
      entry.stream.close();
      this.streams.delete(entry);
    });
  }

  /** What the user may do on a Package: SelfSubjectAccessReviews for `update` (pause, undo), cached briefly. */
  private async rights(address: PackageAddress): Promise<ActionRights> {
    if (this.options.readOnly) return { pause: false, undo: false, approve: false };
    const allowed = await this.allowed('update', address);
    // The catalog follows namespaced Packages only.
    return { pause: allowed, undo: allowed, approve: allowed && address.kind === 'Package' };
  }

  private allowed(verb: string, address: PackageAddress): Promise<boolean> {
    const id = `${verb}/${address.kind}/${address.namespace}/${address.name}`;
    const hit = this.rightsCache.get(id);
    if (hit !== undefined && Date.now() - hit.at < RIGHTS_TTL_MS) return hit.allowed;
    const allowed = this.review(verb, address).catch(() => false);
    if (this.rightsCache.size > 1000) this.rightsCache.clear();
    this.rightsCache.set(id, { at: Date.now(), allowed });
    return allowed;
  }

  private async review(verb: string, address: PackageAddress): Promise<boolean> {
    // A review has no name: not a KubeObject, so a raw POST (its answer is parsed here).
    const answer = await this.options.kube.raw(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            group: 'package-operator.run',
            resource: address.kind === 'Package' ? 'packages' : 'clusterpackages',
            verb,
            name: address.name,
            ...(address.namespace !== '' ? { namespace: address.namespace } : {}),
          },
        },
      }),
    );
    if (answer.status !== 201 && answer.status !== 200) return false;
    return reviewSchema.safeParse(JSON.parse(answer.text)).data?.status.allowed === true;
  }

  private async body(req: IncomingMessage): Promise<unknown> {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) throw new HttpError(415, 'actions take a JSON body');
    if (req.headers[ACTION_HEADER] !== '1')
      throw new HttpError(403, `actions need the ${ACTION_HEADER} header`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.length;
      if (size > MAX_BODY) throw new HttpError(413, `an action body is at most ${MAX_BODY} bytes`);
      chunks.push(buffer);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new HttpError(400, 'the body is not JSON');
    }
  }

  private async action(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = actionSchema.safeParse(await this.body(req));
    if (!parsed.success)
      throw new HttpError(400, `bad action: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const { key, action, message, revision } = parsed.data;
    const address = parseKey(key);
    if (address === undefined) throw new HttpError(400, 'bad action: no such package key');
    const rights = await this.rights(address);
    const may =
      action === 'undo'
        ? rights.undo
        : action === 'approve' || action === 'reject'
          ? rights.approve
          : rights.pause;
    if (!may)
      throw new HttpError(
        403,
        this.options.readOnly ? 'this console is read-only' : 'you may not update this package',
      );
    const ref = { apiVersion: API_VERSION, ...address };
    if (action === 'approve' || action === 'reject') {
      this.json(res, 200, { message: await this.options.actions.decide(ref, action === 'approve') });
      return;
    }
    if (action === 'undo') {
      const to = await this.options.actions.undo(ref, revision);
      this.json(res, 200, { message: `rolling back to revision ${to}` });
      return;
    }
    await this.options.actions.pause(ref, action === 'pause', message ?? '');
    this.json(res, 200, { message: action === 'pause' ? 'pausing' : 'unpausing' });
  }
}
