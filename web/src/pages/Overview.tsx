import type { Pit, Workshop } from '../api/types';
import { Badge, EmptyState, ErrorState, Loading, PageHeader, useAsync } from '../components/ui';
import { formatDateTime, pitStatus, plural, safeTimeZone } from '../format';
import { api } from '../services';

export function PitTile({ pit }: { pit: Pit }) {
  const st = pitStatus(pit.status);
  return (
    <li class={`pit-tile tone-border-${st.tone}`} data-testid="pit-tile" aria-labelledby={`pit-${pit.id}-name`}>
      <div class="pit-head">
        <span class="pit-number" aria-label={`Pit number ${pit.number}`}>
          {pit.number}
        </span>
        <div class="pit-title">
          <h3 id={`pit-${pit.id}-name`}>{pit.name || `Pit ${pit.number}`}</h3>
          {pit.description && <p class="muted small">{pit.description}</p>}
        </div>
        <Badge tone={st.tone}>{st.label}</Badge>
      </div>
      <div class="pit-readings tone-unknown" data-testid="no-sensor-data">
        <span class="dot" aria-hidden="true" />
        <div>
          <p class="pit-readings-title">No sensor data yet</p>
          <p class="muted small">No device reports for this pit. Readings appear here once a sensor node is connected.</p>
        </div>
      </div>
    </li>
  );
}

export function OverviewPage({ workshopId }: { workshopId: number }) {
  const ws = useAsync<Workshop>(() => api.workshop(workshopId), [workshopId]);
  const pits = useAsync<Pit[]>(() => api.pits(workshopId), [workshopId]);
  const tz = safeTimeZone(ws.data?.timezone);
  const counts = (pits.data ?? []).reduce<Record<string, number>>((acc, p) => {
    acc[p.status] = (acc[p.status] ?? 0) + 1;
    return acc;
  }, {});

  if (ws.status === 'error' && !ws.data) return <ErrorState error={ws.error} onRetry={ws.reload} />;
  return (
    <>
      <PageHeader
        title={ws.data?.name ?? 'Workshop'}
        subtitle={
          ws.data ? (
            <>
              {pits.data ? plural(pits.data.length, 'pit') : 'Pits'} · times in {tz}
              {!ws.data.active && (
                <>
                  {' · '}
                  <Badge tone="offline">Deactivated</Badge>
                </>
              )}
            </>
          ) : undefined
        }
        actions={
          <button type="button" class="btn" onClick={() => { ws.reload(); pits.reload(); }}>
            Refresh
          </button>
        }
      />
      {pits.data && pits.data.length > 0 && (
        <ul class="summary" aria-label="Pit status summary">
          <li><Badge tone="good">{counts.active ?? 0} active</Badge></li>
          <li><Badge tone="warning">{counts.maintenance ?? 0} in maintenance</Badge></li>
          <li><Badge tone="offline">{counts.disabled ?? 0} disabled</Badge></li>
          <li><Badge tone="unknown">Sensor readings: not connected yet</Badge></li>
        </ul>
      )}
      {pits.status === 'loading' && !pits.data && <Loading label="Loading pits…" />}
      {pits.status === 'error' && <ErrorState error={pits.error} onRetry={pits.reload} />}
      {pits.data && pits.data.length === 0 && (
        <EmptyState title="No pits yet">An owner adds the workshop's pits; they appear here with their live conditions.</EmptyState>
      )}
      {pits.data && pits.data.length > 0 && (
        <ul class="pit-grid" aria-label="Pits">
          {[...pits.data].sort((a, b) => a.number - b.number).map((p) => (
            <PitTile key={p.id} pit={p} />
          ))}
        </ul>
      )}
      {ws.data?.updated_at && <p class="muted small footnote">Workshop settings last changed {formatDateTime(ws.data.updated_at, tz)}.</p>}
    </>
  );
}
