import { useState } from 'preact/hooks';
import type { Integration } from '../api/types';
import { ConfirmDialog, Dialog, SecretOnceDialog, useAction, type ShownSecret } from '../components/Dialog';
import { Alert, Badge, EmptyState, ErrorState, Loading, SelectField, TextField, useAsync } from '../components/ui';
import { formatRelative } from '../format';
import { accessLabel, integrationNameError, integrationTopics, type IntegrationAccess } from '../integrations';
import { api } from '../services';

type Pending =
  | { kind: 'none' }
  | { kind: 'create' }
  | { kind: 'delete'; integration: Integration }
  | { kind: 'secret'; shown: ShownSecret };

/** The dialog's contents for a created or rotated integration. */
function shownSecret(title: string, integration: Integration, secret: string): ShownSecret {
  return {
    title,
    secret,
    facts: (
      <>
        MQTT username: <strong class="mono">{integration.username}</strong>
      </>
    ),
  };
}

/** MQTT integration accounts of one workshop (Home Assistant, Node-RED, mosquitto_sub). */
export function IntegrationsSection({ workshopId }: { workshopId: number }) {
  const list = useAsync(() => api.integrations(workshopId), [workshopId]);
  const [pending, setPending] = useState<Pending>({ kind: 'none' });
  const { busy, error, run, clearError } = useAction();
  const [name, setName] = useState('');
  const [access, setAccess] = useState<IntegrationAccess>('read');
  const [invalid, setInvalid] = useState<string | undefined>();
  const close = () => {
    setPending({ kind: 'none' });
    clearError();
  };

  return (
    <section class="panel" aria-labelledby="integrations-title">
      <div class="toolbar">
        <h2 id="integrations-title">MQTT integrations</h2>
        <button type="button" class="btn" onClick={() => setPending({ kind: 'create' })}>
          Add integration
        </button>
      </div>
      <p class="muted small">Accounts for Home Assistant, Node-RED or mosquitto_sub on this server's MQTT port; they see this workshop's devices only.</p>
      {error && pending.kind === 'none' && <Alert tone="critical">{error}</Alert>}
      {list.status === 'loading' && !list.data && <Loading label="Loading integrations…" />}
      {list.status === 'error' && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.data && list.data.length === 0 && <EmptyState title="No integrations">Add one to connect Home Assistant or Node-RED.</EmptyState>}
      {list.data && list.data.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Integrations">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Access</th>
                <th scope="col">Status</th>
                <th scope="col">Secret</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((i) => (
                <tr key={i.id} data-testid="integration-row">
                  <td data-label="Name">
                    <strong>{i.name}</strong>
                    <div class="muted small mono">{i.username}</div>
                  </td>
                  <td data-label="Access">{accessLabel(i.access)}</td>
                  <td data-label="Status">{i.enabled ? <Badge tone="good">Enabled</Badge> : <Badge tone="offline">Disabled</Badge>}</td>
                  <td data-label="Secret">rotated {formatRelative(i.secret_rotated_at)}</td>
                  <td class="row-actions">
                    <button
                      type="button"
                      class="btn btn-small"
                      disabled={busy}
                      aria-label={`${i.enabled ? 'Disable' : 'Enable'} ${i.name}`}
                      onClick={() => run(async () => { await api.updateIntegration(i.id, { enabled: !i.enabled }); list.reload(); })}
                    >
                      {i.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button
                      type="button"
                      class="btn btn-small"
                      disabled={busy}
                      aria-label={`Rotate secret of ${i.name}`}
                      onClick={() =>
                        run(async () => {
                          const res = await api.rotateIntegrationSecret(i.id);
                          list.reload();
                          setPending({ kind: 'secret', shown: shownSecret(`New secret for ${res.integration.name}`, res.integration, res.secret) });
                        })
                      }
                    >
                      Rotate secret
                    </button>
                    <button type="button" class="btn btn-small btn-danger" onClick={() => setPending({ kind: 'delete', integration: i })} aria-label={`Delete ${i.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <Dialog title="Add integration" open={pending.kind === 'create'} onClose={close}>
        <form
          class="dialog-body"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const why = integrationNameError(name);
            setInvalid(why);
            if (why) return;
            run(async () => {
              const created = await api.createIntegration(workshopId, { name: name.trim(), access });
              list.reload();
              setName('');
              setPending({ kind: 'secret', shown: shownSecret(`${created.integration.name} was created`, created.integration, created.secret) });
            });
          }}
        >
          {error && <Alert tone="critical">{error}</Alert>}
          <TextField label="Name" value={name} onValue={setName} error={invalid} autoComplete="off" required />
          <SelectField<IntegrationAccess>
            label="Access"
            value={access}
            onValue={setAccess}
            options={(['read', 'read_write'] as IntegrationAccess[]).map((a) => ({ value: a, label: accessLabel(a) }))}
          />
          <p class="muted small">Topics: {integrationTopics(access).join(', ')}</p>
          <div class="dialog-actions">
            <button type="button" class="btn" onClick={close}>Cancel</button>
            <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? 'Creating…' : 'Create integration'}</button>
          </div>
        </form>
      </Dialog>

      <ConfirmDialog
        title="Delete integration"
        subject={pending.kind === 'delete' ? pending.integration : null}
        onClose={close}
        confirmLabel="Delete"
        busyLabel="Deleting…"
        onConfirm={async (integration) => {
          await api.deleteIntegration(integration.id);
          list.reload();
          setPending({ kind: 'none' });
        }}
      >
        {(integration) => (
          <p>
            <strong>{integration.name}</strong> is disconnected now and can no longer log in.
          </p>
        )}
      </ConfirmDialog>

      <SecretOnceDialog
        shown={pending.kind === 'secret' ? pending.shown : null}
        onClose={close}
        label="MQTT password"
        testId="integration-secret"
        hint="It is shown only now. Paste it into the integration's MQTT settings."
      />
    </section>
  );
}
