import { createStore, type Store } from '../state/store';
import { isRecord, keysToTopics, parseEvent, parseRejected, rejectedKey, topicKeys, type LiveEvent, type RejectedTopic, type Topics } from './events';

/**
 * The console's live channel: one WebSocket per tab to `/api/v1/ws` (docs/LIVE.md).
 *
 * - The access token is sent in the first message (`{"type":"auth"}`), never in the URL; a
 *   refreshed token is sent again on the open connection (`reauth`).
 * - Subscriptions are reference-counted topics (workshop, pit, device). They are sent when the
 *   connection is ready and sent again after every reconnect; each holder is told when its
 *   topics are confirmed (`onActive`), so that it can reload the current state over REST and
 *   miss nothing that happened while the channel was down.
 * - Lost connections are retried with exponential back-off (equal jitter, capped). The
 *   counter is reset only after a connection stayed up for `stableMs`, so a server that
 *   accepts and drops connections at once is not hammered.
 * - A silent connection is probed with an application ping; no answer means it is dead.
 *
 * States: `idle` (not started / signed out), `connecting` (the first attempt), `live`,
 * `reconnecting` (lost; `attempt` failures so far, the next try at `retryAt`, or null while an
 * attempt is under way) and `offline` (as reconnecting, after `offlineAfter` failures in a row,
 * when the browser says it is offline, or after a close that retrying cannot fix).
 */

export type LiveState =
  | { status: 'idle' }
  | { status: 'connecting' }
  | { status: 'live'; since: number; connection: number }
  | { status: 'reconnecting' | 'offline'; attempt: number; retryAt: number | null; reason: string };

export type LiveStatus = LiveState['status'];

/** The part of the browser's WebSocket the client uses (a fake in tests). */
export interface LiveSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

const OPEN = 1;

export interface LiveOptions {
  /** The channel's address, computed when connecting (the page's origin, ws: or wss:). */
  url: () => string;
  /** The current access token; `fresh` asks for a newly refreshed one (after a 4401). null: signed out. */
  getToken: (fresh: boolean) => Promise<string | null>;
  createSocket?: (url: string) => LiveSocket;
  now?: () => number;
  random?: () => number;
  isOnline?: () => boolean;
  baseDelayMs?: number;
  maxDelayMs?: number;
  stableMs?: number;
  offlineAfter?: number;
  handshakeTimeoutMs?: number;
  idlePingMs?: number;
  pongTimeoutMs?: number;
}

export interface SubscribeOptions {
  /** Called each time the server confirms the topics (after subscribing and after every reconnect). */
  onActive?: () => void;
  /** Topics the server refused (NOT_FOUND, FORBIDDEN, ...). */
  onRejected?: (rejected: RejectedTopic[]) => void;
}

interface Holder {
  keys: string[];
  opts: SubscribeOptions;
}

