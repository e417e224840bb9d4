import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, assertNoSeriousViolations, axe, createUser, launchBrowser, login, rest, shoot, startServer, watch } from './harness.mjs';

const OWNER_A = { username: 'owner-north', password: 'North-Owner-Pw-1' };
const OWNER_B = { username: 'owner-south', password: 'South-Owner-Pw-2' };
const PITS_A = ['Bay Alpha', 'Bay Bravo', 'Paint Booth'];
const PITS_B = ['Secret Bay South'];

let server;
let browser;
let seed;

async function seedData(base) {
  const api = rest(base);
  const admin = await api.login('admin', ADMIN_PASSWORD);
  const a = await api.call('POST', '/api/v1/workshops', admin, { name: 'North Garage PPF', timezone: 'Asia/Kolkata' });
  const b = await api.call('POST', '/api/v1/workshops', admin, { name: 'South Detailing', timezone: 'Europe/Berlin' });
  for (const [i, name] of PITS_A.entries()) {
    await api.call('POST', `/api/v1/workshops/${a.id}/pits`, admin, { number: i + 1, name, status: i === 2 ? 'maintenance' : 'active' });
  }
  await api.call('POST', '/api/v1/users', admin, { username: 'locked-out', password: 'Locked-Out-Pw-7', role: 'staff', workshop_id: a.id });
  for (const [i, name] of PITS_B.entries()) await api.call('POST', `/api/v1/workshops/${b.id}/pits`, admin, { number: i + 1, name });
  for (const [o, w] of [
    [OWNER_A, a],
    [OWNER_B, b],
  ]) {
    await createUser(api, admin, o, { role: 'owner', workshop_id: w.id, full_name: `${w.name} Owner` });
  }
  return { a, b };
}

