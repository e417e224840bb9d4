import { ApiClient } from './api/client';
import { endpoints } from './api/endpoints';
import { createSession } from './state/session';

/** The console's single client and session. */
export const client = new ApiClient();
export const api = endpoints(client);
export const session = createSession(client);