/** Exponential back-off with equal jitter: between half and all of min(max, base·2^(attempt−1)). */
export function backoffDelay(attempt: number, random: number, baseMs = 1000, maxMs = 30000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

/** `ws://host/api/v1/ws` or `wss://…` for the page's origin. */
export function liveUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/v1/ws`;
}

type Timer = ReturnType<typeof setTimeout>;

export class LiveClient {
  readonly state: Store<LiveState> = createStore<LiveState>({ status: 'idle' });

  private readonly o: Required<Omit<LiveOptions, 'url' | 'getToken'>> & Pick<LiveOptions, 'url' | 'getToken'>;
  private running = false;
  private socket: LiveSocket | null = null;
  private ready = false;
  private token: string | null = null;
  private freshToken = false;
  /** Consecutive failed attempts (reset after a stable connection). */
  private failures = 0;
  private connections = 0;
  private liveSince = 0;
  private lastRx = 0;
  /** Bumped by every connect/stop; async steps of an older attempt see it changed and give up. */
  private epoch = 0;
  private retryTimer: Timer | null = null;
  private handshakeTimer: Timer | null = null;
  private idleTimer: Timer | null = null;
  private pongTimer: Timer | null = null;
  private nextId = 1;
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private readonly counts = new Map<string, number>();
  private readonly holders = new Set<Holder>();
  private readonly pending = new Map<string, Holder[]>();

  constructor(opts: LiveOptions) {
    this.o = {
      createSocket: (url) => new WebSocket(url) as unknown as LiveSocket,
      now: () => Date.now(),
      random: Math.random,
      isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
      baseDelayMs: 1000,
      maxDelayMs: 30000,
      stableMs: 10000,
      offlineAfter: 4,
      handshakeTimeoutMs: 10000,
      idlePingMs: 25000,
      pongTimeoutMs: 10000,
      ...opts,
    };
  }

  get status(): LiveStatus {
    return this.state.get().status;
  }

  /** Starts connecting (signed in); does nothing when already running. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    this.freshToken = false;
    void this.connect();
  }

  /** Closes the channel and forgets the token (signed out). Subscriptions are kept for the next start. */
  stop(): void {
    this.running = false;
    this.epoch++;
    this.clearTimers();
    this.token = null;
    const s = this.socket;
    this.socket = null;
    this.ready = false;
    if (s) {
      detach(s);
      s.close(1000, 'stopped');
    }
    this.state.set({ status: 'idle' });
  }

  /** Skips the wait: when the browser is back online or the user asks. */
  retryNow(): void {
    if (!this.running || this.socket || this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    void this.connect();
  }

  /** A refreshed access token: sent on the open connection so that the server does not close it at expiry. */
  reauth(token: string | null): void {
    if (!token) return;
    this.token = token;
    if (this.socket && this.ready && this.socket.readyState === OPEN) this.send({ type: 'auth', token });
  }

  on(fn: (e: LiveEvent) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Subscribes to topics (reference-counted); the returned function releases them. */
  subscribe(topics: Topics, opts: SubscribeOptions = {}): () => void {
    const holder: Holder = { keys: [...new Set(topicKeys(topics))], opts };
    this.holders.add(holder);
    const added: string[] = [];
    for (const k of holder.keys) {
      const n = this.counts.get(k) ?? 0;
      this.counts.set(k, n + 1);
      if (n === 0) added.push(k);
    }
    if (this.ready) {
      if (added.length) this.sendSubscribe(added, [holder]);
      else if (holder.keys.length) queueMicrotask(() => this.holders.has(holder) && holder.opts.onActive?.());
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders.delete(holder);
      const removed: string[] = [];
      for (const k of holder.keys) {
        const n = (this.counts.get(k) ?? 1) - 1;
        if (n <= 0) {
          this.counts.delete(k);
          removed.push(k);
        } else this.counts.set(k, n);
      }
      if (this.ready && removed.length) this.send({ type: 'unsubscribe', id: this.id(), ...keysToTopics(removed) });
    };
  }

  private async connect(): Promise<void> {
    const epoch = ++this.epoch;
    this.retryTimer = null;
    this.setAttemptState();
    let token: string | null;
    try {
      token = await this.o.getToken(this.freshToken);
    } catch {
      if (epoch === this.epoch && this.running) this.failed('cannot refresh the session');
      return;
    }
    if (epoch !== this.epoch || !this.running) return;
    if (token === null) {
      // Signed out: the session tells the app, which stops this client.
      this.state.set({ status: 'offline', attempt: this.failures, retryAt: null, reason: 'signed out' });
      return;
    }
    this.freshToken = false;
    this.token = token;
    let socket: LiveSocket;
    try {
      socket = this.o.createSocket(this.o.url());
    } catch {
      this.failed('cannot open the connection');
      return;
    }
    this.socket = socket;
    this.ready = false;
    this.handshakeTimer = setTimeout(() => this.drop(socket, 'no answer from the server'), this.o.handshakeTimeoutMs);
    socket.onopen = () => {
      if (socket === this.socket && this.token) this.send({ type: 'auth', token: this.token });
    };
    socket.onmessage = (ev) => this.onMessage(socket, ev.data);
    socket.onclose = (ev) => this.onClose(socket, ev.code);
    socket.onerror = () => {
      /* a close event follows */
    };
  }

  private onMessage(socket: LiveSocket, data: unknown): void {
    if (socket !== this.socket || typeof data !== 'string') return;
    this.lastRx = this.o.now();
    if (this.pongTimer !== null) {
      clearTimeout(this.pongTimer);
      this.pongTimer = null;
    }
    let m: unknown;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    if (!isRecord(m) || typeof m.type !== 'string') return;
    switch (m.type) {
      case 'ready':
        if (!this.ready) this.onReady();
        return;
      case 'subscribed': {
        const id = typeof m.id === 'string' || typeof m.id === 'number' ? String(m.id) : '';
        const holders = this.pending.get(id) ?? [];
        this.pending.delete(id);
        const rejected = parseRejected(m.rejected);
        for (const h of holders) {
          if (!this.holders.has(h)) continue;
          const mine = rejected.filter((r) => h.keys.includes(rejectedKey(r)));
          if (mine.length) h.opts.onRejected?.(mine);
          if (mine.length < h.keys.length) h.opts.onActive?.();
        }
        return;
      }
      case 'pong':
      case 'unsubscribed':
      case 'error':
        return;
      default: {
        const e = parseEvent(m);
        if (e) for (const fn of [...this.listeners]) fn(e);
      }
    }
  }

  private onReady(): void {
    this.ready = true;
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.connections++;
    this.liveSince = this.o.now();
    this.state.set({ status: 'live', since: this.liveSince, connection: this.connections });
    this.pending.clear();
    if (this.counts.size) this.sendSubscribe([...this.counts.keys()], [...this.holders]);
    this.scheduleIdle(this.o.idlePingMs);
  }

  private sendSubscribe(keys: string[], holders: Holder[]): void {
    // The server takes at most 256 items per message.
    for (let i = 0; i < keys.length; i += 256) {
      const chunk = keys.slice(i, i + 256);
      const id = this.id();
      this.pending.set(
        id,
        holders.filter((h) => h.keys.some((k) => chunk.includes(k))),
      );
      this.send({ type: 'subscribe', id, ...keysToTopics(chunk) });
    }
  }

  /** Probes a silent connection: ping after `idlePingMs` without a frame, dead without an answer. */
  private scheduleIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      const socket = this.socket;
      if (!socket || !this.ready) return;
      const quiet = this.o.now() - this.lastRx;
      if (quiet < this.o.idlePingMs) {
        this.scheduleIdle(this.o.idlePingMs - quiet);
        return;
      }
      this.send({ type: 'ping', id: 'keepalive' });
      this.pongTimer = setTimeout(() => this.drop(socket, 'no answer to ping'), this.o.pongTimeoutMs);
      this.scheduleIdle(this.o.idlePingMs);
    }, ms);
  }

  /** Gives up on a connection without waiting for the browser's close event. */
  private drop(socket: LiveSocket, why: string): void {
    if (socket !== this.socket) return;
    detach(socket);
    try {
      socket.close(4000, why);
    } catch {
      /* already closed */
    }
    this.onClose(socket, 4000, why);
  }

  private onClose(socket: LiveSocket, code: number, why?: string): void {
    if (socket !== this.socket) return;
    detach(socket);
    this.socket = null;
    const wasReady = this.ready;
    this.ready = false;
    this.clearTimers();
    if (!this.running) return;
    if (code === 4403) {
      // The user must change a temporary password; the app restarts the channel afterwards.
      this.state.set({ status: 'offline', attempt: this.failures, retryAt: null, reason: 'password change required' });
      return;
    }
    if (code === 4401) this.freshToken = true;
    if (wasReady && this.o.now() - this.liveSince >= this.o.stableMs) this.failures = 0;
    this.failed(why ?? closeReason(code));
  }

  private failed(reason: string): void {
    this.failures++;
    const delay = backoffDelay(this.failures, this.o.random(), this.o.baseDelayMs, this.o.maxDelayMs);
    const offline = this.failures >= this.o.offlineAfter || !this.o.isOnline();
    this.state.set({ status: offline ? 'offline' : 'reconnecting', attempt: this.failures, retryAt: this.o.now() + delay, reason });
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private setAttemptState(): void {
    const s = this.state.get();
    if (this.failures === 0) this.state.set({ status: 'connecting' });
    else if (s.status === 'reconnecting' || s.status === 'offline') this.state.set({ ...s, retryAt: null });
    else this.state.set({ status: 'reconnecting', attempt: this.failures, retryAt: null, reason: '' });
  }

  private clearTimers(): void {
    for (const t of [this.retryTimer, this.handshakeTimer, this.idleTimer, this.pongTimer]) if (t !== null) clearTimeout(t);
    this.retryTimer = this.handshakeTimer = this.idleTimer = this.pongTimer = null;
  }

  private send(msg: Record<string, unknown>): void {
    const s = this.socket;
    if (!s || s.readyState !== OPEN) return;
    try {
      s.send(JSON.stringify(msg));
    } catch {
      /* closing; the close event handles it */
    }
  }

  private id(): string {
    return `c${this.nextId++}`;
  }
}

function detach(s: LiveSocket): void {
  s.onopen = null;
  s.onmessage = null;
  s.onclose = null;
  s.onerror = null;
}

function closeReason(code: number): string {
  switch (code) {
    case 1001:
      return 'the server is restarting';
    case 4401:
      return 'the session needs a new token';
    case 4408:
      return 'the connection was too slow';
    default:
      return 'the connection was lost';
  }
}
