// Names for the generated OpenAPI types (schema.d.ts is generated; never edit it by hand).
import type { components, paths } from './schema';

type Schemas = components['schemas'];
export type Workshop = Schemas['Workshop'];
export type Pit = Schemas['Pit'];
export type PitStatus = Pit['status'];
export type User = Schemas['User'];
export type Role = User['role'];
export type CreatedUser = Schemas['CreatedUser'];
export type Session = Schemas['Session'];
export type AuditEntry = Schemas['AuditEntry'];
export type PageMeta = Schemas['PageMeta'];
export type ErrorBody = Schemas['Error'];
export type Device = Schemas['Device'];
export type DeviceKind = Device['kind'];
export type DeviceStatus = Device['status'];
export type Licence = Schemas['Licence'];
export type LicenceStatus = Licence['status'];
export type DeviceWithSecret = Schemas['DeviceWithSecret'];
export type DeviceSnapshot = Schemas['DeviceSnapshot'];
export type LatestValue = Schemas['LatestValue'];

type JsonBody<T> = T extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type Query<T> = T extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type LoginBody = JsonBody<paths['/api/v1/auth/login']['post']>;
export type ChangePasswordBody = JsonBody<paths['/api/v1/auth/change-password']['post']>;
export type CreateUserBody = JsonBody<paths['/api/v1/users']['post']>;
export type UpdateUserBody = JsonBody<paths['/api/v1/users/{id}']['patch']>;
export type ResetPasswordBody = JsonBody<paths['/api/v1/users/{id}/reset-password']['post']>;
export type CreateWorkshopBody = JsonBody<paths['/api/v1/workshops']['post']>;
export type UserListQuery = Query<paths['/api/v1/users']['get']>;
export type WorkshopListQuery = Query<paths['/api/v1/workshops']['get']>;
export type AuditQuery = Query<paths['/api/v1/audit']['get']>;
export type CreateDeviceBody = JsonBody<paths['/api/v1/workshops/{id}/devices']['post']>;
export type UpdateDeviceBody = JsonBody<paths['/api/v1/devices/{uid}']['patch']>;
export type DeviceListQuery = Query<paths['/api/v1/workshops/{id}/devices']['get']>;
