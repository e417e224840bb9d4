import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/errors';
import type { ApproveDeviceBody, Device, Pit, ProvisioningKey } from '../api/types';
import { ConfirmDialog, Dialog, SecretOnceDialog } from '../components/Dialog';
import { Alert, Badge, ErrorState, Loading, SelectField, TextField, useAsync } from '../components/ui';
import { kindLabel, splitError } from '../devices';
import { formatDateTime, formatRelative } from '../format';
import { api } from '../services';

/** The waiting list is checked again this often while the page is open (and visible). */
const POLL_MS = 20_000;

type Open =
  | { kind: 'none' }
  | { kind: 'approve'; device: Device }
  | { kind: 'reject'; device: Device }
  | { kind: 'key' }
  | { kind: 'key-shown'; key: ProvisioningKey };

/**
 * Devices that provisioned themselves (connected with the workshop's provisioning key and
 * announced their uid) and wait for an owner: approve (optionally naming it and choosing its
 * pit; its credentials go to the device over MQTT, never to this page) or reject. Owners also
 * create or rotate the provisioning key here. Staff see the waiting list without the actions.
 */
export function DeviceApprovals({
  workshopId,
  pits,
  manage,
  tz,
  onChanged,
}: {
  workshopId: number;
  pits: Pit[];
  manage: boolean;
  tz: string;
  onChanged: () => void;
}) {
  const list = useAsync(() => api.devices(workshopId, { status: 'pending', page_size: 100 }).then((r) => r.data), [workshopId]);
  const [open, setOpen] = useState<Open>({ kind: 'none' });
  const [flash, setFlash] = useState<{ tone: 'good' | 'warning'; text: string } | null>(null);
  const reload = list.reload;

  useEffect(() => {
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, POLL_MS);
    return () => clearInterval(t);
  }, [reload]);

  // A device that arrived (or left) since the last look is also in (or out of) the main list.
  const seen = useRef<string | null>(null);
  const uids = list.data ? list.data.map((d) => d.uid).join(',') : null;
  useEffect(() => {
    if (uids === null) return;
    if (seen.current !== null && seen.current !== uids) onChanged();
    seen.current = uids;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [uids]);

  const waiting = list.data ?? [];
  if (!manage && waiting.length === 0) return null;

  const close = () => setOpen({ kind: 'none' });

  return (
    <section class="panel approvals" id="pending-devices" aria-labelledby="pending-title" data-testid="pending-devices">
      <div class="section-head">
        <h2 id="pending-title" tabIndex={-1}>
          Waiting for approval{' '}
          {waiting.length > 0 && (
            <Badge tone="unknown">
              <span data-testid="pending-count">{waiting.length}</span>
            </Badge>
          )}
        </h2>
        <div class="section-actions">
          <button type="button" class="btn btn-small" onClick={reload} disabled={list.status === 'loading'}>
            Check for new devices
          </button>
          {manage && (
            <button type="button" class="btn btn-small" onClick={() => setOpen({ kind: 'key' })}>
              Provisioning key…
            </button>
          )}
        </div>
      </div>
      {flash && (
        <Alert tone={flash.tone}>
          <span data-testid="approval-flash">{flash.text}</span>
        </Alert>
      )}
      {list.status === 'error' && <ErrorState error={list.error} onRetry={reload} />}
      {list.status === 'loading' && !list.data && <Loading label="Loading devices waiting for approval…" />}
      {list.data && waiting.length === 0 && (
        <p class="muted" data-testid="no-pending">
          No device is waiting. A new device that connects with the workshop's provisioning key announces itself and appears here.
        </p>
      )}
      {waiting.length > 0 && (
        <ul class="approval-list" aria-label="Devices waiting for approval">
          {waiting.map((d) => (
            <li key={d.uid} class="approval-item" data-testid="pending-device" data-uid={d.uid}>
              <div class="approval-facts">
                <strong class="mono">{d.uid}</strong>
                <span class="muted small">
                  {kindLabel(d.kind)}
                  {d.firmware_version && ` · firmware ${d.firmware_version}`}
                  {d.created_at && (
                    <>
                      {' · announced '}
                      <time dateTime={d.created_at} title={formatDateTime(d.created_at, tz)}>
                        {formatRelative(d.created_at)}
                      </time>
                    </>
                  )}
                </span>
              </div>
              {manage && (
                <div class="row-actions">
                  <button type="button" class="btn btn-small btn-primary" aria-label={`Approve ${d.uid}`} onClick={() => setOpen({ kind: 'approve', device: d })}>
                    Approve…
                  </button>
                  <button type="button" class="btn btn-small btn-danger" aria-label={`Reject ${d.uid}`} onClick={() => setOpen({ kind: 'reject', device: d })}>
                    Reject…
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {!manage && <p class="muted small">The workshop owner approves or rejects them.</p>}

      {manage && (
        <>
          <Dialog title="Approve device" open={open.kind === 'approve'} onClose={close}>
            {open.kind === 'approve' && (
              <ApproveForm
                device={open.device}
                pits={pits}
                onCancel={close}
                onDone={(name, delivered) => {
                  setOpen({ kind: 'none' });
                  setFlash(
                    delivered
                      ? { tone: 'good', text: `${name} was approved and has received its credentials.` }
                      : {
                          tone: 'warning',
                          text: `${name} was approved, but it was not connected to receive its credentials. Rotate its secret and enter the new one in the device's configuration.`,
                        },
                  );
                  reload(); // the main list follows when the waiting list changes
                  document.getElementById('pending-title')?.focus();
                }}
              />
            )}
          </Dialog>

          <ConfirmDialog
            title="Reject device"
            subject={open.kind === 'reject' ? open.device : null}
            onClose={close}
            confirmLabel="Reject device"
            busyLabel="Rejecting…"
            onConfirm={async ({ uid }) => {
              await api.rejectDevice(uid);
              setOpen({ kind: 'none' });
              setFlash({ tone: 'good', text: `${uid} was rejected.` });
              reload();
              document.getElementById('pending-title')?.focus();
            }}
          >
            {(device) => (
              <>
                <p>
                  <strong class="mono">{device.uid}</strong> is removed from the waiting list and the device is told that it was rejected.
                </p>
                <p>It can announce itself again for as long as the provisioning key it used is valid; rotate the key to stop that.</p>
              </>
            )}
          </ConfirmDialog>

          <ConfirmDialog
            title="Provisioning key"
            subject={open.kind === 'key' ? workshopId : null}
            onClose={close}
            confirmLabel="Create new key"
            busyLabel="Creating…"
            tone="primary"
            onConfirm={async (id) => setOpen({ kind: 'key-shown', key: await api.rotateProvisioningKey(id) })}
          >
            {() => (
              <>
                <p>
                  A new device provisions itself by connecting to the MQTT broker with the workshop's provisioning key and its own uid as client id. It then waits
                  here until it is approved.
                </p>
                <p>
                  Creating a key replaces the previous one: devices already connected with it stay connected, new connections need the new key. The key is shown
                  once; only its hash is stored.
                </p>
              </>
            )}
          </ConfirmDialog>

          <SecretOnceDialog
            shown={
              open.kind === 'key-shown'
                ? {
                    title: 'New provisioning key',
                    secret: open.key.key,
                    facts: (
                      <>
                        MQTT username: <strong class="mono" data-testid="provisioning-username">{open.key.mqtt_username}</strong>
                        <br />
                        <span class="muted small">Created {formatDateTime(open.key.rotated_at, tz)}</span>
                      </>
                    ),
                  }
                : null
            }
            onClose={close}
            label="Provisioning key (MQTT password)"
            testId="provisioning-key"
            hint="Only a hash is stored on the server."
            warning="It will not be shown again. Enter it in the provisioning tool now; if it is lost, create a new one."
          />
        </>
      )}
    </section>
  );
}

const APPROVE_FIELDS = ['name', 'pit_id'] as const;

function ApproveForm({ device, pits, onCancel, onDone }: { device: Device; pits: Pit[]; onCancel: () => void; onDone: (name: string, delivered: boolean) => void }) {
  const [name, setName] = useState(device.name ?? '');
  const [pitId, setPitId] = useState('');
  const [errors, setErrors] = useState<Partial<Record<(typeof APPROVE_FIELDS)[number], string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="dialog-body"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const n = name.trim();
        if (n.length > 100) {
          setErrors({ name: 'Use at most 100 characters.' });
          return;
        }
        const body: ApproveDeviceBody = {};
        if (n) body.name = n;
        if (pitId) body.pit_id = Number(pitId);
        setBusy(true);
        setErrors({});
        setFormError(null);
        try {
          const res = await api.approveDevice(device.uid, body);
          onDone(res.device.name || res.device.uid, res.delivered);
        } catch (err) {
          const { field, message } = splitError(err, APPROVE_FIELDS, describeError);
          if (field) setErrors({ [field]: message });
          else setFormError(message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <p>
        <strong class="mono">{device.uid}</strong> · {kindLabel(device.kind)}
        {device.firmware_version && ` · firmware ${device.firmware_version}`}
      </p>
      <p>The device gets its own secret over its provisioning connection and joins the workshop with a trial licence.</p>
      {formError && <Alert tone="critical">{formError}</Alert>}
      <TextField label="Name (optional)" value={name} onValue={setName} error={errors.name} autoComplete="off" maxLength={100} />
      <SelectField<string>
        label="Pit (optional)"
        value={pitId}
        error={errors.pit_id}
        onValue={setPitId}
        options={[{ value: '', label: 'No pit' }, ...pits.map((p) => ({ value: String(p.id), label: p.name }))]}
      />
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? 'Approving…' : 'Approve'}
        </button>
      </div>
    </form>
  );
}
