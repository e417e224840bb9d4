import { describeLive } from '../live/indicator';
import { live } from '../services';
import { useStore } from '../state/store';
import { useNow } from './ui';

/**
 * The header's connection indicator: the state in words (never colour alone), a countdown to
 * the next try while reconnecting, and a polite announcement only when the state changes.
 */
export function LiveIndicator() {
  const s = useStore(live.state);
  const counting = (s.status === 'reconnecting' || s.status === 'offline') && s.retryAt !== null;
  const now = useNow(counting);
  const v = describeLive(s, now);
  const attempt = s.status === 'reconnecting' || s.status === 'offline' ? s.attempt : 0;
  return (
    <div class="live-indicator" data-testid="live-indicator" data-status={s.status}>
      <span class={`badge tone-${v.tone}`} aria-hidden="true" title={attempt ? `Attempt ${attempt}` : undefined}>
        <span class="dot" />
        <span class="live-label">{v.label}</span>
      </span>
      <span class="sr-only" role="status" aria-live="polite">
        {v.announce}
      </span>
      {v.canRetry && (
        <button type="button" class="btn btn-ghost btn-small" onClick={() => live.retryNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}
