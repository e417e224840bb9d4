// Starts a real `sitewatch serve` (port 0, temporary data dir) serving web/dist, seeds it
// through the REST API, and drives Debian's chromium through playwright-core.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(WEB, '..');
export const DIST = join(WEB, 'dist');
export const SHOTS = join(REPO, 'build', 'screenshots');
export const ADMIN_PASSWORD = 'Harness-Admin-Pw-42';
const BINARY = process.env.SITEWATCH_BIN ?? join(REPO, 'build', 'bin', 'sitewatch');
const run = promisify(execFile);

/**
 * Starts the server. With `{ demo: true }`, `sitewatch demo` seeds the data dir first (the demo
 * workshop, its devices and its logins, as `make run` does): `demo` holds the owner's and the
 * staff user's logins from its output, and `demoDevices` the devices' uids, secrets and kinds.
 */
export async function startServer({ demo = false } = {}) {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('web/dist is not built; run `npm run build` first');
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing; build the server first`);
  const dir = mkdtempSync(join(tmpdir(), 'sw-web-'));
  const data = join(dir, 'data');
  const ready = join(dir, 'ready.json');
  const log = [];
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: dir,
    SITEWATCH_INIT_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SITEWATCH_AUTH_ARGON2_MEMLIMIT_KIB: '8192',
    SITEWATCH_AUTH_ARGON2_OPSLIMIT: '1',
    SITEWATCH_AUTH_LOGIN_RATE_PER_MINUTE: '100000',
  };
  const seeded = demo ? await seedDemo(data, join(dir, 'demo-devices.txt'), env) : null;
  const child = spawn(
    BINARY,
    ['serve', '--data-dir', data, '--http-address', '127.0.0.1', '--http-port', '0', '--mqtt-port', '0', '--ready-file', ready, '--http-web-root', DIST],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  let exited = null;
  child.on('exit', (code, sig) => (exited = code ?? sig));
  const deadline = Date.now() + 30000;
  let port = 0;
  let mqttPort = 0;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`sitewatch exited during start-up (${exited}):\n${log.join('')}`);
    if (existsSync(ready)) {
      try {
        ({ http_port: port, mqtt_port: mqttPort } = JSON.parse(readFileSync(ready, 'utf8')));
        if (port) break;
      } catch {
        /* written but not complete yet */
      }
    }
    await delay(20);
  }
  if (!port) {
    child.kill('SIGKILL');
    throw new Error(`sitewatch did not become ready:\n${log.join('')}`);
  }
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    mqttPort,
    log,
    demo: seeded?.logins ?? null,
    demoDevices: seeded?.devices ?? null,
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        for (let i = 0; i < 200 && exited === null; i++) await delay(25);
        if (exited === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `sitewatch demo` on an empty data dir; its logins from what it prints ("owner  demo-owner / pw"). */
async function seedDemo(data, devicesFile, env) {
  const { stdout } = await run(BINARY, ['demo', '--data-dir', data, '--devices-file', devicesFile], { env, timeout: 30000 });
  const logins = {};
  for (const m of stdout.matchAll(/^(owner|staff)\s+(\S+) \/ (\S+)$/gm)) logins[m[1]] = { username: m[2], password: m[3] };
  assert.ok(logins.owner && logins.staff, `sitewatch demo printed no owner and staff logins:\n${stdout}`);
  const devices = readFileSync(devicesFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [uid, secret, kind] = line.split(' ');
      return { uid, secret, kind };
    });
  return { logins, devices };
}

/** A tiny REST client for seeding. */
export function rest(base) {
  async function call(method, path, token, body) {
    const res = await fetch(base + path, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!json.success) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json.error)}`);
    return json.data;
  }
  return {
    call,
    login: async (username, password) => (await call('POST', '/api/v1/auth/login', null, { username, password })).access_token,
  };
}

/**
 * Creates a user (as `adminToken`) and settles a temporary password, so that the test can sign
 * in with `cred` (whose password is updated when it had to change).
 */
