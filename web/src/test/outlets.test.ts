import { describe, expect, it } from 'vitest';
import type { OutletState, SocketState } from '../api/types';
import { parseEvent } from '../live/events';
import type { DeviceLive } from '../live/readings';
import { applyEvent } from '../live/readings';
import {
  applyCommand,
  applyOutletTelemetry,
  breakerLevel,
  commandTargets,
  formatCurrent,
  fromEvent,
  overdue,
  powerStrip,
  socketKey,
  socketView,
  type CommandLike,
  type TrackedMap,
} from '../outlets';

const T0 = Date.parse('2025-01-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function sock(over: Partial<SocketState> = {}): SocketState {
  return {
    socket: 'a',
    relay: { state: 'off', at: iso(T0), source: 'telemetry', verified: null },
    current_ma: { value: 0, at: iso(T0) },
    tripped: { value: false, at: iso(T0) },
    threshold_ma: { value: 12000, at: iso(T0) },
    commanded: null,
    ...over,
  };
}

function cmd(over: Partial<CommandLike> = {}): CommandLike {
  return { id: 'c1', device: 'CCU-1.01', name: 'relay', params: { socket: 'a', on: true }, state: 'queued', detail: '', expiresAt: T0 + 60000, measuredMa: null, verified: null, ...over };
}

const empty: TrackedMap = new Map();
const key = socketKey('CCU-1.01', 'a');

describe('command targets', () => {
  it('relay switches one socket, cut both off; others none', () => {
    expect(commandTargets('relay', { socket: 'b', on: false })).toEqual({ name: 'relay', sockets: ['b'], on: false });
    expect(commandTargets('cut', { sockets: 'all' })).toEqual({ name: 'cut', sockets: ['a', 'b'], on: false });
    expect(commandTargets('relay', { socket: 'c', on: true })).toBeNull();
    expect(commandTargets('restart', {})).toBeNull();
  });
});

describe('pending → final from command events', () => {
  it('queued → sent → succeeded, ending once', () => {
    let r = applyCommand(empty, cmd());
    expect(r.ended).toBe(false);
    expect(r.map.get(key)?.state).toBe('queued');
    r = applyCommand(r.map, cmd({ state: 'sent' }));
    expect(r.map.get(key)?.state).toBe('sent');
    r = applyCommand(r.map, cmd({ state: 'succeeded', measuredMa: 1800, verified: true }));
    expect(r.ended).toBe(true);
    expect(r.map.get(key)).toMatchObject({ state: 'succeeded', measuredMa: 1800, on: true });
    // A late copy of an earlier state does not reopen it.
    const late = applyCommand(r.map, cmd({ state: 'sent' }));
    expect(late.map).toBe(r.map);
    expect(late.ended).toBe(false);
  });

  it("an older command's end does not hide a newer open one", () => {
    let r = applyCommand(empty, cmd({ id: 'old', state: 'sent' }));
    r = applyCommand(r.map, cmd({ id: 'new', params: { socket: 'a', on: false } }));
    r = applyCommand(r.map, cmd({ id: 'old', state: 'expired' }));
    expect(r.map.get(key)).toMatchObject({ id: 'new', state: 'queued', on: false });
  });

  it('a cut follows both sockets; other commands are ignored', () => {
    const r = applyCommand(empty, cmd({ id: 'k', name: 'cut', params: { sockets: 'all' } }));
    expect(r.map.get(socketKey('CCU-1.01', 'a'))).toMatchObject({ id: 'k', on: false, name: 'cut' });
    expect(r.map.get(socketKey('CCU-1.01', 'b'))).toMatchObject({ id: 'k', on: false });
    expect(applyCommand(empty, cmd({ name: 'restart', params: {} })).map).toBe(empty);
  });

  it('the live `command` event is parsed and drives the same transitions', () => {
    const e = parseEvent({
      type: 'command',
      workshop_id: 1,
      pit_id: null,
      device: 'CCU-1.01',
      id: 'c1',
      device_uid: 'CCU-1.01',
      name: 'relay',
      params: { socket: 'a', on: true },
      state: 'failed',
      result_detail: 'radio timeout',
      expires_at: iso(T0 + 60000),
      measured_ma: null,
      verified: null,
      transition: { state: 'failed', at: iso(T0), detail: 'radio timeout' },
    });
    expect(e?.type).toBe('command');
    if (e?.type !== 'command') return;
    expect(e.expires_at).toBe(T0 + 60000);
    const r = applyCommand(applyCommand(empty, cmd()).map, fromEvent(e));
    expect(r.ended).toBe(true);
    expect(socketView(sock(), r.map.get(key)).outcome).toEqual({ kind: 'failed', text: 'Failed: radio timeout', tone: 'critical' });
    expect(parseEvent({ type: 'command', workshop_id: 1, device: 'X', id: 'c', name: 'relay', state: 'bogus' })).toBeNull();
    // The overview's device map ignores command events.
    const devices = new Map();
    expect(applyEvent(devices, e, 1)).toBe(devices);
  });

  it('open commands past their expiry are overdue', () => {
    const m = applyCommand(empty, cmd({ expiresAt: T0 })).map;
    expect(overdue(m, T0 + 1000)).toEqual([]);
    expect(overdue(m, T0 + 5000)).toEqual(['c1']);
    const done = applyCommand(m, cmd({ expiresAt: T0, state: 'expired' })).map;
    expect(overdue(done, T0 + 5000)).toEqual([]);
  });
});

