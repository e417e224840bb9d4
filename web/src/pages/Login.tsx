import { useState } from 'preact/hooks';
import { ApiError, describeError } from '../api/errors';
import { Alert, TextField } from '../components/ui';
import { session } from '../services';

export function loginErrorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'INVALID_CREDENTIALS' || e.code === 'ACCOUNT_DISABLED') return 'The username or password is incorrect.';
    if (e.code === 'ACCOUNT_LOCKED') {
      return 'Too many failed attempts: sign-in to this account is locked for a while. Try again later, or ask your workshop owner to reset your password.';
    }
    if (e.code === 'RATE_LIMITED') return 'Too many sign-in attempts from this network. Wait a minute and try again.';
    if (e.code === 'VALIDATION_ERROR') return 'Enter your username and password.';
  }
  return describeError(e);
}

export function LoginPage({ notice }: { notice: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await session.login(username.trim(), password);
    } catch (err) {
      setError(loginErrorMessage(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth-page" id="main">
      <form class="auth-card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <div class="brand brand-lg">
          <span class="brand-mark" aria-hidden="true" />
          Sitewatch
        </div>
        <h1 id="login-title">Sign in</h1>
        <p class="muted">Workshop monitoring console</p>
        {notice && !error && <Alert tone="info">{notice}</Alert>}
        {error && <Alert tone="critical">{error}</Alert>}
        <TextField label="Username" name="username" autoComplete="username" value={username} onValue={setUsername} required autoFocus />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" value={password} onValue={setPassword} required />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
