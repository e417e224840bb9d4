/** Every failure the client reports is an ApiError; `status` 0 means the server was not reached. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: string, message: string, field?: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
}

export const NETWORK_ERROR = 'NETWORK_ERROR';
export const TIMEOUT = 'TIMEOUT';
export const BAD_RESPONSE = 'BAD_RESPONSE';
/** Raised locally: the session is over (signed out, or the refresh failed); nothing was sent. */
export const SESSION_ENDED = 'SESSION_ENDED';

/** A sentence for people. Server messages are lower-case technical text, so known codes get our own words. */
export function describeError(e: unknown): string {
  if (!(e instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (e.code) {
    case NETWORK_ERROR:
      return 'Cannot reach the Sitewatch server. Check the connection and try again.';
    case TIMEOUT:
      return 'The server took too long to answer. Please try again.';
    case 'RATE_LIMITED':
      return e.retryAfterSeconds
        ? `Too many requests. Try again in ${e.retryAfterSeconds} s.`
        : 'Too many requests. Please wait a moment and try again.';
    case 'INSUFFICIENT_PERMISSIONS':
    case 'FORBIDDEN':
      return 'Your role does not allow this.';
    case 'NOT_FOUND':
      return 'This item does not exist or is not visible to you.';
    case 'PASSWORD_TOO_WEAK':
    case 'VALIDATION_ERROR':
    case 'CONFLICT':
      return capitalise(e.message);
    default:
      if (e.status >= 500) return 'The server had a problem. Please try again.';
      return capitalise(e.message) || 'Something went wrong. Please try again.';
  }
}

function capitalise(s: string): string {
  if (!s) return s;
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
