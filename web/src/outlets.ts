// Outlets and the main breaker, as the console shows them. Pure functions: the outlets page and
// the overview's power strip hold the state; live events and REST loads go through here.
//
// The rule (PRODUCT.md §6): the relay state shown as the truth is what the device reported; a
// command's wanted state is shown beside it while the command is open, then its outcome
// (succeeded, failed with the device's reason, expired without an answer).
import type { OutletState, SocketState } from './api/types';
import type { Tone } from './format';
import type { CommandEvent, CommandState, TelemetryEvent } from './live/events';
import type { DeviceLive } from './live/readings';

export type SocketId = 'a' | 'b';
export const SOCKETS: readonly SocketId[] = ['a', 'b'];

/** A relay or cut command the page follows, per socket it switches. */
export interface Tracked {
  id: string;
  device: string;
  name: 'relay' | 'cut';
  /** The state the command asks for. */
  on: boolean;
  state: CommandState;
  detail: string;
  /** Unix ms; null when unknown. */
  expiresAt: number | null;
  measuredMa: number | null;
  verified: boolean | null;
}

/** Keyed by `socketKey(device, socket)`. */
export type TrackedMap = ReadonlyMap<string, Tracked>;

export const socketKey = (device: string, socket: SocketId) => `${device}:${socket}`;

export function isFinal(state: CommandState): boolean {
  return state !== 'queued' && state !== 'sent';
}

/** Which sockets a command switches and to what; null for commands that switch none. */
export function commandTargets(name: string, params: Record<string, unknown>): { name: 'relay' | 'cut'; sockets: SocketId[]; on: boolean } | null {
  if (name === 'relay' && (params.socket === 'a' || params.socket === 'b') && typeof params.on === 'boolean') {
    return { name, sockets: [params.socket], on: params.on };
  }
  if (name === 'cut') return { name, sockets: [...SOCKETS], on: false };
  return null;
}

export interface CommandLike {
  id: string;
  device: string;
  name: string;
  params: Record<string, unknown>;
  state: CommandState;
  detail: string;
  expiresAt: number | null;
  measuredMa: number | null;
  verified: boolean | null;
}

/** A command as the REST API returns it (created, or fetched after its expiry) → the shape events have. */
export function fromCommand(c: {
  id: string;
  device_uid: string;
  name: string;
  params: Record<string, unknown>;
  state: CommandState;
  result_detail: string;
  expires_at: string;
  measured_ma: number | null;
  verified: boolean | null;
}): CommandLike {
  const exp = Date.parse(c.expires_at);
  return {
    id: c.id,
    device: c.device_uid,
    name: c.name,
    params: c.params,
    state: c.state,
    detail: c.result_detail,
    expiresAt: Number.isNaN(exp) ? null : exp,
    measuredMa: c.measured_ma,
    verified: c.verified,
  };
}

export function fromEvent(e: CommandEvent): CommandLike {
  return {
    id: e.id,
    device: e.device,
    name: e.name,
    params: e.params,
    state: e.state,
    detail: e.result_detail,
    expiresAt: e.expires_at,
    measuredMa: e.measured_ma,
    verified: e.verified,
  };
}

/**
 * A command's news onto what the page follows. A socket takes the newest open command; a
 * command's final state is never undone by a late copy of an earlier state, and the outcome of
 * an older command does not hide a newer open one. `ended`: a followed command just finished
 * (the page then loads the sockets again, for the state the device reported).
 */
export function applyCommand(prev: TrackedMap, c: CommandLike): { map: TrackedMap; ended: boolean } {
  const t = commandTargets(c.name, c.params);
  if (!t) return { map: prev, ended: false };
  let next: Map<string, Tracked> | null = null;
  let ended = false;
  for (const socket of t.sockets) {
    const key = socketKey(c.device, socket);
    const old = prev.get(key);
    if (old) {
      if (old.id === c.id && isFinal(old.state)) continue; // already over; a late event
      if (old.id !== c.id && !isFinal(old.state) && isFinal(c.state)) continue; // an older command's end
    }
    next ??= new Map(prev);
    next.set(key, { id: c.id, device: c.device, name: t.name, on: t.on, state: c.state, detail: c.detail, expiresAt: c.expiresAt, measuredMa: c.measuredMa, verified: c.verified });
    if (isFinal(c.state)) ended = true;
  }
  return { map: next ?? prev, ended };
}

/** Open commands whose expiry passed `graceMs` ago without news: the page asks the server about them. */
export function overdue(map: TrackedMap, now: number, graceMs = 3000): string[] {
  const ids = new Set<string>();
  for (const t of map.values()) if (!isFinal(t.state) && t.expiresAt !== null && now > t.expiresAt + graceMs) ids.add(t.id);
  return [...ids];
}

export type RelayState = 'on' | 'off' | 'unknown';

export interface Outcome {
  kind: 'succeeded' | 'failed' | 'expired' | 'cancelled';
  text: string;
  tone: Tone;
}

