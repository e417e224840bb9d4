import { describe, expect, it } from 'vitest';
import { ApiClient } from '../api/client';
import { ApiError } from '../api/errors';
import {
  advanceWindow,
  chartPath,
  csvFileName,
  customRange,
  exportQuery,
  historyQuery,
  maxPointsFor,
  MIN_SPAN_MS,
  rangeFromSearch,
  rangeLabel,
  rangeToSearch,
  resolutionMs,
  resolveRange,
  sameRange,
  statsQuery,
  zoomRange,
  type ChartRange,
} from '../charts/range';
import { cursorTimeLabel, timeTickLabels } from '../charts/axis';
import { appendLive, emptyColumns, extent, fromHistory, gapThreshold, hasSpread, mergeTail, toAligned, type Columns } from '../charts/series';
import { toZonedInput, zonedToUtcIso } from '../format';
import { defaultMetric, formatStats, formatValue, formatValueWithUnit, metricInfo, signalQuality, sortMetrics } from '../metrics';
import { fail, fakeFetch, memoryStorage, ok, session } from './fakes';

const NOW = Date.parse('2026-03-05T10:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function cols(points: [number, number][]): Columns {
  const c = emptyColumns();
  for (const [ts, v] of points) {
    c.ts.push(ts);
    c.avg.push(v);
    c.min.push(v);
    c.max.push(v);
    c.count.push(1);
  }
  return c;
}

