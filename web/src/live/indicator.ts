import type { Tone } from '../format';
import type { LiveState } from './client';

export interface IndicatorView {
  tone: Tone;
  /** Shown; may count down every second. */
  label: string;
  /** Announced politely to screen readers; changes only when the state does (never every second). */
  announce: string;
  /** Whether "Retry now" makes sense. */
  canRetry: boolean;
}

/** What the header's connection indicator says about the live channel. */
export function describeLive(s: LiveState, nowMs: number): IndicatorView {
  switch (s.status) {
    case 'idle':
      return { tone: 'unknown', label: 'Not connected', announce: 'Live updates are not connected.', canRetry: false };
    case 'connecting':
      return { tone: 'unknown', label: 'Connecting…', announce: 'Connecting to live updates.', canRetry: false };
    case 'live':
      return { tone: 'good', label: 'Live', announce: 'Live updates are on.', canRetry: false };
    case 'reconnecting':
    case 'offline': {
      const word = s.status === 'offline' ? 'Offline' : 'Reconnecting';
      let label: string;
      if (s.retryAt === null) label = s.status === 'offline' && s.attempt === 0 ? 'Offline' : `${word} · trying…`;
      else {
        const secs = Math.max(0, Math.ceil((s.retryAt - nowMs) / 1000));
        label = `${word} · retry in ${secs} s`;
      }
      const announce =
        s.status === 'offline'
          ? 'Live updates are offline. The values shown may be out of date.'
          : 'Live updates were interrupted; reconnecting. The values shown are kept.';
      return { tone: s.status === 'offline' ? 'offline' : 'warning', label, announce, canRetry: s.retryAt !== null };
    }
  }
}
