import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { Loading } from './ui';

/**
 * A time-series chart on uPlot, loaded on demand so that pages without charts do not pay for
 * it (the first-page budget is 150 kB gzipped). Not used yet: telemetry and readings do not
 * exist in the API; pit detail pages will use it when they do. Colours come from the design
 * tokens, so charts follow the light/dark theme.
 */
export interface Series {
  label: string;
  unit: string;
  /** A design token, e.g. '--good'. */
  colorVar: string;
}

export function TimeChart({ title, series, data, height = 240 }: { title: string; series: Series[]; data: uPlot.AlignedData; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let chart: uPlot | null = null;
    let live = true;
    let observer: ResizeObserver | null = null;
    void Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([{ default: UPlot }]) => {
      const el = host.current;
      if (!live || !el) return;
      const css = getComputedStyle(el);
      const opts: uPlot.Options = {
        title,
        width: el.clientWidth,
        height,
        series: [{}, ...series.map((s) => ({ label: `${s.label} (${s.unit})`, stroke: css.getPropertyValue(s.colorVar).trim() || 'currentColor', width: 2 }))],
        axes: [{ stroke: css.color }, { stroke: css.color }],
      };
      chart = new UPlot(opts, data, el);
      observer = new ResizeObserver(() => chart?.setSize({ width: el.clientWidth, height }));
      observer.observe(el);
      setReady(true);
    });
    return () => {
      live = false;
      observer?.disconnect();
      chart?.destroy();
    };
  }, [title, series, data, height]);
  return (
    <figure class="chart" aria-label={title}>
      {!ready && <Loading label="Loading chart…" />}
      <div ref={host} />
    </figure>
  );
}
