import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import {
  buildRegistration,
  canManageDevices,
  canSeeDevices,
  connectivity,
  derivedUid,
  deviceStatus,
  kindLabel,
  licenceStatus,
  outletUid,
  parseRadioAddress,
  splitError,
  type RegistrationForm,
} from '../devices';

const form = (f: Partial<RegistrationForm> = {}): RegistrationForm => ({ kind: 'sensor_node', uid: '', gatewayUid: '', radioAddress: '', pitId: '', name: '', ...f });

describe('device labels', () => {
  it('names kinds and statuses with tones', () => {
    expect(kindLabel('sensor_node')).toBe('Sensor node');
    expect(deviceStatus('active')).toEqual({ label: 'Active', tone: 'good' });
    expect(deviceStatus('maintenance').tone).toBe('warning');
    expect(deviceStatus('suspended').tone).toBe('critical');
    expect(licenceStatus('trial').label).toBe('Trial');
    expect(licenceStatus('expired').tone).toBe('critical');
  });

  it('never invents connectivity: no last_seen is "never seen"', () => {
    expect(connectivity({ online: false, last_seen: null })).toEqual({ state: 'never', label: 'Never seen', tone: 'unknown' });
    expect(connectivity({ online: false })).toMatchObject({ state: 'never' });
    expect(connectivity({ online: false, last_seen: '2026-03-05T12:00:00Z' })).toMatchObject({ state: 'offline', label: 'Offline' });
    expect(connectivity({ online: true, last_seen: '2026-03-05T12:00:00Z' })).toMatchObject({ state: 'online', tone: 'good' });
  });

  it('lets owners and platform admins manage, staff read, customers nothing', () => {
    expect(canManageDevices('owner')).toBe(true);
    expect(canManageDevices('super_admin')).toBe(true);
    expect(canManageDevices('staff')).toBe(false);
    expect(canSeeDevices('staff')).toBe(true);
    expect(canSeeDevices('customer')).toBe(false);
  });
});

describe('outlet uids', () => {
  it('is the gateway uid, a dot and two upper-case hex digits (as the server derives it)', () => {
    expect(outletUid('GW-001', 1)).toBe('GW-001.01');
    expect(outletUid('GW-001', 10)).toBe('GW-001.0A');
    expect(outletUid('gw', 254)).toBe('gw.FE');
  });

  it('accepts radio addresses 1 to 254 only', () => {
    expect(parseRadioAddress('1')).toBe(1);
    expect(parseRadioAddress(' 254 ')).toBe(254);
    for (const bad of ['0', '255', '', '-1', '1.5', 'abc', '0x10', '1000']) expect(parseRadioAddress(bad)).toBeNull();
  });

  it('derives the uid live, and only once it can be known', () => {
    expect(derivedUid(form({ kind: 'outlet', gatewayUid: 'GW-1', radioAddress: '' }))).toBeNull();
    expect(derivedUid(form({ kind: 'outlet', gatewayUid: '', radioAddress: '5' }))).toBeNull();
    expect(derivedUid(form({ kind: 'outlet', gatewayUid: 'GW-1', radioAddress: '300' }))).toBeNull();
    expect(derivedUid(form({ kind: 'outlet', gatewayUid: 'GW-1', radioAddress: '17' }))).toBe('GW-1.11');
    expect(derivedUid(form({ kind: 'camera', uid: ' CAM-1 ' }))).toBe('CAM-1');
    expect(derivedUid(form({ kind: 'camera', uid: ' ' }))).toBeNull();
  });
});

describe('registration form', () => {
  it('needs a valid uid for sensor nodes, gateways and cameras', () => {
    expect(buildRegistration(form({ uid: '' }))).toEqual({ ok: false, errors: { uid: 'Enter the uid printed on the device.' } });
    expect(buildRegistration(form({ kind: 'gateway', uid: 'has space' }))).toMatchObject({ ok: false, errors: { uid: expect.stringMatching(/letters, digits/) } });
    expect(buildRegistration(form({ uid: 'x'.repeat(65) })).ok).toBe(false);
    expect(buildRegistration(form({ uid: ' SN-0001 ', name: ' Bay 1 sensor ', pitId: '3' }))).toEqual({
      ok: true,
      body: { kind: 'sensor_node', uid: 'SN-0001', name: 'Bay 1 sensor', pit_id: 3 },
    });
  });

  it('needs a gateway and a radio address for outlets, and sends no uid', () => {
    expect(buildRegistration(form({ kind: 'outlet' }))).toMatchObject({ ok: false, errors: { parent_uid: expect.any(String), radio_address: expect.any(String) } });
    expect(buildRegistration(form({ kind: 'outlet', gatewayUid: 'GW-1', radioAddress: '255' }))).toMatchObject({ ok: false, errors: { radio_address: expect.any(String) } });
    expect(buildRegistration(form({ kind: 'outlet', uid: 'ignored', gatewayUid: 'GW-1', radioAddress: '7' }))).toEqual({
      ok: true,
      body: { kind: 'outlet', parent_uid: 'GW-1', radio_address: 7 },
    });
    // A legacy PIC outlet says so; a Sitewatch one leaves the default (2) to the server.
    expect(buildRegistration(form({ kind: 'outlet', gatewayUid: 'GW-1', radioAddress: '9', radioProtocol: '1' }))).toEqual({
      ok: true,
      body: { kind: 'outlet', parent_uid: 'GW-1', radio_address: 9, radio_protocol: 1 },
    });
    expect(buildRegistration(form({ kind: 'outlet', gatewayUid: 'GW-1', radioAddress: '9', radioProtocol: '2' }))).toEqual({
      ok: true,
      body: { kind: 'outlet', parent_uid: 'GW-1', radio_address: 9 },
    });
  });

  it('limits the name to 100 characters and leaves optional fields out', () => {
    expect(buildRegistration(form({ uid: 'A', name: 'n'.repeat(101) }))).toMatchObject({ ok: false, errors: { name: expect.any(String) } });
    expect(buildRegistration(form({ uid: 'A', name: '  ' }))).toEqual({ ok: true, body: { kind: 'sensor_node', uid: 'A' } });
  });
});

describe('server errors next to their field', () => {
  const describe_ = (e: unknown) => (e instanceof Error ? e.message : 'x');
  it('puts an error naming a field of the form next to it', () => {
    const e = new ApiError(409, 'DEVICE_UID_TAKEN', 'a device with this uid exists', 'uid');
    expect(splitError(e, ['uid', 'name'] as const, describe_)).toEqual({ field: 'uid', message: 'a device with this uid exists' });
  });
  it('keeps other errors above the form', () => {
    const e = new ApiError(409, 'DEVICE_HAS_CHILDREN', 'retire the gateway\'s outlets first', 'elsewhere');
    expect(splitError(e, ['uid'] as const, describe_)).toEqual({ message: "retire the gateway's outlets first" });
    expect(splitError(new ApiError(0, 'NETWORK_ERROR', 'network error'), ['uid'] as const, describe_)).toEqual({ message: 'network error' });
  });
});
