import { describe, expect, it } from 'vitest';
import type { DeviceSnapshot } from '../api/types';
import { formatAgo } from '../format';
import { applyEvent, connectivityOf, groupByPit, mergeSnapshots, summarise, type DeviceLive, type DeviceMap } from '../live/readings';
import { classify, formatReading, goodRangeText, metricSpec, OVERVIEW_METRICS } from '../live/thresholds';

const T0 = Date.parse('2026-03-05T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function snap(over: Partial<DeviceSnapshot> = {}): DeviceSnapshot {
  return {
    uid: 'SN-1',
    kind: 'sensor_node',
    name: 'Bay 1 climate',
    workshop_id: 1,
    pit_id: 3,
    status: 'active',
    online: true,
    last_seen: iso(T0),
    firmware_version: '1.0.0',
    rssi: null,
    values: { temperature: { value: 22, ts: iso(T0) } },
    ...over,
  };
}

describe('thresholds', () => {
  it('colours each metric by its fixed bands, edges included', () => {
    expect(classify('temperature', 18)).toBe('good');
    expect(classify('temperature', 26)).toBe('good');
    expect(classify('temperature', 26.1)).toBe('warning');
    expect(classify('temperature', 14.9)).toBe('critical');
    expect(classify('humidity', 30)).toBe('good');
    expect(classify('humidity', 65)).toBe('warning');
    expect(classify('humidity', 75)).toBe('critical');
    expect(classify('humidity', 15)).toBe('critical');
    expect(classify('pm25', 12)).toBe('good');
    expect(classify('pm25', 35)).toBe('warning');
    expect(classify('pm25', 35.5)).toBe('critical');
    expect(classify('pm10', 54)).toBe('good');
    expect(classify('pm10', 154)).toBe('warning');
    expect(classify('pm10', 155)).toBe('critical');
    expect(classify('iaq', 100)).toBe('good');
    expect(classify('iaq', 200)).toBe('warning');
    expect(classify('iaq', 201)).toBe('critical');
  });
  it('knows nothing about other metrics or non-numbers', () => {
    expect(classify('current_a_ma', 5)).toBeNull();
    expect(classify('pm25', Number.NaN)).toBeNull();
    expect(OVERVIEW_METRICS.map((m) => m.key)).toEqual(['temperature', 'humidity', 'pm25', 'pm10', 'iaq']);
  });
  it('formats values to the metric precision and describes the good range', () => {
    expect(formatReading('temperature', 23.44)).toBe('23.4');
    expect(formatReading('pm25', 12.6)).toBe('13');
    expect(formatReading('temperature', -0.01)).toBe('0.0');
    expect(goodRangeText(metricSpec('temperature')!)).toBe('good 18–26 °C');
    expect(goodRangeText(metricSpec('iaq')!)).toBe('good up to 100');
  });
});

describe('relative time', () => {
  it('counts seconds while fresh, then minutes, hours and days', () => {
    expect(formatAgo(T0, T0 + 500)).toBe('just now');
    expect(formatAgo(T0, T0 - 3000)).toBe('just now'); // device clock ahead
    expect(formatAgo(T0, T0 + 12_000)).toBe('12 s ago');
    expect(formatAgo(T0, T0 + 59_999)).toBe('59 s ago');
    expect(formatAgo(T0, T0 + 60_000)).toBe('1 min ago');
    expect(formatAgo(T0, T0 + 3 * 3600_000 + 5)).toBe('3 h ago');
    expect(formatAgo(T0, T0 + 86400_000)).toBe('1 day ago');
    expect(formatAgo(T0, T0 + 3 * 86400_000)).toBe('3 days ago');
    expect(formatAgo(null, T0)).toBe('never');
  });
});

