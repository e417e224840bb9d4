import type { ApiClient, Page } from './client';
import type {
  ApproveDeviceBody,
  ApprovedDevice,
  AuditEntry,
  AuditQuery,
  CreateDeviceBody,
  CreateIntegrationBody,
  Integration,
  IntegrationWithSecret,
  UpdateIntegrationBody,
  CreateUserBody,
  Device,
  DeviceEvent,
  DeviceEventsQuery,
  DeviceListQuery,
  DeviceSnapshot,
  DeviceWithSecret,
  CreateWorkshopBody,
  Command,
  CommandRequest,
  CutRequest,
  CutResult,
  OutletState,
  CreatedUser,
  ExportQuery,
  History,
  HistoryQuery,
  Pit,
  ProvisioningKey,
  RejectedDevice,
  ResetPasswordBody,
  Stats,
  StatsQuery,
  UpdateDeviceBody,
  UpdateUserBody,
  User,
  UserListQuery,
  Workshop,
  WorkshopListQuery,
} from './types';

const dev = (uid: string) => `/api/v1/devices/${encodeURIComponent(uid)}`;

/** Typed calls, one per operation in api/openapi.json that the console uses. */
export function endpoints(c: ApiClient) {
  return {
    me: () => c.get<User>('/api/v1/auth/me').then((r) => r.data),
    workshops: (q: WorkshopListQuery = {}) => c.get<Workshop[]>('/api/v1/workshops', { query: q }),
    workshop: (id: number) => c.get<Workshop>(`/api/v1/workshops/${id}`).then((r) => r.data),
    createWorkshop: (b: CreateWorkshopBody) => c.post<Workshop>('/api/v1/workshops', b).then((r) => r.data),
    deactivateWorkshop: (id: number) => c.delete<Workshop>(`/api/v1/workshops/${id}`).then((r) => r.data),
    pits: (workshopId: number) => c.get<Pit[]>(`/api/v1/workshops/${workshopId}/pits`).then((r) => r.data),
    pit: (id: number) => c.get<Pit>(`/api/v1/pits/${id}`).then((r) => r.data),
    users: (q: UserListQuery = {}): Promise<Page<User[]>> => c.get<User[]>('/api/v1/users', { query: q }),
    createUser: (b: CreateUserBody) => c.post<CreatedUser>('/api/v1/users', b).then((r) => r.data),
    updateUser: (id: number, b: UpdateUserBody) => c.patch<User>(`/api/v1/users/${id}`, b).then((r) => r.data),
    resetPassword: (id: number, b: ResetPasswordBody = {}) =>
      c.post<CreatedUser>(`/api/v1/users/${id}/reset-password`, b).then((r) => r.data),
    deactivateUser: (id: number) => c.delete<User>(`/api/v1/users/${id}`).then((r) => r.data),
    devices: (workshopId: number, q: DeviceListQuery = {}) => c.get<Device[]>(`/api/v1/workshops/${workshopId}/devices`, { query: q }),
    createDevice: (workshopId: number, b: CreateDeviceBody) =>
      c.post<DeviceWithSecret>(`/api/v1/workshops/${workshopId}/devices`, b).then((r) => r.data),
    updateDevice: (uid: string, b: UpdateDeviceBody) => c.patch<Device>(dev(uid), b).then((r) => r.data),
    rotateDeviceSecret: (uid: string) =>
      c.post<DeviceWithSecret>(`${dev(uid)}/rotate-secret`).then((r) => r.data),
    /** Retires the device: history is kept and the uid stays reserved (the console never purges). */
    retireDevice: (uid: string) => c.delete<{ deleted?: boolean; uid?: string }>(dev(uid)).then((r) => r.data),
    /** The newest value per metric, online state and last seen of every device in the workshop. */
    workshopLatest: (workshopId: number) => c.get<DeviceSnapshot[]>(`/api/v1/workshops/${workshopId}/latest`).then((r) => r.data),
    /** One device's newest value per metric, online state, last seen, firmware and signal. */
    deviceLatest: (uid: string) => c.get<DeviceSnapshot>(`${dev(uid)}/latest`).then((r) => r.data),
    pitLatest: (pitId: number) => c.get<DeviceSnapshot[]>(`/api/v1/pits/${pitId}/latest`).then((r) => r.data),
    device: (uid: string) => c.get<Device>(dev(uid)).then((r) => r.data),
    history: (uid: string, q: HistoryQuery, signal?: AbortSignal) => c.get<History>(`${dev(uid)}/history`, { query: q, signal }).then((r) => r.data),
    stats: (uid: string, q: StatsQuery, signal?: AbortSignal) => c.get<Stats>(`${dev(uid)}/stats`, { query: q, signal }).then((r) => r.data),
    /** Raw readings as CSV, fetched with the bearer token (never in the URL). */
    exportCsv: (uid: string, q: ExportQuery) => c.download(`${dev(uid)}/export.csv`, q),
    deviceEvents: (uid: string, q: DeviceEventsQuery = {}) => c.get<DeviceEvent[]>(`${dev(uid)}/events`, { query: q }).then((r) => r.data),
    /** Creates or rotates the workshop's provisioning key; the key is in this answer only. */
    rotateProvisioningKey: (workshopId: number) =>
      c.post<ProvisioningKey>(`/api/v1/workshops/${workshopId}/provisioning-key`, {}).then((r) => r.data),
    approveDevice: (uid: string, b: ApproveDeviceBody = {}) => c.post<ApprovedDevice>(`${dev(uid)}/approve`, b).then((r) => r.data),
    rejectDevice: (uid: string) => c.post<RejectedDevice>(`${dev(uid)}/reject`).then((r) => r.data),
    /** An outlet's two sockets: reported relay state, current, trip flag, threshold, open command. */
    outletSockets: (uid: string) => c.get<OutletState>(`${dev(uid)}/sockets`).then((r) => r.data),
    /** A gateway's outlets with their sockets. */
    gatewayOutlets: (uid: string) => c.get<OutletState[]>(`${dev(uid)}/outlets`).then((r) => r.data),
    sendCommand: (uid: string, b: CommandRequest) => c.post<Command>(`${dev(uid)}/commands`, b).then((r) => r.data),
    command: (id: string) => c.get<Command>(`/api/v1/commands/${encodeURIComponent(id)}`).then((r) => r.data),
    /** One cut command per outlet of an outlet or a gateway. */
    cutDevice: (uid: string, b: CutRequest = {}) => c.post<CutResult>(`${dev(uid)}/cut`, b).then((r) => r.data),
    /** One cut command per outlet of the workshop. */
    cutWorkshop: (workshopId: number, b: CutRequest = {}) => c.post<CutResult>(`/api/v1/workshops/${workshopId}/cut`, b).then((r) => r.data),
    /** MQTT integration accounts (Home Assistant, Node-RED…); secrets only in create/rotate answers. */
    integrations: (workshopId: number) =>
      c.get<Integration[]>(`/api/v1/workshops/${workshopId}/integrations`, { query: { page_size: 100 } }).then((r) => r.data),
    createIntegration: (workshopId: number, b: CreateIntegrationBody) =>
      c.post<IntegrationWithSecret>(`/api/v1/workshops/${workshopId}/integrations`, b).then((r) => r.data),
    updateIntegration: (id: number, b: UpdateIntegrationBody) => c.patch<Integration>(`/api/v1/integrations/${id}`, b).then((r) => r.data),
    rotateIntegrationSecret: (id: number) => c.post<IntegrationWithSecret>(`/api/v1/integrations/${id}/rotate-secret`).then((r) => r.data),
    deleteIntegration: (id: number) => c.delete<{ deleted: boolean; id: number }>(`/api/v1/integrations/${id}`).then((r) => r.data),
    audit: (q: AuditQuery = {}) => c.get<AuditEntry[]>('/api/v1/audit', { query: q }),
  };
}

export type Endpoints = ReturnType<typeof endpoints>;
