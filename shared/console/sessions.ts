/**
 * @module console/sessions
 * The console's sign-in when a host mounts it (`gantry serve --console`, `gantry run --serve --console`): a
 * Kubernetes bearer token is POSTed once, reviewed, and exchanged for an opaque random session id in an HttpOnly,
 * Secure, SameSite=Strict cookie (a browser's EventSource cannot send an `Authorization` header). Pure: the clock
 * and the random ids come from the caller. Everything a hostile caller can grow is bounded: the session table, the
 * streams of a session and in all, and the rate of sign-ins per client address and in all.
 */

/** The cookie that carries the session id (`__Host-`: Secure, path `/`, never another host's). */
export const SESSION_COOKIE = '__Host-gantry-console';

/** The limits of a mounted console (each documented in the README's "The console on a serving host"). */
export interface SessionLimits {
  /** Most sessions at once; a sign-in beyond is refused until one expires or signs out. */
  readonly maxSessions: number;
  /** Most sessions of one user: a sign-in beyond ends that user's oldest (one token cannot fill the table). */
  readonly sessionsPerUser: number;
  /** How long a session lasts after its sign-in (the token is reviewed only then). */
  readonly sessionTtlMs: number;
  /** Most live streams of one session, of one user's sessions together, and of all sessions together. */
  readonly streamsPerSession: number;
  readonly streamsPerUser: number;
  readonly streamsInAll: number;
  /** Sign-in attempts (good or bad) per client address, and in all, per window. */
  readonly loginsPerAddress: number;
  readonly loginsInAll: number;
  readonly loginWindowMs: number;
  /** Requests of one session (streams and actions included) per window. */
  readonly requestsPerSession: number;
  readonly requestWindowMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxSessions: 1000,
  sessionsPerUser: 32,
  sessionTtlMs: 8 * 3_600_000,
  streamsPerSession: 4,
  streamsPerUser: 16,
  streamsInAll: 64,
  loginsPerAddress: 10,
  loginsInAll: 100,
  loginWindowMs: 60_000,
  requestsPerSession: 600,
  requestWindowMs: 60_000,
};

/** Who a session acts for: the user a TokenReview returned. */
export interface ReviewedUser {
  readonly username: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** A session's own state; the table's {@link Session} adds what the caller attached to it. */
export interface SessionCore {
  readonly id: string;
  readonly user: ReviewedUser;
  /** The token actions must carry in the console's header (not in the cookie, so a cross-site request lacks it). */
  readonly csrf: string;
  readonly expiresAt: number;
  streams: number;
  requests: number;
  windowStart: number;
}

export type Session<T> = SessionCore & { readonly data: T };

/** A new session, or why none was made. */
export type SessionStart<T> = { readonly session: Session<T> } | { readonly refused: 'full' };

/** The server-side session table: id → session, bounded, expired entries dropped when met or when full. */
export class SessionTable<T> {
  private readonly sessions = new Map<string, Session<T>>();
  private streams = 0;
  /** Live streams per username (entries at 0 are removed). */
  private readonly userStreams = new Map<string, number>();

  public constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number,
    /** A fresh unguessable id (at least 128 random bits), used for session ids and CSRF tokens. */
    private readonly randomId: () => string,
  ) {}

  public get size(): number {
    return this.sessions.size;
  }

  /** A new session for `user`, with what `attach` makes of it (called once, with the session's own state). */
  public start(user: ReviewedUser, attach: (core: SessionCore) => T): SessionStart<T> {
    const now = this.now();
    const own = [...this.sessions.values()].filter((s) => s.user.username === user.username);
    // A Map iterates in insertion order: the first of the user's is the oldest.
    for (const old of own.slice(0, Math.max(0, own.length - this.limits.sessionsPerUser + 1)))
      this.end(old.id);
    if (this.sessions.size >= this.limits.maxSessions) this.sweep(now);
    if (this.sessions.size >= this.limits.maxSessions) return { refused: 'full' };
    const core: SessionCore = {
      id: this.randomId(),
      user,
      csrf: this.randomId(),
      expiresAt: now + this.limits.sessionTtlMs,
      streams: 0,
      requests: 0,
      windowStart: now,
    };
    const session = Object.assign(core, { data: attach(core) });
    this.sessions.set(session.id, session);
    return { session };
  }

  /** The live session of an id (an expired one is dropped). */
  public get(id: string): Session<T> | undefined {
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now()) {
      this.end(id);
      return undefined;
    }
    return session;
  }

  public end(id: string): void {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.sessions.delete(id);
    // Its streams are closed by the server; their places are given back as they close.
  }

  /** Count one request of the session; false when it is over its rate. */
  public request(session: SessionCore): boolean {
    const now = this.now();
    if (now - session.windowStart >= this.limits.requestWindowMs) {
      session.windowStart = now;
      session.requests = 0;
    }
    session.requests += 1;
    return session.requests <= this.limits.requestsPerSession;
  }

  /** Take a stream place for the session: 'session', 'user' or 'all' when that limit is reached. */
  public openStream(session: SessionCore): 'ok' | 'session' | 'user' | 'all' {
    const user = session.user.username;
    const ofUser = this.userStreams.get(user) ?? 0;
    if (session.streams >= this.limits.streamsPerSession) return 'session';
    if (ofUser >= this.limits.streamsPerUser) return 'user';
    if (this.streams >= this.limits.streamsInAll) return 'all';
    session.streams += 1;
    this.userStreams.set(user, ofUser + 1);
    this.streams += 1;
    return 'ok';
  }

  public closeStream(session: SessionCore): void {
    if (session.streams === 0) return;
    session.streams -= 1;
    const user = session.user.username;
    const left = (this.userStreams.get(user) ?? 1) - 1;
    if (left > 0) this.userStreams.set(user, left);
    else this.userStreams.delete(user);
    this.streams = Math.max(0, this.streams - 1);
  }

  private sweep(now: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}

/**
 * Fixed-window counters per key and in all: `take(key)` is false once the key, or everyone together, used the
 * window's allowance. At most `maxKeys` keys are tracked; a key beyond shares one counter with every other such key.
 */
export class WindowLimiter {
  private counts = new Map<string, number>();
  private total = 0;
  private windowStart: number;

  public constructor(
    private readonly perKey: number,
    private readonly inAll: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {
    this.windowStart = now();
  }

  /** Count one attempt; undefined when allowed, else the ms until the window ends. */
  public take(key: string): number | undefined {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.counts = new Map();
      this.total = 0;
    }
    const id = this.counts.has(key) || this.counts.size < this.maxKeys ? key : '\0overflow';
    const used = this.counts.get(id) ?? 0;
    const retry = this.windowStart + this.windowMs - now;
    if (this.total >= this.inAll || used >= this.perKey) return Math.max(1, retry);
    this.counts.set(id, used + 1);
    this.total += 1;
    return undefined;
  }
}

/** The value of the session cookie in a `Cookie` header (the first one; at most 64 cookies are looked at). */
export function sessionIdOf(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.split(';', 64)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
  }
  return undefined;
}

/** The `Set-Cookie` value that stores a session id (or, with maxAgeS 0, removes it). */
export function sessionCookie(id: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeS))}; HttpOnly; Secure; SameSite=Strict`;
}

/** Two secrets compared in time that does not depend on where they first differ. */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
