import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, SESSION_ENDED } from '../api/errors';
import type { Device, DeviceEvent, DeviceSnapshot, Pit, User, Workshop } from '../api/types';
import { chartPath, rangeFromSearch } from '../charts/range';
import { DeviceChart } from '../components/DeviceChart';
import { LatestValues } from '../components/LatestValues';
import { Ago, Alert, Badge, Breadcrumb, EmptyState, ErrorState, Link, Loading, PageHeader, useAsync } from '../components/ui';
import { canManageDevices, connectivity, deviceStatus, kindLabel, licenceStatus } from '../devices';
import { actionLabel, formatDateTime, safeTimeZone } from '../format';
import { applyEvent, fromSnapshot, type DeviceLive } from '../live/readings';
import { signalQuality } from '../metrics';
import { api, live } from '../services';
import { location, navigate } from '../state/router';

const EVENTS_PAGE = 20;

/**
 * One device: its facts (kind, status, connection, firmware, signal, pit, workshop, licence),
 * its latest values, its history chart (ranges, zoom, statistics, CSV) and its recent events.
 * Kept current by the live channel: status and readings arrive without a reload.
 */
export function DevicePage({ me, uid, search }: { me: User; uid: string; search: string }) {
  const device = useAsync<Device>(() => api.device(uid), [uid]);
  const d = device.data;
  const workshop = useAsync<Workshop | null>(() => (d ? api.workshop(d.workshop_id) : Promise.resolve(null)), [d?.workshop_id]);
  const pit = useAsync<Pit | null>(() => (d?.pit_id != null ? api.pit(d.pit_id) : Promise.resolve(null)), [d?.pit_id]);
  const latest = useLatest(uid, d?.workshop_id ?? null);
  const [refresh, setRefresh] = useState(0);
  const tz = safeTimeZone(workshop.data?.timezone);
  // The chart's first metric and range come from the address (a shared link opens the same view).
  const [initial] = useState(() => {
    const q = new URLSearchParams(search);
    return { metric: q.get('metric'), range: rangeFromSearch(q) };
  });
  const onChartChange = useCallback((metric: string, range: Parameters<typeof chartPath>[2]) => {
    navigate(chartPath(location.get(), metric, range), { replace: true, scroll: false });
  }, []);

  if (device.status === 'error' && !d) {
    return (
      <>
        <Breadcrumb items={[{ href: '/devices', label: 'Devices' }, { label: uid }]} />
        <ErrorState error={device.error} onRetry={device.reload} />
      </>
    );
  }
  if (!d) return <Loading label="Loading device…" />;

  const title = d.name || d.uid;
  const snap = latest.snapshot;
  const dl = latest.live;
  const conn = connectivity({ online: dl?.online ?? d.online, last_seen: dl?.lastSeen != null ? new Date(dl.lastSeen).toISOString() : (d.last_seen ?? null) });
  const st = deviceStatus(d.status);
  const lic = licenceStatus(d.licence.status);
  const firmware = snap?.firmware_version || d.firmware_version;
  const metrics = dl ? Object.keys(dl.values) : [];
  const lastSeen = dl?.lastSeen ?? (d.last_seen ? Date.parse(d.last_seen) : null);

  return (
    <>
      <Breadcrumb items={[{ href: '/devices', label: 'Devices' }, { label: title }]} />
      <PageHeader
        title={title}
        subtitle={
          <>
            {d.name && <span class="mono">{d.uid}</span>}
            {d.name && ' · '}
            {kindLabel(d.kind)}
            {workshop.data && ` · ${workshop.data.name}`}
          </>
        }
        actions={
          <button
            type="button"
            class="btn"
            onClick={() => {
              device.reload();
              latest.reload();
              setRefresh((n) => n + 1);
            }}
          >
            Refresh
          </button>
        }
      />
      {d.status === 'pending' && (
        <Alert tone="info">
          This device announced itself and is waiting for approval.{' '}
          {canManageDevices(me.role) ? <Link href="/devices#pending-devices">Approve or reject it on the Devices page.</Link> : 'The workshop owner approves or rejects it.'}
        </Alert>
      )}
      {latest.error != null && (
        <Alert tone="warning">
          <span class="inline-error">
            <span>Could not load the latest values. {describeError(latest.error)}</span>
            <button type="button" class="btn btn-small" onClick={latest.reload}>
              Try again
            </button>
          </span>
        </Alert>
      )}

      <section class="panel" aria-labelledby="device-facts">
        <h2 id="device-facts" class="sr-only">
          Device facts
        </h2>
        <dl class="facts" data-testid="device-facts">
          <div>
            <dt>Kind</dt>
            <dd>{kindLabel(d.kind)}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <Badge tone={st.tone}>{st.label}</Badge>
            </dd>
          </div>
          <div data-testid="fact-connection">
            <dt>Connection</dt>
            <dd>
              <Badge tone={conn.tone}>{conn.label}</Badge>
            </dd>
          </div>
          <div data-testid="fact-last-seen">
            <dt>Last seen</dt>
            <dd>{lastSeen !== null ? <Ago ts={lastSeen} tz={tz} /> : <span class="muted">Never</span>}</dd>
          </div>
          <div data-testid="fact-firmware">
            <dt>Firmware</dt>
            <dd>{firmware ? <span class="mono">{firmware}</span> : <span class="muted">Not reported</span>}</dd>
          </div>
          {snap?.rssi != null && (
            <div data-testid="fact-signal">
              <dt>Signal</dt>
              <dd>
                <Badge tone={signalQuality(snap.rssi).tone}>{signalQuality(snap.rssi).label}</Badge> <span class="small">{snap.rssi} dBm</span>
              </dd>
            </div>
          )}
          <div data-testid="fact-pit">
            <dt>Pit</dt>
            <dd>
              {d.pit_id == null ? (
                <span class="muted">No pit</span>
              ) : (
                <Link href={`/pits/${d.pit_id}`}>{pit.data ? pit.data.name || `Pit ${pit.data.number}` : `Pit #${d.pit_id}`}</Link>
              )}
            </dd>
          </div>
          <div data-testid="fact-workshop">
            <dt>Workshop</dt>
            <dd>{workshop.data ? <Link href={`/workshops/${workshop.data.id}`}>{workshop.data.name}</Link> : `#${d.workshop_id}`}</dd>
          </div>
          {d.kind === 'outlet' && d.parent_uid && (
            <div>
              <dt>Gateway</dt>
              <dd>
                <Link href={`/devices/${encodeURIComponent(d.parent_uid)}`} class="mono">
                  {d.parent_uid}
                </Link>
                {d.radio_address != null && <span class="small"> · address {d.radio_address}</span>}
              </dd>
            </div>
          )}
          {d.report_interval_s != null && d.report_interval_s > 0 && (
            <div>
              <dt>Report interval</dt>
              <dd>{d.report_interval_s} s</dd>
            </div>
          )}
          <div>
            <dt>Licence</dt>
            <dd>
              <Badge tone={lic.tone}>{lic.label}</Badge>{' '}
              <span class="small">
                until <time dateTime={d.licence.expires_at}>{formatDateTime(d.licence.expires_at, tz)}</time>
              </span>
            </dd>
          </div>
        </dl>
      </section>

      <section class="panel" aria-labelledby="device-latest">
        <h2 id="device-latest">Latest values</h2>
        {!latest.loaded && <Loading label="Loading latest values…" />}
        {latest.loaded && dl && <LatestValues device={dl} tz={tz} />}
      </section>

      <section class="panel" aria-labelledby="device-history">
        <h2 id="device-history">History</h2>
        {!latest.loaded && <Loading label="Loading…" />}
        {latest.loaded && (metrics.length > 0 || initial.metric) && (
          <DeviceChart uid={d.uid} metrics={metrics} tz={tz} initialMetric={initial.metric} initialRange={initial.range} onChange={onChartChange} refresh={refresh} />
        )}
        {latest.loaded && metrics.length === 0 && !initial.metric && (
          <EmptyState title="No readings yet">
            {d.status === 'pending' ? 'A device sends readings once it is approved.' : 'The chart appears once the device has sent readings.'}
          </EmptyState>
        )}
      </section>

      <section class="panel" aria-labelledby="device-events">
        <h2 id="device-events">Recent events</h2>
        <Events uid={d.uid} tz={tz} refresh={refresh} />
      </section>
    </>
  );
}

