// Device and pit pages against a real sitewatch: an owner registers a device, readings spread
// over the past hour are posted through the HTTP device API, and the device page draws them
// (canvas pixels checked), shows their min/max/avg, follows a live reading, re-queries on 24 h
// and on a drag to zoom, and downloads the CSV of exactly that range. Then provisioning: the
// owner creates the workshop's provisioning key, a device announces itself over MQTT
// (mosquitto_rr, as a real device: one connection that listens for its credentials), waits
// for approval, is approved (and receives its credentials, which then work), another is
// rejected; staff see the waiting list without the owner's actions.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  ADMIN_PASSWORD,
  assertNoSeriousViolations,
  axe,
  createUser,
  launchBrowser,
  login,
  pushTelemetry,
  rest,
  shoot,
  startServer,
  until,
  watch,
} from './harness.mjs';

const run = promisify(execFile);
const OWNER = { username: 'owner-charts', password: 'Charts-Owner-Pw-7' };
const STAFF = { username: 'staff-charts', password: 'Charts-Staff-Pw-8' };
const DEVICE = 'SN-CHART-0001';
const NAME = 'Bay Chart climate';
const PIT = 'Bay Chart';
const TZ = 'Europe/Berlin';
const HOUR = 3_600_000;
// Twelve readings, four minutes apart, the newest six minutes ago: all inside "the last hour"
// for a while (the pit page's test runs later and still sees them all).
const TEMPERATURES = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];
const HUMIDITY = [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51];

let server;
let browser;
let seed;

async function seedData(base) {
  const api = rest(base);
  const admin = await api.login('admin', ADMIN_PASSWORD);
  const w = await api.call('POST', '/api/v1/workshops', admin, { name: 'Chart Wraps', timezone: TZ });
  const pit = await api.call('POST', `/api/v1/workshops/${w.id}/pits`, admin, { number: 1, name: PIT });
  await createUser(api, admin, OWNER, { role: 'owner', workshop_id: w.id });
  await createUser(api, admin, STAFF, { role: 'staff', workshop_id: w.id });
  return { workshop: w, pit };
}

const fmt1 = (v) => `${v.toFixed(1)} °C`;
const avgOf = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The chart's canvas: size, and how much of it is the series colour (the accent token) and how many colours it has. */
async function canvasPixels(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="device-chart"] .chart canvas');
    if (!canvas) return null;
    const ctx = canvas.getContext('2d');
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const probe = document.createElement('span');
    probe.style.color = 'var(--accent)';
    canvas.parentElement.append(probe);
    const m = /rgba?\((\d+), (\d+), (\d+)/.exec(getComputedStyle(probe).color);
    probe.remove();
    const [r0, g0, b0] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
    const colours = new Set();
    let painted = 0;
    let accent = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      colours.add((r << 24) | (g << 16) | (b << 8) | a);
      if (a > 0) painted++;
      if (a > 200 && Math.abs(r - r0) + Math.abs(g - g0) + Math.abs(b - b0) < 60) accent++;
    }
    return { width: canvas.width, height: canvas.height, colours: colours.size, painted, accent };
  });
}

/** The query of the next history request the page sends. */
function nextHistory(page) {
  return page
    .waitForRequest((r) => r.url().includes(`/api/v1/devices/${DEVICE}/history`), { timeout: 10000 })
    .then((r) => Object.fromEntries(new URL(r.url()).searchParams));
}

async function chartSettled(page) {
  await page.waitForFunction(
    () => {
      const c = document.querySelector('[data-testid="device-chart"]');
      return c?.getAttribute('data-status') === 'ok' && c.querySelector('.chart')?.getAttribute('data-ready') === 'true' && !c.querySelector('[aria-busy="true"]');
    },
    null,
    { timeout: 10000 },
  );
}

async function statsText(page) {
  await page.waitForFunction(() => !document.querySelector('[data-testid="chart-stats"][aria-busy="true"]'));
  const get = (id) => page.getByTestId(id).innerText();
  return { min: await get('stat-min'), max: await get('stat-max'), avg: await get('stat-avg'), count: await get('stat-count') };
}

