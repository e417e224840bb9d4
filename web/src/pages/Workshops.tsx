import { useMemo, useState } from 'preact/hooks';
import type { Workshop } from '../api/types';
import { ConfirmDialog, Dialog, useAction } from '../components/Dialog';
import { Alert, Badge, EmptyState, ErrorState, Link, Loading, PageHeader, TextField, useAsync } from '../components/ui';
import { formatDateTime } from '../format';
import { api } from '../services';
import { invalidateWorkshops } from '../state/workshops';

const PAGE_SIZE = 25;

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
}

export function WorkshopsPage() {
  const [page, setPage] = useState(1);
  const list = useAsync(() => api.workshops({ page, page_size: PAGE_SIZE }), [page]);
  const [dialog, setDialog] = useState<'none' | 'create' | Workshop>('none');
  const { busy, error, run, clearError } = useAction();
  const [flash, setFlash] = useState<string | null>(null);
  const pages = Math.max(1, Math.ceil((list.data?.meta?.total ?? 0) / PAGE_SIZE));
  const close = () => {
    setDialog('none');
    clearError();
  };
  const changed = () => {
    invalidateWorkshops();
    list.reload();
  };

  return (
    <>
      <PageHeader
        title="Workshops"
        subtitle="Every tenant on this Sitewatch server"
        actions={<button type="button" class="btn btn-primary" onClick={() => setDialog('create')}>New workshop</button>}
      />
      {flash && <Alert tone="good">{flash}</Alert>}
      {list.status === 'loading' && !list.data && <Loading label="Loading workshops…" />}
      {list.status === 'error' && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.data && list.data.data.length === 0 && <EmptyState title="No workshops yet">Create the first workshop, then its owner.</EmptyState>}
      {list.data && list.data.data.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Workshops">
            <thead>
              <tr>
                <th scope="col">Workshop</th>
                <th scope="col">Time zone</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((w) => (
                <tr key={w.id} data-testid="workshop-row">
                  <td data-label="Workshop">
                    <Link href={`/workshops/${w.id}`}><strong>{w.name}</strong></Link>
                    <div class="muted small mono">{w.slug}</div>
                  </td>
                  <td data-label="Time zone">{w.timezone}</td>
                  <td data-label="Status">{w.active ? <Badge tone="good">Active</Badge> : <Badge tone="offline">Deactivated</Badge>}</td>
                  <td data-label="Created">{formatDateTime(w.created_at, w.timezone)}</td>
                  <td class="row-actions">
                    {w.active && (
                      <button type="button" class="btn btn-small btn-danger" onClick={() => setDialog(w)} aria-label={`Deactivate ${w.name}`}>
                        Deactivate
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="btn" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</button>
          <span>Page {page} of {pages}</span>
          <button type="button" class="btn" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</button>
        </nav>
      )}
      <Dialog title="New workshop" open={dialog === 'create'} onClose={close}>
        <CreateWorkshopForm
          busy={busy}
          error={error}
          onCancel={close}
          onSubmit={(b) =>
            run(async () => {
              const w = await api.createWorkshop(b);
              changed();
              setFlash(`${w.name} was created.`);
              setDialog('none');
            })
          }
        />
      </Dialog>
      <ConfirmDialog
        title="Deactivate workshop"
        subject={typeof dialog === 'object' ? dialog : null}
        onClose={close}
        confirmLabel="Deactivate"
        busyLabel="Deactivating…"
        onConfirm={async (w) => {
          await api.deactivateWorkshop(w.id);
          changed();
          setFlash(`${w.name} was deactivated.`);
          setDialog('none');
        }}
      >
        {(w) => (
          <p>
            <strong>{w.name}</strong> is switched off: its users can no longer work in it. Its data is kept.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}

function CreateWorkshopForm({
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  busy: boolean;
  error: string | null;
  onSubmit: (b: { name: string; timezone: string; address?: string; phone?: string; email?: string }) => void;
  onCancel: () => void;
}) {
  const zones = useMemo(timeZones, []);
  const [name, setName] = useState('');
  const [tz, setTz] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [address, setAddress] = useState('');
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  const [errs, setErrs] = useState<{ name?: string; tz?: string }>({});
  return (
    <form
      class="dialog-body"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const v: { name?: string; tz?: string } = {};
        if (!name.trim()) v.name = 'Enter the workshop name.';
        if (!zones.includes(tz) && tz !== 'UTC') v.tz = 'Choose a time zone from the list, e.g. Europe/Berlin.';
        setErrs(v);
        if (v.name || v.tz) return;
        onSubmit({
          name: name.trim(),
          timezone: tz,
          ...(address.trim() ? { address: address.trim() } : {}),
          ...(phone.trim() ? { phone: phone.trim() } : {}),
          ...(email.trim() ? { email: email.trim() } : {}),
        });
      }}
    >
      {error && <Alert tone="critical">{error}</Alert>}
      <TextField label="Name" value={name} onValue={setName} error={errs.name} required />
      <TextField label="Time zone" value={tz} onValue={setTz} error={errs.tz} list="tz-list" hint="Schedules, reports and times are shown in this zone." />
      <datalist id="tz-list">
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <TextField label="Address" value={address} onValue={setAddress} />
      <TextField label="Phone" type="tel" value={phone} onValue={setPhone} />
      <TextField label="E-mail" type="email" value={email} onValue={setEmail} />
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? 'Creating…' : 'Create workshop'}</button>
      </div>
    </form>
  );
}
