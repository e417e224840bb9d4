import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/errors';
import type { Device, DeviceKind, DeviceStatus, DeviceWithSecret, Pit, UpdateDeviceBody, User, Workshop } from '../api/types';
import { ConfirmDialog, Dialog, SecretOnceDialog, type ShownSecret } from '../components/Dialog';
import { Alert, Badge, EmptyState, ErrorState, Link, Loading, PageHeader, SelectField, TextField, useAsync } from '../components/ui';
import {
  DEVICE_KINDS,
  DEVICE_STATUSES,
  SETTABLE_STATUSES,
  buildRegistration,
  canManageDevices,
  connectivity,
  derivedUid,
  deviceStatus,
  kindLabel,
  licenceStatus,
  splitError,
  type FieldErrors,
  type RegistrationForm,
} from '../devices';
import { formatDateTime, formatRelative, plural } from '../format';
import { api } from '../services';
import { workshopMap } from '../state/workshops';
import { DeviceApprovals } from './DeviceApprovals';

const PAGE_SIZE = 50;

type Pending =
  | { kind: 'none' }
  | { kind: 'register' }
  | { kind: 'edit'; device: Device }
  | { kind: 'rotate'; device: Device }
  | { kind: 'retire'; device: Device }
  | { kind: 'secret'; shown: ShownSecret };

/** The dialog's contents for a registered device or a rotated secret. */
function shownSecret(title: string, { device, secret }: DeviceWithSecret): ShownSecret {
  return {
    title,
    secret,
    facts: (
      <>
        Device uid: <strong class="mono">{device.uid}</strong>
        <br />
        Licence: <span class="mono">{device.licence.key}</span>
      </>
    ),
  };
}

export function DevicesPage({ me }: { me: User }) {
  const workshops = useAsync<Map<number, Workshop>>(() => workshopMap(), []);
  const [chosen, setChosen] = useState<number | null>(null);
  const firstWorkshop = workshops.data ? [...workshops.data.keys()][0] : undefined;
  const workshopId = me.workshop_id ?? chosen ?? firstWorkshop ?? null;
  const workshop = workshopId != null ? workshops.data?.get(workshopId) : undefined;

  if (workshopId == null) {
    if (workshops.status === 'error') return <ErrorState error={workshops.error} onRetry={workshops.reload} />;
    if (workshops.status === 'loading') return <Loading label="Loading workshops…" />;
    return (
      <>
        <PageHeader title="Devices" />
        <EmptyState title="No workshops yet">Create a workshop before registering devices.</EmptyState>
      </>
    );
  }
  return (
    <WorkshopDevices
      key={workshopId}
      me={me}
      workshopId={workshopId}
      workshop={workshop}
      picker={
        me.workshop_id == null && workshops.data ? (
          <SelectField<string>
            label="Workshop"
            value={String(workshopId)}
            onValue={(v) => setChosen(Number(v))}
            options={[...workshops.data.values()].map((w) => ({ value: String(w.id), label: w.name }))}
          />
        ) : null
      }
    />
  );
}

