import type { PitStatus, Role } from './api/types';

export type Tone = 'good' | 'warning' | 'critical' | 'offline' | 'unknown' | 'neutral';

const tzCache = new Map<string, boolean>();

/** The zone if the browser knows it, else UTC (a bad value in the database must not break pages). */
export function safeTimeZone(tz: string | undefined | null): string {
  if (!tz) return 'UTC';
  let ok = tzCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    tzCache.set(tz, ok);
  }
  return ok ? tz : 'UTC';
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string, withSeconds: boolean): Intl.DateTimeFormat {
  const key = `${tz}|${withSeconds}`;
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      day: '2-digit',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: withSeconds ? '2-digit' : undefined,
      hourCycle: 'h23',
    });
    fmtCache.set(key, f);
  }
  return f;
}

/** `05 Mar 2026, 14:07` in the workshop's zone; "—" for nothing, the raw text for garbage. */
export function formatDateTime(iso: string | null | undefined, tz: string | null | undefined, withSeconds = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = formatter(safeTimeZone(tz), withSeconds).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const time = withSeconds ? `${get('hour')}:${get('minute')}:${get('second')}` : `${get('hour')}:${get('minute')}`;
  return `${get('day')} ${get('month')} ${get('year')}, ${time}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago"; future times as "in 5 min". */
export function formatRelative(iso: string | null | undefined, nowMs: number = Date.now()): string {
  if (!iso) return 'never';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '—';
  const diff = Math.round((nowMs - t) / 1000);
  const abs = Math.abs(diff);
  let s: string;
  if (abs < 45) return 'just now';
  if (abs < 3600) s = `${Math.round(abs / 60)} min`;
  else if (abs < 86400) s = `${Math.round(abs / 3600)} h`;
  else {
    const days = Math.round(abs / 86400);
    s = `${days} day${days === 1 ? '' : 's'}`;
  }
  return diff >= 0 ? `${s} ago` : `in ${s}`;
}

/**
 * The age of a reading, to the second while it is fresh: "just now", "12 s ago", "4 min ago",
 * "3 h ago", "2 days ago". A time slightly in the future (a device clock ahead) is "just now".
 */
export function formatAgo(tsMs: number | null | undefined, nowMs: number = Date.now()): string {
  if (tsMs === null || tsMs === undefined || !Number.isFinite(tsMs)) return 'never';
  const s = Math.floor((nowMs - tsMs) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** The UTC offset of `tz` at instant `utcMs`, in minutes (east positive). */
export function zoneOffsetMinutes(tz: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: safeTimeZone(tz),
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour') % 24, n('minute'), n('second'));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/**
 * A wall-clock time in the workshop's zone (`2026-03-05T14:07` from <input type=datetime-local>,
 * or a bare date meaning its midnight) → RFC 3339 UTC, as the API's filters expect.
 */
export function zonedToUtcIso(local: string, tz: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(local.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0'] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  // Two passes settle the offset across a DST change.
  let utc = wall - zoneOffsetMinutes(tz, wall) * 60000;
  utc = wall - zoneOffsetMinutes(tz, utc) * 60000;
  return new Date(utc).toISOString().replace('.000Z', 'Z');
}

/** The wall-clock fields of instant `utcMs` in zone `tz` (two-digit strings, year four). */
const partsCache = new Map<string, Intl.DateTimeFormat>();
export function zonedParts(utcMs: number, tz: string): { year: string; month: string; day: string; hour: string; minute: string; second: string } {
  const zone = safeTimeZone(tz);
  let f = partsCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsCache.set(zone, f);
  }
  const parts = f.formatToParts(new Date(utcMs));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return {
    year: get('year').padStart(4, '0'),
    month: get('month'),
    day: get('day'),
    hour: get('hour') === '24' ? '00' : get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** An instant as <input type=datetime-local> shows it in the workshop's zone: `2026-03-05T14:07`. */
export function toZonedInput(utcMs: number, tz: string): string {
  const p = zonedParts(utcMs, tz);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

export function roleLabel(role: Role): string {
  return { super_admin: 'Platform admin', owner: 'Owner', staff: 'Staff', customer: 'Customer' }[role];
}

export function pitStatus(status: PitStatus): { label: string; tone: Tone } {
  switch (status) {
    case 'active':
      return { label: 'Active', tone: 'good' };
    case 'maintenance':
      return { label: 'Maintenance', tone: 'warning' };
    case 'disabled':
      return { label: 'Disabled', tone: 'offline' };
  }
}

/** "user.create" → "User create"; audit action names are machine text. */
export function actionLabel(action: string): string {
  const s = action.replace(/[._]/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
