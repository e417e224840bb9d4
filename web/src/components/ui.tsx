import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useId, useState } from 'preact/hooks';
import { describeError } from '../api/errors';
import { formatAgo, formatDateTime, type Tone } from '../format';
import { navigate } from '../state/router';

export function Link(props: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, onClick, ...rest } = props;
  return (
    <a
      href={href}
      {...rest}
      onClick={(e) => {
        if (onClick) (onClick as (ev: MouseEvent) => void)(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    />
  );
}

export function Badge({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return (
    <span class={`badge tone-${tone}`}>
      <span class="dot" aria-hidden="true" />
      {children}
    </span>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <p class="state-title">{title}</p>
      {children && <div class="state-body">{children}</div>}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p class="state-title">Could not load this</p>
      <p class="state-body">{describeError(error)}</p>
      {onRetry && (
        <button type="button" class="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Alert({ tone, children }: { tone: 'critical' | 'warning' | 'good' | 'info'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${tone}`} role={tone === 'critical' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'value' | 'onInput' | 'label'> & {
  label: string;
  value: string;
  onValue: (v: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
};

export function TextField({ label, value, onValue, error, hint, id, ...rest }: InputProps) {
  const auto = useId();
  const fieldId = (id as string | undefined) ?? `f${auto}`;
  const describedBy = [error ? `${fieldId}-err` : '', hint ? `${fieldId}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={fieldId}>{label}</label>
      <input
        id={fieldId}
        value={value}
        onInput={(e) => onValue((e.currentTarget as HTMLInputElement).value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...rest}
      />
      {hint && (
        <p class="field-hint" id={`${fieldId}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${fieldId}-err`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function SelectField<T extends string>({
  label,
  value,
  onValue,
  options,
  id,
  error,
  hint,
  disabled,
}: {
  label: string;
  value: T;
  onValue: (v: T) => void;
  options: { value: T; label: string }[];
  id?: string;
  error?: string | undefined;
  hint?: string | undefined;
  disabled?: boolean;
}) {
  const auto = useId();
  const fieldId = id ?? `f${auto}`;
  const describedBy = [error ? `${fieldId}-err` : '', hint ? `${fieldId}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={fieldId}>{label}</label>
      <select
        id={fieldId}
        value={value}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => onValue((e.currentTarget as HTMLSelectElement).value as T)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint && (
        <p class="field-hint" id={`${fieldId}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${fieldId}-err`}>
          {error}
        </p>
      )}
    </div>
  );
}

export type Async<T> =
  | { status: 'loading'; data?: T | undefined; error?: undefined }
  | { status: 'ok'; data: T; error?: undefined }
  | { status: 'error'; data?: T | undefined; error: unknown };

/** Loads `fn` when `deps` change; `reload` re-runs it. Stale answers are dropped. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): Async<T> & { reload: () => void } {
  const [state, setState] = useState<Async<T>>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ status: 'loading', data: s.data }));
    fn().then(
      (data) => live && setState({ status: 'ok', data }),
      (error: unknown) => live && setState((s) => ({ status: 'error', error, data: s.data })),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-head">
      <div>
        <h1>{title}</h1>
        {subtitle && <p class="page-sub">{subtitle}</p>}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </div>
  );
}

// One shared one-second ticker for every clock on screen ("12 s ago", countdowns).
const tickers = new Set<(now: number) => void>();
let tickTimer: ReturnType<typeof setInterval> | null = null;

/** The current time, updated every second while `active` (one shared timer for the whole page). */
export function useNow(active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    tickers.add(setNow);
    tickTimer ??= setInterval(() => {
      const t = Date.now();
      for (const fn of [...tickers]) fn(t);
    }, 1000);
    return () => {
      tickers.delete(setNow);
      if (tickers.size === 0 && tickTimer !== null) {
        clearInterval(tickTimer);
        tickTimer = null;
      }
    };
  }, [active]);
  return now;
}

/** "12 s ago", kept current by the shared one-second clock; the full time on hover. */
export function Ago({ ts, tz }: { ts: number | null; tz?: string }) {
  const now = useNow(ts !== null);
  if (ts === null) return <>{formatAgo(ts, now)}</>;
  const iso = new Date(ts).toISOString();
  return (
    <time dateTime={iso} title={tz ? formatDateTime(iso, tz, true) : undefined}>
      {formatAgo(ts, now)}
    </time>
  );
}

/** Where a page sits: links to the pages above it, then the page itself. */
export function Breadcrumb({ items }: { items: { href?: string; label: string }[] }) {
  return (
    <nav class="breadcrumb" aria-label="Breadcrumb">
      <ol>
        {items.map((it, i) => (
          <li key={i}>
            {it.href && i < items.length - 1 ? (
              <Link href={it.href}>{it.label}</Link>
            ) : (
              <span aria-current={i === items.length - 1 ? 'page' : undefined}>{it.label}</span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
