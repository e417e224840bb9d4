import { useState } from 'preact/hooks';
import { ApiError, describeError } from '../api/errors';
import type { User } from '../api/types';
import { Alert, TextField } from '../components/ui';
import { session } from '../services';

export const MIN_PASSWORD = 10;

export function validateNewPassword(current: string, next: string, confirm: string, username: string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!current) errors.current = 'Enter your current password.';
  if (next.length < MIN_PASSWORD) errors.next = `Use at least ${MIN_PASSWORD} characters.`;
  else if (next === current) errors.next = 'The new password must differ from the current one.';
  else if (next.toLowerCase() === username.toLowerCase()) errors.next = 'The password must not be your username.';
  if (!errors.next && confirm !== next) errors.confirm = 'The passwords do not match.';
  return errors;
}

export function ChangePasswordPage({ user, forced, onDone }: { user: User; forced: boolean; onDone?: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const v = validateNewPassword(current, next, confirm, user.username);
    setErrors(v);
    setFormError(null);
    if (Object.keys(v).length) return;
    setBusy(true);
    try {
      await session.changePassword(current, next);
      onDone?.();
    } catch (err) {
      if (err instanceof ApiError && err.field === 'current_password') setErrors({ current: 'The current password is wrong.' });
      else if (err instanceof ApiError && err.field === 'new_password') setErrors({ next: describeError(err) });
      else setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const form = (
      <form class="auth-card" onSubmit={submit} noValidate aria-labelledby="cp-title">
        {forced && (
          <div class="brand brand-lg">
            <span class="brand-mark" aria-hidden="true" />
            Sitewatch
          </div>
        )}
        <h1 id="cp-title">{forced ? 'Choose your password' : 'Change password'}</h1>
        {forced && (
          <Alert tone="warning">
            You signed in with a temporary password. Choose your own password to continue, {user.full_name || user.username}.
          </Alert>
        )}
        {formError && <Alert tone="critical">{formError}</Alert>}
        <TextField label={forced ? 'Temporary password' : 'Current password'} type="password" autoComplete="current-password" value={current} onValue={setCurrent} error={errors.current} />
        <TextField label="New password" type="password" autoComplete="new-password" value={next} onValue={setNext} error={errors.next} hint={`At least ${MIN_PASSWORD} characters; not your username or a common password.`} />
        <TextField label="Repeat new password" type="password" autoComplete="new-password" value={confirm} onValue={setConfirm} error={errors.confirm} />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Saving…' : 'Save password'}
        </button>
        {forced && (
          <button type="button" class="btn btn-ghost btn-block" onClick={() => void session.logout()}>
            Sign out
          </button>
        )}
      </form>
  );
  // Forced: a page of its own; voluntary: inside the shell's <main>.
  return forced ? (
    <main class="auth-page" id="main">
      {form}
    </main>
  ) : (
    <div class="auth-embedded">{form}</div>
  );
}