describe('socket state composed for display', () => {
  it('shows the reported state, and the commanded one beside it while pending', () => {
    const tracked = applyCommand(empty, cmd({ state: 'sent' })).map.get(key);
    const v = socketView(sock(), tracked);
    expect(v.reported).toEqual({ state: 'off', at: T0, source: 'telemetry' });
    expect(v.pending).toEqual({ on: true, state: 'sent' });
    expect(v.outcome).toBeNull();
    expect(v.nextOn).toBe(false);
  });

  it("takes the server's open command when the page did not issue it", () => {
    const v = socketView(sock({ commanded: { on: false, command_id: 'x', name: 'cut', state: 'queued', since: iso(T0) } }), undefined);
    expect(v.pending).toEqual({ on: false, state: 'queued' });
  });

  it('a stale open command from the server does not outlive its followed end', () => {
    const done = applyCommand(empty, cmd({ id: 'x', state: 'expired' })).map.get(key);
    const v = socketView(sock({ commanded: { on: true, command_id: 'x', name: 'relay', state: 'sent', since: iso(T0) } }), done);
    expect(v.pending).toBeNull();
    expect(v.outcome).toEqual({ kind: 'expired', text: 'Expired — no answer', tone: 'warning' });
  });

  it('success says what was measured, and warns when the current does not fit', () => {
    const ok = applyCommand(empty, cmd({ state: 'succeeded', measuredMa: 1800, verified: true })).map.get(key);
    const on = sock({ relay: { state: 'on', at: iso(T0 + 1000), source: 'command_result', verified: true } });
    expect(socketView(on, ok).outcome).toEqual({ kind: 'succeeded', text: 'Switched on · 1.80 A after switching', tone: 'good' });
    expect(socketView(on, ok).nextOn).toBe(false);
    const bad = applyCommand(empty, cmd({ state: 'succeeded', measuredMa: 0, verified: false })).map.get(key);
    expect(socketView(on, bad).outcome?.tone).toBe('warning');
    expect(socketView(sock({ relay: { state: 'on', at: null, source: 'command_result', verified: false } }), undefined).mismatch).toBe(true);
  });

  it('unknown relay, missing readings', () => {
    const v = socketView(sock({ relay: { state: 'unknown', at: null, source: null, verified: null }, current_ma: null, tripped: null, threshold_ma: null }), undefined);
    expect(v).toMatchObject({ currentMa: null, tripped: null, thresholdMa: null, nextOn: true, pending: null, outcome: null });
  });
});

