import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { cursorTimeLabel, timeTickLabels } from '../charts/axis';
import { ErrorState, Loading } from './ui';

/**
 * A time-series chart on uPlot, loaded on demand so that pages without charts do not pay for
 * it (the first-page budget is 150 kB gzipped). Times are unix milliseconds, shown in the
 * workshop's zone. Colours come from the design tokens and follow the light/dark theme (the
 * chart is redrawn when the theme changes).
 *
 * - `data`: [times, one array per series] and, with `band`, two more arrays: the minima and
 *   maxima of the first series, drawn as a shaded band with thin edges.
 * - `xRange`: the window shown (a range can be wider than its points).
 * - `onZoom`: dragging across the plot selects a time span; the chart reports it and leaves
 *   the query to the caller (the server picks a finer resolution for the smaller range).
 *   Keyboard users get the same through the caller's range controls.
 * - `summary`: what a screen reader hears for the drawing.
 */
export interface Series {
  label: string;
  unit: string;
  /** A design token, e.g. '--accent'. */
  colorVar: string;
}

export interface TimeChartProps {
  title: string;
  series: Series[];
  data: (number | null)[][];
  band?: boolean;
  xRange?: [number, number] | null;
  timeZone?: string;
  height?: number;
  onZoom?: (from: number, to: number) => void;
  summary?: string;
}

type UPlotCtor = typeof uPlot;
let uplotModule: Promise<UPlotCtor> | null = null;

function loadUPlot(): Promise<UPlotCtor> {
  uplotModule ??= Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(
    ([m]) => m.default,
    (e: unknown) => {
      uplotModule = null;
      throw e;
    },
  );
  return uplotModule;
}

/** 'dark' or 'light', following the operating system (and Playwright's emulation). */
export function useColorScheme(): 'light' | 'dark' {
  const query = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  const [dark, setDark] = useState(() => query?.matches ?? false);
  useEffect(() => {
    if (!query) return undefined;
    const f = () => setDark(query.matches);
    query.addEventListener('change', f);
    f();
    return () => query.removeEventListener('change', f);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return dark ? 'dark' : 'light';
}

export function TimeChart({ title, series, data, band = false, xRange = null, timeZone, height = 260, onZoom, summary }: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const theme = useColorScheme();
  // The latest props, for the chart's callbacks and for a chart created after they changed.
  const latest = useRef({ data, xRange, onZoom });
  latest.current = { data, xRange, onZoom };
  const seriesKey = series.map((s) => `${s.label}|${s.unit}|${s.colorVar}`).join(';');
  const zoomable = onZoom !== undefined;

  useEffect(() => {
    let made: uPlot | null = null;
    let alive = true;
    let observer: ResizeObserver | null = null;
    setFailed(null);
    loadUPlot().then(
      (UPlot) => {
        const el = host.current;
        if (!alive || !el) return;
        const css = getComputedStyle(el);
        const token = (name: string) => css.getPropertyValue(name).trim() || css.color;
        const text = token('--text-muted');
        const grid = token('--border');
        const surface = token('--surface');
        const lines: uPlot.Series[] = series.map((s) => ({
          label: s.unit ? `${s.label} (${s.unit})` : s.label,
          stroke: token(s.colorVar),
          width: 2,
          spanGaps: false,
          points: { fill: surface },
        }));
        const edge = token(series[0]?.colorVar ?? '--accent');
        const edges: uPlot.Series[] = band
          ? [
              { label: 'Min', stroke: edge, width: 1, dash: [3, 3], points: { show: false } },
              { label: 'Max', stroke: edge, width: 1, dash: [3, 3], points: { show: false } },
            ]
          : [];
        const tz = timeZone;
        const zone = tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        const opts: uPlot.Options = {
          width: Math.max(120, el.clientWidth),
          height,
          ms: 1,
          ...(tz ? { tzDate: (ts: number) => UPlot.tzDate(new Date(ts), tz) } : {}),
          cursor: { drag: { x: zoomable, y: false, setScale: false } },
          scales: { x: { time: true } },
          series: [{ label: 'Time', value: (_u, v) => (v == null ? '—' : cursorTimeLabel(v, zone)) }, ...lines, ...edges],
          ...(band ? { bands: [{ series: [lines.length + 2, lines.length + 1] as [number, number], fill: token('--info-soft') }] } : {}),
          axes: [
            {
              stroke: text,
              grid: { stroke: grid, width: 1 },
              ticks: { stroke: grid, width: 1 },
              values: (_u, splits, _axis, _space, incr) => timeTickLabels(splits, incr, zone),
            },
            { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, size: 56 },
          ],
          hooks: {
            setSelect: [
              (u) => {
                const sel = u.select;
                if (sel.width < 3) return;
                const a = u.posToVal(sel.left, 'x');
                const b = u.posToVal(sel.left + sel.width, 'x');
                u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
                latest.current.onZoom?.(a, b);
              },
            ],
          },
        };
        made = new UPlot(opts, latest.current.data as uPlot.AlignedData, el);
        chart.current = made;
        const r = latest.current.xRange;
        if (r) made.setScale('x', { min: r[0], max: r[1] });
        observer = new ResizeObserver(() => made?.setSize({ width: Math.max(120, el.clientWidth), height }));
        observer.observe(el);
        setReady(true);
      },
      (e: unknown) => alive && setFailed(e),
    );
    return () => {
      alive = false;
      observer?.disconnect();
      made?.destroy();
      if (chart.current === made) chart.current = null;
      setReady(false);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seriesKey, band, height, theme, timeZone, zoomable, attempt]);

  // New points (a load, a live reading) or a new window: redraw without re-creating the chart.
  const x0 = xRange?.[0];
  const x1 = xRange?.[1];
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.setData(data as uPlot.AlignedData);
    if (x0 !== undefined && x1 !== undefined) c.setScale('x', { min: x0, max: x1 });
  }, [data, x0, x1, ready]);

  return (
    <figure class="chart" data-ready={ready ? 'true' : 'false'}>
      <figcaption class="sr-only">{title}</figcaption>
      {!ready && !failed && <Loading label="Loading chart…" />}
      {failed != null && <ErrorState error={failed} onRetry={() => setAttempt((a) => a + 1)} />}
      <div ref={host} class="chart-plot" role="img" aria-label={summary ?? title} />
    </figure>
  );
}
