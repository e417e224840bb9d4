// The outlets page against a real sitewatch. A gateway with two outlets is registered over REST;
// the gateway is a tiny polling device written here (HTTP device API: long-poll
// `GET /device/commands?wait=`, answer with `POST /device/commands/{id}/result`), which is
// deterministic: the test decides which commands it answers and how. The outlets report their
// relay states as telemetry. The page toggles a socket and shows the reported state after the
// device's answer; a command nobody answers is shown as expired; "cut all" asks first.
// Outlets have no credentials of their own (they talk to the gateway by radio): the gateway
// publishes their readings on their topics over MQTT (`mosquitto_pub`, as the CCU does).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ADMIN_PASSWORD, assertNoSeriousViolations, axe, createUser, launchBrowser, login, pushTelemetry, rest, shoot, startServer, until, watch } from './harness.mjs';

const STAFF = { username: 'staff-outlets', password: 'Outlet-Staff-Pw-7' };
const GATEWAY = 'CCU-OUT';

const run = promisify(execFile);

/** The gateway publishes an outlet's (or its own) readings on the built-in broker. */
async function publish(uid, values) {
  const { gw } = seed;
  await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(server.mqttPort), '-u', gw.uid, '-P', gw.secret, '-i', `pub-${Date.now()}`, '-q', '1', '-t', `sw/d/${uid}/telemetry`, '-m', JSON.stringify({ values })]);
}

let server;
let browser;
let seed;

async function seedData(base) {
  const api = rest(base);
  const admin = await api.login('admin', ADMIN_PASSWORD);
  const w = await api.call('POST', '/api/v1/workshops', admin, { name: 'Outlet Works', timezone: 'Europe/Berlin' });
  const gw = await api.call('POST', `/api/v1/workshops/${w.id}/devices`, admin, { kind: 'gateway', uid: GATEWAY, name: 'Main CCU' });
  const o1 = await api.call('POST', `/api/v1/workshops/${w.id}/devices`, admin, { kind: 'outlet', parent_uid: GATEWAY, radio_address: 1, name: 'Compressor' });
  const o2 = await api.call('POST', `/api/v1/workshops/${w.id}/devices`, admin, { kind: 'outlet', parent_uid: GATEWAY, radio_address: 2, name: 'Heat gun' });
  await createUser(api, admin, STAFF, { role: 'staff', workshop_id: w.id });
  // Registering answers {device, secret}; outlets get their uid from the gateway and radio address.
  assert.equal(o1.device.uid, `${GATEWAY}.01`);
  assert.equal(o2.device.uid, `${GATEWAY}.02`);
  return { api, admin, workshop: w, gw: { uid: gw.device.uid, secret: gw.secret }, o1: o1.device, o2: o2.device };
}

