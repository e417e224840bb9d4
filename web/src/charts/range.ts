// Chart ranges: the presets and custom ranges a chart shows, what they ask the API
// (history, stats, CSV export: the same window for all three), how they live in the page's
// address, and how the CSV file of a range is named. Pure; times are unix milliseconds.
import type { ExportQuery, HistoryQuery, HistoryResolution, StatsQuery } from '../api/types';
import { formatDateTime, zonedParts } from '../format';

export type Preset = '1h' | '24h' | '7d' | '30d';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const PRESETS: readonly { key: Preset; label: string; long: string; ms: number }[] = [
  { key: '1h', label: '1 h', long: 'Last hour', ms: HOUR },
  { key: '24h', label: '24 h', long: 'Last 24 hours', ms: DAY },
  { key: '7d', label: '7 d', long: 'Last 7 days', ms: 7 * DAY },
  { key: '30d', label: '30 d', long: 'Last 30 days', ms: 30 * DAY },
];

export const DEFAULT_RANGE: ChartRange = { kind: 'preset', preset: '1h' };

/** A zoom never goes below a minute (a drag of a few pixels would otherwise ask for nothing). */
export const MIN_SPAN_MS = 60_000;
/** Ranges are capped so that a typo (year 2062) does not ask for decades of roll-ups. */
export const MAX_SPAN_MS = 400 * DAY;

export type ChartRange = { kind: 'preset'; preset: Preset } | { kind: 'custom'; from: number; to: number };

/** The window a range covers at `now`; `live` when it ends now, so live readings extend it. */
export interface TimeWindow {
  from: number;
  to: number;
  live: boolean;
}

export function presetMs(p: Preset): number {
  return PRESETS.find((x) => x.key === p)?.ms ?? HOUR;
}

export function resolveRange(r: ChartRange, now: number): TimeWindow {
  if (r.kind === 'preset') return { from: now - presetMs(r.preset), to: now, live: true };
  return { from: r.from, to: r.to, live: r.from < now && r.to >= now };
}

export function sameRange(a: ChartRange, b: ChartRange): boolean {
  if (a.kind === 'preset') return b.kind === 'preset' && a.preset === b.preset;
  return b.kind === 'custom' && a.from === b.from && a.to === b.to;
}

/**
 * The window after a live reading at `ts`: a preset slides so that it still ends now (its
 * start follows), a custom range that ends in the future keeps its bounds. null: the reading
 * is outside the window (too old, past a custom end) or the window is not live.
 */
export function advanceWindow(w: TimeWindow, r: ChartRange, ts: number): TimeWindow | null {
  if (!w.live || !Number.isFinite(ts)) return null;
  if (r.kind === 'custom') return ts >= w.from && ts < w.to ? w : null;
  const span = presetMs(r.preset);
  const to = Math.max(w.to, ts + 1);
  const from = to - span;
  if (ts < from) return null;
  return to === w.to ? w : { from, to, live: true };
}

/**
 * A custom range from two chart positions (a drag to zoom, in either direction), whole
 * milliseconds, widened around its middle to at least MIN_SPAN_MS. null for nonsense.
 */
export function zoomRange(a: number, b: number): ChartRange | null {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
  let from = Math.round(Math.min(a, b));
  let to = Math.round(Math.max(a, b));
  if (to - from < MIN_SPAN_MS) {
    const mid = Math.round((from + to) / 2);
    from = mid - MIN_SPAN_MS / 2;
    to = mid + MIN_SPAN_MS / 2;
  }
  if (from < 0) return null;
  return { kind: 'custom', from, to };
}

/** A custom range as typed (two instants): an error sentence, or the range. */
export function customRange(from: number | null, to: number | null): { ok: true; range: ChartRange } | { ok: false; error: string } {
  if (from === null || to === null || !Number.isFinite(from) || !Number.isFinite(to)) return { ok: false, error: 'Enter a start and an end.' };
  if (to <= from) return { ok: false, error: 'The end must be after the start.' };
  if (to - from < MIN_SPAN_MS) return { ok: false, error: 'Choose at least one minute.' };
  if (to - from > MAX_SPAN_MS) return { ok: false, error: 'Choose at most 400 days.' };
  return { ok: true, range: { kind: 'custom', from, to } };
}