describe('outlet telemetry', () => {
  const outlet: OutletState = {
    device_uid: 'CCU-1.01',
    name: 'Bench',
    workshop_id: 1,
    pit_id: null,
    gateway_uid: 'CCU-1',
    radio_address: 1,
    radio_protocol: 2,
    status: 'active',
    online: false,
    last_seen: null,
    sockets: [sock(), sock({ socket: 'b' })],
  };
  it('newer readings replace relay, current, trip flag and threshold', () => {
    const next = applyOutletTelemetry([outlet], { type: 'telemetry', workshop_id: 1, pit_id: null, device: 'CCU-1.01', ts: T0 + 5000, values: { relay_a: 1, current_a_ma: 2400, tripped_b: 1, threshold_ma: 10000 } });
    const [a, b] = next[0]!.sockets;
    expect(a!.relay).toEqual({ state: 'on', at: iso(T0 + 5000), source: 'telemetry', verified: null });
    expect(a!.current_ma?.value).toBe(2400);
    expect(b!.tripped?.value).toBe(true);
    expect(b!.threshold_ma?.value).toBe(10000);
    expect(b!.relay.state).toBe('off');
    expect(next[0]!.online).toBe(true);
  });
  it('older readings and other devices change nothing', () => {
    const list = [outlet];
    expect(applyOutletTelemetry(list, { type: 'telemetry', workshop_id: 1, pit_id: null, device: 'CCU-1.01', ts: T0 - 1, values: { relay_a: 1 } })).toBe(list);
    expect(applyOutletTelemetry(list, { type: 'telemetry', workshop_id: 1, pit_id: null, device: 'OTHER', ts: T0 + 1, values: { relay_a: 1 } })).toBe(list);
  });
});

describe('power strip', () => {
  const dev = (uid: string, kind: DeviceLive['kind'], values: Record<string, number>): DeviceLive => ({
    uid,
    name: '',
    kind,
    pitId: null,
    online: true,
    lastSeen: T0,
    values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, ts: T0 }])),
  });

  it('breaker against the default limit, power estimated from current × voltage × pf, sockets on', () => {
    const f = powerStrip([dev('CCU-1', 'gateway', { breaker_current_ma: 9000 }), dev('CCU-1.01', 'outlet', { relay_a: 1, relay_b: 0 }), dev('CCU-1.02', 'outlet', { relay_a: 1 }), dev('SN-1', 'sensor_node', { temperature: 20 })], {
      voltageV: 230,
      powerFactor: 0.9,
    });
    expect(f).toMatchObject({ gateways: 1, breakerMa: 9000, limitMa: 15000, limitReported: false, level: 'good', powerSource: 'estimated', socketsOn: 2, socketsKnown: 3, socketsTotal: 4, at: T0 });
    expect(f.powerW).toBeCloseTo(9 * 230 * 0.9);
    expect(f.ratio).toBeCloseTo(0.6);
  });

  it('a reported limit and power win; levels at 80 % and 100 %', () => {
    const f = powerStrip([dev('CCU-1', 'gateway', { breaker_current_ma: 17000, breaker_limit_ma: 20000, power_w: 3500 })]);
    expect(f).toMatchObject({ limitMa: 20000, limitReported: true, level: 'warning', powerW: 3500, powerSource: 'reported' });
    expect(breakerLevel(7999, 10000)).toBe('good');
    expect(breakerLevel(8000, 10000)).toBe('warning');
    expect(breakerLevel(10000, 10000)).toBe('critical');
  });

  it('no readings: nothing invented', () => {
    const f = powerStrip([dev('CCU-1', 'gateway', {})]);
    expect(f).toMatchObject({ gateways: 1, breakerMa: null, level: null, powerW: null, powerSource: null, ratio: null });
    expect(powerStrip([])).toMatchObject({ gateways: 0, socketsTotal: 0, limitReported: false });
  });

  it('formats currents', () => {
    expect(formatCurrent(850)).toBe('850 mA');
    expect(formatCurrent(1250)).toBe('1.25 A');
    expect(formatCurrent(15000)).toBe('15.0 A');
    expect(formatCurrent(null)).toBe('—');
  });
});
