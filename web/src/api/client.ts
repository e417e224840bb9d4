import { ApiError, BAD_RESPONSE, NETWORK_ERROR, SESSION_ENDED, TIMEOUT } from './errors';
import type { ChangePasswordBody, PageMeta, Session, User } from './types';

/**
 * The REST client. It owns the session's tokens:
 *
 * - the access token lives only in this object's memory (never in storage, never in a URL);
 * - the refresh token lives in memory and, so that a reload of the same tab keeps the user
 *   signed in, in sessionStorage (one tab, gone when the tab closes, never sent automatically
 *   like a cookie). The server rotates it on every use and revokes the whole session when an
 *   old one is presented again, so a copied token is worth one refresh at most.
 *
 * Refresh is single-flight: concurrent requests that find the access token expired share
 * one POST /auth/refresh, because presenting the same refresh token twice would revoke the
 * session. Refresh happens proactively (a timer before expiry) and reactively (a 401 on an
 * authenticated call is refreshed once and the call retried once).
 */

export const REFRESH_KEY = 'sitewatch.refresh';

export type SessionEvent =
  | { type: 'signed-in'; user: User }
  | { type: 'user'; user: User }
  | { type: 'password-change-required' }
  | { type: 'signed-out'; reason: 'logout' | 'expired' | 'revoked' };

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  storage?: KeyValueStore | null;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  timeoutMs?: number;
  /** Retries of idempotent requests after a network error, 502/503/504 or 429. */
  maxRetries?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  /** Public routes (login, refresh) send no bearer token and never trigger a refresh. */
  anonymous?: boolean;
  signal?: AbortSignal;
  /** A file, not the JSON envelope: a success answers the body as a Blob (errors are still JSON). */
  raw?: boolean;
}

export interface Page<T> {
  data: T;
  meta: PageMeta | undefined;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const IDEMPOTENT = new Set(['GET', 'HEAD']);
/** 401s about what the user typed, not about the session's token. */
const CREDENTIAL_CODES = new Set(['INVALID_CREDENTIALS', 'ACCOUNT_LOCKED', 'INVALID_CURRENT_PASSWORD']);

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly storage: KeyValueStore | null;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;

  private accessToken: string | null = null;
  private accessExpiresAt = 0;
  private refreshToken: string | null = null;
  private refreshing: Promise<User | null> | null = null;
  private timer: unknown = null;
  private listeners = new Set<(e: SessionEvent) => void>();
  private tokenListeners = new Set<(token: string | null) => void>();

  constructor(opts: ClientOptions = {}) {
    this.baseUrl = opts.baseUrl ?? '';
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.storage = opts.storage === undefined ? defaultStorage() : opts.storage;
    this.now = opts.now ?? (() => Date.now());
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.timeoutMs = opts.timeoutMs ?? 15000;
    this.maxRetries = opts.maxRetries ?? 2;
    this.refreshToken = this.storage?.getItem(REFRESH_KEY) ?? null;
  }