function WorkshopDevices({ me, workshopId, workshop, picker }: { me: User; workshopId: number; workshop: Workshop | undefined; picker: preact.ComponentChildren }) {
  const manage = canManageDevices(me.role);
  const tz = workshop?.timezone ?? 'UTC';
  const [page, setPage] = useState(1);
  const [kind, setKind] = useState<DeviceKind | ''>('');
  const [status, setStatus] = useState<DeviceStatus | ''>('');
  const list = useAsync(() => api.devices(workshopId, { page, page_size: PAGE_SIZE, kind: kind || undefined, status: status || undefined }), [workshopId, page, kind, status]);
  const pits = useAsync<Pit[]>(() => api.pits(workshopId), [workshopId]);
  const pitName = (id: number | null | undefined) => (id == null ? null : pits.data?.find((p) => p.id === id)?.name ?? `Pit #${id}`);
  const [pending, setPending] = useState<Pending>({ kind: 'none' });
  const [flash, setFlash] = useState<string | null>(null);
  const total = list.data?.meta?.total ?? list.data?.data.length ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const filtered = kind !== '' || status !== '';

  const close = () => setPending({ kind: 'none' });

  const devices = list.data?.data ?? [];

  return (
    <>
      <PageHeader
        title="Devices"
        subtitle={
          <>
            {workshop ? `${workshop.name} · ` : ''}
            {manage ? 'Sensor nodes, gateways, outlets and cameras of the workshop' : 'Read-only: the workshop owner registers and changes devices'}
          </>
        }
        actions={
          manage ? (
            <button type="button" class="btn btn-primary" onClick={() => setPending({ kind: 'register' })}>
              Register device
            </button>
          ) : undefined
        }
      />
      {flash && <Alert tone="good">{flash}</Alert>}
      <DeviceApprovals workshopId={workshopId} pits={pits.data ?? []} manage={manage} tz={tz} onChanged={list.reload} />
      <div class="filters" role="search" aria-label="Filter devices">
        {picker}
        <SelectField<DeviceKind | ''>
          label="Kind"
          value={kind}
          onValue={(v) => {
            setKind(v);
            setPage(1);
          }}
          options={[{ value: '', label: 'All kinds' }, ...DEVICE_KINDS.map((k) => ({ value: k, label: kindLabel(k) }))]}
        />
        <SelectField<DeviceStatus | ''>
          label="Status"
          value={status}
          onValue={(v) => {
            setStatus(v);
            setPage(1);
          }}
          options={[{ value: '', label: 'All statuses' }, ...DEVICE_STATUSES.map((s) => ({ value: s, label: deviceStatus(s).label }))]}
        />
      </div>
      {list.status === 'loading' && !list.data && <Loading label="Loading devices…" />}
      {list.status === 'error' && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.data && devices.length === 0 && (
        <EmptyState title={filtered ? 'No devices match these filters' : 'No devices registered yet'}>
          {filtered ? 'Choose other filters to see more.' : manage ? 'Register the sensor nodes, gateways, outlets and cameras of this workshop.' : 'The workshop owner registers devices.'}
        </EmptyState>
      )}
      {devices.length > 0 && (
        <>
          <p class="muted small" aria-live="polite">
            {plural(total, 'device')}
          </p>
          <div class="table-wrap">
            <table class="table" aria-label="Devices">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Pit</th>
                  <th scope="col">Status</th>
                  <th scope="col">Connection</th>
                  <th scope="col">Licence</th>
                  {manage && (
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {devices.map((d) => {
                  const st = deviceStatus(d.status);
                  const conn = connectivity(d);
                  const lic = licenceStatus(d.licence.status);
                  const label = d.name || d.uid;
                  return (
                    <tr key={d.uid} data-testid="device-row" data-uid={d.uid}>
                      <td data-label="Device">
                        <strong>
                          <Link href={`/devices/${encodeURIComponent(d.uid)}`}>{d.name || <span class="mono">{d.uid}</span>}</Link>
                        </strong>
                        {d.name && <div class="mono small">{d.uid}</div>}
                        {d.kind === 'outlet' && d.parent_uid && (
                          <div class="muted small">
                            Gateway <span class="mono">{d.parent_uid}</span>, address {d.radio_address}
                            {d.radio_protocol === 1 && ', legacy PIC'}
                          </div>
                        )}
                      </td>
                      <td data-label="Kind">{kindLabel(d.kind)}</td>
                      <td data-label="Pit">{pitName(d.pit_id) ?? <span class="muted">No pit</span>}</td>
                      <td data-label="Status">
                        <Badge tone={st.tone}>{st.label}</Badge>
                      </td>
                      <td data-label="Connection" data-testid="device-connection">
                        <Badge tone={conn.tone}>{conn.label}</Badge>
                        {conn.state === 'never' && <div class="muted small">No telemetry received yet</div>}
                        {conn.state !== 'never' && d.last_seen && (
                          <div class="muted small">
                            Last seen <time dateTime={d.last_seen} title={formatDateTime(d.last_seen, tz)}>{formatRelative(d.last_seen)}</time>
                          </div>
                        )}
                      </td>
                      <td data-label="Licence">
                        <div class="mono small licence-key">{d.licence.key}</div>
                        <Badge tone={lic.tone}>{lic.label}</Badge>
                        <div class="muted small">
                          {new Date(d.licence.expires_at).getTime() < Date.now() ? 'Expired ' : 'Expires '}
                          <time dateTime={d.licence.expires_at}>{formatDateTime(d.licence.expires_at, tz)}</time>
                        </div>
                      </td>
                      {manage && d.status === 'pending' && (
                        <td class="row-actions">
                          <a href="#pending-devices" class="small">
                            Waiting for approval
                          </a>
                        </td>
                      )}
                      {manage && d.status !== 'pending' && (
                        <td class="row-actions">
                          <button type="button" class="btn btn-small" onClick={() => setPending({ kind: 'edit', device: d })} aria-label={`Edit ${label}`}>
                            Edit
                          </button>
                          <button type="button" class="btn btn-small" onClick={() => setPending({ kind: 'rotate', device: d })} aria-label={`Rotate secret of ${label}`}>
                            Rotate secret
                          </button>
                          <button type="button" class="btn btn-small btn-danger" onClick={() => setPending({ kind: 'retire', device: d })} aria-label={`Retire ${label}`}>
                            Retire
                          </button>
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
      {pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="btn" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button type="button" class="btn" disabled={page >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      )}

      {manage && (
        <>
          <Dialog title="Register device" open={pending.kind === 'register'} onClose={close}>
            <RegisterForm
              workshopId={workshopId}
              pits={pits.data ?? []}
              onCancel={close}
              onDone={(res) => {
                list.reload();
                setFlash(null);
                setPending({ kind: 'secret', shown: shownSecret(`${res.device.uid} is registered`, res) });
              }}
            />
          </Dialog>

          <Dialog title="Edit device" open={pending.kind === 'edit'} onClose={close}>
            {pending.kind === 'edit' && (
              <EditForm
                device={pending.device}
                pits={pits.data ?? []}
                onCancel={close}
                onDone={(d) => {
                  list.reload();
                  setFlash(`${d.name || d.uid} was saved.`);
                  setPending({ kind: 'none' });
                }}
              />
            )}
          </Dialog>

          <ConfirmDialog
            title="Rotate secret"
            subject={pending.kind === 'rotate' ? pending.device : null}
            onClose={close}
            confirmLabel="Rotate secret"
            busyLabel="Rotating…"
            tone="primary"
            onConfirm={async (device) => {
              const res = await api.rotateDeviceSecret(device.uid);
              list.reload();
              setFlash(null);
              setPending({ kind: 'secret', shown: shownSecret(`New secret for ${res.device.uid}`, res) });
            }}
          >
            {(device) => (
              <p>
                <strong class="mono">{device.uid}</strong> gets a new secret. The current secret stops working at once: the device cannot connect until the new one
                is entered in its configuration.
              </p>
            )}
          </ConfirmDialog>

          <ConfirmDialog
            title="Retire device"
            subject={pending.kind === 'retire' ? pending.device : null}
            onClose={close}
            confirmLabel="Retire device"
            busyLabel="Retiring…"
            onConfirm={async (device) => {
              await api.retireDevice(device.uid);
              list.reload();
              setFlash(`${device.uid} was retired.`);
              setPending({ kind: 'none' });
              // The row (and the button that opened this) is gone; keep focus on the page.
              document.getElementById('main')?.focus();
            }}
          >
            {(device) => (
              <>
                <p>
                  <strong class="mono">{device.uid}</strong> is removed from the list and can no longer connect.
                </p>
                <p>Its readings and audit history are kept, and its uid stays reserved: it cannot be registered again, for this or any other device.</p>
              </>
            )}
          </ConfirmDialog>

          <SecretOnceDialog
            shown={pending.kind === 'secret' ? pending.shown : null}
            onClose={close}
            label="Device secret"
            testId="device-secret"
            hint="Only a hash is stored on the server, so nobody can look it up later."
            warning="It will not be shown again. Enter it in the device's configuration now; if it is lost, rotate the secret."
          />
        </>
      )}
    </>
  );
}

const REGISTER_FIELDS = ['kind', 'uid', 'parent_uid', 'radio_address', 'pit_id', 'name'] as const;

function RegisterForm({ workshopId, pits, onCancel, onDone }: { workshopId: number; pits: Pit[]; onCancel: () => void; onDone: (r: DeviceWithSecret) => void }) {
  const [form, setForm] = useState<RegistrationForm>({ kind: 'sensor_node', uid: '', gatewayUid: '', radioAddress: '', pitId: '', name: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLFormElement>(null);
  const [focusTick, setFocusTick] = useState(0);
  const outlet = form.kind === 'outlet';
  const gateways = useAsync(() => (outlet ? api.devices(workshopId, { kind: 'gateway', page_size: 100 }).then((r) => r.data) : Promise.resolve([] as Device[])), [workshopId, outlet]);
  const gatewayList = gateways.data ?? [];
  const set = (patch: Partial<RegistrationForm>) => setForm((f) => ({ ...f, ...patch }));
  const uid = derivedUid(form);

  // Pick the first gateway once they are known, so the derived uid can show at once.
  useEffect(() => {
    if (outlet && !form.gatewayUid && gatewayList[0]) set({ gatewayUid: gatewayList[0].uid });
  }, [outlet, gatewayList, form.gatewayUid]);

  // After a failed submit, move focus to the first field that needs attention.
  useEffect(() => {
    if (focusTick) ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusTick]);

  return (
    <form
      ref={ref}
      class="dialog-body"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const built = buildRegistration(form);
        setFormError(null);
        if (!built.ok) {
          setErrors(built.errors);
          setFocusTick((t) => t + 1);
          return;
        }
        setErrors({});
        setBusy(true);
        try {
          onDone(await api.createDevice(workshopId, built.body));
        } catch (err) {
          const { field, message } = splitError(err, REGISTER_FIELDS, describeError);
          // An outlet's uid is derived from the radio address, so a uid problem belongs there.
          const at = field === 'uid' && outlet ? 'radio_address' : field;
          if (at) {
            setErrors({ [at]: message });
            setFocusTick((t) => t + 1);
          } else setFormError(message);
        } finally {
          setBusy(false);
        }
      }}
    >
      {formError && <Alert tone="critical">{formError}</Alert>}
      <SelectField<DeviceKind>
        label="Kind"
        value={form.kind}
        error={errors.kind}
        onValue={(k) => {
          set({ kind: k });
          setErrors({});
        }}
        options={DEVICE_KINDS.map((k) => ({ value: k, label: kindLabel(k) }))}
      />
      {outlet ? (
        <>
          {gateways.status === 'loading' && !gateways.data && <Loading label="Loading gateways…" />}
          {gateways.status === 'error' && <ErrorState error={gateways.error} onRetry={gateways.reload} />}
          {gateways.data && gatewayList.length === 0 && <Alert tone="info">An outlet is paired with a gateway. Register the workshop's gateway first.</Alert>}
          {gatewayList.length > 0 && (
            <SelectField<string>
              label="Gateway"
              value={form.gatewayUid}
              error={errors.parent_uid}
              onValue={(v) => set({ gatewayUid: v })}
              options={gatewayList.map((g) => ({ value: g.uid, label: g.name ? `${g.name} (${g.uid})` : g.uid }))}
            />
          )}
          <TextField
            label="Radio address"
            inputMode="numeric"
            autoComplete="off"
            value={form.radioAddress}
            onValue={(v) => set({ radioAddress: v })}
            error={errors.radio_address}
            hint="1 to 254, as set on the outlet."
            required
          />
          <SelectField<'1' | '2'>
            label="Outlet type"
            value={form.radioProtocol ?? '2'}
            onValue={(v) => set({ radioProtocol: v })}
            options={[
              { value: '2', label: 'Sitewatch outlet' },
              { value: '1', label: 'Legacy PIC outlet (older radio frames)' },
            ]}
          />
          <p class="derived-uid" aria-live="polite" data-testid="derived-uid">
            Uid: {uid ? <strong class="mono">{uid}</strong> : <span class="muted">chosen from the gateway and radio address</span>}
          </p>
        </>
      ) : (
        <TextField
          label="Uid"
          value={form.uid}
          onValue={(v) => set({ uid: v })}
          error={errors.uid}
          hint="As printed on the device: letters, digits, dots, dashes or underscores."
          autoComplete="off"
          spellcheck={false}
          required
        />
      )}
      <SelectField<string>
        label="Pit (optional)"
        value={form.pitId}
        error={errors.pit_id}
        onValue={(v) => set({ pitId: v })}
        options={[{ value: '', label: 'No pit' }, ...pits.map((p) => ({ value: String(p.id), label: p.name }))]}
      />
      <TextField label="Name (optional)" value={form.name} onValue={(v) => set({ name: v })} error={errors.name} autoComplete="off" maxLength={100} />
      <p class="muted small">A secret for the device is generated and shown once.</p>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy || (outlet && gatewayList.length === 0)}>
          {busy ? 'Registering…' : 'Register'}
        </button>
      </div>
    </form>
  );
}

const EDIT_FIELDS = ['name', 'pit_id', 'status'] as const;

function EditForm({ device, pits, onCancel, onDone }: { device: Device; pits: Pit[]; onCancel: () => void; onDone: (d: Device) => void }) {
  const [name, setName] = useState(device.name ?? '');
  const [pitId, setPitId] = useState(device.pit_id != null ? String(device.pit_id) : '');
  const [status, setStatus] = useState<string>(device.status);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const settable = (SETTABLE_STATUSES as readonly string[]).includes(device.status);
  const statusOptions = [
    ...(settable ? [] : [{ value: device.status as string, label: `${deviceStatus(device.status).label} (set by the system)` }]),
    ...SETTABLE_STATUSES.map((s) => ({ value: s as string, label: deviceStatus(s).label })),
  ];

  return (
    <form
      class="dialog-body"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const body: UpdateDeviceBody = {};
        if (name.trim() !== (device.name ?? '')) body.name = name.trim();
        const pit = pitId ? Number(pitId) : null;
        if (pit !== (device.pit_id ?? null)) body.pit_id = pit;
        if (status !== device.status) body.status = status as UpdateDeviceBody['status'];
        if (name.trim().length > 100) {
          setErrors({ name: 'Use at most 100 characters.' });
          return;
        }
        if (Object.keys(body).length === 0) {
          onCancel();
          return;
        }
        setBusy(true);
        setErrors({});
        setFormError(null);
        try {
          onDone(await api.updateDevice(device.uid, body));
        } catch (err) {
          const { field, message } = splitError(err, EDIT_FIELDS, describeError);
          if (field) setErrors({ [field]: message });
          else setFormError(message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <p>
        <strong class="mono">{device.uid}</strong> · {kindLabel(device.kind)}
      </p>
      {formError && <Alert tone="critical">{formError}</Alert>}
      <TextField label="Name" value={name} onValue={setName} error={errors.name} autoComplete="off" maxLength={100} />
      <SelectField<string>
        label="Pit"
        value={pitId}
        error={errors.pit_id}
        onValue={setPitId}
        options={[{ value: '', label: 'No pit' }, ...pits.map((p) => ({ value: String(p.id), label: p.name }))]}
      />
      <SelectField<string>
        label="Status"
        value={status}
        error={errors.status}
        onValue={setStatus}
        hint="A disabled device cannot connect until it is set active again."
        options={statusOptions}
      />
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
