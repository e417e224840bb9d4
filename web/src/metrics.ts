// The metric catalogue (PRODUCT.md §3) as the console shows it: labels, units, precision,
// and the formatting of values and statistics. Metrics outside the catalogue (devices may
// send custom names) get a label made from their name and a precision chosen by magnitude.
import type { Stats } from './api/types';
import type { Tone } from './format';

export interface MetricInfo {
  key: string;
  label: string;
  unit: string;
  /** Decimal places; null: chosen by the value's magnitude. */
  digits: number | null;
}

const CATALOGUE: readonly MetricInfo[] = [
  { key: 'temperature', label: 'Temperature', unit: '°C', digits: 1 },
  { key: 'humidity', label: 'Humidity', unit: '%RH', digits: 1 },
  { key: 'pressure', label: 'Pressure', unit: 'hPa', digits: 1 },
  { key: 'pm1', label: 'PM1', unit: 'µg/m³', digits: 0 },
  { key: 'pm25', label: 'PM2.5', unit: 'µg/m³', digits: 0 },
  { key: 'pm10', label: 'PM10', unit: 'µg/m³', digits: 0 },
  { key: 'iaq', label: 'IAQ', unit: '', digits: 0 },
  { key: 'iaq_accuracy', label: 'IAQ accuracy', unit: '', digits: 0 },
  { key: 'gas_resistance', label: 'Gas resistance', unit: 'Ω', digits: 0 },
  { key: 'particles_03um', label: 'Particles ≥ 0.3 µm', unit: 'per 0.1 L', digits: 0 },
  { key: 'particles_05um', label: 'Particles ≥ 0.5 µm', unit: 'per 0.1 L', digits: 0 },
  { key: 'particles_10um', label: 'Particles ≥ 1.0 µm', unit: 'per 0.1 L', digits: 0 },
  { key: 'particles_25um', label: 'Particles ≥ 2.5 µm', unit: 'per 0.1 L', digits: 0 },
  { key: 'particles_50um', label: 'Particles ≥ 5.0 µm', unit: 'per 0.1 L', digits: 0 },
  { key: 'particles_100um', label: 'Particles ≥ 10 µm', unit: 'per 0.1 L', digits: 0 },
  { key: 'breaker_current_ma', label: 'Main breaker current', unit: 'mA', digits: 0 },
  { key: 'breaker_limit_ma', label: 'Breaker cut-off limit', unit: 'mA', digits: 0 },
  { key: 'current_a_ma', label: 'Current, socket A', unit: 'mA', digits: 0 },
  { key: 'current_b_ma', label: 'Current, socket B', unit: 'mA', digits: 0 },
  { key: 'relay_a', label: 'Relay A', unit: '', digits: 0 },
  { key: 'relay_b', label: 'Relay B', unit: '', digits: 0 },
  { key: 'tripped_a', label: 'Overload trip A', unit: '', digits: 0 },
  { key: 'tripped_b', label: 'Overload trip B', unit: '', digits: 0 },
  { key: 'threshold_ma', label: 'Overload threshold', unit: 'mA', digits: 0 },
  { key: 'power_w', label: 'Power', unit: 'W', digits: 1 },
  { key: 'energy_wh', label: 'Energy', unit: 'Wh', digits: 1 },
];

const BY_KEY = new Map(CATALOGUE.map((m, i) => [m.key, { info: m, order: i }]));

/** `voc_index` → "Voc index". */
function labelFromKey(key: string): string {
  const s = key.replace(/[_.-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function metricInfo(key: string): MetricInfo {
  return BY_KEY.get(key)?.info ?? { key, label: labelFromKey(key), unit: '', digits: null };
}

/** Catalogue order first (climate, air, power), then the others by name. */
export function sortMetrics(keys: Iterable<string>): string[] {
  const rank = (k: string) => BY_KEY.get(k)?.order ?? Number.MAX_SAFE_INTEGER;
  return [...new Set(keys)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The metric a chart opens with: the first in catalogue order, or null when there is none. */
export function defaultMetric(keys: Iterable<string>): string | null {
  return sortMetrics(keys)[0] ?? null;
}

function autoDigits(v: number): number {
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return 0;
  if (a >= 1) return 1;
  return 2;
}

/** `23.4`, `1013`, `—` for nothing; the metric's precision; `-0` shown as `0`. */
export function formatValue(key: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const digits = metricInfo(key).digits ?? autoDigits(v);
  const s = v.toFixed(digits);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

/** `23.4 °C`; the unit only when there is a value. */
export function formatValueWithUnit(key: string, v: number | null | undefined): string {
  const s = formatValue(key, v);
  const unit = metricInfo(key).unit;
  return s === '—' || !unit ? s : `${s} ${unit}`;
}

export interface StatsView {
  min: string;
  max: string;
  avg: string;
  count: string;
  /** False when the range has no valid reading (min/max/avg are "—"). */
  any: boolean;
}

/** What the statistics strip shows. The average gets one more decimal than readings have. */
export function formatStats(s: Pick<Stats, 'metric' | 'count' | 'min' | 'max' | 'avg'>): StatsView {
  const any = s.count > 0 && s.min !== null && s.max !== null && s.avg !== null;
  const info = metricInfo(s.metric);
  const unit = info.unit ? ` ${info.unit}` : '';
  let avg = '—';
  if (any && s.avg !== null) {
    const digits = info.digits === null ? autoDigits(s.avg) : Math.min(info.digits + 1, 3);
    const t = s.avg.toFixed(digits);
    avg = `${/^-0(\.0+)?$/.test(t) ? t.slice(1) : t}${unit}`;
  }
  return {
    min: any ? formatValueWithUnit(s.metric, s.min) : '—',
    max: any ? formatValueWithUnit(s.metric, s.max) : '—',
    avg,
    count: `${s.count.toLocaleString('en-GB')} ${s.count === 1 ? 'reading' : 'readings'}`,
    any,
  };
}

/** Wi-Fi signal strength in words (never colour alone): RSSI in dBm. */
export function signalQuality(rssi: number): { label: string; tone: Tone } {
  if (rssi >= -60) return { label: 'Strong', tone: 'good' };
  if (rssi >= -72) return { label: 'Fair', tone: 'good' };
  if (rssi >= -82) return { label: 'Weak', tone: 'warning' };
  return { label: 'Very weak', tone: 'critical' };
}
