import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { auditQuery, pretty } from '../pages/Audit';
import { validateNewPassword } from '../pages/ChangePassword';
import { loginErrorMessage } from '../pages/Login';
import { match, searchParams } from '../state/router';
import { capabilities, creatableRoles, homePath, reduce, type SessionState } from '../state/session';
import { createStore } from '../state/store';
import { user } from './fakes';

describe('session transitions', () => {
  const anon: SessionState = { kind: 'anonymous', notice: null };
  it('signs in, and demands a password change for a temporary password', () => {
    expect(reduce(anon, { type: 'signed-in', user: user() })).toEqual({ kind: 'active', user: user(), mustChangePassword: false });
    const temp = user({ temporary_password: true });
    expect(reduce(anon, { type: 'signed-in', user: temp })).toMatchObject({ mustChangePassword: true });
  });
  it('a 403 PASSWORD_CHANGE_REQUIRED forces the change; the new session clears it', () => {
    const active = reduce(anon, { type: 'signed-in', user: user() });
    const forced = reduce(active, { type: 'password-change-required' });
    expect(forced).toMatchObject({ mustChangePassword: true });
    expect(reduce(forced, { type: 'user', user: user() })).toMatchObject({ mustChangePassword: false });
    expect(reduce(anon, { type: 'password-change-required' })).toBe(anon);
  });
  it('explains why the session ended', () => {
    const active = reduce(anon, { type: 'signed-in', user: user() });
    expect(reduce(active, { type: 'signed-out', reason: 'revoked' })).toMatchObject({ kind: 'anonymous', notice: expect.stringMatching(/security/) });
    expect(reduce(active, { type: 'signed-out', reason: 'expired' })).toMatchObject({ notice: expect.stringMatching(/ended/) });
  });
});

describe('roles', () => {
  it('opens pages by role, as docs/PERMISSIONS.md says', () => {
    expect(capabilities('super_admin')).toEqual({ overview: true, workshops: true, team: true, audit: true, devices: true, outlets: false });
    expect(capabilities('owner')).toEqual({ overview: true, workshops: false, team: true, audit: true, devices: true, outlets: true });
    expect(capabilities('staff')).toEqual({ overview: true, workshops: false, team: false, audit: false, devices: true, outlets: true });
    expect(capabilities('customer').devices).toBe(false);
    expect(capabilities('customer').team).toBe(false);
    expect(capabilities('customer').outlets).toBe(false);
  });
  it('owners create staff and customers only', () => {
    expect(creatableRoles('owner')).toEqual(['staff', 'customer']);
    expect(creatableRoles('staff')).toEqual([]);
    expect(creatableRoles('super_admin')).toContain('owner');
  });
  it('starts each role on its page', () => {
    expect(homePath(user({ role: 'super_admin', workshop_id: null }))).toBe('/workshops');
    expect(homePath(user({ workshop_id: 4 }))).toBe('/workshops/4');
  });
});

describe('router and store', () => {
  it('matches paths with parameters', () => {
    expect(match('/workshops/:id', '/workshops/12?tab=x')).toEqual({ id: '12' });
    expect(match('/workshops/:id', '/workshops')).toBeNull();
    expect(match('/', '/')).toEqual({});
    expect(match('/team', '/audit')).toBeNull();
    expect(searchParams('/login?next=%2Fteam').get('next')).toBe('/team');
  });
  it('notifies subscribers of changes only', () => {
    const s = createStore(1);
    const seen: number[] = [];
    const off = s.subscribe((v) => seen.push(v));
    s.set(1);
    s.set(2);
    off();
    s.set(3);
    expect(seen).toEqual([2]);
    expect(s.get()).toBe(3);
  });
});

describe('forms', () => {
  it('login errors are generic for bad credentials and explicit for lockout', () => {
    expect(loginErrorMessage(new ApiError(401, 'INVALID_CREDENTIALS', 'invalid username or password'))).toBe('The username or password is incorrect.');
    expect(loginErrorMessage(new ApiError(401, 'ACCOUNT_DISABLED', 'disabled'))).toBe('The username or password is incorrect.');
    expect(loginErrorMessage(new ApiError(401, 'ACCOUNT_LOCKED', 'locked'))).toMatch(/locked for a while/);
    expect(loginErrorMessage(new ApiError(0, 'NETWORK_ERROR', ''))).toMatch(/Cannot reach/);
  });
  it('checks a new password before sending it', () => {
    expect(validateNewPassword('', 'short', 'short', 'anna')).toEqual({ current: expect.any(String), next: expect.stringMatching(/10/) });
    expect(validateNewPassword('old-password-1', 'old-password-1', 'old-password-1', 'anna').next).toMatch(/differ/);
    expect(validateNewPassword('x', 'Anna-Smith-1', 'nope', 'anna-smith-1').next).toMatch(/username/);
    expect(validateNewPassword('x', 'a-long-password', 'other', 'anna')).toEqual({ confirm: expect.any(String) });
    expect(validateNewPassword('x', 'a-long-password', 'a-long-password', 'anna')).toEqual({});
  });
  it('builds the audit query in the workshop zone', () => {
    expect(auditQuery({ action: ' user.create ', resource_type: 'user', from: '2026-03-05T14:07', to: '', workshop: '3' }, 'Asia/Kolkata', 2)).toEqual({
      page: 2,
      page_size: 50,
      action: 'user.create',
      resource_type: 'user',
      from: '2026-03-05T08:37:00Z',
      to: undefined,
      workshop_id: 3,
    });
  });
  it('pretty-prints audit payloads given as JSON or JSON text', () => {
    expect(pretty('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(pretty({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(pretty(null)).toBe('—');
    expect(pretty('plain')).toBe('plain');
  });
});
