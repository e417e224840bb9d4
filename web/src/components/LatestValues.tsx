import type { DeviceLive } from '../live/readings';
import { formatValue, metricInfo, sortMetrics } from '../metrics';
import { Ago, EmptyState } from './ui';

/** Every metric a device reports, with its newest value and how old it is. */
export function LatestValues({ device, tz, compact = false }: { device: DeviceLive; tz: string; compact?: boolean }) {
  const keys = sortMetrics(Object.keys(device.values));
  if (keys.length === 0) {
    return compact ? (
      <p class="muted small">No readings yet.</p>
    ) : (
      <EmptyState title="No readings yet">Values appear here as soon as the device sends them.</EmptyState>
    );
  }
  return (
    <dl class={`latest-values${compact ? ' latest-compact' : ''}`} data-testid="latest-values">
      {keys.map((k) => {
        const r = device.values[k]!;
        const info = metricInfo(k);
        return (
          <div key={k} data-testid={`latest-${k}`}>
            <dt>{info.label}</dt>
            <dd>
              <span class="latest-value">
                {formatValue(k, r.value)}
                {info.unit && <span class="reading-unit"> {info.unit}</span>}
              </span>
              {!compact && (
                <span class="muted small">
                  <Ago ts={r.ts} tz={tz} />
                </span>
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
