import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, SESSION_ENDED } from '../api/errors';
import type { Pit, Workshop } from '../api/types';
import { DeviceChart } from '../components/DeviceChart';
import { LatestValues } from '../components/LatestValues';
import { Ago, Alert, Badge, Breadcrumb, EmptyState, ErrorState, Link, Loading, PageHeader, useAsync } from '../components/ui';
import { kindLabel } from '../devices';
import { pitStatus, plural, safeTimeZone } from '../format';
import { applyEvent, connectivityOf, groupByPit, mergeSnapshots, summarise, type DeviceMap } from '../live/readings';
import { api, live } from '../services';
import { Readings } from './Overview';

/**
 * One pit: its conditions (the overview tile's bands), its devices with their latest values,
 * and a history chart for each of its sensor nodes. Kept current by the live channel.
 */
export function PitPage({ pitId }: { pitId: number }) {
  const pit = useAsync<Pit>(() => api.pit(pitId), [pitId]);
  const p = pit.data;
  const workshop = useAsync<Workshop | null>(() => (p ? api.workshop(p.workshop_id) : Promise.resolve(null)), [p?.workshop_id]);
  const tz = safeTimeZone(workshop.data?.timezone);
  const latest = usePitDevices(pitId, p?.workshop_id ?? null);
  const [refresh, setRefresh] = useState(0);

  if (pit.status === 'error' && !p) return <ErrorState error={pit.error} onRetry={pit.reload} />;
  if (!p) return <Loading label="Loading pit…" />;

  const devices = groupByPit(latest.devices).get(pitId) ?? [];
  const sum = summarise(devices);
  const st = pitStatus(p.status);
  const name = p.name || `Pit ${p.number}`;
  const nodes = devices.filter((d) => d.kind === 'sensor_node');
  const overview = `/workshops/${p.workshop_id}`;

  return (
    <>
      <Breadcrumb items={[{ href: overview, label: workshop.data?.name ?? 'Overview' }, { label: name }]} />
      <PageHeader
        title={name}
        subtitle={
          <>
            Pit {p.number} · <Badge tone={st.tone}>{st.label}</Badge>
            {devices.length > 0 && (
              <>
                {' · '}
                <Badge tone={sum.connectivity.tone}>{sum.connectivity.label}</Badge>
              </>
            )}
            {p.description && ` · ${p.description}`}
          </>
        }
        actions={
          <button
            type="button"
            class="btn"
            onClick={() => {
              pit.reload();
              latest.reload();
              setRefresh((n) => n + 1);
            }}
          >
            Refresh
          </button>
        }
      />
      {latest.error != null && (
        <Alert tone="warning">
          <span class="inline-error">
            <span>Could not load the latest readings. {describeError(latest.error)}</span>
            <button type="button" class="btn btn-small" onClick={latest.reload}>
              Try again
            </button>
          </span>
        </Alert>
      )}
      {!latest.loaded && <Loading label="Loading devices…" />}
      {latest.loaded && devices.length === 0 && (
        <EmptyState title="No devices in this pit">
          An owner assigns devices to this pit on the <Link href="/devices">Devices</Link> page; their readings and history appear here.
        </EmptyState>
      )}
      {devices.length > 0 && (
        <>
          <section class="panel" aria-labelledby="pit-conditions">
            <h2 id="pit-conditions">Conditions</h2>
            {sum.hasReadings ? (
              <>
                <Readings metrics={sum.metrics} />
                <p class="muted small">
                  Last reading <Ago ts={sum.lastReading} tz={tz} />
                </p>
              </>
            ) : (
              <p class="muted">No sensor data yet.</p>
            )}
          </section>

          <section class="panel" aria-labelledby="pit-devices">
            <h2 id="pit-devices">Devices</h2>
            <ul class="pit-device-list" aria-label={`Devices in ${name}`}>
              {devices.map((d) => {
                const c = connectivityOf([d]);
                return (
                  <li key={d.uid} class="pit-device" data-testid="pit-device" data-uid={d.uid}>
                    <div class="pit-device-head">
                      <Link href={`/devices/${encodeURIComponent(d.uid)}`} class="pit-device-name">
                        {d.name || d.uid}
                      </Link>
                      <span class="muted small">
                        {d.name && <span class="mono">{d.uid}</span>}
                        {d.name && d.kind && ' · '}
                        {d.kind && kindLabel(d.kind)}
                      </span>
                      <Badge tone={c.tone}>{c.label}</Badge>
                    </div>
                    <LatestValues device={d} tz={tz} compact />
                  </li>
                );
              })}
            </ul>
          </section>

          {nodes.length === 0 ? (
            <section class="panel" aria-labelledby="pit-history">
              <h2 id="pit-history">History</h2>
              <EmptyState title="No sensor node in this pit">Charts show the climate and air quality of the pit's sensor nodes.</EmptyState>
            </section>
          ) : (
            nodes.map((n) => {
              const label = n.name || n.uid;
              const hid = `history-${n.uid.replace(/[^A-Za-z0-9_-]/g, '_')}`;
              return (
                <section key={n.uid} class="panel" aria-labelledby={hid}>
                  <h2 id={hid}>
                    History{nodes.length > 1 ? ` · ${label}` : ''}
                  </h2>
                  {nodes.length === 1 && (
                    <p class="muted small">
                      <Link href={`/devices/${encodeURIComponent(n.uid)}`}>{label}</Link>
                    </p>
                  )}
                  {Object.keys(n.values).length > 0 ? (
                    <DeviceChart uid={n.uid} metrics={Object.keys(n.values)} tz={tz} label={nodes.length > 1 ? label : undefined} refresh={refresh} />
                  ) : (
                    <EmptyState title="No readings yet">{label} has not sent readings yet.</EmptyState>
                  )}
                </section>
              );
            })
          )}
          <p class="muted small footnote">{plural(devices.length, 'device')} in this pit.</p>
        </>
      )}
    </>
  );
}

/** The pit's devices (REST snapshot), kept current by the pit's live events; reloaded after reconnects. */
function usePitDevices(pitId: number, workshopId: number | null) {
  const [devices, setDevices] = useState<DeviceMap>(() => new Map());
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);
  const seq = useRef(0);
  const load = useCallback(() => {
    const mine = ++seq.current;
    api.pitLatest(pitId).then(
      (list) => {
        if (mine !== seq.current) return;
        setDevices((prev) => mergeSnapshots(prev, list));
        setError(null);
        setLoaded(true);
      },
      (e: unknown) => {
        if (mine !== seq.current || (e instanceof ApiError && e.code === SESSION_ENDED)) return;
        setError(e);
        setLoaded(true);
      },
    );
  }, [pitId]);
  useEffect(() => {
    load();
    return () => {
      seq.current++;
    };
  }, [load]);
  useEffect(() => {
    if (workshopId === null) return undefined;
    // Only this pit's devices: other subscriptions on the page (a chart's device) share the channel.
    return live.on((e) => {
      if (e.pit_id === pitId) setDevices((prev) => applyEvent(prev, e, workshopId));
    });
  }, [pitId, workshopId]);
  useEffect(() => {
    let confirmed = false;
    return live.subscribe(
      { pits: [pitId] },
      {
        onActive: () => {
          if (confirmed) load();
          confirmed = true;
        },
      },
    );
  }, [pitId, load]);
  return { devices, error, loaded, reload: load };
}
