// The live overview against a real sitewatch: readings pushed through the HTTP device API
// appear on the pit's tile without a reload, the header says "Live", and when the server goes
// away the indicator says so while the last values stay on screen.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, assertNoSeriousViolations, axe, createUser, launchBrowser, login, pushTelemetry, rest, shoot, startServer, until, watch } from './harness.mjs';

const OWNER = { username: 'owner-live', password: 'Live-Owner-Pw-5' };
const DEVICE = 'SN-LIVE-0001';
const LOOSE = 'SN-LOOSE-0002';

let server;
let browser;
let seed;

async function seedData(base) {
  const api = rest(base);
  const admin = await api.login('admin', ADMIN_PASSWORD);
  const w = await api.call('POST', '/api/v1/workshops', admin, { name: 'Live Wraps', timezone: 'Europe/Berlin' });
  const pit = await api.call('POST', `/api/v1/workshops/${w.id}/pits`, admin, { number: 1, name: 'Bay One' });
  await api.call('POST', `/api/v1/workshops/${w.id}/pits`, admin, { number: 2, name: 'Bay Two' });
  const dev = await api.call('POST', `/api/v1/workshops/${w.id}/devices`, admin, { kind: 'sensor_node', uid: DEVICE, pit_id: pit.id, name: 'Bay One climate' });
  await api.call('POST', `/api/v1/workshops/${w.id}/devices`, admin, { kind: 'sensor_node', uid: LOOSE, name: 'Spare sensor' });
  await createUser(api, admin, OWNER, { role: 'owner', workshop_id: w.id });
  assert.ok(dev.secret, 'registering returns the device secret');
  return { workshop: w, pit, secret: dev.secret };
}

/** A reading through the HTTP device API (HTTP Basic uid:secret), as a sensor node sends it. */
async function push(values) {
  const receipt = await pushTelemetry(server.base, DEVICE, seed.secret, { values });
  assert.equal(receipt.accepted, Object.keys(values).length);
}

