// Pure rules and labels of the device registry (docs/PERMISSIONS.md, api/openapi.json).
import { ApiError } from './api/errors';
import type { CreateDeviceBody, Device, DeviceKind, DeviceStatus, LicenceStatus, Role } from './api/types';
import type { Tone } from './format';

export const DEVICE_KINDS: DeviceKind[] = ['sensor_node', 'gateway', 'outlet', 'camera'];
export const DEVICE_STATUSES: DeviceStatus[] = ['active', 'maintenance', 'disabled', 'suspended', 'pending'];
/** The statuses a person may set; `suspended` and `pending` belong to the licence and provisioning. */
export const SETTABLE_STATUSES = ['active', 'maintenance', 'disabled'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

const UID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function kindLabel(kind: DeviceKind): string {
  return { sensor_node: 'Sensor node', gateway: 'Gateway', outlet: 'Outlet', camera: 'Camera' }[kind];
}

export function deviceStatus(status: DeviceStatus): { label: string; tone: Tone } {
  switch (status) {
    case 'active':
      return { label: 'Active', tone: 'good' };
    case 'maintenance':
      return { label: 'Maintenance', tone: 'warning' };
    case 'disabled':
      return { label: 'Disabled', tone: 'offline' };
    case 'suspended':
      return { label: 'Suspended', tone: 'critical' };
    case 'pending':
      return { label: 'Pending', tone: 'unknown' };
  }
}

export function licenceStatus(status: LicenceStatus): { label: string; tone: Tone } {
  switch (status) {
    case 'trial':
      return { label: 'Trial', tone: 'neutral' };
    case 'active':
      return { label: 'Active', tone: 'good' };
    case 'grace':
      return { label: 'Grace period', tone: 'warning' };
    case 'suspended':
      return { label: 'Suspended', tone: 'critical' };
    case 'expired':
      return { label: 'Expired', tone: 'critical' };
    case 'cancelled':
      return { label: 'Cancelled', tone: 'offline' };
  }
}

/**
 * What the console says about connectivity. Nothing is invented: a device that has never sent
 * anything says so, and an offline one shows when it was last heard from.
 */
export function connectivity(d: Pick<Device, 'online' | 'last_seen'>): { state: 'online' | 'offline' | 'never'; label: string; tone: Tone } {
  if (d.online) return { state: 'online', label: 'Online', tone: 'good' };
  if (!d.last_seen) return { state: 'never', label: 'Never seen', tone: 'unknown' };
  return { state: 'offline', label: 'Offline', tone: 'offline' };
}

/** An outlet's uid: its gateway's uid, a dot, and the radio address in two upper-case hex digits. */
export function outletUid(gatewayUid: string, radioAddress: number): string {
  return `${gatewayUid}.${(radioAddress & 0xff).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** 1–254 as typed, else null. */
export function parseRadioAddress(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,3}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= 254 ? n : null;
}

export interface RegistrationForm {
  kind: DeviceKind;
  uid: string;
  gatewayUid: string;
  radioAddress: string;
  /** Outlets: '2' a Sitewatch outlet, '1' a legacy PIC outlet (the gateway speaks its frames). */
  radioProtocol?: '1' | '2';
  pitId: string;
  name: string;
}

export type RegistrationField = 'kind' | 'uid' | 'parent_uid' | 'radio_address' | 'pit_id' | 'name';
export type FieldErrors = Partial<Record<RegistrationField | 'status', string>>;

/** The uid the device will get, live while typing: null while it cannot be known yet. */
export function derivedUid(f: RegistrationForm): string | null {
  if (f.kind !== 'outlet') return f.uid.trim() || null;
  const addr = parseRadioAddress(f.radioAddress);
  return f.gatewayUid && addr !== null ? outletUid(f.gatewayUid, addr) : null;
}

/** Checks the form the way the server will, and builds the request body. */
export function buildRegistration(f: RegistrationForm): { ok: true; body: CreateDeviceBody } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: CreateDeviceBody = { kind: f.kind };
  if (f.kind === 'outlet') {
    if (!f.gatewayUid) errors.parent_uid = 'Choose the gateway this outlet is paired with.';
    const addr = parseRadioAddress(f.radioAddress);
    if (addr === null) errors.radio_address = 'Enter a radio address from 1 to 254.';
    if (f.gatewayUid) body.parent_uid = f.gatewayUid;
    if (addr !== null) body.radio_address = addr;
    if (f.radioProtocol === '1') body.radio_protocol = 1;
  } else {
    const uid = f.uid.trim();
    if (!uid) errors.uid = 'Enter the uid printed on the device.';
    else if (!UID_RE.test(uid)) errors.uid = 'Use 1 to 64 letters, digits, dots, dashes or underscores.';
    else body.uid = uid;
  }
  const name = f.name.trim();
  if (name.length > 100) errors.name = 'Use at most 100 characters.';
  else if (name) body.name = name;
  if (f.pitId) body.pit_id = Number(f.pitId);
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, body };
}

/**
 * Splits a server error into one shown next to the field it names (error.details.field) and,
 * when no field of this form is named, one shown above the form.
 */
export function splitError<F extends string>(e: unknown, fields: readonly F[], describe: (e: unknown) => string): { field?: F; message: string } {
  const message = describe(e);
  if (e instanceof ApiError && e.field && (fields as readonly string[]).includes(e.field)) return { field: e.field as F, message };
  return { message };
}

export function canManageDevices(role: Role): boolean {
  return role === 'owner' || role === 'super_admin';
}

export function canSeeDevices(role: Role): boolean {
  return role !== 'customer';
}