/** The device's snapshot (REST), kept current by its live events; loaded again after reconnects. */
function useLatest(uid: string, workshopId: number | null) {
  const [snapshot, setSnapshot] = useState<DeviceSnapshot | null>(null);
  const [dev, setDev] = useState<DeviceLive | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);
  const seq = useRef(0);
  const load = useCallback(() => {
    const mine = ++seq.current;
    api.deviceLatest(uid).then(
      (s) => {
        if (mine !== seq.current) return;
        setSnapshot(s);
        setDev((prev) => {
          const next = fromSnapshot(s);
          if (!prev) return next;
          // Keep live values newer than the load (they arrived while it was under way).
          for (const [m, r] of Object.entries(prev.values)) if (!next.values[m] || r.ts > next.values[m]!.ts) next.values[m] = r;
          return next;
        });
        setError(null);
        setLoaded(true);
      },
      (e: unknown) => {
        if (mine !== seq.current || (e instanceof ApiError && e.code === SESSION_ENDED)) return;
        setError(e);
        setLoaded(true);
      },
    );
  }, [uid]);
  useEffect(() => {
    load();
    return () => {
      seq.current++;
    };
  }, [load]);
  useEffect(() => {
    if (workshopId === null) return undefined;
    return live.on((e) => {
      if (e.device !== uid) return;
      setDev((prev) => {
        if (!prev) return prev;
        return applyEvent(new Map([[uid, prev]]), e, workshopId).get(uid) ?? prev;
      });
    });
  }, [uid, workshopId]);
  useEffect(() => {
    let confirmed = false;
    return live.subscribe(
      { devices: [uid] },
      {
        onActive: () => {
          if (confirmed) load();
          confirmed = true;
        },
      },
    );
  }, [uid, load]);
  return { snapshot, live: dev, error, loaded, reload: load };
}