export async function createUser(api, adminToken, cred, { role, workshop_id, full_name }) {
  await api.call('POST', '/api/v1/users', adminToken, { username: cred.username, password: cred.password, role, workshop_id, ...(full_name ? { full_name } : {}) });
  const t = await api.login(cred.username, cred.password);
  if ((await api.call('GET', '/api/v1/auth/me', t)).temporary_password) {
    const next = `${cred.password}x`;
    await api.call('POST', '/api/v1/auth/change-password', t, { current_password: cred.password, new_password: next });
    cred.password = next;
  }
  return cred;
}

/** Readings through the HTTP device API (HTTP Basic uid:secret), as a polling device sends them. */
export async function pushTelemetry(base, uid, secret, body) {
  const res = await fetch(`${base}/api/v1/device/telemetry`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${uid}:${secret}`).toString('base64')}` },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json.data;
}

/** Signs in through the login form. */
export async function login(page, base, { username, password }) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Polls a condition on the test's side (frames recorded by Playwright arrive asynchronously). */
export async function until(cond, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await delay(20);
  }
}

export function assertNoSeriousViolations(name, violations) {
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name}: axe found serious/critical violations:\n${JSON.stringify(bad, null, 2)}`);
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'sw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Records everything that counts as a broken page: console errors (CSP violations land here),
 * uncaught exceptions, failed requests and HTTP errors. `expect(...)` allows named API errors
 * a test provokes on purpose (a wrong password answers 401).
 */
export function watch(page) {
  const problems = [];
  const allowed = [];
  const isAllowed = (status, url) => allowed.some((a) => a.status === status && url.includes(a.path));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    const url = m.location()?.url ?? '';
    const st = /status of (\d{3})/.exec(text);
    if (st && isAllowed(Number(st[1]), url)) return;
    problems.push(`console error: ${text} (${url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (why.includes('ERR_ABORTED')) return; // navigation away while loading
    problems.push(`request failed: ${r.method()} ${r.url()} ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !isAllowed(r.status(), r.url())) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return {
    problems,
    allow(status, path) {
      allowed.push({ status, path });
    },
    reset() {
      problems.length = 0;
      allowed.length = 0;
    },
  };
}

export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

/**
 * Screenshots `name` at both sizes into build/screenshots/ and checks each: the element under
 * test is visible and inside the viewport, and at phone width nothing scrolls sideways
 * (also checked at 360 px, the narrowest supported width).
 */
export async function shoot(page, name, locator, assert) {
  mkdirSync(SHOTS, { recursive: true });
  const files = [];
  for (const vp of [...VIEWPORTS, { name: 'narrow', width: 360, height: 740 }]) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await locator.first().scrollIntoViewIfNeeded();
    await locator.first().waitFor({ state: 'visible' });
    const box = await locator.first().boundingBox();
    assert.ok(box, `${name}@${vp.name}: element has no box`);
    assert.ok(box.width > 0 && box.height > 0, `${name}@${vp.name}: element is empty`);
    // Horizontally wholly inside; vertically at least partly on screen (tall tables scroll).
    const inside = box.x >= 0 && box.x + box.width <= vp.width + 0.5 && box.y < vp.height && box.y + box.height > 0;
    assert.ok(inside, `${name}@${vp.name}: element outside the viewport ${JSON.stringify(box)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (vp.width < 500) assert.ok(overflow <= 0, `${name}@${vp.name}: page scrolls sideways by ${overflow}px`);
    if (vp.name === 'narrow') continue;
    const file = join(SHOTS, `${name}-${vp.width}x${vp.height}.png`);
    await page.screenshot({ path: file });
    assert.ok(existsSync(file) && readFileSync(file).length > 1000, `${file} was not written`);
    files.push(file);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  return files;
}

const AXE = readFileSync(join(WEB, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** axe-core on the current page (evaluated through DevTools, so the page's CSP stays strict). */
export async function axe(page) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!has) await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return result;
}
