// The live channel's events (docs/LIVE.md), checked at the boundary: a frame that does not have
// the documented shape is dropped rather than allowed to corrupt what the console shows.

export interface TelemetryEvent {
  type: 'telemetry';
  workshop_id: number;
  pit_id: number | null;
  device: string;
  /** Unix milliseconds of the newest reading in the event. */
  ts: number;
  values: Record<string, number>;
}

export interface DeviceStatusEvent {
  type: 'device_status';
  workshop_id: number;
  pit_id: number | null;
  device: string;
  online: boolean;
  /** Unix milliseconds; null when the device has never been seen. */
  last_seen: number | null;
}

/** A command changed state (docs/LIVE.md): the command as it is now, and the transition that happened. */
export interface CommandEvent {
  type: 'command';
  workshop_id: number;
  pit_id: number | null;
  device: string;
  id: string;
  name: string;
  params: Record<string, unknown>;
  state: CommandState;
  /** The device's reason (or the server's, for an expiry). */
  result_detail: string;
  /** Unix milliseconds. */
  expires_at: number | null;
  measured_ma: number | null;
  verified: boolean | null;
}

export type CommandState = 'queued' | 'sent' | 'succeeded' | 'failed' | 'expired' | 'cancelled';
const COMMAND_STATES: readonly string[] = ['queued', 'sent', 'succeeded', 'failed', 'expired', 'cancelled'];

export type LiveEvent = TelemetryEvent | DeviceStatusEvent | CommandEvent;

export interface Topics {
  workshops?: number[];
  pits?: number[];
  devices?: string[];
}

export interface RejectedTopic {
  kind: 'workshop' | 'pit' | 'device';
  id: number | string;
  code: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** An event frame → a typed event, or null (unknown type, wrong fields). */
export function parseEvent(m: Record<string, unknown>): LiveEvent | null {
  const pit = m.pit_id === null || m.pit_id === undefined ? null : m.pit_id;
  if (!isId(m.workshop_id) || (pit !== null && !isId(pit)) || typeof m.device !== 'string' || !m.device) return null;
  if (m.type === 'telemetry') {
    if (!isFiniteNumber(m.ts) || !isRecord(m.values)) return null;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(m.values)) if (isFiniteNumber(v)) values[k] = v;
    return { type: 'telemetry', workshop_id: m.workshop_id, pit_id: pit, device: m.device, ts: m.ts, values };
  }
  if (m.type === 'device_status') {
    if (typeof m.online !== 'boolean') return null;
    const lastSeen = isFiniteNumber(m.last_seen) ? m.last_seen : null;
    return { type: 'device_status', workshop_id: m.workshop_id, pit_id: pit, device: m.device, online: m.online, last_seen: lastSeen };
  }
  if (m.type === 'command') {
    if (typeof m.id !== 'string' || !m.id || typeof m.name !== 'string' || typeof m.state !== 'string' || !COMMAND_STATES.includes(m.state)) return null;
    const expires = typeof m.expires_at === 'string' ? Date.parse(m.expires_at) : NaN;
    return {
      type: 'command',
      workshop_id: m.workshop_id,
      pit_id: pit,
      device: m.device,
      id: m.id,
      name: m.name,
      params: isRecord(m.params) ? m.params : {},
      state: m.state as CommandState,
      result_detail: typeof m.result_detail === 'string' ? m.result_detail : '',
      expires_at: Number.isNaN(expires) ? null : expires,
      measured_ma: isFiniteNumber(m.measured_ma) ? m.measured_ma : null,
      verified: typeof m.verified === 'boolean' ? m.verified : null,
    };
  }
  return null;
}

export function parseRejected(v: unknown): RejectedTopic[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (r): r is RejectedTopic =>
      isRecord(r) && (r.kind === 'workshop' || r.kind === 'pit' || r.kind === 'device') && (typeof r.id === 'number' || typeof r.id === 'string') && typeof r.code === 'string',
  );
}

/** `workshop:1`, `pit:3`, `device:SN-1`: one key per subscribed item. */
export function topicKeys(t: Topics): string[] {
  return [
    ...(t.workshops ?? []).map((id) => `workshop:${id}`),
    ...(t.pits ?? []).map((id) => `pit:${id}`),
    ...(t.devices ?? []).map((uid) => `device:${uid}`),
  ];
}

export function keysToTopics(keys: Iterable<string>): Topics {
  const t: Required<Topics> = { workshops: [], pits: [], devices: [] };
  for (const k of keys) {
    const i = k.indexOf(':');
    const kind = k.slice(0, i);
    const id = k.slice(i + 1);
    if (kind === 'workshop') t.workshops.push(Number(id));
    else if (kind === 'pit') t.pits.push(Number(id));
    else if (kind === 'device') t.devices.push(id);
  }
  const out: Topics = {};
  if (t.workshops.length) out.workshops = t.workshops;
  if (t.pits.length) out.pits = t.pits;
  if (t.devices.length) out.devices = t.devices;
  return out;
}

export function rejectedKey(r: RejectedTopic): string {
  return `${r.kind}:${r.id}`;
}
