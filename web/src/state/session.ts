import type { ApiClient, SessionEvent } from '../api/client';
import type { Role, User } from '../api/types';
import { createStore, type Store } from './store';

export type SessionState =
  | { kind: 'restoring' }
  | { kind: 'anonymous'; notice: string | null }
  | { kind: 'active'; user: User; mustChangePassword: boolean };

const NOTICES: Record<string, string | null> = {
  logout: 'You have signed out.',
  expired: 'Your session has ended. Please sign in again.',
  revoked: 'Your session was ended for security reasons (it was used elsewhere). Please sign in again.',
};

/** Pure transition function: how a session event changes what the console shows. */
export function reduce(state: SessionState, e: SessionEvent): SessionState {
  switch (e.type) {
    case 'signed-in':
      return { kind: 'active', user: e.user, mustChangePassword: e.user.temporary_password === true };
    case 'user':
      if (state.kind !== 'active') {
        return { kind: 'active', user: e.user, mustChangePassword: e.user.temporary_password === true };
      }
      return { ...state, user: e.user, mustChangePassword: e.user.temporary_password === true };
    case 'password-change-required':
      return state.kind === 'active' ? { ...state, mustChangePassword: true } : state;
    case 'signed-out':
      return { kind: 'anonymous', notice: NOTICES[e.reason] ?? null };
  }
}

export interface SessionController {
  state: Store<SessionState>;
  start(): Promise<void>;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  changePassword(current: string, next: string): Promise<void>;
}

export function createSession(client: ApiClient): SessionController {
  const state = createStore<SessionState>(client.canRestore ? { kind: 'restoring' } : { kind: 'anonymous', notice: null });
  client.subscribe((e) => state.set(reduce(state.get(), e)));
  return {
    state,
    async start() {
      if (!client.canRestore) return;
      try {
        const user = await client.restore();
        if (!user) state.set({ kind: 'anonymous', notice: null });
      } catch {
        // Server unreachable: show the login page; the refresh token is kept for the next try.
        state.set({ kind: 'anonymous', notice: 'Cannot reach the Sitewatch server right now.' });
      }
    },
    async login(username, password) {
      await client.login(username, password);
    },
    async logout() {
      await client.logout();
    },
    async changePassword(current, next) {
      await client.changePassword({ current_password: current, new_password: next });
    },
  };
}

export interface Capabilities {
  overview: boolean;
  workshops: boolean;
  team: boolean;
  audit: boolean;
  /** The device registry: owners and platform admins manage it, staff read it. */
  devices: boolean;
  /** The outlets page (toggles, cut-off): the workshop's owner and staff (command.send). */
  outlets: boolean;
}

/** What a role may open; mirrors docs/PERMISSIONS.md (the server enforces it regardless). */
export function capabilities(role: Role): Capabilities {
  return {
    overview: true,
    workshops: role === 'super_admin',
    team: role === 'super_admin' || role === 'owner',
    audit: role === 'super_admin' || role === 'owner',
    devices: role !== 'customer',
    outlets: role === 'owner' || role === 'staff',
  };
}

/** Roles a user of `role` may create (owner: staff and customer only). */
export function creatableRoles(role: Role): Role[] {
  if (role === 'super_admin') return ['owner', 'staff', 'customer', 'super_admin'];
  if (role === 'owner') return ['staff', 'customer'];
  return [];
}

export function homePath(user: User): string {
  if (user.role === 'super_admin') return '/workshops';
  return user.workshop_id != null ? `/workshops/${user.workshop_id}` : '/workshops';
}
