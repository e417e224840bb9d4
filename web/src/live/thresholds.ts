// The overview's metrics and their fixed colour bands. One place on purpose: alert rules
// (per workshop, pit and device, with inheritance) replace these later.
import type { Tone } from '../format';

export type Level = 'good' | 'warning' | 'critical';

/** A closed range; `min`/`max` absent means unbounded on that side. */
export interface Band {
  min?: number;
  max?: number;
}

export interface MetricSpec {
  key: string;
  label: string;
  /** A short label for narrow places. */
  short: string;
  unit: string;
  digits: number;
  good: Band;
  warning: Band;
}

/** The tile's metrics, in display order. */
export const OVERVIEW_METRICS: readonly MetricSpec[] = [
  { key: 'temperature', label: 'Temperature', short: 'Temp.', unit: '°C', digits: 1, good: { min: 18, max: 26 }, warning: { min: 15, max: 30 } },
  { key: 'humidity', label: 'Humidity', short: 'Humidity', unit: '%RH', digits: 0, good: { min: 30, max: 60 }, warning: { min: 20, max: 70 } },
  { key: 'pm25', label: 'PM2.5', short: 'PM2.5', unit: 'µg/m³', digits: 0, good: { max: 12 }, warning: { max: 35 } },
  { key: 'pm10', label: 'PM10', short: 'PM10', unit: 'µg/m³', digits: 0, good: { max: 54 }, warning: { max: 154 } },
  { key: 'iaq', label: 'IAQ', short: 'IAQ', unit: '', digits: 0, good: { max: 100 }, warning: { max: 200 } },
];

const BY_KEY = new Map(OVERVIEW_METRICS.map((m) => [m.key, m]));

export function metricSpec(key: string): MetricSpec | undefined {
  return BY_KEY.get(key);
}

function inside(b: Band, v: number): boolean {
  return (b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max);
}

/** good inside the good band, warning inside the warning band, else critical; null for an unknown metric or a non-number. */
export function classify(metric: string, value: number): Level | null {
  const spec = BY_KEY.get(metric);
  if (!spec || !Number.isFinite(value)) return null;
  if (inside(spec.good, value)) return 'good';
  if (inside(spec.warning, value)) return 'warning';
  return 'critical';
}

export function levelTone(level: Level | null): Tone {
  return level ?? 'unknown';
}

export function levelLabel(level: Level | null): string {
  switch (level) {
    case 'good':
      return 'Good';
    case 'warning':
      return 'Warning';
    case 'critical':
      return 'Critical';
    default:
      return 'No reading';
  }
}

/** `23.4`, `41`: the metric's precision; `-0` shown as `0`. */
export function formatReading(metric: string, value: number): string {
  const digits = BY_KEY.get(metric)?.digits ?? 1;
  const s = value.toFixed(digits);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

/** The range a value must be in to be good, for a tooltip and screen readers: "good 18–26 °C". */
export function goodRangeText(spec: MetricSpec): string {
  const { min, max } = spec.good;
  const unit = spec.unit ? ` ${spec.unit}` : '';
  if (min !== undefined && max !== undefined) return `good ${min}–${max}${unit}`;
  if (max !== undefined) return `good up to ${max}${unit}`;
  return `good from ${min}${unit}`;
}
