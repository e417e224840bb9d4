import { ApiClient } from './api/client';
import { endpoints } from './api/endpoints';
import { LiveClient, liveUrl } from './live/client';
import { createSession } from './state/session';

/** The console's single client and session. */
export const client = new ApiClient();
export const api = endpoints(client);
export const session = createSession(client);

/** The live channel: runs while a user is signed in (and not held on the password-change page). */
export const live = new LiveClient({
  url: () => liveUrl(window.location),
  getToken: (fresh) => client.liveToken(fresh),
});

client.onAccessToken((token) => live.reauth(token));
session.state.subscribe((s) => {
  if (s.kind === 'active' && !s.mustChangePassword) live.start();
  else live.stop();
});

if (typeof window !== 'undefined') {
  // Back online, or back to a tab the browser had throttled: try at once instead of waiting out the back-off.
  window.addEventListener('online', () => live.retryNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') live.retryNow();
  });
}
