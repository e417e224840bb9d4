import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, SESSION_ENDED } from '../api/errors';
import type { HistoryResolution, Stats } from '../api/types';
import {
  DEFAULT_RANGE,
  PRESETS,
  advanceWindow,
  csvFileName,
  customRange,
  exportQuery,
  historyQuery,
  maxPointsFor,
  rangeLabel,
  resolutionLabel,
  resolutionMs,
  resolveRange,
  sameRange,
  statsQuery,
  zoomRange,
  type ChartRange,
  type TimeWindow,
} from '../charts/range';
import { appendLive, emptyColumns, extent, fromHistory, gapThreshold, hasSpread, mergeTail, toAligned, type Columns, type LivePoint } from '../charts/series';
import { plural, toZonedInput, zonedToUtcIso } from '../format';
import { defaultMetric, formatStats, formatValueWithUnit, metricInfo, sortMetrics } from '../metrics';
import { api, live } from '../services';
import { TimeChart } from './TimeChart';
import { Alert, EmptyState, ErrorState, Loading, SelectField } from './ui';

/**
 * One device's history chart with everything around it: the metric, the range (1 h, 24 h,
 * 7 d, 30 d, custom, or a span dragged on the chart), the statistics of the range, the CSV of
 * the range, and live readings appended while the range ends now. The server chooses the
 * resolution: the chart asks for about one point per pixel of its width (`resolution=auto`).
 */
export interface DeviceChartProps {
  uid: string;
  /** The metrics the device reports (from its latest values). */
  metrics: readonly string[];
  /** The workshop's time zone: axis labels, custom range inputs and CSV file names. */
  tz: string;
  initialMetric?: string | null;
  initialRange?: ChartRange;
  /** Told of every change of metric or range (the device page keeps them in its address). */
  onChange?: (metric: string, range: ChartRange) => void;
  /** A label for the chart's controls when several charts share a page. */
  label?: string;
  /** Bumped by the page's Refresh button: the range is loaded again. */
  refresh?: number;
}

interface View {
  status: 'loading' | 'ok' | 'error';
  error?: unknown;
  columns: Columns;
  resolution: HistoryResolution | null;
  window: TimeWindow;
  maxPoints: number;
  /** Whether a load has finished (the chart area keeps its last drawing while reloading). */
  loaded: boolean;
}

type StatsState = { status: 'loading'; data?: Stats } | { status: 'ok'; data: Stats } | { status: 'error'; error: unknown; data?: Stats };

/** Live readings refresh the statistics at most this often (they come from the server). */
const STATS_REFRESH_MS = 15_000;
/** The y axis takes this much of the chart's width; the rest is the plot. */
const AXIS_PX = 56;

const quiet = (e: unknown) => (e instanceof DOMException && e.name === 'AbortError') || (e instanceof ApiError && e.code === SESSION_ENDED);