export interface SocketView {
  socket: SocketId;
  label: string;
  /** What the device reported, with its time (unix ms). */
  reported: { state: RelayState; at: number | null; source: 'telemetry' | 'command_result' | null };
  /** The commanded state while a command is open. */
  pending: { on: boolean; state: 'queued' | 'sent' } | null;
  /** How the last followed command ended. */
  outcome: Outcome | null;
  /** The device said the current after switching does not fit the relay state. */
  mismatch: boolean;
  currentMa: number | null;
  tripped: boolean | null;
  thresholdMa: number | null;
  /** What the toggle asks for when pressed. */
  nextOn: boolean;
}

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
};

/** `1.25 A` from 1250 mA; below 1 A in mA. */
export function formatCurrent(ma: number | null | undefined): string {
  if (ma === null || ma === undefined || !Number.isFinite(ma)) return '—';
  if (Math.abs(ma) < 1000) return `${Math.round(ma)} mA`;
  return `${(ma / 1000).toFixed(ma >= 100000 ? 0 : ma >= 10000 ? 1 : 2)} A`;
}

export function formatPower(w: number | null | undefined): string {
  if (w === null || w === undefined || !Number.isFinite(w)) return '—';
  if (Math.abs(w) < 1000) return `${Math.round(w)} W`;
  return `${(w / 1000).toFixed(w >= 100000 ? 0 : 1)} kW`;
}

function outcomeOf(t: Tracked): Outcome | null {
  const did = t.name === 'cut' ? 'Cut off' : `Switched ${t.on ? 'on' : 'off'}`;
  switch (t.state) {
    case 'succeeded': {
      const measured = t.measuredMa !== null ? ` · ${formatCurrent(t.measuredMa)} after switching` : '';
      if (t.verified === false) {
        return { kind: 'succeeded', text: `${did}${measured} — the current does not fit (welded relay or unplugged load?)`, tone: 'warning' };
      }
      return { kind: 'succeeded', text: `${did}${measured}`, tone: 'good' };
    }
    case 'failed':
      return { kind: 'failed', text: `Failed: ${t.detail || 'the device gave no reason'}`, tone: 'critical' };
    case 'expired':
      return { kind: 'expired', text: 'Expired — no answer', tone: 'warning' };
    case 'cancelled':
      return { kind: 'cancelled', text: 'Cancelled', tone: 'neutral' };
    default:
      return null;
  }
}

/** One socket as shown: the server's view of it, with the command the page follows. */
export function socketView(s: SocketState, tracked: Tracked | undefined): SocketView {
  const reported = { state: s.relay.state, at: ms(s.relay.at), source: s.relay.source };
  let pending: SocketView['pending'] = null;
  let outcome: Outcome | null = null;
  if (tracked && !isFinal(tracked.state)) pending = { on: tracked.on, state: tracked.state as 'queued' | 'sent' };
  else if (s.commanded && (!tracked || tracked.id !== s.commanded.command_id)) pending = { on: s.commanded.on, state: s.commanded.state };
  if (tracked && isFinal(tracked.state) && !pending) outcome = outcomeOf(tracked);
  return {
    socket: s.socket,
    label: `Socket ${s.socket.toUpperCase()}`,
    reported,
    pending,
    outcome,
    mismatch: s.relay.verified === false,
    currentMa: s.current_ma?.value ?? null,
    tripped: s.tripped?.value ?? null,
    thresholdMa: s.threshold_ma?.value ?? null,
    nextOn: pending ? !pending.on : reported.state !== 'on',
  };
}

/** What the pending state says in words: "Switching on…" (queued: not yet delivered). */
export function pendingText(p: NonNullable<SocketView['pending']>): string {
  return `Switching ${p.on ? 'on' : 'off'}… ${p.state === 'queued' ? '(waiting for the device)' : '(sent)'}`;
}

/**
 * A telemetry event onto the outlets: relay states, currents, trip flags and the threshold the
 * outlet reported, each where it is newer than what is shown. The same array when nothing changes.
 */
export function applyOutletTelemetry(outlets: readonly OutletState[], e: TelemetryEvent): readonly OutletState[] {
  const i = outlets.findIndex((o) => o.device_uid === e.device);
  if (i < 0) return outlets;
  const o = outlets[i]!;
  const at = new Date(e.ts).toISOString();
  const newer = (iso: string | null | undefined) => iso === null || iso === undefined || (ms(iso) ?? 0) <= e.ts;
  let changed = false;
  const sockets = o.sockets.map((s) => {
    const v = e.values;
    const next: SocketState = { ...s };
    const relay = v[`relay_${s.socket}`];
    if (relay !== undefined && newer(s.relay.at)) {
      next.relay = { state: relay >= 0.5 ? 'on' : 'off', at, source: 'telemetry', verified: null };
      changed = true;
    }
    const cur = v[`current_${s.socket}_ma`];
    if (cur !== undefined && newer(s.current_ma?.at)) {
      next.current_ma = { value: Math.round(cur), at };
      changed = true;
    }
    const trip = v[`tripped_${s.socket}`];
    if (trip !== undefined && newer(s.tripped?.at)) {
      next.tripped = { value: trip >= 0.5, at };
      changed = true;
    }
    const thr = v.threshold_ma;
    if (thr !== undefined && newer(s.threshold_ma?.at)) {
      next.threshold_ma = { value: Math.round(thr), at };
      changed = true;
    }
    return next;
  });
  if (!changed) return outlets;
  const out = [...outlets];
  out[i] = { ...o, sockets, online: true, last_seen: newer(o.last_seen) ? at : o.last_seen };
  return out;
}