describe('chart ranges', () => {
  it('resolves presets to windows ending now, which are live', () => {
    expect(resolveRange({ kind: 'preset', preset: '1h' }, NOW)).toEqual({ from: NOW - HOUR, to: NOW, live: true });
    expect(resolveRange({ kind: 'preset', preset: '24h' }, NOW)).toEqual({ from: NOW - DAY, to: NOW, live: true });
    expect(resolveRange({ kind: 'preset', preset: '7d' }, NOW).from).toBe(NOW - 7 * DAY);
    expect(resolveRange({ kind: 'preset', preset: '30d' }, NOW).from).toBe(NOW - 30 * DAY);
  });

  it('treats a custom range as live only while now is inside it', () => {
    expect(resolveRange({ kind: 'custom', from: NOW - 2 * HOUR, to: NOW - HOUR }, NOW).live).toBe(false);
    expect(resolveRange({ kind: 'custom', from: NOW - HOUR, to: NOW + HOUR }, NOW)).toEqual({ from: NOW - HOUR, to: NOW + HOUR, live: true });
    expect(resolveRange({ kind: 'custom', from: NOW + HOUR, to: NOW + 2 * HOUR }, NOW).live).toBe(false);
  });

  it('builds history, stats and export queries over the same window', () => {
    const w = resolveRange({ kind: 'preset', preset: '1h' }, NOW);
    expect(historyQuery(['temperature'], w, 900)).toEqual({
      metrics: 'temperature',
      from: String(NOW - HOUR),
      to: String(NOW),
      resolution: 'auto',
      max_points: 900,
    });
    expect(historyQuery(['temperature', 'humidity'], w, 100).metrics).toBe('temperature,humidity');
    expect(statsQuery('temperature', w)).toEqual({ metric: 'temperature', from: String(NOW - HOUR), to: String(NOW) });
    expect(exportQuery(['temperature'], w)).toEqual({ metrics: 'temperature', from: String(NOW - HOUR), to: String(NOW) });
  });

  it('asks for about one point per pixel of plot width, within bounds', () => {
    expect(maxPointsFor(1024)).toBe(1024);
    expect(maxPointsFor(733.4)).toBe(733);
    expect(maxPointsFor(40)).toBe(100);
    expect(maxPointsFor(12000)).toBe(4000);
    expect(maxPointsFor(0)).toBe(1000);
    expect(maxPointsFor(Number.NaN)).toBe(1000);
  });

  it('knows the width of a point at each resolution', () => {
    expect(resolutionMs('raw')).toBe(0);
    expect(resolutionMs('minute')).toBe(MIN);
    expect(resolutionMs('hour')).toBe(HOUR);
  });

  it('turns a drag into a custom range, either direction, at least a minute wide', () => {
    expect(zoomRange(NOW - HOUR + 0.4, NOW - 0.6)).toEqual({ kind: 'custom', from: NOW - HOUR, to: NOW - 1 });
    expect(zoomRange(NOW, NOW - HOUR)).toEqual({ kind: 'custom', from: NOW - HOUR, to: NOW });
    const tiny = zoomRange(NOW, NOW + 1000) as Extract<ChartRange, { kind: 'custom' }>;
    expect(tiny.to - tiny.from).toBe(MIN_SPAN_MS);
    expect(tiny.from).toBeLessThan(NOW);
    expect(zoomRange(Number.NaN, NOW)).toBeNull();
    expect(zoomRange(-5 * MIN, -4 * MIN)).toBeNull();
  });

  it('checks a typed custom range', () => {
    expect(customRange(NOW - HOUR, NOW)).toEqual({ ok: true, range: { kind: 'custom', from: NOW - HOUR, to: NOW } });
    expect(customRange(null, NOW)).toEqual({ ok: false, error: 'Enter a start and an end.' });
    expect(customRange(NOW, NOW - HOUR)).toEqual({ ok: false, error: 'The end must be after the start.' });
    expect(customRange(NOW, NOW + 1000)).toEqual({ ok: false, error: 'Choose at least one minute.' });
    expect(customRange(NOW - 500 * DAY, NOW)).toEqual({ ok: false, error: 'Choose at most 400 days.' });
  });

  it('slides a live preset window with each reading and drops readings it cannot show', () => {
    const r: ChartRange = { kind: 'preset', preset: '1h' };
    const w = resolveRange(r, NOW);
    expect(advanceWindow(w, r, NOW + 5000)).toEqual({ from: NOW + 5001 - HOUR, to: NOW + 5001, live: true });
    expect(advanceWindow(w, r, NOW - 10)).toBe(w); // inside: unchanged
    expect(advanceWindow(w, r, NOW - 2 * HOUR)).toBeNull(); // too old for the window
    const custom: ChartRange = { kind: 'custom', from: NOW - HOUR, to: NOW + HOUR };
    const cw = resolveRange(custom, NOW);
    expect(advanceWindow(cw, custom, NOW + 10)).toBe(cw);
    expect(advanceWindow(cw, custom, NOW + 2 * HOUR)).toBeNull();
    expect(advanceWindow({ ...cw, live: false }, custom, NOW)).toBeNull();
  });

  it('lives in the page address and survives a round trip', () => {
    expect(rangeFromSearch(new URLSearchParams('range=7d'))).toEqual({ kind: 'preset', preset: '7d' });
    expect(rangeFromSearch(new URLSearchParams('range=5y'))).toEqual({ kind: 'preset', preset: '1h' });
    expect(rangeFromSearch(new URLSearchParams(''))).toEqual({ kind: 'preset', preset: '1h' });
    const custom: ChartRange = { kind: 'custom', from: NOW - HOUR, to: NOW };
    expect(rangeToSearch(custom)).toEqual({ from: '2026-03-05T09:00:00.000Z', to: '2026-03-05T10:00:00.000Z' });
    expect(rangeFromSearch(new URLSearchParams(rangeToSearch(custom)))).toEqual(custom);
    expect(rangeFromSearch(new URLSearchParams(`from=${NOW - HOUR}&to=${NOW}`))).toEqual(custom);
    expect(rangeFromSearch(new URLSearchParams(`from=${NOW}&to=${NOW - HOUR}`))).toEqual({ kind: 'preset', preset: '1h' });
    expect(chartPath('/devices/SN-1?x=1&range=1h', 'humidity', { kind: 'preset', preset: '24h' })).toBe('/devices/SN-1?x=1&metric=humidity&range=24h');
    expect(chartPath('/devices/SN-1?metric=a&from=1&to=2', 'b', { kind: 'preset', preset: '1h' })).toBe('/devices/SN-1?metric=b&range=1h');
    expect(sameRange({ kind: 'preset', preset: '1h' }, { kind: 'preset', preset: '1h' })).toBe(true);
    expect(sameRange({ kind: 'preset', preset: '1h' }, custom)).toBe(false);
    expect(sameRange(custom, { ...custom })).toBe(true);
  });

  it('describes a range in the workshop zone', () => {
    expect(rangeLabel({ kind: 'preset', preset: '24h' }, 'UTC')).toBe('Last 24 hours');
    expect(rangeLabel({ kind: 'custom', from: NOW - HOUR, to: NOW }, 'Asia/Kolkata')).toBe('05 Mar 2026, 14:30 – 05 Mar 2026, 15:30');
  });

  it('names the CSV after the device, the metrics and the window in wall-clock time', () => {
    const w = { from: NOW - HOUR, to: NOW };
    expect(csvFileName('SN-1', ['temperature'], w, 'UTC')).toBe('SN-1_temperature_20260305-0900_20260305-1000.csv');
    expect(csvFileName('SN-1', ['temperature'], w, 'Asia/Kolkata')).toBe('SN-1_temperature_20260305-1430_20260305-1530.csv');
    expect(csvFileName('CCU-02.FE', ['current_a_ma', 'current_b_ma'], w, 'UTC')).toBe('CCU-02.FE_current_a_ma+current_b_ma_20260305-0900_20260305-1000.csv');
    expect(csvFileName('SN-1', [], w, 'UTC')).toBe('SN-1_all_20260305-0900_20260305-1000.csv');
    expect(csvFileName('../x', ['a/b'], w, 'Not/AZone')).toBe('x_a-b_20260305-0900_20260305-1000.csv');
  });

  it('converts instants to and from the inputs in the workshop zone', () => {
    expect(toZonedInput(NOW, 'Europe/Berlin')).toBe('2026-03-05T11:00');
    expect(zonedToUtcIso(toZonedInput(NOW, 'Europe/Berlin'), 'Europe/Berlin')).toBe('2026-03-05T10:00:00Z');
    expect(toZonedInput(Date.parse('2026-03-05T23:30:00Z'), 'Asia/Kolkata')).toBe('2026-03-06T05:00');
  });
});