describe('web console against a real sitewatch', () => {
  before(async () => {
    server = await startServer();
    seed = await seedData(server.base);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('is served by sitewatch with a strict CSP, cache rules and SPA fallback', async () => {
    const index = await fetch(`${server.base}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.doesNotMatch(index.headers.get('content-security-policy') ?? '', /unsafe-inline/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'index.html references a hashed script');
    const js = await fetch(server.base + asset);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    const deep = await fetch(`${server.base}/workshops/1`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), html);
  });

  it('login: bad credentials show a generic error', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    w.allow(401, '/api/v1/auth/login');
    await page.goto(`${server.base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(page.url(), /\/login$/);
    await shoot(page, 'login', page.locator('form.auth-card'), assert);
    assertNoSeriousViolations('login', await axe(page));
    await login(page, server.base, { username: 'nobody-here', password: 'wrong-password-1' });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal((await alert.textContent())?.trim(), 'The username or password is incorrect.');
    await login(page, server.base, { username: OWNER_A.username, password: 'wrong-password-1' });
    await alert.waitFor();
    assert.equal((await alert.textContent())?.trim(), 'The username or password is incorrect.', 'same message for a real user');
    await shoot(page, 'login-error', alert, assert);

    // Repeated failures lock the account, and the page says so.
    let text = '';
    for (let i = 0; i < 8 && !/locked/.test(text); i++) {
      await login(page, server.base, { username: 'locked-out', password: `wrong-password-${i}` });
      await alert.waitFor();
      text = (await alert.textContent()) ?? '';
    }
    assert.match(text, /locked for a while/);
    await login(page, server.base, { username: 'locked-out', password: 'Locked-Out-Pw-7' });
    await page.getByText(/locked for a while/).waitFor();
    assert.match(page.url(), /\/login$/, 'the right password does not get through a lockout');
    assert.deepEqual(w.problems, []);
    await page.close();
  });

  it('refreshes the access token silently before it expires (the refresh token rotates)', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    const authFrames = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => /"type":"auth"/.test(String(f.payload)) && authFrames.push(JSON.parse(String(f.payload)).token)));
    await page.clock.install();
    await login(page, server.base, OWNER_B);
    await page.getByRole('heading', { name: 'South Detailing' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="live-indicator"]')?.getAttribute('data-status') === 'live');
    const before = await page.evaluate(() => sessionStorage.getItem('sitewatch.refresh'));
    const authsBefore = authFrames.length;
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    await page.clock.fastForward('13:00'); // past 80 % of the 15-minute access token
    const refreshResponse = await refreshed;
    assert.equal(refreshResponse.status(), 200);
    // The live channel is re-authenticated with the new access token on the same connection.
    const newToken = (await refreshResponse.json()).data.access_token;
    for (let i = 0; i < 250 && authFrames.at(-1) !== newToken; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(authFrames.at(-1), newToken, 'the refreshed token is sent on the live channel');
    assert.ok(authFrames.length > authsBefore && authsBefore >= 1, `auth frames: ${authsBefore} before the refresh, ${authFrames.length} after`);
    await page.waitForFunction((old) => sessionStorage.getItem('sitewatch.refresh') !== old, before);
    const pits = page.waitForResponse((r) => r.url().includes('/pits'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    assert.equal((await pits).status(), 200, 'the new access token works');
    await page.getByTestId('pit-tile').first().waitFor();
    assert.deepEqual(w.problems, []);
    await page.close();
  });

  it("owner sees their workshop's pits, with no sensor data yet, and never another workshop's", async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    await login(page, server.base, OWNER_A);
    await page.getByRole('heading', { name: 'North Garage PPF' }).waitFor();
    assert.match(page.url(), new RegExp(`/workshops/${seed.a.id}$`));
    const tiles = page.getByTestId('pit-tile');
    await tiles.first().waitFor();
    assert.equal(await tiles.count(), PITS_A.length);
    for (const name of PITS_A) assert.equal(await page.getByRole('heading', { name }).count(), 1, name);
    assert.equal(await page.getByTestId('no-sensor-data').count(), PITS_A.length);
    const text = await page.locator('main').innerText();
    assert.match(text, /No sensor data yet/);
    assert.match(text, /Maintenance/);
    assert.match(text, /Asia\/Kolkata/);
    assert.doesNotMatch(text, /\d+(\.\d+)?\s?(°C|%RH|µg\/m³|hPa)/, 'no invented readings');
    for (const name of PITS_B) assert.doesNotMatch(text, new RegExp(name));
    await shoot(page, 'overview', tiles.first(), assert);
    assertNoSeriousViolations('overview', await axe(page));
    await page.emulateMedia({ colorScheme: 'dark' });
    assertNoSeriousViolations('overview (dark)', await axe(page));
    await shoot(page, 'overview-dark', tiles.first(), assert);
    await page.emulateMedia({ colorScheme: 'light' });

    // Typing workshop B's address shows a not-found state, never B's pits.
    w.allow(404, `/api/v1/workshops/${seed.b.id}`);
    await page.evaluate((id) => {
      history.pushState(null, '', `/workshops/${id}`);
      dispatchEvent(new PopStateEvent('popstate'));
    }, seed.b.id);
    await page.getByText('Could not load this').waitFor();
    const other = await page.locator('main').innerText();
    for (const name of PITS_B) assert.doesNotMatch(other, new RegExp(name));
    assert.match(other, /does not exist or is not visible to you/);
    assert.deepEqual(w.problems, []);
    await page.close();
  });

  it('owner creates a staff user and sees the temporary password once; the staff user must change it', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    await login(page, server.base, OWNER_A);
    await page.getByRole('heading', { name: 'North Garage PPF' }).waitFor();
    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { name: 'Team' }).waitFor();
    await page.getByTestId('user-row').first().waitFor();
    await shoot(page, 'team', page.getByRole('table', { name: 'Users' }), assert);
    assertNoSeriousViolations('team', await axe(page));

    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add user' });
    await dialog.waitFor();
    await dialog.getByLabel('Username').fill('ravi.staff');
    await dialog.getByLabel('Full name').fill('Ravi Kumar');
    assert.deepEqual(await dialog.getByLabel('Role').locator('option').allTextContents(), ['Staff', 'Customer']);
    assertNoSeriousViolations('add user dialog', await axe(page));
    await dialog.getByRole('button', { name: 'Create user' }).click();
    const secret = page.getByTestId('temporary-password');
    await secret.waitFor({ timeout: 5000 }).catch(async (e) => {
      throw new Error(`${e.message}\ndialog: ${await page.locator('dialog[open]').innerText().catch(() => '?')}\n${w.problems.join('\n')}`);
    });
    const temporary = await secret.inputValue();
    assert.ok(temporary.length >= 10, `temporary password shown (${temporary.length} chars)`);
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    await shoot(page, 'team-temporary-password', page.getByRole('dialog', { name: /was created/ }), assert);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: /Ravi Kumar/ }).waitFor();
    assert.equal(await page.getByTestId('temporary-password').count(), 0, 'the password is not shown again');

    // The audit log records it.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-row').first().waitFor();
    assert.match(await page.locator('main').innerText(), /User create/);
    await shoot(page, 'audit', page.getByTestId('audit-row').first(), assert);
    assertNoSeriousViolations('audit', await axe(page));
    assert.deepEqual(w.problems, []);

    // A fresh tab has its own session: the staff user signs in with the temporary password.
    const staff = await browser.context.newPage();
    const ws = watch(staff);
    ws.allow(400, '/api/v1/auth/change-password');
    await login(staff, server.base, { username: 'ravi.staff', password: temporary });
    await staff.getByRole('heading', { name: 'Choose your password' }).waitFor();
    assert.match(await staff.locator('main').innerText(), /temporary password/);
    await shoot(staff, 'change-password', staff.locator('form.auth-card'), assert);
    assertNoSeriousViolations('change password', await axe(staff));
    await staff.getByLabel('Temporary password').fill(temporary);
    await staff.getByLabel('New password', { exact: true }).fill('short');
    await staff.getByLabel('Repeat new password').fill('short');
    await staff.getByRole('button', { name: 'Save password' }).click();
    await staff.getByText('Use at least 10 characters.').waitFor();
    await staff.getByLabel('Temporary password').fill('not-the-temporary-one');
    await staff.getByLabel('New password', { exact: true }).fill('Ravi-Own-Password-9');
    await staff.getByLabel('Repeat new password').fill('Ravi-Own-Password-9');
    await staff.getByRole('button', { name: 'Save password' }).click();
    await staff.getByText('The current password is wrong.').waitFor();
    await staff.getByLabel('Temporary password').fill(temporary);
    await staff.getByRole('button', { name: 'Save password' }).click();
    await staff.getByRole('heading', { name: 'North Garage PPF' }).waitFor();
    assert.equal(await staff.getByTestId('pit-tile').count(), PITS_A.length);
    assert.equal(await staff.getByRole('link', { name: 'Team' }).count(), 0, 'staff has no team page');
    assert.deepEqual(ws.problems, []);
    await staff.close();
    await page.close();
  });

  it('a reload keeps the session; sign-out ends it and a reload shows the login page', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    await login(page, server.base, OWNER_B);
    await page.getByRole('heading', { name: 'South Detailing' }).waitFor();
    const text = await page.locator('main').innerText();
    for (const name of PITS_A) assert.doesNotMatch(text, new RegExp(name), 'B never sees A');
    const stored = await page.evaluate(() => ({ ...sessionStorage, local: localStorage.length }));
    assert.equal(stored.local, 0, 'nothing in localStorage');
    assert.deepEqual(Object.keys(stored).filter((k) => k !== 'local'), ['sitewatch.refresh']);
    assert.doesNotMatch(page.url(), /token/i);

    await page.reload();
    await page.getByRole('heading', { name: 'South Detailing' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(await page.locator('main').innerText(), /You have signed out/);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(page.url(), /\/login$/);
    assert.deepEqual(w.problems, []);
    await page.close();
  });

  it('owner registers devices and sees each secret once; staff reads them; another workshop never sees them', async () => {
    const api = rest(server.base);
    const admin = await api.login('admin', ADMIN_PASSWORD);
    const STAFF = { username: 'devices-staff', password: 'Devices-Staff-Pw-3' };
    await createUser(api, admin, STAFF, { role: 'staff', workshop_id: seed.a.id });

    const page = await browser.context.newPage();
    const w = watch(page);
    await login(page, server.base, OWNER_A);
    await page.getByRole('heading', { name: 'North Garage PPF' }).waitFor();
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    await page.getByText('No devices registered yet').waitFor();

    const secretDialog = page.getByRole('dialog', { name: /is registered|New secret/ });
    async function register({ kind, uid, radio, pit, name }) {
      await page.getByRole('button', { name: 'Register device' }).click();
      const dialog = page.getByRole('dialog', { name: 'Register device' });
      await dialog.waitFor();
      await dialog.getByLabel('Kind').selectOption({ label: kind });
      if (uid) await dialog.getByLabel('Uid').fill(uid);
      if (radio) {
        await dialog.getByLabel('Gateway').waitFor();
        await dialog.getByLabel('Radio address').fill(radio);
      }
      if (pit) await dialog.getByLabel('Pit (optional)').selectOption({ label: pit });
      if (name) await dialog.getByLabel('Name (optional)').fill(name);
      return dialog;
    }
    async function readSecret() {
      const box = page.getByTestId('device-secret');
      await box.waitFor({ timeout: 5000 }).catch(async (e) => {
        throw new Error(`${e.message}\ndialog: ${await page.locator('dialog[open]').innerText().catch(() => '?')}\n${w.problems.join('\n')}`);
      });
      const value = await box.inputValue();
      assert.ok(value.length >= 20, `device secret shown (${value.length} chars)`);
      assert.match(await secretDialog.innerText(), /will not be shown again/);
      await secretDialog.getByRole('button', { name: 'Copy' }).waitFor();
      return value;
    }
    async function closeSecret() {
      await secretDialog.getByRole('button', { name: 'Done' }).click();
      await secretDialog.waitFor({ state: 'hidden' });
      assert.equal(await page.getByTestId('device-secret').count(), 0, 'the secret is not shown again');
    }

    // A sensor node, with an empty uid first: the error sits next to the field.
    let dialog = await register({ kind: 'Sensor node', pit: 'Bay Alpha', name: 'Bay Alpha climate' });
    assertNoSeriousViolations('register device dialog', await axe(page));
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    await dialog.getByText('Enter the uid printed on the device.').waitFor();
    assert.equal(await dialog.getByLabel('Uid').getAttribute('aria-invalid'), 'true');
    // Focus moves in an effect after the error renders: wait for it rather than race it.
    await page
      .waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true', null, { timeout: 3000 })
      .catch(() => assert.fail('focus moves to the invalid field'));
    await dialog.getByLabel('Uid').fill('SN-NORTH-001');
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    const first = await readSecret();
    assert.match(await secretDialog.innerText(), /SN-NORTH-001/);
    await shoot(page, 'devices-secret', secretDialog, assert);
    assertNoSeriousViolations('device secret dialog', await axe(page));
    await closeSecret();
    await page.getByTestId('device-row').filter({ hasText: 'SN-NORTH-001' }).waitFor();

    // The same uid again: the server's answer (details.field = uid) is shown next to the uid.
    w.allow(409, `/api/v1/workshops/${seed.a.id}/devices`);
    dialog = await register({ kind: 'Camera', uid: 'SN-NORTH-001' });
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    const uidError = dialog.locator('.field-invalid').filter({ has: page.getByLabel('Uid') }).locator('.field-error');
    await uidError.waitFor();
    assert.match(await uidError.innerText(), /uid exists/i);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // A gateway, then an outlet on it: the outlet's uid is derived live.
    dialog = await register({ kind: 'Gateway', uid: 'GW-NORTH', name: 'Main gateway' });
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    await readSecret();
    await closeSecret();
    dialog = await register({ kind: 'Outlet', radio: '10', pit: 'Bay Bravo' });
    assert.match(await dialog.getByTestId('derived-uid').innerText(), /GW-NORTH\.0A/);
    await dialog.getByLabel('Radio address').fill('300');
    assert.doesNotMatch(await dialog.getByTestId('derived-uid').innerText(), /GW-NORTH\./);
    await dialog.getByLabel('Radio address').fill('10');
    // An old PIC outlet: the gateway will speak the legacy frames to it.
    await dialog.getByLabel('Outlet type').selectOption({ label: 'Legacy PIC outlet (older radio frames)' });
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    await readSecret();
    assert.match(await secretDialog.innerText(), /GW-NORTH\.0A/);
    await closeSecret();

    const rows = page.getByTestId('device-row');
    await page.getByTestId('device-row').filter({ hasText: 'GW-NORTH.0A' }).waitFor();
    assert.equal(await rows.count(), 3);
    assert.match(await rows.filter({ hasText: 'GW-NORTH.0A' }).innerText(), /address 10, legacy PIC/);
    for (const c of await page.getByTestId('device-connection').allInnerTexts()) assert.match(c, /Never seen/, 'no telemetry yet: never seen');
    const text = await page.locator('main').innerText();
    assert.match(text, /LIC-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}/);
    assert.match(text, /Trial/);
    assert.doesNotMatch(text, /Online|Last seen/, 'no invented connectivity');

    // Filters.
    await page.getByLabel('Kind').selectOption({ label: 'Outlet' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="device-row"]').length === 1);
    assert.match(await rows.first().innerText(), /GW-NORTH\.0A/);
    await page.getByLabel('Kind').selectOption({ label: 'All kinds' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="device-row"]').length === 3);

    // Rotate (confirmed first), shown once, and different from the first secret.
    await page.getByRole('button', { name: 'Rotate secret of Bay Alpha climate' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate secret' });
    assert.match(await rotate.innerText(), /stops working/);
    await rotate.getByRole('button', { name: 'Rotate secret' }).click();
    const second = await readSecret();
    assert.notEqual(second, first);
    await closeSecret();

    // Status change.
    await page.getByRole('button', { name: 'Edit Bay Alpha climate' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit device' });
    await edit.getByLabel('Status').selectOption({ label: 'Maintenance' });
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Bay Alpha climate was saved.').waitFor();
    await rows.filter({ hasText: 'SN-NORTH-001' }).getByText('Maintenance').waitFor();

    // Retire the outlet; the dialog explains what stays.
    await page.getByRole('button', { name: 'Retire GW-NORTH.0A' }).click();
    const retire = page.getByRole('dialog', { name: 'Retire device' });
    assert.match(await retire.innerText(), /uid stays reserved/);
    assert.match(await retire.innerText(), /history are kept/);
    await retire.getByRole('button', { name: 'Retire device' }).click();
    await page.getByText('GW-NORTH.0A was retired.').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="device-row"]').length === 2);

    await shoot(page, 'devices', page.getByRole('table', { name: 'Devices' }), assert);
    assertNoSeriousViolations('devices', await axe(page));
    assert.deepEqual(w.problems, []);
    await page.close();

    // Staff: the same list, read-only.
    const staff = await browser.context.newPage();
    const ws = watch(staff);
    await login(staff, server.base, STAFF);
    await staff.getByRole('heading', { name: 'North Garage PPF' }).waitFor();
    await staff.getByRole('link', { name: 'Devices', exact: true }).click();
    await staff.getByTestId('device-row').first().waitFor();
    assert.equal(await staff.getByTestId('device-row').count(), 2);
    assert.match(await staff.locator('main').innerText(), /Read-only/);
    assert.equal(await staff.getByRole('button', { name: 'Register device' }).count(), 0, 'staff cannot register');
    assert.equal(await staff.getByRole('button', { name: /Rotate secret|Retire|Edit/ }).count(), 0, 'staff cannot change devices');
    assertNoSeriousViolations('devices (staff)', await axe(staff));
    assert.deepEqual(ws.problems, []);
    await staff.close();

    // Another workshop's owner sees none of them, in the console or through the API.
    const other = await browser.context.newPage();
    const wo = watch(other);
    await login(other, server.base, OWNER_B);
    await other.getByRole('heading', { name: 'South Detailing' }).waitFor();
    await other.getByRole('link', { name: 'Devices', exact: true }).click();
    await other.getByText('No devices registered yet').waitFor();
    assert.doesNotMatch(await other.locator('main').innerText(), /SN-NORTH|GW-NORTH/);
    assert.deepEqual(wo.problems, []);
    await other.close();
    const tb = await api.login(OWNER_B.username, OWNER_B.password);
    await assert.rejects(api.call('GET', `/api/v1/workshops/${seed.a.id}/devices`, tb), /→ 40[34]/);
    await assert.rejects(api.call('GET', '/api/v1/devices/SN-NORTH-001', tb), /→ 40[34]/);
  });

  it('platform admin lists, creates and deactivates workshops', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    await login(page, server.base, { username: 'admin', password: ADMIN_PASSWORD });
    await page.getByRole('heading', { name: 'Workshops' }).waitFor();
    await page.getByTestId('workshop-row').first().waitFor();
    assert.ok((await page.getByTestId('workshop-row').count()) >= 2);
    await page.getByRole('button', { name: 'New workshop' }).click();
    const dialog = page.getByRole('dialog', { name: 'New workshop' });
    await dialog.getByLabel('Name').fill('East Wraps');
    await dialog.getByLabel('Time zone').fill('Asia/Dubai');
    await dialog.getByRole('button', { name: 'Create workshop' }).click();
    await page.getByText('East Wraps was created.').waitFor();
    const row = page.getByTestId('workshop-row').filter({ hasText: 'East Wraps' });
    await row.getByRole('button', { name: 'Deactivate East Wraps' }).click();
    await page.getByRole('dialog', { name: 'Deactivate workshop' }).getByRole('button', { name: 'Deactivate' }).click();
    await page.getByText('East Wraps was deactivated.').waitFor();
    await row.getByText('Deactivated').waitFor();
    await shoot(page, 'workshops', page.getByRole('table', { name: 'Workshops' }), assert);
    assertNoSeriousViolations('workshops', await axe(page));
    assert.deepEqual(w.problems, []);
    await page.close();
  });
});
