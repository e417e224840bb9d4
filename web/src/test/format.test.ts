import { describe, expect, it } from 'vitest';
import { actionLabel, formatDateTime, formatRelative, pitStatus, plural, roleLabel, safeTimeZone, zonedToUtcIso } from '../format';

describe('times in the workshop zone', () => {
  it('formats an instant in the given zone', () => {
    expect(formatDateTime('2026-03-05T12:07:00Z', 'Asia/Kolkata')).toBe('05 Mar 2026, 17:37');
    expect(formatDateTime('2026-03-05T12:07:09Z', 'Europe/Berlin', true)).toBe('05 Mar 2026, 13:07:09');
    expect(formatDateTime('2026-07-05T12:07:00Z', 'Europe/Berlin')).toBe('05 Jul 2026, 14:07');
    expect(formatDateTime('2026-03-05T23:30:00Z', 'UTC')).toBe('05 Mar 2026, 23:30');
  });

  it('falls back to UTC for an unknown zone and shows a dash for nothing', () => {
    expect(safeTimeZone('Mars/Olympus')).toBe('UTC');
    expect(safeTimeZone(undefined)).toBe('UTC');
    expect(formatDateTime('2026-03-05T23:30:00Z', 'Mars/Olympus')).toBe('05 Mar 2026, 23:30');
    expect(formatDateTime(null, 'UTC')).toBe('—');
    expect(formatDateTime('yesterday', 'UTC')).toBe('yesterday');
  });

  it('turns a wall-clock filter in the workshop zone into UTC, across DST', () => {
    expect(zonedToUtcIso('2026-03-05T14:07', 'Asia/Kolkata')).toBe('2026-03-05T08:37:00Z');
    expect(zonedToUtcIso('2026-01-15T10:00', 'Europe/Berlin')).toBe('2026-01-15T09:00:00Z');
    expect(zonedToUtcIso('2026-07-15T10:00', 'Europe/Berlin')).toBe('2026-07-15T08:00:00Z');
    expect(zonedToUtcIso('2026-07-15', 'America/New_York')).toBe('2026-07-15T04:00:00Z');
    expect(zonedToUtcIso('not a date', 'UTC')).toBeNull();
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-03-05T12:00:00Z');
    expect(formatRelative('2026-03-05T11:59:50Z', now)).toBe('just now');
    expect(formatRelative('2026-03-05T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-03-05T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2026-03-04T12:00:00Z', now)).toBe('1 day ago');
    expect(formatRelative('2026-03-08T12:00:00Z', now)).toBe('in 3 days');
    expect(formatRelative(null, now)).toBe('never');
  });
});

describe('labels', () => {
  it('maps pit status to a tone', () => {
    expect(pitStatus('active')).toEqual({ label: 'Active', tone: 'good' });
    expect(pitStatus('maintenance').tone).toBe('warning');
    expect(pitStatus('disabled').tone).toBe('offline');
  });
  it('names roles, actions and counts', () => {
    expect(roleLabel('super_admin')).toBe('Platform admin');
    expect(actionLabel('user.reset_password')).toBe('User reset password');
    expect(plural(1, 'pit')).toBe('1 pit');
    expect(plural(3, 'pit')).toBe('3 pits');
  });
});
