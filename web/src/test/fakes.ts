import type { KeyValueStore } from '../api/client';
import type { Session, User } from '../api/types';

export const user = (over: Partial<User> = {}): User => ({
  id: 7,
  username: 'anna',
  role: 'owner',
  active: true,
  workshop_id: 1,
  temporary_password: false,
  ...over,
});

let n = 0;
export function session(over: Partial<Session> = {}): Session {
  n++;
  return {
    access_token: `access-${n}`,
    token_type: 'Bearer',
    expires_in: 900,
    refresh_token: `refresh-${n}`,
    user: user(),
    ...over,
  };
}

export const ok = (data: unknown, status = 200, meta?: unknown) =>
  new Response(JSON.stringify({ success: true, data, ...(meta ? { meta } : {}) }), { status, headers: { 'Content-Type': 'application/json' } });

export const fail = (status: number, code: string, message = code.toLowerCase(), headers: Record<string, string> = {}, field?: string) =>
  new Response(JSON.stringify({ success: false, error: { code, message, ...(field ? { details: { field } } : {}) } }), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

export interface Call {
  method: string;
  url: string;
  auth: string | null;
  body: unknown;
}

/** A scripted fetch: each handler answers one request in order, or a router answers by URL. */
export function fakeFetch(route: (c: Call, i: number) => Response | Promise<Response> | Error) {
  const calls: Call[] = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const c: Call = {
      method: init?.method ?? 'GET',
      url: String(input),
      auth: headers.get('Authorization'),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(c);
    const r = await route(c, calls.length - 1);
    if (r instanceof Error) throw r;
    return r;
  }) as typeof fetch;
  return { fn, calls };
}

export function memoryStorage(init: Record<string, string> = {}): KeyValueStore & { data: Record<string, string> } {
  const data = { ...init };
  return {
    data,
    getItem: (k) => data[k] ?? null,
    setItem: (k, v) => {
      data[k] = v;
    },
    removeItem: (k) => {
      delete data[k];
    },
  };
}
