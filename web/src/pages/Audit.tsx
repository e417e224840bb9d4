import { useState } from 'preact/hooks';
import type { AuditEntry, AuditQuery, User, Workshop } from '../api/types';
import { EmptyState, ErrorState, Loading, PageHeader, SelectField, TextField, useAsync } from '../components/ui';
import { actionLabel, formatDateTime, safeTimeZone, zonedToUtcIso } from '../format';
import { api } from '../services';
import { workshopMap } from '../state/workshops';

const PAGE_SIZE = 50;

interface Filters {
  action: string;
  resource_type: string;
  from: string;
  to: string;
  workshop: string;
}
const EMPTY: Filters = { action: '', resource_type: '', from: '', to: '', workshop: '' };

export function auditQuery(f: Filters, tz: string, page: number): AuditQuery {
  return {
    page,
    page_size: PAGE_SIZE,
    action: f.action.trim() || undefined,
    resource_type: f.resource_type || undefined,
    from: f.from ? zonedToUtcIso(f.from, tz) ?? undefined : undefined,
    to: f.to ? zonedToUtcIso(f.to, tz) ?? undefined : undefined,
    workshop_id: f.workshop ? Number(f.workshop) : undefined,
  };
}

/** Before/after may arrive as JSON or as JSON text. */
export function pretty(v: unknown): string {
  if (v == null || v === '') return '—';
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2);
}

export function AuditPage({ me }: { me: User }) {
  const workshops = useAsync<Map<number, Workshop>>(() => workshopMap(), []);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const ownTz = me.workshop_id != null ? workshops.data?.get(me.workshop_id)?.timezone : undefined;
  const filterTz = safeTimeZone(applied.workshop ? workshops.data?.get(Number(applied.workshop))?.timezone : ownTz ?? 'UTC');
  const list = useAsync(() => api.audit(auditQuery(applied, filterTz, page)), [applied, page, filterTz]);
  const pages = Math.max(1, Math.ceil((list.data?.meta?.total ?? 0) / PAGE_SIZE));
  const tzOf = (e: AuditEntry) => safeTimeZone((e.workshop_id != null ? workshops.data?.get(e.workshop_id)?.timezone : undefined) ?? ownTz ?? 'UTC');
  const set = (k: keyof Filters) => (v: string) => setDraft({ ...draft, [k]: v });

  return (
    <>
      <PageHeader title="Audit log" subtitle={`Every change, who made it and from where · filter times in ${filterTz}`} />
      <form
        class="filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setApplied(draft);
        }}
      >
        <TextField label="Action" value={draft.action} onValue={set('action')} placeholder="e.g. user.create" />
        <SelectField<string>
          label="Resource"
          value={draft.resource_type}
          onValue={set('resource_type')}
          options={[
            { value: '', label: 'Any' },
            { value: 'user', label: 'User' },
            { value: 'workshop', label: 'Workshop' },
            { value: 'pit', label: 'Pit' },
            { value: 'session', label: 'Session' },
          ]}
        />
        {me.role === 'super_admin' && (
          <SelectField<string>
            label="Workshop"
            value={draft.workshop}
            onValue={set('workshop')}
            options={[{ value: '', label: 'All' }, ...[...(workshops.data?.values() ?? [])].map((w) => ({ value: String(w.id), label: w.name }))]}
          />
        )}
        <TextField label="From" type="datetime-local" value={draft.from} onValue={set('from')} />
        <TextField label="To" type="datetime-local" value={draft.to} onValue={set('to')} />
        <div class="filters-actions">
          <button type="submit" class="btn btn-primary">Apply</button>
          <button
            type="button"
            class="btn btn-ghost"
            onClick={() => {
              setDraft(EMPTY);
              setApplied(EMPTY);
              setPage(1);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {list.status === 'loading' && !list.data && <Loading label="Loading the audit log…" />}
      {list.status === 'error' && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.data && list.data.data.length === 0 && <EmptyState title="No entries">Nothing matches these filters.</EmptyState>}
      {list.data && list.data.data.length > 0 && (
        <ol class="audit-list" aria-label="Audit entries">
          {list.data.data.map((e) => (
            <li key={e.id} class="audit-item" data-testid="audit-row">
              <div class="audit-main">
                <time dateTime={e.at}>{formatDateTime(e.at, tzOf(e), true)}</time>
                <span class="audit-action">{actionLabel(e.action)}</span>
                <span class="muted">
                  {e.resource_type} <span class="mono">{e.resource_id}</span>
                </span>
                <span>
                  by <strong>{e.actor_name || (e.actor_id != null ? `#${e.actor_id}` : 'system')}</strong>
                  {e.ip && <span class="muted"> from {e.ip}</span>}
                </span>
              </div>
              {(e.before != null || e.after != null) && (
                <details class="audit-details">
                  <summary>Changes</summary>
                  <div class="audit-diff">
                    <div>
                      <h4>Before</h4>
                      <pre>{pretty(e.before)}</pre>
                    </div>
                    <div>
                      <h4>After</h4>
                      <pre>{pretty(e.after)}</pre>
                    </div>
                  </div>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
      {pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="btn" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</button>
          <span>Page {page} of {pages}</span>
          <button type="button" class="btn" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</button>
        </nav>
      )}
    </>
  );
}
