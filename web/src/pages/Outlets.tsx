import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, SESSION_ENDED } from '../api/errors';
import type { CutResult, Device, OutletState, User, Workshop } from '../api/types';
import { BreakerBar } from '../components/PowerStrip';
import { DeviceChart } from '../components/DeviceChart';
import { ConfirmDialog } from '../components/Dialog';
import { Ago, Alert, Badge, EmptyState, ErrorState, Loading, PageHeader, useNow } from '../components/ui';
import { connectivity } from '../devices';
import { plural, safeTimeZone } from '../format';
import {
  applyCommand,
  applyOutletTelemetry,
  breakerLevel,
  DEFAULT_BREAKER_LIMIT_MA,
  formatCurrent,
  fromCommand,
  fromEvent,
  overdue,
  pendingText,
  socketKey,
  socketView,
  type CommandLike,
  type SocketView,
  type TrackedMap,
} from '../outlets';
import { api, live } from '../services';

interface GatewayView {
  gateway: Device;
  outlets: readonly OutletState[];
  error: unknown;
  /** The newest breaker current (mA) and its time. */
  breaker: { value: number; ts: number } | null;
  limitMa: number | null;
}

const quiet = (e: unknown) => e instanceof ApiError && e.code === SESSION_ENDED;
const outletKey = () => `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** The workshop's outlets by gateway: sockets with their reported and commanded state, toggles, cut-off. */
/** What a cut asks about: the whole workshop, or the outlets behind one gateway. */
type CutTarget = { target: 'workshop' } | { target: 'gateway'; uid: string; name: string };

export function OutletsPage({ me }: { me: User }) {
  const workshopId = me.workshop_id ?? null;
  if (workshopId === null) {
    return <EmptyState title="No workshop">Outlets belong to a workshop; open a workshop's overview first.</EmptyState>;
  }
  return <Outlets workshopId={workshopId} />;
}

function Outlets({ workshopId }: { workshopId: number }) {
  const [ws, setWs] = useState<Workshop | null>(null);
  const [gateways, setGateways] = useState<GatewayView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tracked, setTracked] = useState<TrackedMap>(() => new Map());
  const [sendErrors, setSendErrors] = useState<Record<string, string>>({});
  const [confirm, setConfirm] = useState<CutTarget | null>(null);
  const [cutNote, setCutNote] = useState<{ tone: 'good' | 'warning' | 'critical'; text: string } | null>(null);
  const [chartRefresh, setChartRefresh] = useState(0);
  const mounted = useRef(true);
  const seq = useRef(0);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const loadGateway = useCallback(async (g: Device): Promise<GatewayView> => {
    const [outlets, latest] = await Promise.all([
      api.gatewayOutlets(g.uid).catch((e: unknown) => e),
      api.deviceLatest(g.uid).catch(() => null),
    ]);
    const br = latest?.values?.breaker_current_ma;
    const lim = latest?.values?.breaker_limit_ma;
    const brTs = br ? Date.parse(br.ts) : NaN;
    return {
      gateway: g,
      outlets: Array.isArray(outlets) ? outlets : [],
      error: Array.isArray(outlets) ? null : outlets,
      breaker: br && !Number.isNaN(brTs) ? { value: br.value, ts: brTs } : null,
      limitMa: lim ? lim.value : null,
    };
  }, []);

  const load = useCallback(() => {
    const mine = ++seq.current;
    Promise.all([api.workshop(workshopId), api.devices(workshopId, { kind: 'gateway', page_size: 100 })]).then(
      async ([w, list]) => {
        const views = await Promise.all(list.data.map(loadGateway));
        if (!mounted.current || mine !== seq.current) return;
        setWs(w);
        setGateways(views.sort((a, b) => (a.gateway.name || a.gateway.uid).localeCompare(b.gateway.name || b.gateway.uid)));
        setError(null);
      },
      (e: unknown) => {
        if (!mounted.current || mine !== seq.current || quiet(e)) return;
        setError(e);
      },
    );
  }, [workshopId, loadGateway]);

  /** One gateway's outlets again (a command ended: the device's report is the truth). */
  const reloadOutletsOf = useCallback((device: string) => {
    setGateways((prev) => {
      const g = prev?.find((v) => v.gateway.uid === device || v.outlets.some((o) => o.device_uid === device));
      if (g) {
        api.gatewayOutlets(g.gateway.uid).then(
          (outlets) => mounted.current && setGateways((cur) => cur?.map((v) => (v.gateway.uid === g.gateway.uid ? { ...v, outlets, error: null } : v)) ?? cur),
          () => undefined,
        );
      }
      return prev;
    });
  }, []);

  const onCommand = useCallback(
    (c: CommandLike) => {
      let ended = false;
      setTracked((prev) => {
        const r = applyCommand(prev, c);
        ended = r.ended;
        return r.map;
      });
      if (ended) reloadOutletsOf(c.device);
    },
    [reloadOutletsOf],
  );

  useEffect(load, [load]);
  useEffect(
    () =>
      live.on((e) => {
        if (e.workshop_id !== workshopId) return;
        if (e.type === 'command') onCommand(fromEvent(e));
        else if (e.type === 'telemetry') {
          setGateways((prev) => {
            if (!prev) return prev;
            let changed = false;
            const next = prev.map((g) => {
              let v = g;
              if (e.device === g.gateway.uid && e.values.breaker_current_ma !== undefined && (!g.breaker || e.ts >= g.breaker.ts)) {
                v = { ...v, breaker: { value: e.values.breaker_current_ma, ts: e.ts } };
              }
              if (e.device === g.gateway.uid && e.values.breaker_limit_ma !== undefined) v = { ...v, limitMa: e.values.breaker_limit_ma };
              const outlets = applyOutletTelemetry(v.outlets, e);
              if (outlets !== v.outlets) v = { ...v, outlets };
              if (v !== g) changed = true;
              return v;
            });
            return changed ? next : prev;
          });
        } else if (e.type === 'device_status') {
          setGateways((prev) => prev?.map((g) => (g.gateway.uid === e.device ? { ...g, gateway: { ...g.gateway, online: e.online } } : g)) ?? prev);
        }
      }),
    [workshopId, onCommand],
  );
  useEffect(() => {
    let confirmed = false;
    return live.subscribe(
      { workshops: [workshopId] },
      {
        onActive: () => {
          // After a reconnect: load again, nothing missed stays missing.
          if (confirmed) load();
          confirmed = true;
        },
      },
    );
  }, [workshopId, load]);

  // A command past its expiry without news (an event lost with a dropped connection): ask the server.
  const now = useNow(true);
  const asked = useRef(new Set<string>());
  useEffect(() => {
    for (const id of overdue(tracked, now)) {
      if (asked.current.has(id)) continue;
      asked.current.add(id);
      api.command(id).then(
        (c) => {
          asked.current.delete(id);
          if (mounted.current) onCommand(fromCommand(c));
        },
        () => setTimeout(() => asked.current.delete(id), 5000),
      );
    }
  }, [now, tracked, onCommand]);

  async function toggle(uid: string, view: SocketView) {
    const key = socketKey(uid, view.socket);
    setSendErrors(({ [key]: _, ...rest }) => rest);
    try {
      const c = await api.sendCommand(uid, { name: 'relay', params: { socket: view.socket, on: view.nextOn }, idempotency_key: outletKey() });
      onCommand(fromCommand(c));
    } catch (e) {
      if (!quiet(e) && mounted.current) setSendErrors((s) => ({ ...s, [key]: describeError(e) }));
    }
  }

  /** Cuts and closes the confirmation; the outcome (or the error) goes to the note above the panels. */
  async function cut(target: CutTarget) {
    setCutNote(null);
    try {
      const r: CutResult = target.target === 'workshop' ? await api.cutWorkshop(workshopId, { idempotency_key: outletKey() }) : await api.cutDevice(target.uid, { idempotency_key: outletKey() });
      for (const item of r.results) {
        if (item.command_id && item.state) {
          onCommand({ id: item.command_id, device: item.device_uid, name: 'cut', params: { sockets: 'all' }, state: item.state, detail: '', expiresAt: null, measuredMa: null, verified: null });
        }
      }
      const refused = r.results.filter((x) => x.error);
      setCutNote(
        r.results.length === 0
          ? { tone: 'warning', text: 'There are no outlets to cut.' }
          : refused.length
            ? { tone: 'warning', text: `Cut sent to ${plural(r.results.length - refused.length, 'outlet')}; refused: ${refused.map((x) => `${x.device_uid} (${x.error?.message})`).join(', ')}.` }
            : { tone: 'good', text: `Cut sent to ${plural(r.results.length, 'outlet')}. Each socket shows the device's answer.` },
      );
      setConfirm(null);
    } catch (e) {
      if (!quiet(e)) setCutNote({ tone: 'critical', text: `Could not cut: ${describeError(e)}` });
      setConfirm(null);
    }
  }

  const tz = safeTimeZone(ws?.timezone);
  if (error && !gateways) return <ErrorState error={error} onRetry={load} />;
  if (!gateways) return <Loading label="Loading outlets…" />;
  const outletCount = gateways.reduce((n, g) => n + g.outlets.length, 0);
  return (
    <>
      <PageHeader
        title="Outlets"
        subtitle={`${plural(gateways.length, 'gateway')} · ${plural(outletCount, 'outlet')} · times in ${tz}`}
        actions={
          <>
            <button
              type="button"
              class="btn"
              onClick={() => {
                load();
                setChartRefresh((n) => n + 1);
              }}
            >
              Refresh
            </button>
            {outletCount > 0 && (
              <button type="button" class="btn btn-danger" onClick={() => setConfirm({ target: 'workshop' })}>
                Cut all outlets
              </button>
            )}
          </>
        }
      />
      {cutNote && (
        <div data-testid="cut-note">
          <Alert tone={cutNote.tone}>{cutNote.text}</Alert>
        </div>
      )}
      {error != null && (
        <Alert tone="warning">
          Could not refresh the outlets. {describeError(error)}
        </Alert>
      )}
      {gateways.length === 0 && (
        <EmptyState title="No gateways yet">An owner registers the workshop's gateway (CCU) and its outlets on the Devices page; they appear here.</EmptyState>
      )}
      {gateways.map((g) => (
        <GatewayPanel
          key={g.gateway.uid}
          view={g}
          tz={tz}
          tracked={tracked}
          sendErrors={sendErrors}
          chartRefresh={chartRefresh}
          onToggle={(uid, v) => void toggle(uid, v)}
          onCut={() => setConfirm({ target: 'gateway', uid: g.gateway.uid, name: g.gateway.name || g.gateway.uid })}
        />
      ))}
      <ConfirmDialog
        title={confirm?.target === 'gateway' ? `Cut every outlet of ${confirm.name}?` : 'Cut every outlet of the workshop?'}
        subject={confirm}
        onClose={() => setConfirm(null)}
        confirmLabel="Cut power"
        busyLabel="Cutting…"
        cancelLabel="Keep power on"
        onConfirm={cut}
      >
        {(target) => (
          <p>
            Both sockets of {target.target === 'gateway' ? 'each outlet behind this gateway' : 'every outlet in the workshop'} are switched off. Tools and machines on them
            stop at once.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}

function GatewayPanel({
  view,
  tz,
  tracked,
  sendErrors,
  chartRefresh,
  onToggle,
  onCut,
}: {
  view: GatewayView;
  tz: string;
  tracked: TrackedMap;
  sendErrors: Record<string, string>;
  chartRefresh: number;
  onToggle: (uid: string, v: SocketView) => void;
  onCut: () => void;
}) {
  const g = view.gateway;
  const name = g.name || g.uid;
  const conn = connectivity(g);
  const limit = view.limitMa ?? DEFAULT_BREAKER_LIMIT_MA;
  const headId = `gw-${g.uid.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <section class="panel gateway" aria-labelledby={headId} data-testid="gateway" data-uid={g.uid}>
      <div class="section-head">
        <h2 id={headId}>
          {name} {g.name && <span class="muted mono small">{g.uid}</span>}
        </h2>
        <div class="section-actions">
          <Badge tone={conn.tone}>{conn.label}</Badge>
          {view.outlets.length > 0 && (
            <button type="button" class="btn btn-danger btn-small" onClick={onCut} aria-label={`Cut all outlets of ${name}`}>
              Cut all
            </button>
          )}
        </div>
      </div>
      <div class="gateway-breaker">
        <span class="power-label">Main breaker</span>
        <BreakerBar currentMa={view.breaker?.value ?? null} limitMa={limit} level={view.breaker ? breakerLevel(view.breaker.value, limit) : null} label={`${name} breaker current against its limit`} />
        <span class="muted small">
          {view.limitMa === null ? 'Limit: the gateway default' : 'Limit reported by the gateway'}
          {view.breaker && (
            <>
              {' · '}
              <Ago ts={view.breaker.ts} tz={tz} />
            </>
          )}
        </span>
      </div>
      {view.error != null && <Alert tone="warning">Could not load this gateway's outlets. {describeError(view.error)}</Alert>}
      {view.outlets.length === 0 && view.error == null && <p class="muted">No outlets paired with this gateway yet.</p>}
      {view.outlets.length > 0 && (
        <ul class="outlet-grid" aria-label={`Outlets of ${name}`}>
          {view.outlets.map((o) => (
            <OutletCard key={o.device_uid} outlet={o} tz={tz} tracked={tracked} sendErrors={sendErrors} onToggle={onToggle} />
          ))}
        </ul>
      )}
      <div class="gateway-chart" data-testid="breaker-chart">
        <h3>Breaker current</h3>
        <DeviceChart uid={g.uid} metrics={['breaker_current_ma']} initialMetric="breaker_current_ma" tz={tz} label={`${name} breaker`} refresh={chartRefresh} />
      </div>
    </section>
  );
}

function OutletCard({
  outlet: o,
  tz,
  tracked,
  sendErrors,
  onToggle,
}: {
  outlet: OutletState;
  tz: string;
  tracked: TrackedMap;
  sendErrors: Record<string, string>;
  onToggle: (uid: string, v: SocketView) => void;
}) {
  const name = o.name || o.device_uid;
  const conn = connectivity(o);
  const addr = o.radio_address !== null ? `0x${o.radio_address.toString(16).toUpperCase().padStart(2, '0')}` : null;
  return (
    <li class="outlet" data-testid="outlet" data-uid={o.device_uid}>
      <div class="outlet-head">
        <h3>{name}</h3>
        <Badge tone={conn.tone}>{conn.label}</Badge>
      </div>
      <p class="muted small">
        <span class="mono">{o.device_uid}</span>
        {addr && ` · radio ${addr}`}
        {o.status !== 'active' && ` · ${o.status}`}
      </p>
      <ul class="sockets" aria-label={`Sockets of ${name}`}>
        {o.sockets.map((s) => {
          const v = socketView(s, tracked.get(socketKey(o.device_uid, s.socket)));
          return <SocketRow key={s.socket} uid={o.device_uid} outletName={name} view={v} tz={tz} error={sendErrors[socketKey(o.device_uid, s.socket)]} onToggle={onToggle} />;
        })}
      </ul>
    </li>
  );
}

const STATE_TONE = { on: 'good', off: 'neutral', unknown: 'unknown' } as const;
const STATE_LABEL = { on: 'On', off: 'Off', unknown: 'Unknown' } as const;

function SocketRow({ uid, outletName, view: v, tz, error, onToggle }: { uid: string; outletName: string; view: SocketView; tz: string; error?: string; onToggle: (uid: string, v: SocketView) => void }) {
  const over = v.currentMa !== null && v.thresholdMa !== null && v.currentMa > v.thresholdMa;
  return (
    <li class="socket" data-testid={`socket-${v.socket}`} data-reported={v.reported.state} data-pending={v.pending ? (v.pending.on ? 'on' : 'off') : ''} data-outcome={v.outcome?.kind ?? ''}>
      <div class="socket-main">
        <span class="socket-label">{v.label}</span>
        <span data-testid="reported">
          <Badge tone={STATE_TONE[v.reported.state]}>{STATE_LABEL[v.reported.state]}</Badge>
        </span>
        <button
          type="button"
          role="switch"
          class={`switch${v.reported.state === 'on' ? ' is-on' : ''}`}
          aria-checked={v.reported.state === 'on'}
          aria-label={`${v.label} of ${outletName}: switch ${v.nextOn ? 'on' : 'off'}`}
          disabled={v.pending !== null}
          onClick={() => onToggle(uid, v)}
        >
          <span class="switch-knob" aria-hidden="true" />
        </button>
      </div>
      <p class="muted small socket-when">
        {v.reported.at !== null ? (
          <>
            Reported <Ago ts={v.reported.at} tz={tz} />
            {v.reported.source === 'command_result' ? ' (command answer)' : ''}
          </>
        ) : (
          'Not reported yet'
        )}
      </p>
      <div class="socket-status" aria-live="polite" data-testid="command-status">
        {v.pending && (
          <span class="socket-pending">
            <span class="spinner spinner-small" aria-hidden="true" />
            {pendingText(v.pending)}
          </span>
        )}
        {v.outcome && <span class={`socket-outcome tone-${v.outcome.tone}`}>{v.outcome.text}</span>}
        {error && <span class="socket-outcome tone-critical">Not sent: {error}</span>}
      </div>
      <dl class="socket-facts">
        <div>
          <dt>Current</dt>
          <dd data-testid="current" class={over ? 'tone-critical' : undefined}>
            {formatCurrent(v.currentMa)}
          </dd>
        </div>
        <div>
          <dt>Threshold</dt>
          <dd>{formatCurrent(v.thresholdMa)}</dd>
        </div>
        <div>
          <dt>Tripped</dt>
          <dd data-testid="tripped">{v.tripped === null ? '—' : v.tripped ? <Badge tone="critical">Tripped</Badge> : 'No'}</dd>
        </div>
      </dl>
      {v.mismatch && <p class="small tone-warning socket-mismatch">The current after the last switch did not fit the relay state (welded relay or unplugged load?).</p>}
    </li>
  );
}