describe('live workshop overview against a real sitewatch', () => {
  before(async () => {
    server = await startServer();
    seed = await seedData(server.base);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows pushed readings on the tile without a reload, and keeps them when the server goes away', async () => {
    const page = await browser.context.newPage();
    const w = watch(page);
    const sockets = [];
    page.on('websocket', (ws) => {
      const s = { url: ws.url(), sent: [] };
      ws.on('framesent', (f) => s.sent.push(String(f.payload)));
      sockets.push(s);
    });
    let latestLoads = 0;
    page.on('request', (r) => {
      if (r.url().endsWith(`/api/v1/workshops/${seed.workshop.id}/latest`)) latestLoads++;
    });

    await login(page, server.base, OWNER);
    await page.getByRole('heading', { name: 'Live Wraps' }).waitFor();
    const tile = page.getByTestId('pit-tile').filter({ has: page.getByRole('heading', { name: 'Bay One' }) });
    const indicator = page.getByTestId('live-indicator');

    // Before any reading: the tile says there is no data, and names the silent device.
    await tile.getByTestId('no-sensor-data').waitFor();
    assert.match(await tile.innerText(), /No sensor data yet/);
    assert.match(await tile.innerText(), /Bay One climate has not sent readings yet/);
    assert.match(await tile.getByTestId('tile-connection').innerText(), /Never seen/);
    // The device without a pit is listed below the grid.
    await page.getByRole('heading', { name: 'Devices without a pit' }).waitFor();
    assert.match(await page.getByTestId('device-tile').innerText(), /Spare sensor/);

    // The channel is up: authenticated in the first frame, never in the URL.
    await page.waitForFunction(() => document.querySelector('[data-testid="live-indicator"]')?.getAttribute('data-status') === 'live');
    assert.match(await indicator.innerText(), /Live/);
    assert.equal(sockets.length, 1, 'one WebSocket per tab');
    assert.equal(new URL(sockets[0].url).pathname, '/api/v1/ws');
    assert.equal(new URL(sockets[0].url).search, '', 'nothing in the query string');
    assert.doesNotMatch(sockets[0].url, /token|eyJ/i);
    await until(() => sockets[0].sent.some((f) => JSON.parse(f).type === 'subscribe'), 'the workshop subscription is sent');
    assert.equal(JSON.parse(sockets[0].sent[0]).type, 'auth', 'the token travels in the first frame');
    assert.deepEqual(JSON.parse(sockets[0].sent.find((f) => JSON.parse(f).type === 'subscribe')).workshops, [seed.workshop.id]);

    // Push readings; they appear without a reload and without another REST load.
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    // Wait until the load that follows the subscription has answered, so that it cannot be mistaken for the live path.
    await page.waitForFunction(() => !document.querySelector('ul.pit-grid[aria-busy="true"]'));
    await page.waitForLoadState('networkidle');
    const loadsBefore = latestLoads;
    await push({ temperature: 23.4, humidity: 45, pm25: 30, pm10: 160, iaq: 80 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="pit-tile"] [data-testid="reading-temperature"]')?.textContent?.includes('23.4') === true,
      null,
      { timeout: 10000 },
    );
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    assert.equal(latestLoads, loadsBefore, 'the values came over the live channel, not a REST reload');
    const levels = {};
    for (const m of ['temperature', 'humidity', 'pm25', 'pm10', 'iaq']) {
      levels[m] = await tile.getByTestId(`reading-${m}`).getAttribute('data-level');
    }
    assert.deepEqual(levels, { temperature: 'good', humidity: 'good', pm25: 'warning', pm10: 'critical', iaq: 'good' });
    assert.match(await tile.getByTestId('reading-pm10').innerText(), /160\s*µg\/m³\s*Critical/);
    assert.match(await tile.getByTestId('reading-pm25').innerText(), /Warning/);
    assert.match(await tile.getByTestId('reading-humidity').innerText(), /45\s*%RH\s*Good/);
    await page.waitForFunction(() => /Online/.test(document.querySelector('[data-testid="pit-tile"] [data-testid="tile-connection"]')?.textContent ?? ''));
    assert.match(await tile.getByTestId('last-reading').innerText(), /Last reading (just now|\d+ s ago)/);
    assert.equal(await tile.getByTestId('no-sensor-data').count(), 0);
    assert.match(await page.getByRole('list', { name: 'Pit status summary' }).innerText(), /1 pit with critical readings/);

    // A second reading replaces the first, live.
    await push({ temperature: 27.1 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="pit-tile"] [data-testid="reading-temperature"]')?.textContent?.includes('27.1') === true,
      null,
      { timeout: 10000 },
    );
    assert.equal(await tile.getByTestId('reading-temperature').getAttribute('data-level'), 'warning');
    assert.equal(latestLoads, loadsBefore);

    // "Last reading" counts up by itself.
    await page.waitForFunction(() => /\d+ s ago/.test(document.querySelector('[data-testid="pit-tile"] [data-testid="last-reading"]')?.textContent ?? ''), null, {
      timeout: 10000,
    });

    await shoot(page, 'overview-live', tile, assert);
    await shoot(page, 'overview-live-indicator', indicator, assert);
    assertNoSeriousViolations('live overview', await axe(page));
    await page.emulateMedia({ colorScheme: 'dark' });
    assertNoSeriousViolations('live overview (dark)', await axe(page));
    await shoot(page, 'overview-live-dark', tile, assert);
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(w.problems, []);

    // The server goes away: the indicator says so, the values stay.
    await server.stop();
    await page.waitForFunction(
      () => ['reconnecting', 'offline'].includes(document.querySelector('[data-testid="live-indicator"]')?.getAttribute('data-status') ?? ''),
      null,
      { timeout: 15000 },
    );
    await page.waitForFunction(() => /retry in \d+ s/.test(document.querySelector('[data-testid="live-indicator"]')?.textContent ?? ''), null, { timeout: 15000 });
    const said = await indicator.innerText();
    assert.match(said, /(Reconnecting|Offline) · retry in \d+ s/);
    assert.match(said, /Live updates (were interrupted|are offline)/, 'announced in words for screen readers');
    assert.equal(await indicator.getByRole('status').getAttribute('aria-live'), 'polite');
    assert.match(await tile.getByTestId('reading-temperature').innerText(), /27\.1/, 'the last values stay on screen');
    assert.match(await tile.getByTestId('reading-pm10').innerText(), /160/);
    assert.equal(await page.evaluate(() => window.__sameDocument), true);
    await shoot(page, 'overview-reconnecting', tile, assert);
    await shoot(page, 'overview-reconnecting-indicator', indicator, assert);
    assertNoSeriousViolations('overview while reconnecting', await axe(page));
    // Only the failed reconnection attempts may complain now.
    const other = w.problems.filter((p) => !/WebSocket connection to .*\/api\/v1\/ws.* failed/.test(p));
    assert.deepEqual(other, []);
    await page.close();
  });
});
