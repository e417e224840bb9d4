import type { ApiClient, Page } from './client';
import type {
  AuditEntry,
  AuditQuery,
  CreateUserBody,
  CreateWorkshopBody,
  CreatedUser,
  Pit,
  ResetPasswordBody,
  UpdateUserBody,
  User,
  UserListQuery,
  Workshop,
  WorkshopListQuery,
} from './types';

/** Typed calls, one per operation in api/openapi.json that the console uses. */
export function endpoints(c: ApiClient) {
  return {
    me: () => c.get<User>('/api/v1/auth/me').then((r) => r.data),
    workshops: (q: WorkshopListQuery = {}) => c.get<Workshop[]>('/api/v1/workshops', { query: q }),
    workshop: (id: number) => c.get<Workshop>(`/api/v1/workshops/${id}`).then((r) => r.data),
    createWorkshop: (b: CreateWorkshopBody) => c.post<Workshop>('/api/v1/workshops', b).then((r) => r.data),
    deactivateWorkshop: (id: number) => c.delete<Workshop>(`/api/v1/workshops/${id}`).then((r) => r.data),
    pits: (workshopId: number) => c.get<Pit[]>(`/api/v1/workshops/${workshopId}/pits`).then((r) => r.data),
    users: (q: UserListQuery = {}): Promise<Page<User[]>> => c.get<User[]>('/api/v1/users', { query: q }),
    createUser: (b: CreateUserBody) => c.post<CreatedUser>('/api/v1/users', b).then((r) => r.data),
    updateUser: (id: number, b: UpdateUserBody) => c.patch<User>(`/api/v1/users/${id}`, b).then((r) => r.data),
    resetPassword: (id: number, b: ResetPasswordBody = {}) =>
      c.post<CreatedUser>(`/api/v1/users/${id}/reset-password`, b).then((r) => r.data),
    deactivateUser: (id: number) => c.delete<User>(`/api/v1/users/${id}`).then((r) => r.data),
    audit: (q: AuditQuery = {}) => c.get<AuditEntry[]>('/api/v1/audit', { query: q }),
  };
}

export type Endpoints = ReturnType<typeof endpoints>;
