import { describe, expect, it, vi } from 'vitest';
import { ApiClient, REFRESH_KEY, backoffMs, queryString, type SessionEvent } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { fail, fakeFetch, memoryStorage, ok, session, user } from './fakes';

function setup(route: Parameters<typeof fakeFetch>[0], opts: { storage?: ReturnType<typeof memoryStorage>; now?: () => number } = {}) {
  const f = fakeFetch(route);
  const storage = opts.storage ?? memoryStorage();
  const timers: { fn: () => void; ms: number }[] = [];
  const sleeps: number[] = [];
  const client = new ApiClient({
    fetch: f.fn,
    storage,
    now: opts.now ?? (() => 1_000_000),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => {},
  });
  const events: SessionEvent[] = [];
  client.subscribe((e) => events.push(e));
  return { client, calls: f.calls, storage, timers, sleeps, events };
}

describe('login and tokens', () => {
  it('keeps the access token in memory only and the refresh token in session storage', async () => {
    const s = session();
    const t = setup((c) => (c.url.endsWith('/auth/login') ? ok(s) : ok({ status: 'ok' })));
    await t.client.login('anna', 'pw-pw-pw-pw');
    expect(t.storage.data).toEqual({ [REFRESH_KEY]: s.refresh_token });
    expect(JSON.stringify(t.storage.data)).not.toContain(s.access_token);
    expect(t.calls[0]!.auth).toBeNull();
    await t.client.get('/api/v1/workshops');
    expect(t.calls[1]!.auth).toBe(`Bearer ${s.access_token}`);
    expect(t.calls[1]!.url).not.toContain(s.access_token);
    expect(t.events).toEqual([{ type: 'signed-in', user: s.user }]);
  });

  it('reports a wrong password as an ApiError without touching the session', async () => {
    const t = setup(() => fail(401, 'INVALID_CREDENTIALS'));
    await expect(t.client.login('anna', 'nope')).rejects.toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
    expect(t.calls).toHaveLength(1);
    expect(t.events).toEqual([]);
  });

  it('schedules a silent refresh before the access token expires', async () => {
    const t = setup(() => ok(session({ expires_in: 900 })));
    await t.client.login('anna', 'x');
    expect(t.timers).toHaveLength(1);
    expect(t.timers[0]!.ms).toBe(720_000);
    t.timers[0]!.fn();
    await vi.waitFor(() => expect(t.calls.map((c) => c.url)).toContain('/api/v1/auth/refresh'));
  });
});

