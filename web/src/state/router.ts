import { createStore } from './store';

/** History-API routing: real paths (the server falls back to index.html for them). */
export const location = createStore<string>(currentPath());

function currentPath(): string {
  return typeof window === 'undefined' ? '/' : window.location.pathname + window.location.search;
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => location.set(currentPath()));
}

/** `scroll: false` keeps the scroll position (a page recording its own state in the address). */
export function navigate(to: string, opts: { replace?: boolean; scroll?: boolean } = {}): void {
  if (to === currentPath()) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  location.set(currentPath());
  if (opts.scroll !== false) window.scrollTo(0, 0);
}

export type Params = Record<string, string>;

/** `/workshops/:id` against `/workshops/7?x=1` → {id: '7'}; null when it does not match. */
export function match(pattern: string, path: string): Params | null {
  const pathname = path.split(/[?#]/)[0] ?? '';
  const a = pattern.split('/').filter(Boolean);
  const b = pathname.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Params = {};
  for (let i = 0; i < a.length; i++) {
    const pa = a[i]!;
    const pb = b[i]!;
    if (pa.startsWith(':')) params[pa.slice(1)] = decodeURIComponent(pb);
    else if (pa !== pb) return null;
  }
  return params;
}

export function searchParams(path: string): URLSearchParams {
  const i = path.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : path.slice(i + 1));
}
