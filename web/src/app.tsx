import { useEffect, useState } from 'preact/hooks';
import type { User } from './api/types';
import { LiveIndicator } from './components/LiveIndicator';
import { EmptyState, ErrorState, Link, Loading } from './components/ui';
import { roleLabel } from './format';
import { AuditPage } from './pages/Audit';
import { ChangePasswordPage } from './pages/ChangePassword';
import { LoginPage } from './pages/Login';
import { OverviewPage } from './pages/Overview';
import { TeamPage } from './pages/Team';
import { WorkshopsPage } from './pages/Workshops';
import { session } from './services';
import { location, match, navigate, searchParams } from './state/router';
import { capabilities, homePath } from './state/session';
import { useStore } from './state/store';
import { invalidateWorkshops } from './state/workshops';

export function App() {
  const state = useStore(session.state);
  const path = useStore(location);

  useEffect(() => {
    if (state.kind === 'anonymous') {
      invalidateWorkshops();
      if (!path.startsWith('/login')) navigate('/login', { replace: true });
    }
    if (state.kind === 'active' && path.startsWith('/login')) {
      const next = new URLSearchParams(path.split('?')[1] ?? '').get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : homePath(state.user), { replace: true });
    }
  }, [state.kind, path]);

  useEffect(() => {
    const titles: Record<string, string> = { anonymous: 'Sign in', restoring: 'Loading' };
    if (titles[state.kind]) document.title = `${titles[state.kind]} · Sitewatch`;
  }, [state.kind]);

  if (state.kind === 'restoring') return <Loading label="Restoring your session…" />;
  if (state.kind === 'anonymous') return <LoginPage notice={state.notice} />;
  if (state.mustChangePassword) return <ChangePasswordPage user={state.user} forced />;
  return <Shell user={state.user} path={path} />;
}

function Shell({ user, path }: { user: User; path: string }) {
  const caps = capabilities(user.role);
  const nav: { href: string; label: string; active: boolean }[] = [];
  const ownOverview = user.workshop_id != null ? `/workshops/${user.workshop_id}` : null;
  if (ownOverview) nav.push({ href: ownOverview, label: 'Overview', active: path.startsWith(ownOverview) });
  if (caps.workshops) nav.push({ href: '/workshops', label: 'Workshops', active: path.startsWith('/workshops') });
  if (caps.outlets) nav.push({ href: '/outlets', label: 'Outlets', active: path.startsWith('/outlets') });
  if (caps.devices) nav.push({ href: '/devices', label: 'Devices', active: path.startsWith('/devices') });
  if (caps.team) nav.push({ href: '/team', label: 'Team', active: path.startsWith('/team') });
  if (caps.audit) nav.push({ href: '/audit', label: 'Audit log', active: path.startsWith('/audit') });

  const { page, title } = route(user, path);
  useEffect(() => {
    document.title = `${title} · Sitewatch`;
  }, [title]);

  return (
    <div class="shell">
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <Link href={homePath(user)} class="brand" aria-label="Sitewatch home">
          <span class="brand-mark" aria-hidden="true" />
          <span>Sitewatch</span>
        </Link>
        <nav class="mainnav" aria-label="Main">
          <ul>
            {nav.map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={n.active ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <LiveIndicator />
        <div class="usermenu">
          <Link href="/account/password" class="user-chip" title="Change password">
            <span class="user-name">{user.full_name || user.username}</span>
            <span class="user-role">{roleLabel(user.role)}</span>
          </Link>
          <button type="button" class="btn btn-ghost" onClick={() => void session.logout()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="content" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}

function route(user: User, path: string): { page: preact.ComponentChildren; title: string } {
  const caps = capabilities(user.role);
  if (match('/', path)) {
    return { page: <Redirect to={homePath(user)} />, title: 'Sitewatch' };
  }
  let p = match('/workshops/:id', path);
  if (p && /^\d+$/.test(p.id ?? '')) return { page: <OverviewPage key={p.id} workshopId={Number(p.id)} />, title: 'Overview' };
  if (match('/workshops', path)) {
    if (caps.workshops) return { page: <WorkshopsPage />, title: 'Workshops' };
    return { page: <Redirect to={homePath(user)} />, title: 'Sitewatch' };
  }
  if (match('/devices', path)) {
    return caps.devices ? { page: <Lazy key="devices" load={devicesPage} label="Loading devices…" render={(m) => <m.DevicesPage me={user} />} />, title: 'Devices' } : forbidden();
  }
  p = match('/devices/:uid', path);
  if (p) {
    if (!caps.devices) return forbidden();
    const uid = p.uid ?? '';
    return {
      page: <Lazy key="device" load={devicePage} label="Loading device…" render={(m) => <m.DevicePage key={uid} me={user} uid={uid} search={searchParams(path).toString()} />} />,
      title: uid,
    };
  }
  p = match('/pits/:id', path);
  if (p && /^\d+$/.test(p.id ?? '')) {
    if (!caps.devices) return forbidden();
    const id = Number(p.id);
    return { page: <Lazy key="pit" load={pitPage} label="Loading pit…" render={(m) => <m.PitPage key={id} pitId={id} />} />, title: 'Pit' };
  }
  if (match('/outlets', path)) {
    return caps.outlets ? { page: <Lazy key="outlets" load={outletsPage} label="Loading outlets…" render={(m) => <m.OutletsPage me={user} />} />, title: 'Outlets' } : forbidden();
  }
  if (match('/team', path)) return caps.team ? { page: <TeamPage me={user} />, title: 'Team' } : forbidden();
  if (match('/audit', path)) return caps.audit ? { page: <AuditPage me={user} />, title: 'Audit log' } : forbidden();
  if (match('/account/password', path)) {
    return { page: <ChangePasswordPage user={user} forced={false} onDone={() => navigate(homePath(user))} />, title: 'Change password' };
  }
  return {
    page: (
      <EmptyState title="Page not found">
        <p>
          There is nothing at this address. <Link href={homePath(user)}>Go to the start page</Link>.
        </p>
      </EmptyState>
    ),
    title: 'Not found',
  };
}

function forbidden() {
  return {
    page: <EmptyState title="Not available for your role">Ask your workshop owner if you need access.</EmptyState>,
    title: 'Not available',
  };
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return <Loading />;
}

/**
 * A page loaded on first visit, so that it does not weigh on the first page: the devices
 * registry, a device (charts), a pit (charts) and the outlets (charts). A failed load can be retried.
 */
function lazyModule<M>(load: () => Promise<M>): () => Promise<M> {
  let pending: Promise<M> | null = null;
  return () => {
    pending ??= load().catch((e: unknown) => {
      pending = null;
      throw e;
    });
    return pending;
  };
}

const devicesPage = lazyModule(() => import('./pages/Devices'));
const devicePage = lazyModule(() => import('./pages/Device'));
const pitPage = lazyModule(() => import('./pages/Pit'));
const outletsPage = lazyModule(() => import('./pages/Outlets'));

function Lazy<M>({ load, label, render }: { load: () => Promise<M>; label: string; render: (m: M) => preact.ComponentChildren }) {
  const [mod, setMod] = useState<M | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (m) => live && setMod(() => m),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [load, tick]);
  if (mod) return <>{render(mod)}</>;
  if (error) {
    return (
      <ErrorState
        error={error}
        onRetry={() => {
          setError(null);
          setTick((t) => t + 1);
        }}
      />
    );
  }
  return <Loading label={label} />;
}