  subscribe(fn: (e: SessionEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Told of every new access token (login, refresh, password change) and of null at sign-out. */
  onAccessToken(fn: (token: string | null) => void): () => void {
    this.tokenListeners.add(fn);
    return () => this.tokenListeners.delete(fn);
  }

  /**
   * The access token for the live channel's `auth` message (never for a URL). Refreshed first
   * when it is about to expire, or when `fresh` (the server refused it). null: signed out.
   * Throws on network trouble, like any refresh.
   */
  async liveToken(fresh = false): Promise<string | null> {
    if (this.refreshToken && (fresh || this.accessExpired())) {
      const user = await this.refreshOnce();
      if (!user) return null;
    }
    return this.accessToken;
  }

  get signedIn(): boolean {
    return this.accessToken !== null;
  }

  /** True when a refresh token from an earlier page load can be tried. */
  get canRestore(): boolean {
    return this.refreshToken !== null;
  }

  async login(username: string, password: string): Promise<User> {
    const { data } = await this.request<Session>('POST', '/api/v1/auth/login', {
      body: { username, password },
      anonymous: true,
    });
    this.adopt(data);
    this.emit({ type: 'signed-in', user: data.user });
    return data.user;
  }

  /** Restores the session of an earlier page load; false when there is none (or it ended). */
  async restore(): Promise<User | null> {
    if (!this.refreshToken) return null;
    return this.refreshOnce();
  }

  async changePassword(body: ChangePasswordBody): Promise<User> {
    const { data } = await this.request<Session>('POST', '/api/v1/auth/change-password', { body });
    this.adopt(data);
    this.emit({ type: 'user', user: data.user });
    return data.user;
  }

  async logout(): Promise<void> {
    try {
      // An expired access token is refreshed first, so that the server can still revoke the session.
      if (this.refreshToken && this.accessExpired()) await this.refreshOnce();
    } catch {
      /* unreachable: end locally below */
    }
    const access = this.accessToken;
    const refresh = this.refreshToken;
    // The session ends here first: a call started while the server revokes it (the overview's
    // live reload, say) must not go out with a token that is about to be refused.
    this.clear();
    try {
      if (access) await this.send('POST', '/api/v1/auth/logout', { body: refresh ? { refresh_token: refresh } : {} }, access);
    } catch {
      // The session ends locally whatever the server says; an unreachable server must not trap the user.
    } finally {
      this.emit({ type: 'signed-out', reason: 'logout' });
    }
  }

  get<T>(path: string, opts: RequestOptions = {}): Promise<Page<T>> {
    return this.request<T>('GET', path, opts);
  }
  post<T>(path: string, body?: unknown): Promise<Page<T>> {
    return this.request<T>('POST', path, { body });
  }
  patch<T>(path: string, body: unknown): Promise<Page<T>> {
    return this.request<T>('PATCH', path, { body });
  }
  delete<T>(path: string): Promise<Page<T>> {
    return this.request<T>('DELETE', path, {});
  }
  /**
   * A file the API serves (CSV export): fetched with the Authorization header like any call,
   * so that the token never goes into a URL; the caller saves the Blob (an object URL).
   */
  async download(path: string, query?: RequestOptions['query']): Promise<Blob> {
    const { data } = await this.request<Blob>('GET', path, { query, raw: true });
    return data;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Page<T>> {
    if (!opts.anonymous && this.accessToken === null && this.refreshToken === null) {
      // Signed out (or signing out): an authenticated call is never sent without a session.
      throw new ApiError(401, SESSION_ENDED, 'Your session has ended. Please sign in again.');
    }
    if (!opts.anonymous && this.refreshToken && this.accessExpired()) {
      await this.refreshOrSignOut();
    }
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send<T>(method, path, opts);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        const tokenProblem = e.status === 401 && !opts.anonymous && !CREDENTIAL_CODES.has(e.code);
        if (tokenProblem && !refreshed && this.refreshToken) {
          refreshed = true;
          await this.refreshOrSignOut();
          attempt--; // a refresh does not count as a retry
          continue;
        }
        if (tokenProblem) {
          this.endSession('expired');
          throw e;
        }
        if (e.status === 403 && e.code === 'PASSWORD_CHANGE_REQUIRED') {
          this.emit({ type: 'password-change-required' });
          throw e;
        }
        const retriable = (e.isNetwork || RETRY_STATUSES.has(e.status)) && e.code !== TIMEOUT;
        if (IDEMPOTENT.has(method) && retriable && attempt < this.maxRetries && !opts.signal?.aborted) {
          await this.sleep(backoffMs(attempt, e.retryAfterSeconds));
          continue;
        }
        throw e;
      }
    }
  }

  private accessExpired(): boolean {
    return this.accessToken === null || this.now() >= this.accessExpiresAt - 5000;
  }

  private async refreshOrSignOut(): Promise<void> {
    const user = await this.refreshOnce();
    if (!user) throw new ApiError(401, SESSION_ENDED, 'Your session has ended. Please sign in again.');
  }

  /** Single-flight refresh; resolves to the user, or null when the session is over. */
  private refreshOnce(): Promise<User | null> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<User | null> {
    const token = this.refreshToken;
    if (!token) return null;
    try {
      const { data } = await this.send<Session>('POST', '/api/v1/auth/refresh', {
        body: { refresh_token: token },
        anonymous: true,
      });
      const wasSignedIn = this.accessToken !== null;
      this.adopt(data);
      this.emit(wasSignedIn ? { type: 'user', user: data.user } : { type: 'signed-in', user: data.user });
      return data.user;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 400)) {
        this.endSession(e.code === 'TOKEN_REUSED' ? 'revoked' : 'expired');
        return null;
      }
      throw e; // network trouble: keep the refresh token, the next call tries again
    }
  }

  private adopt(s: Session): void {
    this.accessToken = s.access_token;
    this.accessExpiresAt = this.now() + s.expires_in * 1000;
    this.refreshToken = s.refresh_token;
    this.storage?.setItem(REFRESH_KEY, s.refresh_token);
    this.schedule(s.expires_in);
    this.emitToken(s.access_token);
  }

  private schedule(expiresIn: number): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    // Refresh a little before expiry (at 80 %, at least 5 s ahead) so that calls never wait for it.
    const ms = Math.max(1000, Math.min(expiresIn * 800, expiresIn * 1000 - 5000));
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.refreshOnce().catch(() => {
        /* offline: the next request refreshes */
      });
    }, ms);
  }

  private endSession(reason: 'expired' | 'revoked'): void {
    const had = this.accessToken !== null || this.refreshToken !== null;
    this.clear();
    if (had) this.emit({ type: 'signed-out', reason });
  }

  private clear(): void {
    const had = this.accessToken !== null;
    this.accessToken = null;
    this.accessExpiresAt = 0;
    this.refreshToken = null;
    this.storage?.removeItem(REFRESH_KEY);
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    if (had) this.emitToken(null);
  }

  private emitToken(token: string | null): void {
    for (const fn of [...this.tokenListeners]) fn(token);
  }

  private emit(e: SessionEvent): void {
    for (const fn of [...this.listeners]) fn(e);
  }

  private async send<T>(method: string, path: string, opts: RequestOptions, bearer: string | null = this.accessToken): Promise<Page<T>> {
    const headers: Record<string, string> = { Accept: opts.raw ? '*/*' : 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (!opts.anonymous && bearer) headers.Authorization = `Bearer ${bearer}`;
    const controller = new AbortController();
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onAbort);
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path + queryString(opts.query), {
        method,
        headers,
        body: opts.body === undefined ? null : JSON.stringify(opts.body),
        signal: controller.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (timedOut) throw new ApiError(0, TIMEOUT, 'request timed out');
      throw new ApiError(0, NETWORK_ERROR, 'network error');
    } finally {
      clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    if (opts.raw && res.ok) {
      try {
        return { data: (await res.blob()) as T, meta: undefined };
      } catch {
        throw new ApiError(0, NETWORK_ERROR, 'network error');
      }
    }
    let json: unknown = null;
    const text = await res.text().catch(() => '');
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (res.ok && isRecord(json) && json.success === true) {
      return { data: json.data as T, meta: json.meta as PageMeta | undefined };
    }
    const retryAfter = Number(res.headers.get('Retry-After') ?? '') || undefined;
    if (isRecord(json) && isRecord(json.error)) {
      const err = json.error;
      const details = isRecord(err.details) ? err.details : {};
      throw new ApiError(
        res.status,
        typeof err.code === 'string' ? err.code : 'UNKNOWN',
        typeof err.message === 'string' ? err.message : res.statusText,
        typeof details.field === 'string' ? details.field : undefined,
        retryAfter,
      );
    }
    throw new ApiError(res.ok ? 502 : res.status, BAD_RESPONSE, `unexpected response (HTTP ${res.status})`, undefined, retryAfter);
  }
}

export function backoffMs(attempt: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds && retryAfterSeconds > 0) return Math.min(retryAfterSeconds, 10) * 1000;
  return 300 * 2 ** attempt;
}

export function queryString(q: RequestOptions['query']): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function defaultStorage(): KeyValueStore | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}
