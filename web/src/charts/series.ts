// One metric's points as the chart holds them: columns (uPlot's layout) of time, average,
// minimum, maximum and count, loaded from `GET /devices/{uid}/history` and extended by live
// readings. Pure; every function returns new arrays.
import type { History } from '../api/types';

export interface Columns {
  /** Unix ms, ascending. For roll-ups: the start of the bucket. */
  ts: number[];
  avg: number[];
  min: number[];
  max: number[];
  count: number[];
}

export interface LivePoint {
  ts: number;
  value: number;
}

export function emptyColumns(): Columns {
  return { ts: [], avg: [], min: [], max: [], count: [] };
}

/** The series of `metric` in a history answer, read through its `columns` header. */
export function fromHistory(h: Pick<History, 'columns' | 'series'>, metric: string): Columns {
  const col = (name: string, fallback: number) => {
    const i = h.columns.indexOf(name);
    return i < 0 ? fallback : i;
  };
  const [its, iavg, imin, imax, icount] = [col('ts', 0), col('avg', 1), col('min', 2), col('max', 3), col('count', 4)];
  const out = emptyColumns();
  const s = h.series.find((x) => x.metric === metric);
  if (!s) return out;
  const points = s.points.filter((p) => Number.isFinite(p[its]) && Number.isFinite(p[iavg])).sort((a, b) => (a[its] as number) - (b[its] as number));
  for (const p of points) {
    const avg = p[iavg] as number;
    out.ts.push(p[its] as number);
    out.avg.push(avg);
    out.min.push(Number.isFinite(p[imin]) ? (p[imin] as number) : avg);
    out.max.push(Number.isFinite(p[imax]) ? (p[imax] as number) : avg);
    out.count.push(Number.isFinite(p[icount]) ? (p[icount] as number) : 1);
  }
  return out;
}

export interface AppendOptions {
  /** The width of one point (0: raw readings, each its own point). */
  bucketMs: number;
  /** At most this many points are kept; the oldest go first. */
  maxLength: number;
  /** Points before this time are dropped (a live window slides forward). */
  from?: number;
}

function copy(c: Columns): Columns {
  return { ts: c.ts.slice(), avg: c.avg.slice(), min: c.min.slice(), max: c.max.slice(), count: c.count.slice() };
}

function insertAt(c: Columns, i: number, ts: number, v: number): void {
  c.ts.splice(i, 0, ts);
  c.avg.splice(i, 0, v);
  c.min.splice(i, 0, v);
  c.max.splice(i, 0, v);
  c.count.splice(i, 0, 1);
}

/** The first index whose time is greater than `ts`. */
function upperBound(ts: number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A live reading onto the columns. Raw: a new point in time order (a reading with the time of
 * an existing point replaces it: the same reading sent twice). Roll-ups: folded into the
 * bucket it falls in (average, min, max, count updated), or a new bucket. Then the window's
 * start and the length bound are applied.
 */
export function appendLive(c: Columns, p: LivePoint, o: AppendOptions): Columns {
  if (!Number.isFinite(p.ts) || !Number.isFinite(p.value)) return c;
  if (o.from !== undefined && p.ts < o.from) return c;
  const out = copy(c);
  if (o.bucketMs > 0) {
    const start = Math.floor(p.ts / o.bucketMs) * o.bucketMs;
    // The bucket holding p: the last point starting at or before p.ts, if p is inside it.
    const j = upperBound(out.ts, p.ts) - 1;
    if (j >= 0 && p.ts < (out.ts[j] as number) + o.bucketMs) {
      const n = out.count[j] as number;
      out.avg[j] = ((out.avg[j] as number) * n + p.value) / (n + 1);
      out.min[j] = Math.min(out.min[j] as number, p.value);
      out.max[j] = Math.max(out.max[j] as number, p.value);
      out.count[j] = n + 1;
    } else {
      insertAt(out, j + 1, start, p.value);
    }
  } else {
    const i = upperBound(out.ts, p.ts);
    if (i > 0 && out.ts[i - 1] === p.ts) {
      out.avg[i - 1] = p.value;
      out.min[i - 1] = p.value;
      out.max[i - 1] = p.value;
      out.count[i - 1] = 1;
    } else {
      insertAt(out, i, p.ts, p.value);
    }
  }
  let drop = 0;
  // A point is dropped when it ends before the window starts (a bucket may straddle the start).
  const before = (ts: number) => (o.bucketMs > 0 ? ts + o.bucketMs <= (o.from as number) : ts < (o.from as number));
  if (o.from !== undefined) while (drop < out.ts.length && before(out.ts[drop] as number)) drop++;
  drop = Math.max(drop, out.ts.length - Math.max(1, o.maxLength));
  if (drop > 0) for (const k of ['ts', 'avg', 'min', 'max', 'count'] as const) out[k].splice(0, drop);
  return out;
}

/**
 * A fresh load, plus the live readings that arrived while it was under way and are newer
 * than its last point (older ones are in the load already).
 */
export function mergeTail(loaded: Columns, tail: readonly LivePoint[], o: AppendOptions): Columns {
  const last = loaded.ts.length ? (loaded.ts[loaded.ts.length - 1] as number) : Number.NEGATIVE_INFINITY;
  let out = loaded;
  for (const p of tail) if (p.ts > last) out = appendLive(out, p, o);
  return out;
}

/** The extremes of the points (null when empty): for the chart's accessible summary. */
export function extent(c: Columns): { min: number; max: number } | null {
  if (!c.ts.length) return null;
  return { min: Math.min(...c.min), max: Math.max(...c.max) };
}

/**
 * How far apart two points may be before the line breaks between them (the device was silent):
 * five times the usual spacing, at least three buckets. Infinity with too few points to tell.
 */
export function gapThreshold(ts: readonly number[], bucketMs: number): number {
  if (ts.length < 3) return Number.POSITIVE_INFINITY;
  const diffs: number[] = [];
  for (let i = 1; i < ts.length; i++) diffs.push((ts[i] as number) - (ts[i - 1] as number));
  diffs.sort((a, b) => a - b);
  const median = diffs[Math.floor(diffs.length / 2)] as number;
  return Math.max(median * 5, bucketMs * 3, 1);
}

/**
 * uPlot's data: [times, averages] or, with a band, [times, averages, minima, maxima]. Where two
 * points are more than `gapMs` apart, a row of nulls between them breaks the line, so that a
 * silent device is not drawn as a straight line across its silence.
 */
export function toAligned(c: Columns, band: boolean, gapMs = Number.POSITIVE_INFINITY): (number | null)[][] {
  const cols: (number | null)[][] = band ? [[], [], [], []] : [[], []];
  const [t, a, lo, hi] = cols as [(number | null)[], (number | null)[], (number | null)[] | undefined, (number | null)[] | undefined];
  for (let i = 0; i < c.ts.length; i++) {
    const ts = c.ts[i] as number;
    if (i > 0 && ts - (c.ts[i - 1] as number) > gapMs) {
      t.push(((c.ts[i - 1] as number) + ts) / 2);
      a.push(null);
      lo?.push(null);
      hi?.push(null);
    }
    t.push(ts);
    a.push(c.avg[i] as number);
    lo?.push(c.min[i] as number);
    hi?.push(c.max[i] as number);
  }
  return cols;
}

/** Whether the points are roll-ups whose min and max differ somewhere (worth a band). */
export function hasSpread(c: Columns): boolean {
  return c.min.some((m, i) => m !== c.max[i]);
}