describe('refresh', () => {
  it('refreshes once on 401 and retries the request with the new token', async () => {
    const first = session();
    const second = session();
    const t = setup((c) => {
      if (c.url.endsWith('/auth/login')) return ok(first);
      if (c.url.endsWith('/auth/refresh')) return ok(second);
      return c.auth === `Bearer ${second.access_token}` ? ok([1, 2]) : fail(401, 'TOKEN_INVALID');
    });
    await t.client.login('anna', 'x');
    const r = await t.client.get<number[]>('/api/v1/users');
    expect(r.data).toEqual([1, 2]);
    expect(t.calls.map((c) => c.url)).toEqual(['/api/v1/auth/login', '/api/v1/users', '/api/v1/auth/refresh', '/api/v1/users']);
    expect(t.calls[2]!.body).toEqual({ refresh_token: first.refresh_token });
    expect(t.storage.data[REFRESH_KEY]).toBe(second.refresh_token);
  });

  it('shares one refresh between concurrent requests (a rotated token is never presented twice)', async () => {
    let now = 1_000_000;
    const first = session({ expires_in: 60 });
    const second = session();
    let refreshes = 0;
    const t = setup(
      (c) => {
        if (c.url.endsWith('/auth/login')) return ok(first);
        if (c.url.endsWith('/auth/refresh')) {
          refreshes++;
          return new Promise((r) => setTimeout(() => r(ok(second)), 5));
        }
        return ok(c.auth);
      },
      { now: () => now },
    );
    await t.client.login('anna', 'x');
    now += 61_000; // the access token has expired
    const results = await Promise.all([t.client.get('/a'), t.client.get('/b'), t.client.get('/c')]);
    expect(refreshes).toBe(1);
    expect(results.map((r) => r.data)).toEqual(Array(3).fill(`Bearer ${second.access_token}`));
  });

  it('signs out when the refresh token was reused (session revoked)', async () => {
    const t = setup((c) => {
      if (c.url.endsWith('/auth/login')) return ok(session());
      if (c.url.endsWith('/auth/refresh')) return fail(401, 'TOKEN_REUSED');
      return fail(401, 'TOKEN_INVALID');
    });
    await t.client.login('anna', 'x');
    await expect(t.client.get('/api/v1/users')).rejects.toBeInstanceOf(ApiError);
    expect(t.events.at(-1)).toEqual({ type: 'signed-out', reason: 'revoked' });
    expect(t.storage.data).toEqual({});
    expect(t.client.signedIn).toBe(false);
  });

  it('restores a session from the stored refresh token', async () => {
    const s = session();
    const storage = memoryStorage({ [REFRESH_KEY]: 'stored' });
    const t = setup((c) => (c.url.endsWith('/auth/refresh') ? ok(s) : fail(404, 'NOT_FOUND')), { storage });
    expect(t.client.canRestore).toBe(true);
    expect(await t.client.restore()).toEqual(s.user);
    expect(t.calls[0]!.body).toEqual({ refresh_token: 'stored' });
    expect(t.events).toEqual([{ type: 'signed-in', user: s.user }]);
  });

  it('keeps the refresh token when the server cannot be reached during refresh', async () => {
    const storage = memoryStorage({ [REFRESH_KEY]: 'stored' });
    const t = setup(() => new TypeError('fetch failed'), { storage });
    await expect(t.client.restore()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(storage.data[REFRESH_KEY]).toBe('stored');
  });

  it('does not treat a wrong current password as an expired session', async () => {
    const t = setup((c) => {
      if (c.url.endsWith('/auth/login')) return ok(session());
      return fail(400, 'INVALID_CURRENT_PASSWORD', 'current password is wrong', {}, 'current_password');
    });
    await t.client.login('anna', 'x');
    await expect(t.client.changePassword({ current_password: 'a', new_password: 'b' })).rejects.toMatchObject({
      field: 'current_password',
    });
    expect(t.calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(0);
    expect(t.client.signedIn).toBe(true);
  });
});

describe('errors and retries', () => {
  it('retries idempotent requests on 503 and network errors with backoff', async () => {
    const t = setup((_c, i) => (i === 0 ? fail(503, 'UNAVAILABLE') : i === 1 ? new TypeError('reset') : ok('fine')));
    const r = await t.client.get('/health', { anonymous: true });
    expect(r.data).toBe('fine');
    expect(t.calls).toHaveLength(3);
    expect(t.sleeps).toEqual([300, 600]);
  });

  it('gives up after the retry budget', async () => {
    const t = setup(() => fail(503, 'UNAVAILABLE'));
    await expect(t.client.get('/x', { anonymous: true })).rejects.toMatchObject({ status: 503 });
    expect(t.calls).toHaveLength(3);
  });

  it('honours Retry-After on 429', async () => {
    const t = setup((_c, i) => (i === 0 ? fail(429, 'RATE_LIMITED', 'too many', { 'Retry-After': '3' }) : ok(1)));
    await t.client.get('/x', { anonymous: true });
    expect(t.sleeps).toEqual([3000]);
  });

  it('never retries a POST', async () => {
    const t = setup(() => fail(503, 'UNAVAILABLE'));
    await expect(t.client.request('POST', '/x', { anonymous: true, body: {} })).rejects.toMatchObject({ status: 503 });
    expect(t.calls).toHaveLength(1);
  });

  it('parses the error envelope, including the field', async () => {
    const t = setup(() => fail(400, 'VALIDATION_ERROR', 'page_size must be between 1 and 100', {}, 'page_size'));
    const e = await t.client.get('/x', { anonymous: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', field: 'page_size' });
    expect(describeError(e)).toBe('Page_size must be between 1 and 100.');
  });

  it('turns a non-JSON answer into BAD_RESPONSE', async () => {
    const t = setup(() => new Response('<html>proxy error</html>', { status: 502 }));
    const e = await t.client.request('POST', '/x', { anonymous: true }).catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 502, code: 'BAD_RESPONSE' });
  });

  it('announces PASSWORD_CHANGE_REQUIRED', async () => {
    const t = setup((c) => (c.url.endsWith('/auth/login') ? ok(session({ user: user({ temporary_password: true }) })) : fail(403, 'PASSWORD_CHANGE_REQUIRED')));
    await t.client.login('anna', 'x');
    await expect(t.client.get('/api/v1/users')).rejects.toMatchObject({ code: 'PASSWORD_CHANGE_REQUIRED' });
    expect(t.events.at(-1)).toEqual({ type: 'password-change-required' });
  });

  it('logout tells the server, then forgets every token even if the server fails', async () => {
    const s = session();
    const t = setup((c) => (c.url.endsWith('/auth/login') ? ok(s) : new TypeError('down')));
    await t.client.login('anna', 'x');
    await t.client.logout();
    expect(t.calls[1]).toMatchObject({ method: 'POST', url: '/api/v1/auth/logout', body: { refresh_token: s.refresh_token } });
    expect(t.storage.data).toEqual({});
    expect(t.client.signedIn).toBe(false);
    expect(t.events.at(-1)).toEqual({ type: 'signed-out', reason: 'logout' });
  });

  it('logout ends the session locally first: a call made meanwhile is never sent with the revoked token', async () => {
    const s = session();
    let release: () => void = () => {};
    const t = setup((c) => {
      if (c.url.endsWith('/auth/login')) return ok(s);
      if (c.url.endsWith('/auth/logout')) return new Promise<Response>((r) => (release = () => r(ok({}))));
      return ok([]);
    });
    await t.client.login('anna', 'x');
    const out = t.client.logout();
    await Promise.resolve();
    await expect(t.client.get('/api/v1/workshops/1/latest')).rejects.toMatchObject({ status: 401, code: 'SESSION_ENDED' });
    release();
    await out;
    expect(t.calls.map((c) => c.url)).toEqual(['/api/v1/auth/login', '/api/v1/auth/logout']);
    expect(t.calls[1]!.auth).toBe(`Bearer ${s.access_token}`);
    expect(t.events.at(-1)).toEqual({ type: 'signed-out', reason: 'logout' });
  });

  it('builds query strings without empty values', () => {
    expect(queryString({ page: 2, role: undefined, action: '', active_only: false })).toBe('?page=2&active_only=false');
    expect(queryString({})).toBe('');
    expect(backoffMs(0)).toBe(300);
    expect(backoffMs(2)).toBe(1200);
    expect(backoffMs(0, 120)).toBe(10_000);
  });

  it('describes network failures for people', () => {
    expect(describeError(new ApiError(0, 'NETWORK_ERROR', 'x'))).toMatch(/Cannot reach/);
    expect(describeError(new ApiError(500, 'INTERNAL', 'boom'))).toMatch(/server had a problem/);
    expect(describeError(new Error('x'))).toMatch(/Something went wrong/);
  });
});