describe('chart series', () => {
  const history = {
    columns: ['ts', 'avg', 'min', 'max', 'count'],
    series: [
      {
        metric: 'temperature',
        points: [
          [NOW - 2 * MIN, 21, 20, 22, 3],
          [NOW - 3 * MIN, 20, 20, 20, 1],
        ],
      },
      { metric: 'humidity', points: [[NOW, 40, 40, 40, 1]] },
    ],
  };

  it('reads a history answer through its columns header, in time order', () => {
    expect(fromHistory(history, 'temperature')).toEqual({
      ts: [NOW - 3 * MIN, NOW - 2 * MIN],
      avg: [20, 21],
      min: [20, 20],
      max: [20, 22],
      count: [1, 3],
    });
    expect(fromHistory(history, 'pm25')).toEqual(emptyColumns());
    const reordered = { columns: ['count', 'ts', 'max', 'min', 'avg'], series: [{ metric: 'x', points: [[2, NOW, 9, 1, 5]] }] };
    expect(fromHistory(reordered, 'x')).toEqual({ ts: [NOW], avg: [5], min: [1], max: [9], count: [2] });
  });

  it('appends live raw readings in time order, replacing a repeated one', () => {
    let c = cols([
      [NOW - 20_000, 1],
      [NOW - 10_000, 2],
    ]);
    c = appendLive(c, { ts: NOW, value: 3 }, { bucketMs: 0, maxLength: 100 });
    expect(c.ts).toEqual([NOW - 20_000, NOW - 10_000, NOW]);
    c = appendLive(c, { ts: NOW - 15_000, value: 9 }, { bucketMs: 0, maxLength: 100 });
    expect(c.avg).toEqual([1, 9, 2, 3]);
    c = appendLive(c, { ts: NOW, value: 4 }, { bucketMs: 0, maxLength: 100 });
    expect(c.avg).toEqual([1, 9, 2, 4]);
    expect(c.ts.length).toBe(4);
  });

  it('keeps at most maxLength points, dropping the oldest, and nothing before the window', () => {
    let c = emptyColumns();
    for (let i = 0; i < 50; i++) c = appendLive(c, { ts: NOW + i * 1000, value: i }, { bucketMs: 0, maxLength: 10 });
    expect(c.ts.length).toBe(10);
    expect(c.avg[0]).toBe(40);
    expect(c.avg[9]).toBe(49);
    const slid = appendLive(c, { ts: NOW + 60_000, value: 60 }, { bucketMs: 0, maxLength: 10, from: NOW + 45_000 });
    expect(slid.avg).toEqual([45, 46, 47, 48, 49, 60]);
    expect(appendLive(c, { ts: NOW, value: 1 }, { bucketMs: 0, maxLength: 10, from: NOW + 1 })).toBe(c);
    expect(appendLive(c, { ts: Number.NaN, value: 1 }, { bucketMs: 0, maxLength: 10 })).toBe(c);
  });

  it('does not change the columns it was given', () => {
    const c = cols([[NOW, 1]]);
    const before = JSON.stringify(c);
    appendLive(c, { ts: NOW + 1, value: 2 }, { bucketMs: 0, maxLength: 10 });
    appendLive(c, { ts: NOW + 1, value: 2 }, { bucketMs: MIN, maxLength: 10 });
    expect(JSON.stringify(c)).toBe(before);
  });

  it('folds live readings into the roll-up bucket they fall in, or opens the next bucket', () => {
    const start = Math.floor(NOW / MIN) * MIN;
    let c = fromHistory({ columns: ['ts', 'avg', 'min', 'max', 'count'], series: [{ metric: 'm', points: [[start, 10, 8, 12, 2]] }] }, 'm');
    c = appendLive(c, { ts: start + 30_000, value: 16 }, { bucketMs: MIN, maxLength: 100 });
    expect(c).toEqual({ ts: [start], avg: [12], min: [8], max: [16], count: [3] });
    c = appendLive(c, { ts: start + 61_000, value: 5 }, { bucketMs: MIN, maxLength: 100 });
    expect(c.ts).toEqual([start, start + MIN]);
    expect(c.avg).toEqual([12, 5]);
    expect(c.count).toEqual([3, 1]);
  });

  it('adds readings that came during a load only when newer than the load', () => {
    const loaded = cols([
      [NOW - 2000, 1],
      [NOW - 1000, 2],
    ]);
    const merged = mergeTail(
      loaded,
      [
        { ts: NOW - 1500, value: 99 },
        { ts: NOW - 1000, value: 98 },
        { ts: NOW, value: 3 },
      ],
      { bucketMs: 0, maxLength: 100 },
    );
    expect(merged.avg).toEqual([1, 2, 3]);
    expect(mergeTail(emptyColumns(), [{ ts: NOW, value: 3 }], { bucketMs: 0, maxLength: 100 }).avg).toEqual([3]);
  });

  it("breaks the line where the device was silent and draws the band's edges", () => {
    const c = cols([
      [0, 1],
      [1000, 2],
      [2000, 3],
      [3000, 4],
      [60_000, 5],
    ]);
    expect(gapThreshold(c.ts, 0)).toBe(5000);
    expect(gapThreshold(c.ts, MIN)).toBe(3 * MIN);
    expect(gapThreshold([0, 1], 0)).toBe(Number.POSITIVE_INFINITY);
    expect(toAligned(c, false, 5000)).toEqual([
      [0, 1000, 2000, 3000, 31_500, 60_000],
      [1, 2, 3, 4, null, 5],
    ]);
    expect(toAligned(c, true).length).toBe(4);
    expect(toAligned(c, true)[2]).toEqual([1, 2, 3, 4, 5]);
    expect(extent(c)).toEqual({ min: 1, max: 5 });
    expect(extent(emptyColumns())).toBeNull();
    expect(hasSpread(c)).toBe(false);
    expect(hasSpread(fromHistory(history, 'temperature'))).toBe(true);
  });
});

