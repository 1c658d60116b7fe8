/**
 * @module hosts/console/access
 * Who is looking at the console, and what they may see and do.
 * - {@link LocalAccess} (`gantry console`): one viewer, the kubeconfig's own user; its watches are the user's, so
 *   nothing needs filtering, and actions are checked with SelfSubjectAccessReviews.
 * - {@link SessionAccess} (`gantry serve --console`, `gantry run --serve --console`): the watches are the host's, so
 *   every viewer signs in with a Kubernetes bearer token (a TokenReview), gets a session cookie, and sees only what
 *   SubjectAccessReviews say the reviewed user may list or get; actions need the host's `--console-actions` flag, the
 *   user's `update` right, and the session's CSRF token. Sign-ins are rate-limited per client address and in all;
 *   sessions, streams and requests per session are bounded (shared/console/sessions.ts).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  DEFAULT_SESSION_LIMITS,
  sameSecret,
  sessionCookie,
  sessionIdOf,
  SessionTable,
  WindowLimiter,
  type Session,
  type SessionCore,
  type SessionLimits,
} from '../../../shared/console/sessions.js';
import type { RawKubeClient } from '../../adapters/kube/client.js';
import { reviewToken, selfMay, subjectMay, type ResourceAttributes } from '../../adapters/kube/reviews.js';
import { ACTION_HEADER, HttpError, isJson, readJsonBody, sendJson } from './http.js';

/** How long an access review's answer is used. */
const REVIEW_TTL_MS = 30_000;
/** Most review answers one viewer keeps (beyond: all are forgotten). */
const MAX_REVIEWS = 2000;
/** Largest sign-in body (a token of a few KiB, as JSON). */
export const MAX_LOGIN_BODY = 16 * 1024;

/** One viewer of the console. */
export interface Viewer {
  /** The user's name, for the page ('' for `gantry console`: the kubeconfig's user). */
  readonly user: string;
  /** Whether what the console reads with the host's watches must be filtered for this viewer. */
  readonly filtered: boolean;
  /** Whether actions may be offered at all (a read-only console: never). */
  readonly actions: boolean;
  /** Whether the user may do what `a` says (cached briefly). */
  may(a: ResourceAttributes): Promise<boolean>;
  /** Whether `header` is the value of the action header this viewer's actions must carry. */
  csrfOk(header: string | undefined): boolean;
  /** Take a stream place; undefined when taken, else the refusal. */
  openStream(): HttpError | undefined;
  closeStream(): void;
  /** False once the viewer's session ended (signed out or expired): its streams are closed. */
  alive(): boolean;
}

/** How viewers are found for requests. */
export interface ConsoleAccess {
  /** Sign-in routes (`/api/login`, `/api/logout`, `/api/session`); true when the request was one. */
  route(route: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The viewer of a request, or an {@link HttpError} (401 not signed in, 429 too many requests). */
  viewer(req: IncomingMessage): Viewer;
}

/** Review answers kept for {@link REVIEW_TTL_MS}, at most {@link MAX_REVIEWS}. */
class ReviewCache {
  private readonly answers = new Map<string, { at: number; allowed: Promise<boolean> }>();

  public constructor(private readonly ask: (a: ResourceAttributes) => Promise<boolean>) {}

  public may(a: ResourceAttributes): Promise<boolean> {
    const id = `${a.verb}/${a.group}/${a.resource}/${a.namespace ?? ''}/${a.name ?? ''}`;
    const hit = this.answers.get(id);
    if (hit !== undefined && Date.now() - hit.at < REVIEW_TTL_MS) return hit.allowed;
    const allowed = this.ask(a).catch(() => false);
    if (this.answers.size >= MAX_REVIEWS) this.answers.clear();
    this.answers.set(id, { at: Date.now(), allowed });
    return allowed;
  }
}

/** `gantry console`: the kubeconfig's user, at most `maxStreams` streams. */
export class LocalAccess implements ConsoleAccess {
  private streams = 0;
  private readonly local: Viewer;

  public constructor(kube: RawKubeClient, readOnly: boolean, maxStreams: number) {
    const reviews = new ReviewCache((a) => selfMay(kube, a));
    this.local = {
      user: '',
      filtered: false,
      actions: !readOnly,
      may: (a) => reviews.may(a),
      csrfOk: (header) => header === '1',
      openStream: () => {
        if (this.streams >= maxStreams)
          return new HttpError(503, 'too many console pages are open; close one and reload');
        this.streams += 1;
        return undefined;
      },
      closeStream: () => {
        this.streams = Math.max(0, this.streams - 1);
      },
      alive: () => true,
    };
  }

  public route(route: string, _req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (route !== 'GET /api/session') return Promise.resolve(false);
    sendJson(res, 200, { user: '', csrf: '1', signIn: false });
    return Promise.resolve(true);
  }

