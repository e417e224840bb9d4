// The overview's state: the latest values of a workshop's devices, loaded over REST
// (`GET /workshops/{id}/latest`) and kept current by live events. Pure functions; the page
// holds the map in component state.
import type { DeviceSnapshot } from '../api/types';
import type { Tone } from '../format';
import { classify, OVERVIEW_METRICS, type Level, type MetricSpec } from './thresholds';
import type { LiveEvent } from './events';

export interface Reading {
  value: number;
  /** Unix milliseconds. */
  ts: number;
}

export interface DeviceLive {
  uid: string;
  name: string;
  /** null for a device first heard of through an event (the next REST load fills it in). */
  kind: DeviceSnapshot['kind'] | null;
  pitId: number | null;
  online: boolean;
  /** Unix milliseconds; null when never seen. */
  lastSeen: number | null;
  values: Record<string, Reading>;
}

export type DeviceMap = ReadonlyMap<string, DeviceLive>;

function ms(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export function fromSnapshot(s: DeviceSnapshot): DeviceLive {
  const values: Record<string, Reading> = {};
  for (const [metric, v] of Object.entries(s.values ?? {})) {
    const ts = ms(v.ts);
    if (ts !== null && Number.isFinite(v.value)) values[metric] = { value: v.value, ts };
  }
  return { uid: s.uid, name: s.name, kind: s.kind, pitId: s.pit_id ?? null, online: s.online, lastSeen: ms(s.last_seen), values };
}

/** Per metric, the reading with the newer timestamp (the first on a tie). */
function newerValues(a: Record<string, Reading>, b: Record<string, Reading>): Record<string, Reading> {
  const out = { ...a };
  for (const [metric, r] of Object.entries(b)) {
    const cur = out[metric];
    if (!cur || r.ts > cur.ts) out[metric] = r;
  }
  return out;
}

/**
 * A fresh REST load onto the current state. The load decides which devices exist, their names
 * and pits; values keep whichever reading is newer, because live events that arrived while the
 * request was under way may be newer than the load.
 */
export function mergeSnapshots(prev: DeviceMap, list: readonly DeviceSnapshot[]): DeviceMap {
  const next = new Map<string, DeviceLive>();
  for (const s of list) {
    const d = fromSnapshot(s);
    const old = prev.get(d.uid);
    if (old) {
      d.values = newerValues(d.values, old.values);
      if (old.lastSeen !== null && (d.lastSeen === null || old.lastSeen > d.lastSeen)) {
        d.lastSeen = old.lastSeen;
        d.online = old.online;
      }
    }
    next.set(d.uid, d);
  }
  return next;
}

/** A live event onto the state; the same map when the event changes nothing shown here. */
export function applyEvent(prev: DeviceMap, e: LiveEvent, workshopId: number): DeviceMap {
  if (e.workshop_id !== workshopId || e.type === 'command') return prev;
  const old = prev.get(e.device);
  const base: DeviceLive = old ?? { uid: e.device, name: '', kind: null, pitId: e.pit_id, online: false, lastSeen: null, values: {} };
  let d: DeviceLive;
  if (e.type === 'telemetry') {
    const incoming: Record<string, Reading> = {};
    for (const [metric, value] of Object.entries(e.values)) incoming[metric] = { value, ts: e.ts };
    d = { ...base, pitId: e.pit_id, values: newerValues(base.values, incoming) };
  } else {
    const lastSeen = e.last_seen !== null && (base.lastSeen === null || e.last_seen > base.lastSeen) ? e.last_seen : base.lastSeen;
    d = { ...base, pitId: e.pit_id, online: e.online, lastSeen };
  }
  const next = new Map(prev);
  next.set(d.uid, d);
  return next;
}

/** Devices by pit (null: no pit), each list sorted by name then uid. */
export function groupByPit(devices: DeviceMap): Map<number | null, DeviceLive[]> {
  const out = new Map<number | null, DeviceLive[]>();
  for (const d of devices.values()) {
    const list = out.get(d.pitId) ?? [];
    list.push(d);
    out.set(d.pitId, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.name || a.uid).localeCompare(b.name || b.uid) || a.uid.localeCompare(b.uid));
  return out;
}

export interface MetricReading {
  spec: MetricSpec;
  reading: Reading | null;
  level: Level | null;
  device: string | null;
}

export interface Connectivity {
  state: 'none' | 'online' | 'offline' | 'never' | 'partial';
  label: string;
  tone: Tone;
}

export interface PitSummary {
  metrics: MetricReading[];
  /** The newest reading of any shown metric (unix ms), or null. */
  lastReading: number | null;
  hasReadings: boolean;
  connectivity: Connectivity;
}

/** What a pit's tile shows: per metric the newest reading of any of its devices, and whether they are online. */
export function summarise(devices: readonly DeviceLive[]): PitSummary {
  let lastReading: number | null = null;
  const metrics = OVERVIEW_METRICS.map((spec): MetricReading => {
    let best: Reading | null = null;
    let device: string | null = null;
    for (const d of devices) {
      const r = d.values[spec.key];
      if (r && (!best || r.ts > best.ts)) {
        best = r;
        device = d.uid;
      }
    }
    if (best && (lastReading === null || best.ts > lastReading)) lastReading = best.ts;
    return { spec, reading: best, level: best ? classify(spec.key, best.value) : null, device };
  });
  return { metrics, lastReading, hasReadings: lastReading !== null, connectivity: connectivityOf(devices) };
}

export function connectivityOf(devices: readonly DeviceLive[]): Connectivity {
  if (devices.length === 0) return { state: 'none', label: 'No device', tone: 'unknown' };
  const online = devices.filter((d) => d.online).length;
  if (online === devices.length) return { state: 'online', label: 'Online', tone: 'good' };
  if (online > 0) return { state: 'partial', label: `${online} of ${devices.length} online`, tone: 'warning' };
  if (devices.every((d) => d.lastSeen === null)) return { state: 'never', label: 'Never seen', tone: 'unknown' };
  return { state: 'offline', label: 'Offline', tone: 'offline' };
}