describe('overview state', () => {
  const empty: DeviceMap = new Map();

  it('loads snapshots with times in milliseconds', () => {
    const m = mergeSnapshots(empty, [snap({ last_seen: null, online: false, values: {} })]);
    expect(m.get('SN-1')).toEqual({ uid: 'SN-1', name: 'Bay 1 climate', kind: 'sensor_node', pitId: 3, online: false, lastSeen: null, values: {} });
    const n = mergeSnapshots(empty, [snap()]);
    expect(n.get('SN-1')!.values.temperature).toEqual({ value: 22, ts: T0 });
  });

  it('merges live telemetry: newer readings win per metric, older ones are ignored', () => {
    let m = mergeSnapshots(empty, [snap()]);
    m = applyEvent(m, { type: 'telemetry', workshop_id: 1, pit_id: 3, device: 'SN-1', ts: T0 + 1000, values: { temperature: 23.5, pm25: 40 } }, 1);
    m = applyEvent(m, { type: 'telemetry', workshop_id: 1, pit_id: 3, device: 'SN-1', ts: T0 + 500, values: { temperature: 99 } }, 1);
    expect(m.get('SN-1')!.values).toEqual({ temperature: { value: 23.5, ts: T0 + 1000 }, pm25: { value: 40, ts: T0 + 1000 } });
  });

  it('ignores events of another workshop and learns devices it had not loaded', () => {
    const m = mergeSnapshots(empty, [snap()]);
    expect(applyEvent(m, { type: 'telemetry', workshop_id: 2, pit_id: 3, device: 'SN-1', ts: T0 + 1, values: { temperature: 1 } }, 1)).toBe(m);
    const n = applyEvent(m, { type: 'telemetry', workshop_id: 1, pit_id: null, device: 'NEW', ts: T0, values: { iaq: 50 } }, 1);
    expect(n.get('NEW')).toMatchObject({ uid: 'NEW', kind: null, pitId: null, values: { iaq: { value: 50, ts: T0 } } });
  });

  it('applies device status: online flag and a last seen that only moves forward', () => {
    let m = mergeSnapshots(empty, [snap()]);
    m = applyEvent(m, { type: 'device_status', workshop_id: 1, pit_id: 3, device: 'SN-1', online: false, last_seen: T0 - 5000 }, 1);
    expect(m.get('SN-1')).toMatchObject({ online: false, lastSeen: T0 });
    m = applyEvent(m, { type: 'device_status', workshop_id: 1, pit_id: 3, device: 'SN-1', online: true, last_seen: T0 + 9000 }, 1);
    expect(m.get('SN-1')).toMatchObject({ online: true, lastSeen: T0 + 9000 });
  });

  it('a reload keeps live values newer than the snapshot and drops devices that are gone', () => {
    let m = mergeSnapshots(empty, [snap(), snap({ uid: 'SN-2', pit_id: 4 })]);
    m = applyEvent(m, { type: 'telemetry', workshop_id: 1, pit_id: 3, device: 'SN-1', ts: T0 + 2000, values: { temperature: 24 } }, 1);
    m = applyEvent(m, { type: 'device_status', workshop_id: 1, pit_id: 3, device: 'SN-1', online: true, last_seen: T0 + 2000 }, 1);
    const reloaded = mergeSnapshots(m, [snap({ online: false, values: { temperature: { value: 21, ts: iso(T0 + 1000) }, humidity: { value: 40, ts: iso(T0 + 1000) } } })]);
    expect([...reloaded.keys()]).toEqual(['SN-1']);
    expect(reloaded.get('SN-1')!.values).toEqual({ temperature: { value: 24, ts: T0 + 2000 }, humidity: { value: 40, ts: T0 + 1000 } });
    expect(reloaded.get('SN-1')).toMatchObject({ online: true, lastSeen: T0 + 2000 });
    const newer = mergeSnapshots(m, [snap({ online: false, last_seen: iso(T0 + 5000), values: {} })]);
    expect(newer.get('SN-1')).toMatchObject({ online: false, lastSeen: T0 + 5000 });
  });

  it('groups devices by pit, sorted by name', () => {
    const m = mergeSnapshots(empty, [snap({ uid: 'B', name: 'zeta' }), snap({ uid: 'A', name: 'alpha' }), snap({ uid: 'C', pit_id: null })]);
    const g = groupByPit(m);
    expect(g.get(3)!.map((d) => d.uid)).toEqual(['A', 'B']);
    expect(g.get(null)!.map((d) => d.uid)).toEqual(['C']);
  });

  it("summarises a pit: each metric's newest reading across its devices, coloured, with the newest time", () => {
    const d = (uid: string, values: DeviceLive['values'], online = true): DeviceLive => ({ uid, name: uid, kind: 'sensor_node', pitId: 3, online, lastSeen: T0, values });
    const s = summarise([
      d('A', { temperature: { value: 22, ts: T0 }, pm25: { value: 50, ts: T0 + 10 } }),
      d('B', { temperature: { value: 27, ts: T0 + 5 }, current_a_ma: { value: 3, ts: T0 + 99 } }, false),
    ]);
    const by = Object.fromEntries(s.metrics.map((m) => [m.spec.key, m]));
    expect(by.temperature).toMatchObject({ reading: { value: 27 }, level: 'warning', device: 'B' });
    expect(by.pm25).toMatchObject({ level: 'critical' });
    expect(by.humidity).toMatchObject({ reading: null, level: null });
    expect(s.lastReading).toBe(T0 + 10); // metrics not shown do not count
    expect(s.connectivity).toEqual({ state: 'partial', label: '1 of 2 online', tone: 'warning' });
    expect(summarise([]).hasReadings).toBe(false);
  });

  it('says whether devices are online, offline or never seen', () => {
    const d = (online: boolean, lastSeen: number | null): DeviceLive => ({ uid: 'x', name: '', kind: null, pitId: 1, online, lastSeen, values: {} });
    expect(connectivityOf([]).state).toBe('none');
    expect(connectivityOf([d(true, T0)]).label).toBe('Online');
    expect(connectivityOf([d(false, T0)]).label).toBe('Offline');
    expect(connectivityOf([d(false, null)]).label).toBe('Never seen');
  });
});