  public viewer(): Viewer {
    return this.local;
  }
}

const loginSchema = z.strictObject({ token: z.string().min(1).max(MAX_LOGIN_BODY) });

export interface SessionAccessOptions {
  /** The host's client: TokenReviews and SubjectAccessReviews. */
  readonly kube: RawKubeClient;
  /** Whether actions may be offered (`--console-actions`); otherwise the console is read-only. */
  readonly actions: boolean;
  readonly limits?: Partial<SessionLimits>;
  readonly log?: (message: string) => void;
}

/** The client address a request came from (the socket's: a proxy's `X-Forwarded-For` is not trusted). */
function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

function randomId(): string {
  return randomBytes(24).toString('base64url');
}

/** A mounted console's viewers: signed in with a bearer token, held in a bounded session table. */
export class SessionAccess implements ConsoleAccess {
  public readonly limits: SessionLimits;
  private readonly table: SessionTable<Viewer>;
  private readonly logins: WindowLimiter;

  public constructor(private readonly options: SessionAccessOptions) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...options.limits };
    this.table = new SessionTable<Viewer>(this.limits, Date.now, randomId);
    this.logins = new WindowLimiter(
      this.limits.loginsPerAddress,
      this.limits.loginsInAll,
      this.limits.loginWindowMs,
      Date.now,
    );
  }

  /** Sessions live now (for tests and metrics). */
  public get sessions(): number {
    return this.table.size;
  }

  public async route(route: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    switch (route) {
      case 'POST /api/login':
        await this.login(req, res);
        return true;
      case 'POST /api/logout': {
        const session = this.session(req);
        if (!session.data.csrfOk(header(req)))
          throw new HttpError(403, `signing out needs the ${ACTION_HEADER} header`);
        this.table.end(session.id);
        sendJson(res, 200, { message: 'signed out' }, { 'set-cookie': sessionCookie('', 0) });
        return true;
      }
      case 'GET /api/session': {
        const session = this.session(req);
        sendJson(res, 200, { user: session.user.username, csrf: session.csrf, signIn: true });
        return true;
      }
      default:
        return false;
    }
  }

  public viewer(req: IncomingMessage): Viewer {
    const session = this.session(req);
    if (!this.table.request(session))
      throw new HttpError(429, 'too many requests from this session; wait a minute', {
        'retry-after': String(Math.ceil(this.limits.requestWindowMs / 1000)),
      });
    return session.data;
  }

  private session(req: IncomingMessage): Session<Viewer> {
    const id = sessionIdOf(req.headers.cookie);
    const session = id === undefined ? undefined : this.table.get(id);
    if (session === undefined) throw new HttpError(401, 'sign in with a Kubernetes bearer token');
    return session;
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Refused before the body is read or the API server is asked: a flood costs a counter.
    const wait = this.logins.take(clientAddress(req));
    if (wait !== undefined)
      throw new HttpError(429, 'too many sign-in attempts; wait a minute', {
        'retry-after': String(Math.ceil(wait / 1000)),
        connection: 'close',
      });
    if (!isJson(req)) throw new HttpError(415, 'signing in takes a JSON body');
    // A cross-site form cannot sign a victim in as someone else: it cannot send this header.
    if (header(req) !== '1') throw new HttpError(403, `signing in needs the ${ACTION_HEADER} header`);
    const parsed = loginSchema.safeParse(
      await readJsonBody(req, MAX_LOGIN_BODY, `a sign-in body is at most ${MAX_LOGIN_BODY} bytes`),
    );
    if (!parsed.success) throw new HttpError(400, 'a sign-in body is {"token": "<bearer token>"}');
    const user = await reviewToken(this.options.kube, parsed.data.token);
    if (user === undefined) throw new HttpError(401, 'the token was not accepted');
    const started = this.table.start(user, (core) => this.viewerOf(core));
    if ('refused' in started)
      throw new HttpError(503, 'too many console sessions; try again later', { 'retry-after': '60' });
    const { session } = started;
    this.options.log?.(`console: ${user.username} signed in`);
    sendJson(
      res,
      200,
      { user: user.username, csrf: session.csrf, signIn: true },
      { 'set-cookie': sessionCookie(session.id, this.limits.sessionTtlMs / 1000) },
    );
  }

  private viewerOf(session: SessionCore): Viewer {
    const { user, csrf } = session;
    const reviews = new ReviewCache((a) => subjectMay(this.options.kube, user, a));
    return {
      user: user.username,
      filtered: true,
      actions: this.options.actions,
      may: (a) => reviews.may(a),
      csrfOk: (value) => value !== undefined && sameSecret(value, csrf),
      openStream: () => {
        const taken = this.table.openStream(session);
        if (taken === 'session')
          return new HttpError(
            429,
            `this session has ${this.limits.streamsPerSession} streams open already; close a console page`,
          );
        if (taken === 'user')
          return new HttpError(
            429,
            `you have ${this.limits.streamsPerUser} streams open already; close a console page`,
          );
        if (taken === 'all')
          return new HttpError(503, 'too many console pages are open; try again later', {
            'retry-after': '10',
          });
        return undefined;
      },
      closeStream: () => {
        this.table.closeStream(session);
      },
      alive: () => this.table.get(session.id) !== undefined,
    };
  }
}

function header(req: IncomingMessage): string | undefined {
  const value = req.headers[ACTION_HEADER];
  return typeof value === 'string' ? value : undefined;
}