describe('device and pit pages with charts, and provisioning approvals, against a real sitewatch', () => {
  before(async () => {
    server = await startServer();
    seed = await seedData(server.base);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('owner registers a device; its page charts the posted readings, their statistics, a live reading, 24 h, zoom and the CSV', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    const exports = [];
    page.on('request', (r) => {
      if (r.url().includes('/export.csv')) exports.push({ url: r.url(), auth: r.headers().authorization ?? '' });
    });
    await login(page, server.base, OWNER);
    await page.getByRole('heading', { name: 'Chart Wraps' }).waitFor();

    // Register through the console; the secret is shown once.
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByText('No devices registered yet').waitFor();
    await page.getByRole('button', { name: 'Register device' }).click();
    const dialog = page.getByRole('dialog', { name: 'Register device' });
    await dialog.getByLabel('Uid').fill(DEVICE);
    await dialog.getByLabel('Pit (optional)').selectOption({ label: PIT });
    await dialog.getByLabel('Name (optional)').fill(NAME);
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    const secret = await page.getByTestId('device-secret').inputValue();
    assert.ok(secret.length >= 20);
    await page.getByRole('dialog', { name: /is registered/ }).getByRole('button', { name: 'Done' }).click();

    // Readings over the past hour, as a device flushing its buffer would send them.
    const now = Math.floor(Date.now() / 1000) * 1000;
    const samples = TEMPERATURES.map((t, i) => ({ ts: now - (50 - 4 * i) * 60_000, values: { temperature: t, humidity: HUMIDITY[i] } }));
    const receipt = await pushTelemetry(server.base, DEVICE, secret, samples);
    assert.equal(receipt.accepted, 24, JSON.stringify(receipt));
    const event = await fetch(`${server.base}/api/v1/device/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${DEVICE}:${secret}`).toString('base64')}` },
      body: JSON.stringify({ ts: now - 30 * 60_000, type: 'config_changed', setting: 'report_interval', value: 30 }),
    });
    assert.equal(event.status, 201, await event.text());

    // The device page, from the list: the chart asks for the last hour at about one point per pixel.
    const firstQuery = nextHistory(page);
    await page.getByTestId('device-row').filter({ hasText: DEVICE }).getByRole('link', { name: NAME }).click();
    await page.getByRole('heading', { name: NAME, level: 1 }).waitFor();
    const q1 = await firstQuery;
    assert.equal(q1.metrics, 'temperature', 'the chart opens on the first metric in catalogue order');
    assert.equal(q1.resolution, 'auto');
    assert.equal(Number(q1.to) - Number(q1.from), HOUR);
    assert.ok(Math.abs(Number(q1.to) - Date.now()) < 30_000, 'the range ends now');
    await chartSettled(page);
    const chart = page.getByTestId('device-chart');
    const plotWidth = await page.locator('[data-testid="device-chart"] .chart-area').evaluate((el) => el.clientWidth);
    assert.ok(Math.abs(Number(q1.max_points) - (plotWidth - 56)) <= 2, `max_points ${q1.max_points} follows the plot width ${plotWidth}`);
    assert.equal(await chart.getAttribute('data-resolution'), 'raw', 'an hour at ~1000 points: every reading');
    assert.equal(await chart.getAttribute('data-points'), String(TEMPERATURES.length));
    assert.equal(await chart.getAttribute('data-live'), 'true');
    assert.match(page.url(), /\?metric=temperature&range=1h$/);

    // Facts.
    const facts = page.getByTestId('device-facts');
    assert.match(await facts.innerText(), /Sensor node/);
    assert.match(await page.getByTestId('fact-pit').innerText(), new RegExp(PIT));
    assert.match(await page.getByTestId('fact-workshop').innerText(), /Chart Wraps/);
    assert.doesNotMatch(await page.getByTestId('fact-last-seen').innerText(), /Never/);
    assert.match(await page.getByTestId('latest-temperature').innerText(), /31\.0\s*°C/);
    assert.match(await page.getByTestId('latest-humidity').innerText(), /51\.0\s*%RH/);
    await page.getByTestId('device-events').waitFor();
    assert.match(await page.getByTestId('device-events').innerText(), /Config changed\s*setting: report_interval · value: 30/);

    // The canvas is drawn: many colours, and the series colour among them.
    const px = await canvasPixels(page);
    assert.ok(px, 'a canvas');
    assert.ok(px.width > 200 && px.height > 100, JSON.stringify(px));
    assert.ok(px.colours > 3, `the canvas is not one colour: ${JSON.stringify(px)}`);
    assert.ok(px.accent > 50, `the series line is drawn: ${JSON.stringify(px)}`);

    // Statistics of the range are the posted values.
    assert.deepEqual(await statsText(page), {
      min: fmt1(Math.min(...TEMPERATURES)),
      max: fmt1(Math.max(...TEMPERATURES)),
      avg: `${avgOf(TEMPERATURES).toFixed(2)} °C`,
      count: `${TEMPERATURES.length} readings`,
    });
    await shoot(page, 'device-chart', chart, assert);
    await shoot(page, 'device-facts', facts, assert);
    assertNoSeriousViolations('device page', await axe(page));
    await page.emulateMedia({ colorScheme: 'dark' });
    await chartSettled(page);
    const dark = await canvasPixels(page);
    assert.ok(dark.accent > 50, `the series line is drawn in the dark theme's colour: ${JSON.stringify(dark)}`);
    assertNoSeriousViolations('device page (dark)', await axe(page));
    await shoot(page, 'device-chart-dark', chart, assert);
    await page.emulateMedia({ colorScheme: 'light' });

    // A live reading is appended without another query (the range ends now).
    await page.waitForFunction(() => document.querySelector('[data-testid="live-indicator"]')?.getAttribute('data-status') === 'live');
    let historyCalls = 0;
    const countHistory = (r) => r.url().includes('/history') && historyCalls++;
    page.on('request', countHistory);
    await pushTelemetry(server.base, DEVICE, secret, { values: { temperature: 26 } });
    await page.waitForFunction((n) => document.querySelector('[data-testid="device-chart"]')?.getAttribute('data-points') === String(n), TEMPERATURES.length + 1, {
      timeout: 10000,
    });
    assert.equal(historyCalls, 0, 'the live reading came over the WebSocket');
    page.off('request', countHistory);
    const all = [...TEMPERATURES, 26];

    // 24 h: a new query over a day; the server answers with per-minute roll-ups.
    const dayQuery = nextHistory(page);
    await page.getByRole('button', { name: '24 h', exact: true }).click();
    const q2 = await dayQuery;
    assert.equal(Number(q2.to) - Number(q2.from), 24 * HOUR);
    assert.equal(q2.resolution, 'auto');
    await chartSettled(page);
    assert.equal(await chart.getAttribute('data-resolution'), 'minute');
    assert.equal(await page.getByRole('button', { name: '24 h', exact: true }).getAttribute('aria-pressed'), 'true');
    assert.match(page.url(), /range=24h/);
    await until(async () => (await statsText(page)).count === `${all.length} readings`, 'the statistics cover the day');
    assert.deepEqual(await statsText(page), {
      min: fmt1(Math.min(...all)),
      max: fmt1(Math.max(...all)),
      avg: `${avgOf(all).toFixed(2)} °C`,
      count: `${all.length} readings`,
    });

    // The CSV of exactly this range: fetched with the token in a header, saved from a Blob.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    assert.match(download.suggestedFilename(), new RegExp(`^${DEVICE}_temperature_\\d{8}-\\d{4}_\\d{8}-\\d{4}\\.csv$`));
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'time,metric,value,valid,server_time');
    const rows = csv.slice(1).map((l) => l.split(','));
    assert.equal(rows.length, all.length);
    assert.deepEqual(
      rows.slice(0, TEMPERATURES.length).map((r) => Number(r[2])),
      TEMPERATURES,
    );
    assert.ok(rows.every((r) => r[1] === 'temperature' && r[3] === 'true'));
    assert.deepEqual(
      rows.slice(0, TEMPERATURES.length).map((r) => Date.parse(r[0])),
      samples.map((s) => s.ts),
    );
    assert.equal(exports.length, 1);
    const ex = new URL(exports[0].url);
    assert.equal(Number(ex.searchParams.get('to')) - Number(ex.searchParams.get('from')), 24 * HOUR, 'the same range as the chart');
    assert.equal(ex.searchParams.get('from'), q2.from);
    assert.equal(ex.searchParams.get('metrics'), 'temperature');
    assert.match(exports[0].auth, /^Bearer /);
    assert.doesNotMatch(exports[0].url, /token|eyJ/i, 'no token in the URL');

    // Drag across the plot to zoom: a narrower custom range is queried; "Zoom out" goes back.
    const over = page.locator('[data-testid="device-chart"] .u-over');
    const box = await over.boundingBox();
    const zoomQuery = nextHistory(page);
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.99, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const q3 = await zoomQuery;
    const span = Number(q3.to) - Number(q3.from);
    assert.ok(span < 24 * HOUR * 0.15 && span > 24 * HOUR * 0.05, `zoomed to ${span / HOUR} h`);
    assert.ok(Number(q3.from) > Number(q2.from) && Number(q3.to) <= Number(q2.to) + 1000);
    await chartSettled(page);
    assert.equal(await chart.getAttribute('data-live'), 'false', 'a zoomed range does not end now');
    assert.match(page.url(), /from=.*&to=/);
    assert.equal(await page.getByRole('button', { name: '24 h', exact: true }).getAttribute('aria-pressed'), 'false');
    const backQuery = nextHistory(page);
    await page.getByRole('button', { name: 'Zoom out' }).click();
    assert.equal(Number((await backQuery).to) - Number((await backQuery).from), 24 * HOUR);
    await chartSettled(page);

    // A custom range typed by keyboard: the two hours before the readings have none.
    await page.getByRole('button', { name: 'Custom…' }).click();
    const form = page.getByRole('form', { name: 'Custom range' });
    const local = (ms) =>
      new Intl.DateTimeFormat('sv-SE', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
        .format(new Date(ms))
        .replace(' ', 'T');
    await form.getByLabel('From').fill(local(now - 4 * HOUR));
    await form.getByLabel('To').fill(local(now - 2 * HOUR));
    const customQuery = nextHistory(page);
    await form.getByRole('button', { name: 'Show range' }).click();
    const q4 = await customQuery;
    assert.ok(Math.abs(Number(q4.to) - Number(q4.from) - 2 * HOUR) < 60_000);
    await page.getByText('No readings in this range').waitFor();
    assert.equal((await statsText(page)).min, '—');
    await shoot(page, 'device-chart-empty', chart, assert);

    // A reload opens the same view (the range is in the address).
    const reloadUrl = page.url();
    await page.reload();
    await page.getByText('No readings in this range').waitFor({ timeout: 5000 }).catch(async (e) => {
      await page.screenshot({ path: '/tmp/reload.png' });
      throw new Error(`${e.message}\n${reloadUrl} -> ${page.url()}\n${await page.locator('main').innerText()}\n${w.problems.join('\n')}`);
    });
    assert.deepEqual(w.problems, []);
    await page.close();
  });

  it('the pit page, from the overview tile, lists its devices and charts its sensor node', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    await login(page, server.base, OWNER);
    await page.getByRole('heading', { name: 'Chart Wraps' }).waitFor();
    const tile = page.getByTestId('pit-tile').filter({ has: page.getByRole('heading', { name: PIT }) });
    // The tile links to its device's page too.
    assert.equal(await tile.getByRole('link', { name: NAME }).getAttribute('href'), `/devices/${DEVICE}`);
    await tile.getByRole('link', { name: PIT, exact: true }).click();
    await page.getByRole('heading', { name: PIT, level: 1 }).waitFor();
    assert.match(page.url(), new RegExp(`/pits/${seed.pit.id}$`));
    await page.getByTestId('pit-device').first().waitFor();
    assert.equal(await page.getByTestId('pit-device').count(), 1);
    assert.match(await page.getByTestId('pit-device').innerText(), /Bay Chart climate[\s\S]*Temperature[\s\S]*26\.0/);
    await chartSettled(page);
    assert.equal(await page.getByTestId('device-chart').getAttribute('data-uid'), DEVICE);
    assert.equal(await page.getByTestId('device-chart').getAttribute('data-points'), String(TEMPERATURES.length + 1));
    const px = await canvasPixels(page);
    assert.ok(px.accent > 50, JSON.stringify(px));
    await shoot(page, 'pit-page', page.getByRole('heading', { name: PIT, level: 1 }), assert);
    await shoot(page, 'pit-chart', page.getByTestId('device-chart'), assert);
    assertNoSeriousViolations('pit page', await axe(page));
    await page.emulateMedia({ colorScheme: 'dark' });
    assertNoSeriousViolations('pit page (dark)', await axe(page));
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(w.problems, []);
    await page.close();
  });

  it('owner creates the provisioning key; announced devices wait for approval; one is approved (and gets its credentials), one rejected', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    await login(page, server.base, OWNER);
    await page.getByRole('heading', { name: 'Chart Wraps' }).waitFor();
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    const section = page.getByTestId('pending-devices');
    await section.getByTestId('no-pending').waitFor();

    // The provisioning key: confirmed first, shown once with the MQTT username.
    await section.getByRole('button', { name: 'Provisioning key…' }).click();
    const keyDialog = page.getByRole('dialog', { name: 'Provisioning key' });
    assert.match(await keyDialog.innerText(), /replaces the previous one/);
    await keyDialog.getByRole('button', { name: 'Create new key' }).click();
    const key = await page.getByTestId('provisioning-key').inputValue();
    const username = (await page.getByTestId('provisioning-username').innerText()).trim();
    assert.ok(key.length >= 20, 'the key is shown');
    assert.equal(username, `provision:${seed.workshop.slug}`);
    await shoot(page, 'provisioning-key', page.getByRole('dialog', { name: 'New provisioning key' }), assert);
    assertNoSeriousViolations('provisioning key dialog', await axe(page));
    await page.getByRole('dialog', { name: 'New provisioning key' }).getByRole('button', { name: 'Done' }).click();

    // Two devices announce themselves. The first stays connected, listening for its credentials.
    const announce = (kind) => JSON.stringify({ kind, mac: 'A1:B2:C3:D4:E5:F6', fw: '1.4.0', sensors: ['bme680', 'pms5003'] });
    const mqtt = ['-h', '127.0.0.1', '-p', String(server.mqttPort), '-u', username, '-P', key, '-q', '1'];
    const listener = spawn('mosquitto_rr', [...mqtt, '-i', 'PROV-CHART-1', '-t', 'sw/provision/PROV-CHART-1/announce', '-e', 'sw/provision/PROV-CHART-1/config', '-m', announce('sensor_node'), '-W', '60'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let credentials = '';
    let listenerErr = '';
    listener.stdout.on('data', (d) => (credentials += String(d)));
    listener.stderr.on('data', (d) => (listenerErr += String(d)));
    const listenerDone = new Promise((resolve) => listener.on('exit', resolve));
    try {
      await run('mosquitto_pub', [...mqtt, '-i', 'PROV-CHART-2', '-t', 'sw/provision/PROV-CHART-2/announce', '-m', announce('gateway')]);

      const rows = section.getByTestId('pending-device');
      await until(
        async () => {
          await section.getByRole('button', { name: 'Check for new devices' }).click();
          return (await rows.count()) === 2;
        },
        `both devices wait for approval (${listenerErr})`,
        10000,
      );
      assert.equal(await section.getByTestId('pending-count').innerText(), '2');
      assert.match(await rows.filter({ hasText: 'PROV-CHART-1' }).innerText(), /Sensor node · firmware 1\.4\.0 · announced/);
      assert.match(await page.getByTestId('device-row').filter({ hasText: 'PROV-CHART-1' }).innerText(), /Pending/);
      await shoot(page, 'approvals', section, assert);
      assertNoSeriousViolations('devices with approvals', await axe(page));

      // Staff see the waiting list, without the owner's actions.
      const staff = await browser.context.newPage();
      const ws = watch(staff);
      await login(staff, server.base, STAFF);
      await staff.getByRole('link', { name: 'Devices', exact: true }).click();
      await staff.getByTestId('pending-device').first().waitFor();
      assert.equal(await staff.getByTestId('pending-device').count(), 2);
      assert.equal(await staff.getByRole('button', { name: /Approve|Reject|Provisioning key/ }).count(), 0, 'no owner-only actions for staff');
      assert.match(await staff.getByTestId('pending-devices').innerText(), /workshop owner approves or rejects them/);
      assert.deepEqual(ws.problems, []);
      await staff.close();

      // Approve the first into the pit, with a name.
      await section.getByRole('button', { name: 'Approve PROV-CHART-1' }).click();
      const approve = page.getByRole('dialog', { name: 'Approve device' });
      await approve.getByLabel('Name (optional)').fill('Bay Chart spare');
      await approve.getByLabel('Pit (optional)').selectOption({ label: PIT });
      assertNoSeriousViolations('approve dialog', await axe(page));
      await approve.getByRole('button', { name: 'Approve', exact: true }).click();
      await page.getByTestId('approval-flash').filter({ hasText: 'Bay Chart spare was approved and has received its credentials.' }).waitFor();
      await until(() => rows.count().then((n) => n === 1), 'one device still waits');
      await page.getByTestId('device-row').filter({ hasText: 'PROV-CHART-1' }).getByText('Active').waitFor();

      // The listening device got its credentials over MQTT (never over HTTP), and they work.
      await Promise.race([listenerDone, new Promise((r) => setTimeout(r, 10000))]);
      const creds = JSON.parse(credentials.trim().split('\n').find((l) => l.startsWith('{')) ?? 'null');
      assert.ok(creds, `credentials received: ${credentials} ${listenerErr}`);
      assert.equal(creds.uid, 'PROV-CHART-1');
      assert.ok(creds.secret.length >= 20);
      const receipt = await pushTelemetry(server.base, 'PROV-CHART-1', creds.secret, { values: { temperature: 22.5 } });
      assert.equal(receipt.accepted, 1);

      // Reject the second, after confirming.
      await section.getByRole('button', { name: 'Reject PROV-CHART-2' }).click();
      const reject = page.getByRole('dialog', { name: 'Reject device' });
      assert.match(await reject.innerText(), /removed from the waiting list/);
      await reject.getByRole('button', { name: 'Reject device' }).click();
      await page.getByTestId('approval-flash').filter({ hasText: 'PROV-CHART-2 was rejected.' }).waitFor();
      await section.getByTestId('no-pending').waitFor();
      await page.getByTestId('device-row').filter({ hasText: 'PROV-CHART-2' }).waitFor({ state: 'detached' });
      assert.deepEqual(w.problems, []);
    } finally {
      if (listener.exitCode === null) listener.kill('SIGTERM');
      await page.close();
    }

    // The approved device is in the pit now: the pit page charts both sensor nodes, each labelled.
    const pitPage = await browser.context.newPage();
    const wp = watch(pitPage);
    await login(pitPage, server.base, OWNER);
    await pitPage.getByRole('heading', { name: 'Chart Wraps' }).waitFor();
    await pitPage.goto(`${server.base}/pits/${seed.pit.id}`);
    await pitPage.getByRole('heading', { name: PIT, level: 1 }).waitFor();
    await pitPage.waitForFunction(() => document.querySelectorAll('[data-testid="device-chart"][data-status="ok"]').length === 2, null, { timeout: 10000 });
    assert.deepEqual(
      (await pitPage.getByTestId('device-chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-uid')))).sort(),
      [DEVICE, 'PROV-CHART-1'].sort(),
    );
    await pitPage.getByRole('heading', { name: 'History · Bay Chart spare' }).waitFor();
    await pitPage.getByLabel('Metric (Bay Chart spare)').waitFor();
    assert.equal(await pitPage.getByTestId('pit-device').count(), 2);
    assertNoSeriousViolations('pit page with two sensor nodes', await axe(pitPage));
    assert.deepEqual(wp.problems, []);
    await pitPage.close();
  });
});
