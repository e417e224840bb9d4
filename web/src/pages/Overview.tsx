import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Pit, Role, Workshop } from '../api/types';
import { Ago, Alert, Badge, EmptyState, ErrorState, Link, Loading, PageHeader, useAsync } from '../components/ui';
import { ApiError, describeError, SESSION_ENDED } from '../api/errors';
import { kindLabel } from '../devices';
import { formatDateTime, pitStatus, plural, safeTimeZone } from '../format';
import { applyEvent, groupByPit, mergeSnapshots, summarise, type DeviceLive, type DeviceMap, type MetricReading } from '../live/readings';
import { formatReading, goodRangeText, levelLabel, levelTone } from '../live/thresholds';
import { api, live, session } from '../services';
import { PowerStrip } from '../components/PowerStrip';
import { powerStrip } from '../outlets';

export function Readings({ metrics }: { metrics: MetricReading[] }) {
  return (
    <dl class="readings" data-testid="readings">
      {metrics.map((m) => (
        <div
          key={m.spec.key}
          class={`reading tone-${levelTone(m.level)}`}
          data-testid={`reading-${m.spec.key}`}
          data-level={m.level ?? 'none'}
          title={`${m.spec.label}: ${goodRangeText(m.spec)}`}
        >
          <dt>{m.spec.label}</dt>
          <dd>
            <span class="reading-value">
              {m.reading ? formatReading(m.spec.key, m.reading.value) : '—'}
              {m.reading && m.spec.unit && <span class="reading-unit"> {m.spec.unit}</span>}
            </span>
            <span class="reading-level">
              <span class="dot" aria-hidden="true" />
              {levelLabel(m.level)}
            </span>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The readings part of a tile: values, or why there are none; then online state and the age of the newest reading. */
function TileBody({ devices, telemetry, emptyHint }: { devices: DeviceLive[]; telemetry: boolean; emptyHint: string }) {
  const sum = summarise(devices);
  const names = devices.map((d) => d.name || d.uid);
  return (
    <>
      {sum.hasReadings ? (
        <Readings metrics={sum.metrics} />
      ) : (
        <div class="pit-readings tone-unknown" data-testid="no-sensor-data">
          <span class="dot" aria-hidden="true" />
          <div>
            <p class="pit-readings-title">No sensor data yet</p>
            <p class="muted small">
              {devices.length > 0
                ? `${names.join(', ')} ${devices.length === 1 ? 'has' : 'have'} not sent readings yet.`
                : telemetry
                  ? emptyHint
                  : 'Readings appear here as they arrive.'}
            </p>
          </div>
        </div>
      )}
      {(devices.length > 0 || sum.hasReadings) && (
        <div class="tile-foot">
          {devices.length > 0 && (
            <span data-testid="tile-connection">
              <Badge tone={sum.connectivity.tone}>{sum.connectivity.label}</Badge>
            </span>
          )}
          {sum.hasReadings && (
            <span class="muted small" data-testid="last-reading">
              Last reading <Ago ts={sum.lastReading} />
            </span>
          )}
        </div>
      )}
    </>
  );
}

export function PitTile({ pit, devices = [], telemetry = true }: { pit: Pit; devices?: DeviceLive[]; telemetry?: boolean }) {
  const st = pitStatus(pit.status);
  return (
    <li class={`pit-tile tone-border-${st.tone}`} data-testid="pit-tile" data-pit-id={pit.id} aria-labelledby={`pit-${pit.id}-name`}>
      <div class="pit-head">
        <span class="pit-number" aria-label={`Pit number ${pit.number}`}>
          {pit.number}
        </span>
        <div class="pit-title">
          <h3 id={`pit-${pit.id}-name`}>{telemetry ? <Link href={`/pits/${pit.id}`}>{pit.name || `Pit ${pit.number}`}</Link> : pit.name || `Pit ${pit.number}`}</h3>
          {pit.description && <p class="muted small">{pit.description}</p>}
        </div>
        <Badge tone={st.tone}>{st.label}</Badge>
      </div>
      <TileBody
        devices={devices}
        telemetry={telemetry}
        emptyHint="No device reports for this pit. Readings appear here once a sensor node is connected."
      />
      {telemetry && devices.length > 0 && <DeviceLinks devices={devices} />}
    </li>
  );
}

/** The tile's devices, each a link to its page (history, events). */
function DeviceLinks({ devices }: { devices: DeviceLive[] }) {
  return (
    <p class="tile-devices small">
      <span class="muted">{devices.length === 1 ? 'Device: ' : 'Devices: '}</span>
      {devices.map((d, i) => (
        <span key={d.uid}>
          {i > 0 && ', '}
          <Link href={`/devices/${encodeURIComponent(d.uid)}`}>{d.name || d.uid}</Link>
        </span>
      ))}
    </p>
  );
}

function DeviceTile({ device }: { device: DeviceLive }) {
  const id = `dev-${device.uid.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <li class="pit-tile tone-border-unknown" data-testid="device-tile" aria-labelledby={id}>
      <div class="pit-head">
        <div class="pit-title">
          <h3 id={id}>
            <Link href={`/devices/${encodeURIComponent(device.uid)}`}>{device.name || device.uid}</Link>
          </h3>
          <p class="muted small">
            {device.name ? <span class="mono">{device.uid}</span> : null}
            {device.name && device.kind ? ' · ' : null}
            {device.kind ? kindLabel(device.kind) : null}
          </p>
        </div>
      </div>
      <TileBody devices={[device]} telemetry emptyHint="" />
    </li>
  );
}

/**
 * The workshop's devices with their latest values: loaded over REST, kept current by live
 * events, and loaded again each time the live subscription is (re)confirmed, so that nothing
 * missed while the channel was down stays missing. Customers may not read telemetry over REST;
 * they get live pit events only.
 */
function useLiveDevices(workshopId: number, telemetry: boolean, pitIds: number[] | null) {
  const [devices, setDevices] = useState<DeviceMap>(() => new Map());
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(!telemetry);
  const seq = useRef(0);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const load = useCallback(() => {
    if (!telemetry) return;
    const mine = ++seq.current;
    api.workshopLatest(workshopId).then(
      (list) => {
        if (!mounted.current || mine !== seq.current) return;
        setDevices((prev) => mergeSnapshots(prev, list));
        setError(null);
        setLoaded(true);
      },
      (e: unknown) => {
        if (!mounted.current || mine !== seq.current) return;
        if (e instanceof ApiError && e.code === SESSION_ENDED) return; // signing out: the login page follows
        setError(e);
        setLoaded(true);
      },
    );
  }, [workshopId, telemetry]);

  useEffect(load, [load]);
  useEffect(() => live.on((e) => setDevices((prev) => applyEvent(prev, e, workshopId))), [workshopId]);
  const pitKey = pitIds ? pitIds.join(',') : '';
  useEffect(() => {
    if (telemetry) return live.subscribe({ workshops: [workshopId] }, { onActive: load });
    if (pitIds && pitIds.length) return live.subscribe({ pits: pitIds });
    return undefined;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [workshopId, telemetry, pitKey, load]);

  return { devices, error, loaded, reload: load };
}

function canReadTelemetry(role: Role | undefined): boolean {
  return role !== undefined && role !== 'customer';
}

export function OverviewPage({ workshopId }: { workshopId: number }) {
  const me = session.state.get();
  const role = me.kind === 'active' ? me.user.role : undefined;
  const telemetry = canReadTelemetry(role);
  const ws = useAsync<Workshop>(() => api.workshop(workshopId), [workshopId]);
  const pits = useAsync<Pit[]>(() => api.pits(workshopId), [workshopId]);
  const pitIds = useMemo(() => (pits.data ? pits.data.map((p) => p.id) : null), [pits.data]);
  const latest = useLiveDevices(workshopId, telemetry, pitIds);
  const tz = safeTimeZone(ws.data?.timezone);
  const counts = (pits.data ?? []).reduce<Record<string, number>>((acc, p) => {
    acc[p.status] = (acc[p.status] ?? 0) + 1;
    return acc;
  }, {});
  const groups = groupByPit(latest.devices);
  const known = new Set(pitIds ?? []);
  const unassigned = [...groups.entries()].filter(([pit]) => pit === null || (pitIds !== null && !known.has(pit))).flatMap(([, list]) => list);
  const all = [...latest.devices.values()];
  const online = all.filter((d) => d.online).length;
  const power = powerStrip(all, { voltageV: ws.data?.nominal_voltage_v, powerFactor: ws.data?.power_factor });
  const outletsLink = role === 'owner' || role === 'staff';
  const critical = (pits.data ?? []).filter((p) => summarise(groups.get(p.id) ?? []).metrics.some((m) => m.level === 'critical')).length;

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
          <button
            type="button"
            class="btn"
            onClick={() => {
              ws.reload();
              pits.reload();
              latest.reload();
            }}
          >
            Refresh
          </button>
        }
      />
      {pits.data && pits.data.length > 0 && (
        <ul class="summary" aria-label="Pit status summary">
          <li><Badge tone="good">{counts.active ?? 0} active</Badge></li>
          <li><Badge tone="warning">{counts.maintenance ?? 0} in maintenance</Badge></li>
          <li><Badge tone="offline">{counts.disabled ?? 0} disabled</Badge></li>
          {all.length > 0 && (
            <li>
              <Badge tone={online === all.length ? 'good' : online === 0 ? 'offline' : 'warning'}>
                {online} of {plural(all.length, 'device')} online
              </Badge>
            </li>
          )}
          {critical > 0 && (
            <li>
              <Badge tone="critical">{plural(critical, 'pit')} with critical readings</Badge>
            </li>
          )}
        </ul>
      )}
      {latest.error != null && (
        <Alert tone="warning">
          <LatestError error={latest.error} onRetry={latest.reload} />
        </Alert>
      )}
      {telemetry && (power.gateways > 0 || power.socketsTotal > 0) && (
        <PowerStrip figures={power} action={outletsLink ? <Link href="/outlets">Outlets and sockets</Link> : undefined} />
      )}
      {pits.status === 'loading' && !pits.data && <Loading label="Loading pits…" />}
      {pits.status === 'error' && <ErrorState error={pits.error} onRetry={pits.reload} />}
      {pits.data && pits.data.length === 0 && (
        <EmptyState title="No pits yet">An owner adds the workshop's pits; they appear here with their live conditions.</EmptyState>
      )}
      {pits.data && pits.data.length > 0 && (
        <ul class="pit-grid" aria-label="Pits" aria-busy={latest.loaded ? undefined : 'true'}>
          {[...pits.data].sort((a, b) => a.number - b.number).map((p) => (
            <PitTile key={p.id} pit={p} devices={groups.get(p.id) ?? []} telemetry={telemetry} />
          ))}
        </ul>
      )}
      {unassigned.length > 0 && (
        <Section title="Devices without a pit" id="unassigned-devices">
          <ul class="pit-grid" aria-label="Devices without a pit">
            {unassigned.map((d) => (
              <DeviceTile key={d.uid} device={d} />
            ))}
          </ul>
        </Section>
      )}
      {ws.data?.updated_at && <p class="muted small footnote">Workshop settings last changed {formatDateTime(ws.data.updated_at, tz)}.</p>}
    </>
  );
}

function Section({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section class="overview-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function LatestError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <div class="inline-error">
      <span>Could not load the latest readings. {describeError(error)}</span>
      <button type="button" class="btn btn-small" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
