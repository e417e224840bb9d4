import { describe, expect, it } from 'vitest';
import { accessLabel, canManageIntegrations, integrationNameError, integrationTopics } from '../integrations';

describe('integrations', () => {
  it('labels the access levels', () => {
    expect(accessLabel('read')).toBe('Read only');
    expect(accessLabel('read_write')).toBe('Read and send commands');
  });

  it('lets owners and admins manage them, nobody else', () => {
    expect(canManageIntegrations('owner')).toBe(true);
    expect(canManageIntegrations('super_admin')).toBe(true);
    expect(canManageIntegrations('staff')).toBe(false);
    expect(canManageIntegrations('customer')).toBe(false);
  });

  it('checks the name like the server does', () => {
    expect(integrationNameError('')).toMatch(/name/);
    expect(integrationNameError('   ')).toMatch(/name/);
    expect(integrationNameError('x'.repeat(101))).toMatch(/100/);
    expect(integrationNameError('Home Assistant')).toBeUndefined();
  });

  it('only read_write integrations publish, and only command requests', () => {
    expect(integrationTopics('read').some((t) => t.includes('cmd/request'))).toBe(false);
    expect(integrationTopics('read')).toContain('sw/d/+/telemetry');
    expect(integrationTopics('read_write')).toContain('sw/d/{uid}/cmd/request (publish)');
    expect(integrationTopics('read_write').some((t) => t.endsWith('/cmd'))).toBe(false);
  });
});
