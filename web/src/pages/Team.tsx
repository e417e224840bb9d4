import { useState } from 'preact/hooks';
import type { Role, User, Workshop } from '../api/types';
import { ConfirmDialog, Dialog, SecretOnceDialog, useAction, type ShownSecret } from '../components/Dialog';
import { Alert, Badge, EmptyState, ErrorState, Loading, PageHeader, SelectField, TextField, useAsync } from '../components/ui';
import { formatDateTime, formatRelative, roleLabel } from '../format';
import { api } from '../services';
import { creatableRoles } from '../state/session';
import { IntegrationsSection } from './Integrations';
import { workshopMap } from '../state/workshops';

const PAGE_SIZE = 25;

type Pending =
  | { kind: 'none' }
  | { kind: 'create' }
  | { kind: 'reset'; user: User }
  | { kind: 'deactivate'; user: User }
  | { kind: 'secret'; shown: ShownSecret };

/** The dialog's contents for a new user's or a reset temporary password. */
function shownPassword(title: string, user: User, password: string): ShownSecret {
  return {
    title,
    secret: password,
    facts: (
      <>
        Username: <strong class="mono">{user.username}</strong>
      </>
    ),
  };
}

export function TeamPage({ me }: { me: User }) {
  const [page, setPage] = useState(1);
  const [role, setRole] = useState<Role | ''>('');
  const list = useAsync(() => api.users({ page, page_size: PAGE_SIZE, role: role || undefined }), [page, role]);
  const workshops = useAsync<Map<number, Workshop>>(() => workshopMap(), []);
  const [pending, setPending] = useState<Pending>({ kind: 'none' });
  const { busy, error: actionError, run, clearError } = useAction();
  const [flash, setFlash] = useState<string | null>(null);
  const total = list.data?.meta?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const tzOf = (u: User) => (u.workshop_id != null ? workshops.data?.get(u.workshop_id)?.timezone : undefined) ?? 'UTC';

  const close = () => {
    setPending({ kind: 'none' });
    clearError();
  };

  return (
    <>
      <PageHeader
        title="Team"
        subtitle={me.role === 'owner' ? 'Staff and customer accounts of your workshop' : 'Accounts on every workshop'}
        actions={
          <button type="button" class="btn btn-primary" onClick={() => setPending({ kind: 'create' })}>
            Add user
          </button>
        }
      />
      {flash && <Alert tone="good">{flash}</Alert>}
      <div class="toolbar">
        <SelectField<Role | ''>
          label="Role"
          value={role}
          onValue={(v) => {
            setRole(v);
            setPage(1);
          }}
          options={[{ value: '', label: 'All roles' }, ...(['super_admin', 'owner', 'staff', 'customer'] as Role[]).map((r) => ({ value: r, label: roleLabel(r) }))]}
        />
      </div>
      {list.status === 'loading' && !list.data && <Loading label="Loading users…" />}
      {list.status === 'error' && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.data && list.data.data.length === 0 && <EmptyState title="No users here">Add a user to give them access.</EmptyState>}
      {list.data && list.data.data.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                {me.role === 'super_admin' && <th scope="col">Workshop</th>}
                <th scope="col">Status</th>
                <th scope="col">Last sign-in</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((u) => (
                <tr key={u.id} data-testid="user-row">
                  <td data-label="User">
                    <strong>{u.full_name || u.username}</strong>
                    <div class="muted small">{u.username}{u.email ? ` · ${u.email}` : ''}</div>
                  </td>
                  <td data-label="Role">{roleLabel(u.role)}</td>
                  {me.role === 'super_admin' && (
                    <td data-label="Workshop">{u.workshop_id != null ? workshops.data?.get(u.workshop_id)?.name ?? `#${u.workshop_id}` : '—'}</td>
                  )}
                  <td data-label="Status">
                    {!u.active ? (
                      <Badge tone="offline">Deactivated</Badge>
                    ) : u.locked ? (
                      <Badge tone="critical">Locked</Badge>
                    ) : u.temporary_password ? (
                      <Badge tone="warning">Temporary password</Badge>
                    ) : (
                      <Badge tone="good">Active</Badge>
                    )}
                  </td>
                  <td data-label="Last sign-in">
                    {u.last_login ? <time dateTime={u.last_login} title={formatDateTime(u.last_login, tzOf(u))}>{formatRelative(u.last_login)}</time> : 'Never'}
                  </td>
                  <td class="row-actions">
                    {u.id !== me.id && u.active && u.role !== 'super_admin' && (
                      <>
                        <button type="button" class="btn btn-small" onClick={() => setPending({ kind: 'reset', user: u })} aria-label={`Reset password of ${u.username}`}>
                          Reset password
                        </button>
                        <button type="button" class="btn btn-small btn-danger" onClick={() => setPending({ kind: 'deactivate', user: u })} aria-label={`Deactivate ${u.username}`}>
                          Deactivate
                        </button>
                      </>
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

      <Dialog title="Add user" open={pending.kind === 'create'} onClose={close}>
        <CreateUserForm
          me={me}
          workshops={[...(workshops.data?.values() ?? [])]}
          busy={busy}
          error={actionError}
          onCancel={close}
          onSubmit={(body) =>
            run(async () => {
              const created = await api.createUser(body);
              list.reload();
              setFlash(null);
              if (created.temporary_password) setPending({ kind: 'secret', shown: shownPassword(`${created.user.username} was created`, created.user, created.temporary_password) });
              else {
                setPending({ kind: 'none' });
                setFlash(`${created.user.username} was created.`);
              }
            })
          }
        />
      </Dialog>

      <ConfirmDialog
        title="Reset password"
        subject={pending.kind === 'reset' ? pending.user : null}
        onClose={close}
        confirmLabel="Reset password"
        busyLabel="Resetting…"
        tone="primary"
        onConfirm={async (user) => {
          const res = await api.resetPassword(user.id);
          list.reload();
          setPending(res.temporary_password ? { kind: 'secret', shown: shownPassword(`New password for ${res.user.username}`, res.user, res.temporary_password) } : { kind: 'none' });
        }}
      >
        {(user) => (
          <p>
            <strong>{user.username}</strong> gets a new temporary password and is signed out everywhere. They must choose their own password at the next sign-in.
          </p>
        )}
      </ConfirmDialog>

      <ConfirmDialog
        title="Deactivate user"
        subject={pending.kind === 'deactivate' ? pending.user : null}
        onClose={close}
        confirmLabel="Deactivate"
        busyLabel="Deactivating…"
        onConfirm={async (user) => {
          await api.deactivateUser(user.id);
          list.reload();
          setFlash(`${user.username} was deactivated.`);
          setPending({ kind: 'none' });
        }}
      >
        {(user) => (
          <p>
            <strong>{user.username}</strong> can no longer sign in, and their open sessions end. Their history stays in the audit log.
          </p>
        )}
      </ConfirmDialog>

      <SecretOnceDialog
        shown={pending.kind === 'secret' ? pending.shown : null}
        onClose={close}
        label="Temporary password"
        testId="temporary-password"
        hint="It is shown only now. Hand it over in person; it must be changed at first sign-in."
      />

      {me.role === 'owner' && me.workshop_id != null && <IntegrationsSection workshopId={me.workshop_id} />}
    </>
  );
}

function CreateUserForm({
  me,
  workshops,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  me: User;
  workshops: Workshop[];
  busy: boolean;
  error: string | null;
  onSubmit: (b: { username: string; role: Role; full_name?: string; email?: string; workshop_id?: number }) => void;
  onCancel: () => void;
}) {
  const roles = creatableRoles(me.role);
  const [username, setUsername] = useState('');
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>(roles[0] ?? 'staff');
  const [workshopId, setWorkshopId] = useState<string>(String(workshops[0]?.id ?? ''));
  const [invalid, setInvalid] = useState<string | undefined>();
  const needsWorkshop = me.role === 'super_admin' && role !== 'super_admin';

  return (
    <form
      class="dialog-body"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!/^[A-Za-z0-9._-]{3,64}$/.test(username.trim())) {
          setInvalid('3 to 64 letters, digits, dots, dashes or underscores.');
          return;
        }
        setInvalid(undefined);
        onSubmit({
          username: username.trim(),
          role,
          ...(fullName.trim() ? { full_name: fullName.trim() } : {}),
          ...(email.trim() ? { email: email.trim() } : {}),
          ...(needsWorkshop && workshopId ? { workshop_id: Number(workshopId) } : {}),
        });
      }}
    >
      {error && <Alert tone="critical">{error}</Alert>}
      <TextField label="Username" value={username} onValue={setUsername} error={invalid} autoComplete="off" required />
      <TextField label="Full name" value={fullName} onValue={setFullName} autoComplete="off" />
      <TextField label="E-mail" type="email" value={email} onValue={setEmail} autoComplete="off" />
      <SelectField<Role> label="Role" value={role} onValue={setRole} options={roles.map((r) => ({ value: r, label: roleLabel(r) }))} />
      {needsWorkshop && (
        <SelectField<string> label="Workshop" value={workshopId} onValue={setWorkshopId} options={workshops.map((w) => ({ value: String(w.id), label: w.name }))} />
      )}
      <p class="muted small">A temporary password is generated and shown once.</p>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? 'Creating…' : 'Create user'}</button>
      </div>
    </form>
  );
}