function eventDetail(e: DeviceEvent): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(e.detail ?? {})) {
    if (k === 'ts' || k === 'type') continue;
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    parts.push(`${k.replace(/_/g, ' ')}: ${text}`);
  }
  return parts.join(' · ');
}

function Events({ uid, tz, refresh }: { uid: string; tz: string; refresh: number }) {
  const [items, setItems] = useState<DeviceEvent[]>([]);
  const [state, setState] = useState<{ status: 'loading' | 'ok' | 'error'; error?: unknown; more: boolean }>({ status: 'loading', more: false });
  const seq = useRef(0);
  const load = useCallback(
    (before?: number) => {
      const mine = ++seq.current;
      setState((s) => ({ ...s, status: 'loading' }));
      api.deviceEvents(uid, { limit: EVENTS_PAGE, before }).then(
        (page) => {
          if (mine !== seq.current) return;
          setItems((prev) => (before === undefined ? page : [...prev, ...page]));
          setState({ status: 'ok', more: page.length === EVENTS_PAGE });
        },
        (error: unknown) => {
          if (mine !== seq.current || (error instanceof ApiError && error.code === SESSION_ENDED)) return;
          setState((s) => ({ ...s, status: 'error', error }));
        },
      );
    },
    [uid],
  );
  useEffect(() => {
    load();
    return () => {
      seq.current++;
    };
  }, [load, refresh]);

  if (state.status === 'error' && items.length === 0) return <ErrorState error={state.error} onRetry={() => load()} />;
  if (state.status === 'loading' && items.length === 0) return <Loading label="Loading events…" />;
  if (items.length === 0) return <EmptyState title="No events yet">Restarts, overload trips, button presses and configuration changes appear here.</EmptyState>;
  return (
    <>
      <ol class="event-list" data-testid="device-events">
        {items.map((e) => (
          <li key={e.id} class="event-item">
            <time dateTime={e.ts} class="event-time">
              {formatDateTime(e.ts, tz, true)}
            </time>
            <span class="event-type">{actionLabel(e.type)}</span>
            {eventDetail(e) && <span class="muted small event-detail">{eventDetail(e)}</span>}
          </li>
        ))}
      </ol>
      {state.status === 'error' && <Alert tone="warning">Could not load older events. {describeError(state.error)}</Alert>}
      {state.more && (
        <button type="button" class="btn btn-small events-more" disabled={state.status === 'loading'} onClick={() => load(items[items.length - 1]?.id)}>
          {state.status === 'loading' ? 'Loading…' : 'Show older events'}
        </button>
      )}
    </>
  );
}