/** The gateway: long-polls its (and its outlets') commands; `answer(cmd)` returns a result or null (never answered). */
function startGateway(base, uid, secret, answer) {
  const auth = `Basic ${Buffer.from(`${uid}:${secret}`).toString('base64')}`;
  const seen = [];
  const answers = [];
  const polls = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      let list = [];
      try {
        const res = await fetch(`${base}/api/v1/device/commands?wait=1`, { headers: { Authorization: auth } });
        const json = await res.json();
        if (json.success) list = json.data;
        else {
          polls.push(`${res.status} ${json.error?.code}`);
          await delay(100);
        }
      } catch {
        await delay(50);
        continue;
      }
      for (const c of list) {
        if (seen.some((s) => s.id === c.id)) continue; // at-least-once: de-duplicate by id
        seen.push(c);
        const result = await answer(c);
        if (result) {
          const res = await fetch(`${base}/api/v1/device/commands/${encodeURIComponent(c.id)}/result`, {
            method: 'POST',
            headers: { Authorization: auth, 'Content-Type': 'application/json' },
            body: JSON.stringify(result),
          });
          const json = await res.json();
          answers.push({ id: c.id, status: res.status, state: json.data?.state, error: json.error });
        }
      }
    }
  })();
  return {
    seen,
    answers,
    polls,
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('outlets page against a real sitewatch', () => {
  before(async () => {
    server = await startServer();
    seed = await seedData(server.base);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('toggles a socket and shows the reported state after the answer; shows an unanswered command as expired; cuts all after confirming', async () => {
    const { base } = server;
    const { o1, o2, gw } = seed;
    // The outlets report: Compressor a off / b on, Heat gun both off; the breaker 6 A.
    await publish(o1.uid, { relay_a: 0, relay_b: 1, current_a_ma: 0, current_b_ma: 1500, tripped_a: 0, tripped_b: 0, threshold_ma: 12000 });
    await publish(o2.uid, { relay_a: 0, relay_b: 0, current_a_ma: 0, current_b_ma: 0 });
    await pushTelemetry(base, gw.uid, gw.secret, { values: { breaker_current_ma: 6000 } });

    // The device answers relay commands on the Compressor (with the current after switching)
    // and cut commands; it never answers the Heat gun's relay commands.
    const gateway = startGateway(base, gw.uid, gw.secret, async (c) => {
      if (c.name === 'relay' && c.device_uid === o1.uid) {
        await delay(300); // the page shows the pending state meanwhile
        return { ok: true, detail: 'switched', current_ma: c.params.on ? 2200 : 0 };
      }
      if (c.name === 'cut') return { ok: true, detail: 'cut' };
      return null;
    });

    const page = await browser.context.newPage();
    const w = watch(page);
    try {
      await login(page, base, STAFF);
      await page.getByRole('heading', { name: 'Outlet Works' }).waitFor();

      // The overview's power strip: breaker against its (default) limit, power, sockets on.
      const strip = page.getByTestId('power-strip');
      await strip.waitFor();
      await until(async () => /6\.00 A/.test(await strip.innerText()), 'the strip shows the breaker current');
      assert.equal(await strip.getByTestId('breaker-bar').getAttribute('data-level'), 'good');
      assert.match(await strip.getByTestId('power-sockets').innerText(), /1\s*of 4/);
      // Live: a new breaker reading moves the bar without a reload.
      await pushTelemetry(base, gw.uid, gw.secret, { values: { breaker_current_ma: 13000 } });
      await page.waitForFunction(() => document.querySelector('[data-testid="power-strip"] [data-testid="breaker-bar"]')?.getAttribute('data-level') === 'warning', null, { timeout: 10000 });
      assert.match(await strip.innerText(), /13\.0 A/);
      await shoot(page, 'overview-power-strip', strip, assert);
      assertNoSeriousViolations('overview with power strip', await axe(page));

      // The outlets page, from the main navigation.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outlets' }).click();
      await page.getByRole('heading', { name: 'Outlets', level: 1 }).waitFor();
      const compressor = page.getByTestId('outlet').filter({ has: page.getByRole('heading', { name: 'Compressor' }) });
      const heatGun = page.getByTestId('outlet').filter({ has: page.getByRole('heading', { name: 'Heat gun' }) });
      await compressor.waitFor();
      const cA = compressor.getByTestId('socket-a');
      assert.equal(await cA.getAttribute('data-reported'), 'off');
      assert.equal(await compressor.getByTestId('socket-b').getAttribute('data-reported'), 'on');
      assert.match(await compressor.getByTestId('socket-b').getByTestId('current').innerText(), /1\.50 A/);
      assert.match(await cA.innerText(), /Threshold\s*12\.0 A/);
      assert.match(await cA.innerText(), /Reported (just now|\d+ s ago)/);
      await page.getByTestId('breaker-chart').first().waitFor();
      await page.waitForLoadState('networkidle');

      // Toggle Compressor a: pending (commanded on, spinner), then the device's answer, then the reported state.
      await cA.getByRole('switch').click();
      await page.waitForFunction(() => document.querySelector('[data-uid="CCU-OUT.01"] [data-testid="socket-a"]')?.getAttribute('data-pending') === 'on', null, { timeout: 5000 });
      assert.match(await cA.getByTestId('command-status').innerText(), /Switching on/);
      assert.equal(await cA.getAttribute('data-reported'), 'off', 'the reported state stays until the device answers');
      await page.waitForFunction(() => document.querySelector('[data-uid="CCU-OUT.01"] [data-testid="socket-a"]')?.getAttribute('data-outcome') === 'succeeded', null, { timeout: 10000 });
      await page.waitForFunction(() => document.querySelector('[data-uid="CCU-OUT.01"] [data-testid="socket-a"]')?.getAttribute('data-reported') === 'on', null, { timeout: 10000 });
      assert.match(await cA.getByTestId('command-status').innerText(), /Switched on · 2\.20 A after switching/);
      assert.equal(await cA.getByRole('switch').getAttribute('aria-checked'), 'true');
      assert.ok(gateway.seen.some((c) => c.name === 'relay' && c.device_uid === o1.uid && c.params.socket === 'a' && c.params.on === true), 'the device got the relay command');
      await shoot(page, 'outlets-toggled', compressor, assert);

      // A command nobody answers, with a short expiry (issued over REST: the page uses the default 60 s).
      await seed.api.call('POST', `/api/v1/devices/${encodeURIComponent(o2.uid)}/commands`, await seed.api.login(STAFF.username, STAFF.password), {
        name: 'relay',
        params: { socket: 'a', on: true },
        expires_in_s: 2,
      });
      const hA = heatGun.getByTestId('socket-a');
      await page.waitForFunction(() => document.querySelector('[data-uid="CCU-OUT.02"] [data-testid="socket-a"]')?.getAttribute('data-pending') === 'on', null, { timeout: 5000 });
      assert.equal(await hA.getByRole('switch').isDisabled(), true, 'no second command while one is open');
      await page.waitForFunction(() => document.querySelector('[data-uid="CCU-OUT.02"] [data-testid="socket-a"]')?.getAttribute('data-outcome') === 'expired', null, { timeout: 15000 });
      assert.match(await hA.getByTestId('command-status').innerText(), /Expired — no answer/);
      assert.equal(await hA.getAttribute('data-reported'), 'off', 'the reported state is unchanged');
      await shoot(page, 'outlets-expired', heatGun, assert);

      // Cut all of the gateway: a confirmation first; "Keep power on" sends nothing.
      const panel = page.getByTestId('gateway').first();
      await panel.getByRole('button', { name: /Cut all outlets of Main CCU/ }).click();
      let dialog = page.getByRole('dialog', { name: 'Cut every outlet of Main CCU?' });
      await dialog.waitFor();
      assertNoSeriousViolations('cut confirmation', await axe(page));
      await dialog.getByRole('button', { name: 'Keep power on' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(gateway.seen.filter((c) => c.name === 'cut').length, 0);
      await panel.getByRole('button', { name: /Cut all outlets of Main CCU/ }).click();
      dialog = page.getByRole('dialog', { name: 'Cut every outlet of Main CCU?' });
      await dialog.getByRole('button', { name: 'Cut power' }).click();
      await page.getByTestId('cut-note').waitFor();
      assert.match(await page.getByTestId('cut-note').innerText(), /Cut sent to 2 outlets/);
      await page.waitForFunction(
        () => [...document.querySelectorAll('[data-testid="outlet"] [data-testid^="socket-"]')].every((s) => s.getAttribute('data-outcome') === 'succeeded' && s.getAttribute('data-reported') === 'off'),
        null,
        { timeout: 10000 },
      );
      assert.match(await cA.getByTestId('command-status').innerText(), /Cut off/);
      assert.equal(gateway.seen.filter((c) => c.name === 'cut').length, 2, 'one cut per outlet');

      // The workshop-wide cut asks too.
      await page.getByRole('button', { name: 'Cut all outlets', exact: true }).click();
      dialog = page.getByRole('dialog', { name: 'Cut every outlet of the workshop?' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Keep power on' }).click();

      await shoot(page, 'outlets', panel, assert);
      assertNoSeriousViolations('outlets page', await axe(page));
      await page.emulateMedia({ colorScheme: 'dark' });
      assertNoSeriousViolations('outlets page (dark)', await axe(page));
      await page.emulateMedia({ colorScheme: 'light' });
      assert.deepEqual(w.problems, []);
    } catch (e) {
      console.error('gateway saw', JSON.stringify(gateway.seen), 'answered', JSON.stringify(gateway.answers), 'poll errors', JSON.stringify(gateway.polls.slice(0, 5)), gateway.polls.length);
      throw e;
    } finally {
      await page.close();
      await gateway.stop();
    }
  });
});