/** Saves a Blob under a file name (an object URL; the token never appears in a URL). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

export function DeviceChart({ uid, metrics: reported, tz, initialMetric = null, initialRange = DEFAULT_RANGE, onChange, label, refresh = 0 }: DeviceChartProps) {
  const id = useId();
  const [chosen, setChosen] = useState<string | null>(initialMetric);
  const metrics = useMemo(() => sortMetrics(chosen ? [...reported, chosen] : reported), [reported.join(','), chosen]);
  const metric = chosen ?? defaultMetric(metrics);
  const [range, setRange] = useState<ChartRange>(initialRange);
  const [zoomStack, setZoomStack] = useState<ChartRange[]>([]);
  const [tick, setTick] = useState(0);
  const [view, setView] = useState<View>(() => ({
    status: 'loading',
    columns: emptyColumns(),
    resolution: null,
    window: resolveRange(initialRange, Date.now()),
    maxPoints: 0,
    loaded: false,
  }));
  const [stats, setStats] = useState<StatsState>({ status: 'loading' });
  const [custom, setCustom] = useState<{ open: boolean; from: string; to: string; error: string | null }>({ open: false, from: '', to: '', error: null });
  const [download, setDownload] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  const area = useRef<HTMLDivElement>(null);
  // What live readings need, current without re-subscribing: the window, whether a load is
  // under way (readings then wait in `tail`), the bucket width and the length bound.
  const win = useRef<TimeWindow>(view.window);
  const loading = useRef(true);
  const tail = useRef<LivePoint[]>([]);
  const shape = useRef({ bucketMs: 0, maxLength: 2000 });
  const statsSeq = useRef(0);
  const statsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (metric) onChange?.(metric, range);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [metric, range]);

  function loadStats(m: string, w: TimeWindow, signal?: AbortSignal) {
    const mine = ++statsSeq.current;
    setStats((s) => ({ status: 'loading', data: s.data?.metric === m ? s.data : undefined }));
    api.stats(uid, statsQuery(m, w), signal).then(
      (data) => mine === statsSeq.current && setStats({ status: 'ok', data }),
      (error: unknown) => {
        if (quiet(error) || mine !== statsSeq.current) return;
        setStats((s) => ({ status: 'error', error, data: s.data }));
      },
    );
  }

  // Load the range: history and statistics of the same window.
  useEffect(() => {
    if (!metric) return undefined;
    const controller = new AbortController();
    const w = resolveRange(range, Date.now());
    const maxPoints = maxPointsFor((area.current?.clientWidth ?? 0) - AXIS_PX);
    win.current = w;
    tail.current = [];
    loading.current = true;
    if (statsTimer.current) clearTimeout(statsTimer.current);
    statsTimer.current = null;
    setView((v) => ({ ...v, status: 'loading', error: undefined, window: w, maxPoints }));
    api.history(uid, historyQuery([metric], w, maxPoints), controller.signal).then(
      (h) => {
        if (controller.signal.aborted) return;
        const bucketMs = resolutionMs(h.resolution);
        shape.current = { bucketMs, maxLength: Math.max(2 * maxPoints, 200) };
        // Readings that arrived during the load: slide the window over them, then add them.
        let w2 = w;
        for (const p of tail.current) w2 = advanceWindow(w2, range, p.ts) ?? w2;
        const columns = mergeTail(fromHistory(h, metric), tail.current, { ...shape.current, from: w2.from });
        tail.current = [];
        loading.current = false;
        win.current = w2;
        setView({ status: 'ok', columns, resolution: h.resolution, window: w2, maxPoints, loaded: true });
      },
      (error: unknown) => {
        if (quiet(error) || controller.signal.aborted) return;
        loading.current = false;
        setView((v) => ({ ...v, status: 'error', error }));
      },
    );
    loadStats(metric, w, controller.signal);
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [uid, metric, range, tick, refresh]);

  // Live readings, while the range ends now.
  useEffect(() => {
    if (!metric) return undefined;
    const off = live.on((e) => {
      if (e.type !== 'telemetry' || e.device !== uid) return;
      const value = e.values[metric];
      if (value === undefined || !win.current.live) return;
      const p: LivePoint = { ts: e.ts, value };
      if (loading.current) {
        tail.current.push(p);
        if (tail.current.length > 5000) tail.current.shift();
        return;
      }
      const next = advanceWindow(win.current, range, p.ts);
      if (!next) return;
      win.current = next;
      setView((v) => (v.status === 'ok' ? { ...v, window: next, columns: appendLive(v.columns, p, { ...shape.current, from: next.from }) } : v));
      statsTimer.current ??= setTimeout(() => {
        statsTimer.current = null;
        loadStats(metric, win.current);
      }, STATS_REFRESH_MS);
    });
    return () => {
      off();
      if (statsTimer.current) clearTimeout(statsTimer.current);
      statsTimer.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [uid, metric, range]);

  // The device's live topic; after a reconnect a live range is loaded again (nothing missed).
  useEffect(() => {
    let confirmed = false;
    return live.subscribe(
      { devices: [uid] },
      {
        onActive: () => {
          if (confirmed && win.current.live) setTick((t) => t + 1);
          confirmed = true;
        },
      },
    );
  }, [uid]);

  if (!metric) {
    return <EmptyState title="No readings yet">The chart appears once the device has sent readings.</EmptyState>;
  }

  const info = metricInfo(metric);
  const choose = (r: ChartRange, keepZoom = false) => {
    if (!keepZoom) setZoomStack([]);
    setCustom((c) => ({ ...c, open: false, error: null }));
    if (sameRange(r, range)) setTick((t) => t + 1);
    else setRange(r);
  };
  const zoom = (a: number, b: number) => {
    const r = zoomRange(a, b);
    if (!r) return;
    setZoomStack((s) => [...s, range].slice(-20));
    choose(r, true);
  };
  const openCustom = () => {
    const w = view.window;
    setCustom({ open: true, from: toZonedInput(w.from, tz), to: toZonedInput(w.to, tz), error: null });
  };
  const applyCustom = (e: Event) => {
    e.preventDefault();
    const at = (s: string) => {
      const iso = zonedToUtcIso(s, tz);
      return iso ? Date.parse(iso) : null;
    };
    const r = customRange(at(custom.from), at(custom.to));
    if (!r.ok) {
      setCustom((c) => ({ ...c, error: r.error }));
      return;
    }
    setZoomStack([]);
    choose(r.range);
  };
  const downloadCsv = async () => {
    setDownload({ busy: true, error: null });
    try {
      const w = view.window;
      const blob = await api.exportCsv(uid, exportQuery([metric], w));
      saveBlob(blob, csvFileName(uid, [metric], w, tz));
      setDownload({ busy: false, error: null });
    } catch (e) {
      setDownload({ busy: false, error: quiet(e) ? null : describeError(e) });
    }
  };

  const c = view.columns;
  const band = view.resolution !== null && view.resolution !== 'raw' && hasSpread(c);
  const data = toAligned(c, band, gapThreshold(c.ts, resolutionMs(view.resolution ?? 'raw')));
  const ext = extent(c);
  const what = label ? `${label}: ${info.label}` : info.label;
  const summary =
    ext === null
      ? `${what}, ${rangeLabel(range, tz)}: no readings`
      : `${what}, ${rangeLabel(range, tz)}: ${plural(c.ts.length, 'point')} between ${formatValueWithUnit(metric, ext.min)} and ${formatValueWithUnit(metric, ext.max)}`;
  const st = stats.data && stats.data.metric === metric ? formatStats(stats.data) : null;
  const busy = view.status === 'loading';

  return (
    <div
      class="device-chart"
      data-testid="device-chart"
      data-uid={uid}
      data-metric={metric}
      data-status={view.status}
      data-resolution={view.resolution ?? ''}
      data-max-points={view.maxPoints || ''}
      data-points={c.ts.length}
      data-live={view.window.live ? 'true' : 'false'}
    >
      <div class="chart-controls">
        <SelectField<string>
          label={label ? `Metric (${label})` : 'Metric'}
          value={metric}
          onValue={(m) => {
            setChosen(m);
            setZoomStack([]);
          }}
          options={metrics.map((m) => {
            const i = metricInfo(m);
            return { value: m, label: i.unit ? `${i.label} (${i.unit})` : i.label };
          })}
        />
        <div class="range-buttons" role="group" aria-label={label ? `Time range (${label})` : 'Time range'}>
          {PRESETS.map((p) => (
            <button
              key={p.key}
              type="button"
              class="btn btn-small"
              aria-pressed={range.kind === 'preset' && range.preset === p.key}
              title={p.long}
              onClick={() => choose({ kind: 'preset', preset: p.key })}
            >
              {p.label}
            </button>
          ))}
          <button
            type="button"
            class="btn btn-small"
            aria-pressed={range.kind === 'custom'}
            aria-expanded={custom.open}
            aria-controls={`custom${id}`}
            onClick={() => (custom.open ? setCustom((x) => ({ ...x, open: false })) : openCustom())}
          >
            Custom…
          </button>
          {zoomStack.length > 0 && (
            <button
              type="button"
              class="btn btn-small btn-ghost"
              onClick={() => {
                const prev = zoomStack[zoomStack.length - 1]!;
                setZoomStack((s) => s.slice(0, -1));
                setRange(prev);
              }}
            >
              Zoom out
            </button>
          )}
        </div>
      </div>

      {custom.open && (
        <form id={`custom${id}`} class="custom-range" onSubmit={applyCustom} noValidate aria-label="Custom range">
          <div class="field">
            <label for={`from${id}`}>From</label>
            <input id={`from${id}`} type="datetime-local" value={custom.from} onInput={(e) => setCustom({ ...custom, from: (e.currentTarget as HTMLInputElement).value, error: null })} required />
          </div>
          <div class="field">
            <label for={`to${id}`}>To</label>
            <input id={`to${id}`} type="datetime-local" value={custom.to} onInput={(e) => setCustom({ ...custom, to: (e.currentTarget as HTMLInputElement).value, error: null })} required />
          </div>
          <div class="custom-range-actions">
            <button type="submit" class="btn btn-primary btn-small">
              Show range
            </button>
            <button type="button" class="btn btn-small" onClick={() => setCustom((x) => ({ ...x, open: false, error: null }))}>
              Cancel
            </button>
          </div>
          <p class="field-hint custom-range-hint">Times in {tz}.</p>
          {custom.error && (
            <p class="field-error" role="alert">
              {custom.error}
            </p>
          )}
        </form>
      )}

      <p class="chart-meta muted small" aria-live="polite" data-testid="chart-meta">
        {rangeLabel(range, tz)}
        {view.resolution && ` · ${resolutionLabel(view.resolution)}`}
        {view.loaded && ` · ${plural(c.ts.length, 'point')}`}
        {view.window.live && view.loaded && ' · live'}
        {busy && view.loaded && ' · updating…'}
      </p>

      <div ref={area} class="chart-area" aria-busy={busy ? 'true' : undefined}>
        {view.status === 'error' && <ErrorState error={view.error} onRetry={() => setTick((t) => t + 1)} />}
        {view.status !== 'error' && !view.loaded && <Loading label="Loading readings…" />}
        {view.status !== 'error' && view.loaded && c.ts.length === 0 && (
          <EmptyState title="No readings in this range">
            {range.kind === 'preset' && range.preset !== '30d' ? 'Try a longer range.' : 'Choose another range or metric.'}
          </EmptyState>
        )}
        {view.status !== 'error' && view.loaded && c.ts.length > 0 && (
          <TimeChart
            title={what}
            summary={summary}
            series={[{ label: info.label, unit: info.unit, colorVar: '--accent' }]}
            data={data}
            band={band}
            xRange={[view.window.from, view.window.to]}
            timeZone={tz}
            onZoom={zoom}
          />
        )}
      </div>
      {view.loaded && c.ts.length > 0 && <p class="muted small chart-hint">Drag across the chart to zoom in.</p>}

      <dl class="stats" data-testid="chart-stats" aria-busy={stats.status === 'loading' ? 'true' : undefined}>
        <div>
          <dt>Minimum</dt>
          <dd data-testid="stat-min">{st ? st.min : '…'}</dd>
        </div>
        <div>
          <dt>Average</dt>
          <dd data-testid="stat-avg">{st ? st.avg : '…'}</dd>
        </div>
        <div>
          <dt>Maximum</dt>
          <dd data-testid="stat-max">{st ? st.max : '…'}</dd>
        </div>
        <div>
          <dt>Readings</dt>
          <dd data-testid="stat-count">{st ? st.count : '…'}</dd>
        </div>
      </dl>
      {stats.status === 'error' && (
        <Alert tone="warning">
          <span class="inline-error">
            <span>Could not load the statistics. {describeError(stats.error)}</span>
            <button type="button" class="btn btn-small" onClick={() => loadStats(metric, win.current)}>
              Try again
            </button>
          </span>
        </Alert>
      )}

      <div class="chart-actions">
        <button type="button" class="btn btn-small" onClick={downloadCsv} disabled={download.busy || !view.loaded}>
          {download.busy ? 'Preparing CSV…' : 'Download CSV'}
        </button>
        <span class="muted small">Every reading of this metric in the range shown, with its time.</span>
      </div>
      {download.error && <Alert tone="critical">{download.error}</Alert>}
    </div>
  );
}