describe('time axis', () => {
  it('labels ticks in the workshop zone on a 24-hour clock, with the day where it changes', () => {
    const t0 = Date.parse('2026-03-05T22:30:00Z');
    expect(timeTickLabels([t0, t0 + HOUR, t0 + 2 * HOUR], HOUR, 'UTC')).toEqual(['22:30\n05 Mar', '23:30', '00:30\n06 Mar']);
    expect(timeTickLabels([t0], HOUR, 'Asia/Kolkata')).toEqual(['04:00\n06 Mar']);
    expect(timeTickLabels([t0, t0 + 15_000], 15_000, 'UTC')).toEqual(['22:30:00\n05 Mar', '22:30:15']);
    const d0 = Date.parse('2025-12-31T00:00:00Z');
    expect(timeTickLabels([d0, d0 + DAY, d0 + 2 * DAY], DAY, 'UTC')).toEqual(['31 Dec\n2025', '01 Jan\n2026', '02 Jan']);
    expect(cursorTimeLabel(t0 + 5000, 'Europe/Berlin')).toBe('05 Mar 2026, 23:30:05');
  });
});

describe('metrics and statistics', () => {
  it('labels catalogue metrics and custom ones', () => {
    expect(metricInfo('temperature')).toEqual({ key: 'temperature', label: 'Temperature', unit: '°C', digits: 1 });
    expect(metricInfo('pm25').label).toBe('PM2.5');
    expect(metricInfo('voc_index')).toEqual({ key: 'voc_index', label: 'Voc index', unit: '', digits: null });
  });

  it('orders metrics climate first and picks the first as the default', () => {
    expect(sortMetrics(['zeta', 'pm10', 'humidity', 'temperature', 'alpha', 'pm10'])).toEqual(['temperature', 'humidity', 'pm10', 'alpha', 'zeta']);
    expect(defaultMetric(['current_a_ma', 'breaker_current_ma'])).toBe('breaker_current_ma');
    expect(defaultMetric([])).toBeNull();
  });

  it('formats values to the metric precision', () => {
    expect(formatValue('temperature', 23.44)).toBe('23.4');
    expect(formatValue('temperature', -0.01)).toBe('0.0');
    expect(formatValue('pm25', 12.6)).toBe('13');
    expect(formatValue('voc_index', 0.1234)).toBe('0.12');
    expect(formatValue('voc_index', 12.34)).toBe('12.3');
    expect(formatValue('voc_index', 1234.5)).toBe('1235');
    expect(formatValue('temperature', null)).toBe('—');
    expect(formatValueWithUnit('temperature', 21)).toBe('21.0 °C');
    expect(formatValueWithUnit('iaq', 80)).toBe('80');
    expect(formatValueWithUnit('temperature', Number.NaN)).toBe('—');
  });

  it('formats the statistics of a range: min and max like readings, the average one decimal finer', () => {
    expect(formatStats({ metric: 'temperature', count: 12, min: 20, max: 31, avg: 25.5 })).toEqual({
      min: '20.0 °C',
      max: '31.0 °C',
      avg: '25.50 °C',
      count: '12 readings',
      any: true,
    });
    expect(formatStats({ metric: 'pm25', count: 1, min: 7, max: 7, avg: 7 })).toMatchObject({ avg: '7.0 µg/m³', count: '1 reading' });
    expect(formatStats({ metric: 'breaker_current_ma', count: 12345, min: 1, max: 2, avg: 1.5 }).count).toBe('12,345 readings');
    expect(formatStats({ metric: 'temperature', count: 0, min: null, max: null, avg: null })).toEqual({
      min: '—',
      max: '—',
      avg: '—',
      count: '0 readings',
      any: false,
    });
  });

  it('describes signal strength in words', () => {
    expect(signalQuality(-50)).toEqual({ label: 'Strong', tone: 'good' });
    expect(signalQuality(-70).label).toBe('Fair');
    expect(signalQuality(-80)).toEqual({ label: 'Weak', tone: 'warning' });
    expect(signalQuality(-90).tone).toBe('critical');
  });
});

