import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SESSION_LIMITS,
  sameSecret,
  SESSION_COOKIE,
  sessionCookie,
  sessionIdOf,
  SessionTable,
  WindowLimiter,
  type ReviewedUser,
} from './sessions.js';

const alice: ReviewedUser = { username: 'alice', uid: 'u1', groups: ['devs'], extra: {} };

function table(limits: Partial<typeof DEFAULT_SESSION_LIMITS> = {}) {
  const clock = { now: 1_000_000 };
  let n = 0;
  const t = new SessionTable<string>(
    { ...DEFAULT_SESSION_LIMITS, ...limits },
    () => clock.now,
    () => `id-${String(++n).padStart(16, '0')}`,
  );
  return { t, clock };
}

describe('SessionTable', () => {
  it('starts a session with its own id and CSRF token, finds it until it expires, then forgets it', () => {
    const { t, clock } = table({ sessionTtlMs: 1000 });
    const started = t.start(alice, (core) => `viewer of ${core.user.username}`);
    if (!('session' in started)) throw new Error('refused');
    const { session } = started;
    expect([session.id, session.csrf, session.data, session.expiresAt]).toEqual([
      'id-0000000000000001',
      'id-0000000000000002',
      'viewer of alice',
      1_001_000,
    ]);
    clock.now += 999;
    expect(t.get(session.id)?.user).toEqual(alice);
    clock.now += 1;
    expect(t.get(session.id)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('holds at most maxSessions: a sign-in beyond is refused until one expires or ends', () => {
    const { t, clock } = table({ maxSessions: 3, sessionTtlMs: 1000 });
    const ids = [1, 2, 3].map(() => {
      const s = t.start(alice, () => '');
      return 'session' in s ? s.session.id : '';
    });
    expect(t.start(alice, () => '')).toEqual({ refused: 'full' });
    t.end(ids[0] ?? '');
    expect('session' in t.start(alice, () => '')).toBe(true);
    expect(t.start(alice, () => '')).toEqual({ refused: 'full' });
    clock.now += 1000; // all expired: swept when the table is full
    expect('session' in t.start(alice, () => '')).toBe(true);
    expect(t.size).toBe(1);
  });

  it('keeps at most sessionsPerUser sessions of one user: a new sign-in ends the oldest', () => {
    const { t } = table({ sessionsPerUser: 2 });
    const id = (s: ReturnType<typeof t.start>): string => ('session' in s ? s.session.id : '');
    const bob: ReviewedUser = { ...alice, username: 'bob' };
    const [a1, b1, a2, a3] = [
      t.start(alice, () => ''),
      t.start(bob, () => ''),
      t.start(alice, () => ''),
      t.start(alice, () => ''),
    ].map(id);
    expect([a1, b1, a2, a3].map((x) => t.get(x ?? '') !== undefined)).toEqual([false, true, true, true]);
    expect(t.size).toBe(3);
  });

  it('bounds the streams of one user across sessions', () => {
    const { t } = table({ streamsPerSession: 2, streamsPerUser: 3, streamsInAll: 10 });
    const [a, b, c] = [
      t.start(alice, () => ''),
      t.start(alice, () => ''),
      t.start({ ...alice, username: 'bob' }, () => ''),
    ];
    if (!('session' in a) || !('session' in b) || !('session' in c)) throw new Error('refused');
    expect([
      t.openStream(a.session),
      t.openStream(a.session),
      t.openStream(b.session),
      t.openStream(b.session),
    ]).toEqual(['ok', 'ok', 'ok', 'user']);
    expect(t.openStream(c.session)).toBe('ok');
    t.closeStream(a.session);
    expect(t.openStream(b.session)).toBe('ok');
  });

  it('bounds the streams of a session and of all sessions, and gives places back', () => {
    const { t } = table({ streamsPerSession: 2, streamsInAll: 3 });
    const a = t.start(alice, () => '');
    const b = t.start(alice, () => '');
    if (!('session' in a) || !('session' in b)) throw new Error('refused');
    expect([t.openStream(a.session), t.openStream(a.session), t.openStream(a.session)]).toEqual([
      'ok',
      'ok',
      'session',
    ]);
    expect([t.openStream(b.session), t.openStream(b.session)]).toEqual(['ok', 'all']);
    t.closeStream(a.session);
    expect(t.openStream(b.session)).toBe('ok');
  });

  it('counts the requests of a session per window', () => {
    const { t, clock } = table({ requestsPerSession: 2, requestWindowMs: 1000 });
    const a = t.start(alice, () => '');
    if (!('session' in a)) throw new Error('refused');
    expect([t.request(a.session), t.request(a.session), t.request(a.session)]).toEqual([true, true, false]);
    clock.now += 1000;
    expect(t.request(a.session)).toBe(true);
  });
});

describe('WindowLimiter', () => {
  it('allows perKey per key and inAll together per window, and says how long to wait', () => {
    const clock = { now: 0 };
    const l = new WindowLimiter(2, 3, 60_000, () => clock.now);
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([undefined, undefined, 60_000]);
    clock.now = 10_000;
    expect([l.take('b'), l.take('c')]).toEqual([undefined, 50_000]);
    clock.now = 60_000;
    expect([l.take('a'), l.take('c')]).toEqual([undefined, undefined]);
  });

  it('tracks at most maxKeys keys: the others share one allowance (a flood of addresses stays bounded)', () => {
    const l = new WindowLimiter(2, 1000, 60_000, () => 0, 2);
    expect([l.take('a'), l.take('b')]).toEqual([undefined, undefined]);
    expect([l.take('c'), l.take('d'), l.take('e')]).toEqual([undefined, undefined, 60_000]);
    expect(l.take('a')).toBeUndefined();
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, Secure, SameSite=Strict and host-only, and read back from a Cookie header', () => {
    expect(sessionCookie('abcdefghijklmnopqrstuvwx', 3600)).toBe(
      `${SESSION_COOKIE}=abcdefghijklmnopqrstuvwx; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict`,
    );
    expect(sessionIdOf(`other=1; ${SESSION_COOKIE}=abcdefghijklmnopqrstuvwx; x=y`)).toBe(
      'abcdefghijklmnopqrstuvwx',
    );
  });

  it('takes no malformed id', () => {
    expect(sessionIdOf(undefined)).toBeUndefined();
    expect(sessionIdOf(`${SESSION_COOKIE}=short`)).toBeUndefined();
    expect(sessionIdOf(`${SESSION_COOKIE}=${'a'.repeat(200)}`)).toBeUndefined();
    expect(sessionIdOf(`${SESSION_COOKIE}=abcdefghijklmnop%00qrst`)).toBeUndefined();
    expect(sessionIdOf('gantry-console=abcdefghijklmnopqrstuvwx')).toBeUndefined();
  });

  it('compares secrets in full', () => {
    expect([sameSecret('abc', 'abc'), sameSecret('abc', 'abd'), sameSecret('abc', 'ab')]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