/**
 * The max_points to ask for: about one point per CSS pixel of plot width, so the server picks
 * the resolution (raw, minute or hour roll-ups) that fills the chart without wasting transfer.
 */
export function maxPointsFor(widthPx: number): number {
  if (!Number.isFinite(widthPx) || widthPx <= 0) return 1000;
  return Math.min(4000, Math.max(100, Math.round(widthPx)));
}

export function historyQuery(metrics: readonly string[], w: TimeWindow, maxPoints: number): HistoryQuery {
  return { metrics: metrics.join(','), from: String(w.from), to: String(w.to), resolution: 'auto', max_points: maxPoints };
}

export function statsQuery(metric: string, w: TimeWindow): StatsQuery {
  return { metric, from: String(w.from), to: String(w.to) };
}

export function exportQuery(metrics: readonly string[], w: TimeWindow): ExportQuery {
  return { metrics: metrics.join(','), from: String(w.from), to: String(w.to) };
}

/** The width of one point at a resolution (0 for raw readings). */
export function resolutionMs(r: HistoryResolution): number {
  return r === 'hour' ? HOUR : r === 'minute' ? 60_000 : 0;
}

export function resolutionLabel(r: HistoryResolution): string {
  return r === 'hour' ? 'hourly min/avg/max' : r === 'minute' ? 'per-minute min/avg/max' : 'every reading';
}

// ---- the page's address --------------------------------------------------------------

function parseInstant(s: string | null): number | null {
  if (!s) return null;
  if (/^\d{1,15}$/.test(s)) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** `?range=24h`, or `?from=…&to=…` (RFC 3339 or unix ms); anything else: the default. */
export function rangeFromSearch(q: URLSearchParams): ChartRange {
  const preset = q.get('range');
  if (preset && PRESETS.some((p) => p.key === preset)) return { kind: 'preset', preset: preset as Preset };
  const c = customRange(parseInstant(q.get('from')), parseInstant(q.get('to')));
  return c.ok ? c.range : DEFAULT_RANGE;
}

/** The range's query parameters (RFC 3339 UTC, readable in a shared link). */
export function rangeToSearch(r: ChartRange): Record<string, string> {
  if (r.kind === 'preset') return { range: r.preset };
  return { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() };
}

/** The page address with the chart's metric and range, other parameters kept. */
export function chartPath(path: string, metric: string | null, r: ChartRange): string {
  const i = path.indexOf('?');
  const base = i < 0 ? path : path.slice(0, i);
  const q = new URLSearchParams(i < 0 ? '' : path.slice(i + 1));
  for (const k of ['metric', 'range', 'from', 'to']) q.delete(k);
  if (metric) q.set('metric', metric);
  for (const [k, v] of Object.entries(rangeToSearch(r))) q.set(k, v);
  const s = q.toString();
  return s ? `${base}?${s}` : base;
}

export function rangeLabel(r: ChartRange, tz: string): string {
  if (r.kind === 'preset') return PRESETS.find((p) => p.key === r.preset)?.long ?? '';
  return `${formatDateTime(new Date(r.from).toISOString(), tz)} – ${formatDateTime(new Date(r.to).toISOString(), tz)}`;
}

// ---- the CSV file ----------------------------------------------------------------------

function stamp(ms: number, tz: string): string {
  const p = zonedParts(ms, tz);
  return `${p.year}${p.month}${p.day}-${p.hour}${p.minute}`;
}

/**
 * `SN-1_temperature_20260305-1000_20260305-1100.csv`: the device, the metrics and the window in
 * the workshop's wall-clock time, in characters every file system accepts.
 */
export function csvFileName(uid: string, metrics: readonly string[], w: Pick<TimeWindow, 'from' | 'to'>, tz: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'device';
  const what = metrics.length ? metrics.map(clean).join('+') : 'all';
  return `${clean(uid)}_${what}_${stamp(w.from, tz)}_${stamp(w.to, tz)}.csv`;
}