describe('CSV download', () => {
  it('sends the bearer token in a header, never in the URL, and answers a Blob', async () => {
    const f = fakeFetch((c) => {
      if (c.url.endsWith('/auth/login')) return ok(session({ access_token: 'tok-123' }));
      return new Response('time,metric,value,valid,server_time\n', { status: 200, headers: { 'Content-Type': 'text/csv' } });
    });
    const client = new ApiClient({ fetch: f.fn, storage: memoryStorage() });
    await client.login('anna', 'pw');
    const blob = await client.download('/api/v1/devices/SN-1/export.csv', { metrics: 'temperature', from: '1', to: '2' });
    expect(await blob.text()).toBe('time,metric,value,valid,server_time\n');
    const call = f.calls[1]!;
    expect(call.url).toBe('/api/v1/devices/SN-1/export.csv?metrics=temperature&from=1&to=2');
    expect(call.auth).toBe('Bearer tok-123');
    expect(call.url).not.toMatch(/tok-123|token/);
  });

  it('reports an API error of a download like any other', async () => {
    const f = fakeFetch((c) => (c.url.endsWith('/auth/login') ? ok(session()) : fail(404, 'NOT_FOUND')));
    const client = new ApiClient({ fetch: f.fn, storage: memoryStorage() });
    await client.login('anna', 'pw');
    await expect(client.download('/api/v1/devices/NOPE/export.csv')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
    await expect(client.download('/api/v1/devices/NOPE/export.csv')).rejects.toBeInstanceOf(ApiError);
  });
});
