import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../api/client';
import { backoffDelay, LiveClient, liveUrl, type LiveOptions, type LiveSocket, type LiveState } from '../live/client';
import { parseEvent, type LiveEvent } from '../live/events';
import { describeLive } from '../live/indicator';
import { fakeFetch, memoryStorage, ok, session } from './fakes';

/** A scripted WebSocket: records what the client sends; the test plays the server. */
class FakeSocket implements LiveSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // The server's side.
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  /** Accepts the auth message and answers ready. */
  accept(): void {
    this.open();
    this.receive({ type: 'ready', user: { id: 7 }, expires_at: Date.now() + 900000 });
  }
  ofType(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;

function make(over: Partial<LiveOptions> = {}) {
  const tokens: boolean[] = [];
  let token = 'tok-1';
  const client = new LiveClient({
    url: () => 'ws://console.example/api/v1/ws',
    getToken: async (fresh) => {
      tokens.push(fresh);
      return token;
    },
    createSocket: (url) => new FakeSocket(url),
    random: () => 0.5,
    ...over,
  });
  const states: LiveState[] = [];
  client.state.subscribe((s) => states.push(s));
  return { client, states, tokens, setToken: (t: string) => (token = t) };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-03-05T10:00:00Z'));
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('live client: connecting and authenticating', () => {
  it('authenticates in the first message, never in the URL, and goes live on ready', async () => {
    const { client } = make();
    expect(client.status).toBe('idle');
    client.start();
    expect(client.status).toBe('connecting');
    await flush();
    const s = last();
    expect(s.url).toBe('ws://console.example/api/v1/ws');
    expect(s.url).not.toMatch(/tok|token|\?/);
    expect(s.sent).toEqual([]);
    s.open();
    expect(s.sent).toEqual([{ type: 'auth', token: 'tok-1' }]);
    expect(client.status).toBe('connecting');
    s.receive({ type: 'ready' });
    expect(client.state.get()).toMatchObject({ status: 'live', connection: 1 });
  });

  it('builds ws:// or wss:// from the page origin', () => {
    expect(liveUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/ws');
    expect(liveUrl({ protocol: 'https:', host: 'sitewatch.example' })).toBe('wss://sitewatch.example/api/v1/ws');
  });

  it('sends a refreshed token on the open connection', async () => {
    const { client } = make();
    client.start();
    await flush();
    last().accept();
    client.reauth('tok-2');
    expect(last().ofType('auth')).toEqual([
      { type: 'auth', token: 'tok-1' },
      { type: 'auth', token: 'tok-2' },
    ]);
    last().receive({ type: 'ready' });
    expect(client.state.get()).toMatchObject({ status: 'live', connection: 1 }); // a re-auth is not a new connection
  });

  it('the ApiClient hands new tokens to listeners and refreshes an expired one for the channel', async () => {
    let now = 1_000_000;
    const f = fakeFetch((c, i) => (c.url.endsWith('/auth/login') ? ok(session({ access_token: 'A1', expires_in: 60 })) : ok(session(i === 1 ? { access_token: 'A2' } : {}))));
    const api = new ApiClient({ fetch: f.fn, storage: memoryStorage(), now: () => now, setTimer: () => 0, clearTimer: () => {} });
    const seen: (string | null)[] = [];
    api.onAccessToken((t) => seen.push(t));
    await api.login('anna', 'pw');
    expect(await api.liveToken()).toBe('A1');
    now += 58_000; // within 5 s of expiry
    expect(await api.liveToken()).toBe('A2');
    expect(f.calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(1);
    expect(await api.liveToken(true)).toMatch(/^access-/);
    await api.logout();
    expect(seen[0]).toBe('A1');
    expect(seen[1]).toBe('A2');
    expect(seen[seen.length - 1]).toBeNull();
    expect(await api.liveToken()).toBeNull();
  });

  it('stop closes the socket and goes idle; a late answer from the old socket changes nothing', async () => {
    const { client } = make();
    client.start();
    await flush();
    const s = last();
    s.accept();
    client.stop();
    expect(s.closedWith).toBe(1000);
    expect(client.status).toBe('idle');
    s.serverClose(1006);
    await vi.advanceTimersByTimeAsync(60000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(client.status).toBe('idle');
  });

  it('gives up on a connection that never answers ready', async () => {
    const { client } = make({ handshakeTimeoutMs: 5000 });
    client.start();
    await flush();
    last().open();
    await vi.advanceTimersByTimeAsync(5000);
    expect(last().closedWith).toBe(4000);
    expect(client.state.get()).toMatchObject({ status: 'reconnecting', attempt: 1 });
  });
});

describe('live client: reconnecting', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(1, 0)).toBe(500);
    expect(backoffDelay(1, 1)).toBe(1000);
    expect(backoffDelay(2, 0.5)).toBe(1500);
    expect(backoffDelay(3, 1)).toBe(4000);
    expect(backoffDelay(10, 0)).toBe(15000);
    expect(backoffDelay(10, 1)).toBe(30000);
    expect(backoffDelay(50, 1)).toBe(30000);
  });

  it('walks connecting → live → reconnecting → offline and back to live, with timed retries', async () => {
    const { client } = make({ random: () => 1, offlineAfter: 3 });
    client.start();
    await flush();
    last().accept();
    last().serverClose(1006);
    // Attempt 1 after 1 s (random 1 → the full ceiling).
    expect(client.state.get()).toEqual({ status: 'reconnecting', attempt: 1, retryAt: Date.now() + 1000, reason: 'the connection was lost' });
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(client.state.get()).toMatchObject({ status: 'reconnecting', retryAt: null });
    last().serverClose(1006); // refused
    expect(client.state.get()).toMatchObject({ status: 'reconnecting', attempt: 2, retryAt: Date.now() + 2000 });
    await vi.advanceTimersByTimeAsync(2000);
    expect(FakeSocket.all).toHaveLength(3);
    last().serverClose(1006);
    expect(client.state.get()).toMatchObject({ status: 'offline', attempt: 3, retryAt: Date.now() + 4000 });
    await vi.advanceTimersByTimeAsync(4000);
    expect(FakeSocket.all).toHaveLength(4);
    last().accept();
    expect(client.state.get()).toMatchObject({ status: 'live', connection: 2 });
  });

  it('resets the back-off only after a connection stayed up', async () => {
    const { client } = make({ random: () => 1, stableMs: 10000 });
    client.start();
    await flush();
    for (const expected of [1000, 2000, 4000]) {
      last().accept();
      await vi.advanceTimersByTimeAsync(500); // up, but not for long
      last().serverClose(1001);
      expect(client.state.get()).toMatchObject({ retryAt: Date.now() + expected });
      await vi.advanceTimersByTimeAsync(expected);
    }
    last().accept();
    await vi.advanceTimersByTimeAsync(10000); // stable
    last().serverClose(1001);
    expect(client.state.get()).toMatchObject({ status: 'reconnecting', attempt: 1, retryAt: Date.now() + 1000 });
  });

  it('retries at once when asked (back online), not twice', async () => {
    const { client } = make();
    client.start();
    await flush();
    last().serverClose(1006);
    client.retryNow();
    await flush();
    expect(FakeSocket.all).toHaveLength(2);
    client.retryNow(); // an attempt is under way: nothing more
    await vi.advanceTimersByTimeAsync(5000); // (less than the handshake timeout)
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('asks for a fresh token after 4401; stops retrying after 4403', async () => {
    const { client, tokens } = make({ random: () => 0 });
    client.start();
    await flush();
    last().open();
    last().serverClose(4401);
    await vi.advanceTimersByTimeAsync(500);
    expect(tokens).toEqual([false, true]);
    last().open();
    last().serverClose(4403);
    expect(client.state.get()).toMatchObject({ status: 'offline', retryAt: null });
    await vi.advanceTimersByTimeAsync(120000);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('a token that cannot be refreshed (network) counts as a failed attempt', async () => {
    let fail = true;
    const { client } = make({
      random: () => 0,
      getToken: async () => {
        if (fail) throw new Error('offline');
        return 'tok';
      },
    });
    client.start();
    await flush();
    expect(client.state.get()).toMatchObject({ status: 'reconnecting', attempt: 1 });
    expect(FakeSocket.all).toHaveLength(0);
    fail = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('shows offline at once when the browser says it is offline', async () => {
    const { client } = make({ isOnline: () => false });
    client.start();
    await flush();
    last().serverClose(1006);
    expect(client.state.get()).toMatchObject({ status: 'offline', attempt: 1 });
  });

  it('pings a silent connection and drops it when the ping is not answered', async () => {
    const { client } = make({ idlePingMs: 25000, pongTimeoutMs: 10000 });
    client.start();
    await flush();
    const s = last();
    s.accept();
    await vi.advanceTimersByTimeAsync(20000);
    s.receive({ type: 'telemetry', workshop_id: 1, pit_id: null, device: 'D', ts: 1, values: {} });
    await vi.advanceTimersByTimeAsync(20000); // 20 s since the last frame: no ping yet
    expect(s.ofType('ping')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.ofType('ping')).toHaveLength(1);
    s.receive({ type: 'pong', id: 'keepalive' });
    await vi.advanceTimersByTimeAsync(10000);
    expect(client.status).toBe('live');
    await vi.advanceTimersByTimeAsync(15000); // next ping, never answered
    expect(s.ofType('ping')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10000);
    expect(s.closedWith).toBe(4000);
    expect(client.status).toBe('reconnecting');
  });
});

describe('live client: subscriptions and events', () => {
  it('subscribes when ready, re-subscribes after a reconnect and tells the holder each time', async () => {
    const { client } = make({ random: () => 0 });
    const active = vi.fn();
    const release = client.subscribe({ workshops: [1] }, { onActive: active });
    client.start();
    await flush();
    last().accept();
    const [sub] = last().ofType('subscribe');
    expect(sub).toEqual({ type: 'subscribe', id: expect.any(String), workshops: [1] });
    last().receive({ type: 'subscribed', id: sub!.id, accepted: { workshops: [1] }, rejected: [] });
    expect(active).toHaveBeenCalledTimes(1);

    last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(500);
    last().accept();
    const [again] = last().ofType('subscribe');
    expect(again).toMatchObject({ type: 'subscribe', workshops: [1] });
    last().receive({ type: 'subscribed', id: again!.id, accepted: { workshops: [1] }, rejected: [] });
    expect(active).toHaveBeenCalledTimes(2);

    release();
    expect(last().ofType('unsubscribe')).toEqual([{ type: 'unsubscribe', id: expect.any(String), workshops: [1] }]);
  });

  it('counts references: a topic is unsubscribed when its last holder lets go', async () => {
    const { client } = make();
    client.start();
    await flush();
    last().accept();
    const a = client.subscribe({ workshops: [1], pits: [3] });
    const bActive = vi.fn();
    const b = client.subscribe({ workshops: [1] }, { onActive: bActive });
    await flush();
    expect(bActive).toHaveBeenCalledTimes(1); // already subscribed: active at once
    expect(last().ofType('subscribe')).toHaveLength(1);
    a();
    expect(last().ofType('unsubscribe')).toEqual([{ type: 'unsubscribe', id: expect.any(String), pits: [3] }]);
    b();
    expect(last().ofType('unsubscribe')[1]).toMatchObject({ workshops: [1] });
  });

  it('reports rejected topics to their holder', async () => {
    const { client } = make();
    const rejected = vi.fn();
    const active = vi.fn();
    client.subscribe({ workshops: [9] }, { onRejected: rejected, onActive: active });
    client.start();
    await flush();
    last().accept();
    const [sub] = last().ofType('subscribe');
    last().receive({ type: 'subscribed', id: sub!.id, accepted: {}, rejected: [{ kind: 'workshop', id: 9, code: 'NOT_FOUND' }] });
    expect(rejected).toHaveBeenCalledWith([{ kind: 'workshop', id: 9, code: 'NOT_FOUND' }]);
    expect(active).not.toHaveBeenCalled();
  });

  it('dispatches well-formed events and drops the rest', async () => {
    const { client } = make();
    const got: LiveEvent[] = [];
    client.on((e) => got.push(e));
    client.start();
    await flush();
    const s = last();
    s.accept();
    s.receive({ type: 'telemetry', workshop_id: 1, pit_id: 2, device: 'SN-1', ts: 1000, values: { temperature: 23.4, bad: 'x' } });
    s.receive({ type: 'device_status', workshop_id: 1, pit_id: null, device: 'SN-1', online: false, last_seen: 900, reason: 'timeout' });
    s.receive({ type: 'telemetry', workshop_id: 1, device: 'SN-1', values: {} }); // no ts
    s.receive({ type: 'alert', workshop_id: 1 });
    s.onmessage?.({ data: 'not json' });
    expect(got).toEqual([
      { type: 'telemetry', workshop_id: 1, pit_id: 2, device: 'SN-1', ts: 1000, values: { temperature: 23.4 } },
      { type: 'device_status', workshop_id: 1, pit_id: null, device: 'SN-1', online: false, last_seen: 900 },
    ]);
    expect(client.status).toBe('live');
  });

  it('parses events defensively', () => {
    expect(parseEvent({ type: 'telemetry', workshop_id: 0, pit_id: null, device: 'x', ts: 1, values: {} })).toBeNull();
    expect(parseEvent({ type: 'device_status', workshop_id: 1, pit_id: 'a', device: 'x', online: true })).toBeNull();
    expect(parseEvent({ type: 'device_status', workshop_id: 1, device: 'x', online: true })).toMatchObject({ pit_id: null, last_seen: null });
  });
});

describe('connection indicator', () => {
  const now = 1_000_000;
  it('says the state in words, with a countdown while waiting', () => {
    expect(describeLive({ status: 'live', since: 0, connection: 1 }, now)).toMatchObject({ label: 'Live', tone: 'good', canRetry: false });
    expect(describeLive({ status: 'connecting' }, now).label).toBe('Connecting…');
    const r = describeLive({ status: 'reconnecting', attempt: 2, retryAt: now + 4200, reason: '' }, now);
    expect(r).toMatchObject({ label: 'Reconnecting · retry in 5 s', tone: 'warning', canRetry: true });
    expect(r.announce).not.toMatch(/\d/); // the announcement does not change every second
    expect(describeLive({ status: 'reconnecting', attempt: 2, retryAt: null, reason: '' }, now).label).toBe('Reconnecting · trying…');
    expect(describeLive({ status: 'offline', attempt: 5, retryAt: now + 30000, reason: '' }, now)).toMatchObject({ label: 'Offline · retry in 30 s', tone: 'offline' });
    expect(describeLive({ status: 'offline', attempt: 0, retryAt: null, reason: 'password change required' }, now).label).toBe('Offline');
  });
});
