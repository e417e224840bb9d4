import type { ComponentChildren } from 'preact';
import { formatCurrent, formatPower, type PowerStrip as Figures } from '../outlets';
import { Ago } from './ui';

const LEVEL_LABEL = { good: 'Normal', warning: 'Near the limit', critical: 'Over the limit' } as const;

/** The main breaker's current against its limit: a bar coloured good / warning / critical. */
export function BreakerBar({ currentMa, limitMa, level, label }: { currentMa: number | null; limitMa: number; level: Figures['level']; label: string }) {
  const pct = currentMa !== null && limitMa > 0 ? Math.min(100, Math.max(0, (currentMa / limitMa) * 100)) : 0;
  const tone = level ?? 'unknown';
  return (
    <div class={`breaker tone-${tone}`} data-testid="breaker-bar" data-level={level ?? 'none'}>
      <div class="breaker-figures">
        <span class="breaker-value">{formatCurrent(currentMa)}</span>
        <span class="muted"> of {formatCurrent(limitMa)}</span>
        <span class="breaker-level">
          <span class="dot" aria-hidden="true" />
          {level ? LEVEL_LABEL[level] : 'No reading'}
        </span>
      </div>
      <div
        class="breaker-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={limitMa}
        aria-valuenow={currentMa ?? 0}
        aria-valuetext={currentMa === null ? 'no reading' : `${formatCurrent(currentMa)} of ${formatCurrent(limitMa)}`}
      >
        <div class="breaker-fill" style={{ width: `${pct}%` }} />
        <div class="breaker-mark" style={{ left: '80%' }} aria-hidden="true" />
      </div>
    </div>
  );
}

/** The overview's power strip: breaker against its limit, total power, sockets on. */
export function PowerStrip({ figures: f, action }: { figures: Figures; action?: ComponentChildren }) {
  return (
    <section class="power-strip" aria-labelledby="power-strip-title" data-testid="power-strip">
      <div class="power-strip-head">
        <h2 id="power-strip-title">Power</h2>
        {action}
      </div>
      <div class="power-strip-body">
        <div class="power-cell power-breaker">
          <span class="power-label">Main breaker{f.gateways > 1 ? `s (${f.gateways})` : ''}</span>
          <BreakerBar currentMa={f.breakerMa} limitMa={f.limitMa} level={f.level} label="Main breaker current against its limit" />
          <span class="muted small">
            {f.limitReported ? 'Limit reported by the gateway' : 'Limit: the gateway default'}
            {f.at !== null && (
              <>
                {' · '}
                <Ago ts={f.at} />
              </>
            )}
          </span>
        </div>
        <div class="power-cell" data-testid="power-total">
          <span class="power-label">Total power</span>
          <span class="power-value">{formatPower(f.powerW)}</span>
          <span class="muted small">{f.powerSource === 'estimated' ? 'from breaker current × voltage' : f.powerSource === 'reported' ? 'reported' : 'no reading'}</span>
        </div>
        <div class="power-cell" data-testid="power-sockets">
          <span class="power-label">Sockets on</span>
          <span class="power-value">
            {f.socketsOn}
            <span class="muted power-of"> of {f.socketsTotal}</span>
          </span>
          <span class="muted small">{f.socketsKnown < f.socketsTotal ? `${f.socketsTotal - f.socketsKnown} not reported yet` : 'all reported'}</span>
        </div>
      </div>
    </section>
  );
}
