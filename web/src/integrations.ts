// MQTT integration accounts (issue 4): labels and checks for the Team page's section.
import type { Integration, Role } from './api/types';

export type IntegrationAccess = Integration['access'];

export function accessLabel(a: IntegrationAccess): string {
  return a === 'read_write' ? 'Read and send commands' : 'Read only';
}

/** Owners (and platform admins, for a chosen workshop) manage integrations. */
export function canManageIntegrations(role: Role): boolean {
  return role === 'owner' || role === 'super_admin';
}

/** A name is required, at most 100 characters (the server's rule); undefined when valid. */
export function integrationNameError(name: string): string | undefined {
  const n = name.trim();
  if (!n) return 'Give it a name, e.g. "Home Assistant".';
  if (n.length > 100) return 'At most 100 characters.';
  return undefined;
}

/** What the integration subscribes to and, with read_write, where it sends commands. */
export function integrationTopics(a: IntegrationAccess): string[] {
  const read = ['sw/d/+/telemetry', 'sw/d/+/status', 'sw/d/+/event', 'sw/d/+/cmd/result'];
  return a === 'read_write' ? [...read, 'sw/d/{uid}/cmd/request (publish)'] : read;
}