// ---------------------------------------------------------------------------------------------
// The power strip: the main breaker against its limit, total power, sockets on.

/** The CCU firmware's breaker limit until it is told another (firmware/include/fw/ccu_gateway.h). */
export const DEFAULT_BREAKER_LIMIT_MA = 15000;

export type PowerLevel = 'good' | 'warning' | 'critical';

/** ≥ 100 % of the limit: critical; ≥ 80 %: warning (the limit is near); else good. */
export function breakerLevel(currentMa: number, limitMa: number): PowerLevel {
  const r = limitMa > 0 ? currentMa / limitMa : 0;
  if (r >= 1) return 'critical';
  if (r >= 0.8) return 'warning';
  return 'good';
}

export interface PowerStrip {
  /** Gateways (breakers) known. */
  gateways: number;
  /** Sum of the breakers' currents that were reported; null when none reported. */
  breakerMa: number | null;
  limitMa: number;
  /** Whether every limit was reported by its gateway (else the firmware default is assumed). */
  limitReported: boolean;
  /** 0..1+, for the bar. */
  ratio: number | null;
  level: PowerLevel | null;
  powerW: number | null;
  /** `reported`: the gateways' power_w; `estimated`: current × nominal voltage × power factor. */
  powerSource: 'reported' | 'estimated' | null;
  socketsOn: number;
  /** Sockets whose relay state is known. */
  socketsKnown: number;
  socketsTotal: number;
  /** The newest breaker reading (unix ms). */
  at: number | null;
}

export interface PowerSettings {
  voltageV?: number | null;
  powerFactor?: number | null;
  defaultLimitMa?: number;
}

/** The strip's figures from the workshop's latest values (the overview's live device map). */
export function powerStrip(devices: Iterable<DeviceLive>, settings: PowerSettings = {}): PowerStrip {
  const voltage = settings.voltageV && settings.voltageV > 0 ? settings.voltageV : 230;
  const pf = settings.powerFactor && settings.powerFactor > 0 && settings.powerFactor <= 1 ? settings.powerFactor : 1;
  const fallback = settings.defaultLimitMa ?? DEFAULT_BREAKER_LIMIT_MA;
  let gateways = 0;
  let breakerMa: number | null = null;
  let limitMa = 0;
  let limitReported = true;
  let reportedW: number | null = null;
  let at: number | null = null;
  let socketsOn = 0;
  let socketsKnown = 0;
  let socketsTotal = 0;
  for (const d of devices) {
    const v = d.values;
    if (d.kind === 'gateway' || v.breaker_current_ma) {
      gateways++;
      const lim = v.breaker_limit_ma?.value;
      if (lim !== undefined && lim > 0) limitMa += lim;
      else {
        limitMa += fallback;
        limitReported = false;
      }
      const cur = v.breaker_current_ma;
      if (cur) {
        breakerMa = (breakerMa ?? 0) + cur.value;
        at = at === null ? cur.ts : Math.max(at, cur.ts);
      }
      if (v.power_w) reportedW = (reportedW ?? 0) + v.power_w.value;
    }
    if (d.kind === 'outlet' || v.relay_a || v.relay_b) {
      socketsTotal += 2;
      for (const s of SOCKETS) {
        const r = v[`relay_${s}`];
        if (!r) continue;
        socketsKnown++;
        if (r.value >= 0.5) socketsOn++;
      }
    }
  }
  const ratio = breakerMa !== null && limitMa > 0 ? breakerMa / limitMa : null;
  let powerW: number | null = null;
  let powerSource: PowerStrip['powerSource'] = null;
  if (reportedW !== null) {
    powerW = reportedW;
    powerSource = 'reported';
  } else if (breakerMa !== null) {
    powerW = (breakerMa / 1000) * voltage * pf;
    powerSource = 'estimated';
  }
  return {
    gateways,
    breakerMa,
    limitMa,
    limitReported: gateways > 0 && limitReported,
    ratio,
    level: breakerMa !== null ? breakerLevel(breakerMa, limitMa) : null,
    powerW,
    powerSource,
    socketsOn,
    socketsKnown,
    socketsTotal,
    at,
  };
}
