// MQTT integrations (Team page, owners only) against a real sitewatch seeded by `sitewatch demo`:
// the demo owner creates a read-only integration and sees its username and secret once, in
// the dialog and never in the list; the broker accepts that login and delivers a demo device's
// telemetry to it. Rotating shows a new secret once and the old one stops working; disabling
// refuses the login; deleting asks first (Escape keeps it) and then removes it. The demo's staff
// user (the technician) has no Team page, and the API refuses them the list.
// Broker logins are checked with mosquitto_sub / mosquitto_pub, each bounded by a timeout.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { assertNoSeriousViolations, axe, launchBrowser, login, rest, shoot, startServer, watch } from './harness.mjs';

const run = promisify(execFile);
const NAME = 'Home Assistant';
const MQTT_TIMEOUT_MS = 5000;

let server;
let browser;
let clientSeq = 0;

/**
 * Logs in to the broker as `username` and subscribes to every device's telemetry. Resolves
 * `{ outcome: 'subscribed', granted, messages }` once the SUBACK arrives (after `whileSubscribed`
 * has run, and until a PUBLISH on `expectTopic` has arrived when one is named), or
 * `{ outcome: 'refused', reason }` when the broker refuses the login; never later than the timeout.
 */
function mqttSubscribe(username, password, { whileSubscribed, expectTopic } = {}) {
  return new Promise((resolve, reject) => {
    // Line-buffered: mosquitto_sub's debug lines would otherwise wait in a full pipe buffer.
    const child = spawn(
      'stdbuf',
      ['-oL', 'mosquitto_sub', '-d', '-h', '127.0.0.1', '-p', String(server.mqttPort), '-i', `it-sub-${process.pid}-${clientSeq++}`, '-u', username, '-P', password, '-q', '1', '-t', 'sw/d/+/telemetry'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let settled = false;
    let granted = null;
    let acting = false;
    const finish = (result, error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (error) reject(error);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(null, new Error(`mosquitto_sub as ${username}: no answer within ${MQTT_TIMEOUT_MS} ms:\n${out}`)), MQTT_TIMEOUT_MS);
    const received = () => [...out.matchAll(/received PUBLISH \([^)]*'([^']+)'/g)].map((m) => m[1]);
    const check = () => {
      const refused = /Connection (?:error: )?(?:Connection )?Refused: ([^.\n]+)/i.exec(out);
      if (refused) return finish({ outcome: 'refused', reason: refused[1].trim() });
      const sub = /Subscribed \(mid: \d+\): (\d+)/.exec(out);
      if (!sub) return;
      granted = Number(sub[1]);
      if (whileSubscribed && !acting) {
        acting = true;
        whileSubscribed().catch((e) => finish(null, e));
      }
      if (!expectTopic || received().includes(expectTopic)) finish({ outcome: 'subscribed', granted, messages: received() });
    };
    child.stdout.on('data', (d) => {
      out += d;
      check();
    });
    child.stderr.on('data', (d) => {
      out += d;
      check();
    });
    child.on('close', () => {
      check();
      finish(null, new Error(`mosquitto_sub as ${username} exited:\n${out}`));
    });
  });
}

/** A demo device publishes a reading over MQTT with its own credentials, as its firmware does. */
async function publishReading(device) {
  await run(
    'mosquitto_pub',
    ['-h', '127.0.0.1', '-p', String(server.mqttPort), '-i', `it-pub-${process.pid}-${clientSeq++}`, '-u', device.uid, '-P', device.secret, '-q', '1', '-t', `sw/d/${device.uid}/telemetry`, '-m', JSON.stringify({ values: { temperature_c: 21.5 } })],
    { timeout: MQTT_TIMEOUT_MS },
  );
}

/** Everything on the page a person could read or copy, form field values included. */
async function pageText(page) {
  return page.evaluate(() => document.body.innerHTML + [...document.querySelectorAll('input, textarea')].map((i) => i.value).join('\n'));
}

/** The focused element's accessible-ish name (aria-label, else its text) and whether it sits in an open dialog. */
async function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    return { name: a?.getAttribute('aria-label') ?? a?.textContent?.trim() ?? '', inDialog: Boolean(a?.closest('dialog[open]')) };
  });
}

/**
 * The accessible name of the focused element once it is `name`, or what it is after 2 s: the
 * native dialog gives focus back when it closes, a frame after its content is gone.
 */
async function focusSettlesOn(page, name) {
  const deadline = Date.now() + 2000;
  let now = await focused(page);
  while (now.name !== name && Date.now() < deadline) {
    await page.waitForTimeout(20);
    now = await focused(page);
  }
  return now.name;
}

/** At desktop, phone and the narrowest width the secret field shows the whole secret, nothing cut off or scrolled. */
async function assertSecretReadable(page, testId) {
  for (const width of [1280, 390, 360]) {
    await page.setViewportSize({ width, height: 800 });
    const m = await page.getByTestId(testId).evaluate((el) => {
      const r = el.getBoundingClientRect();
      const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { sw: el.scrollWidth, cw: el.clientWidth, sh: el.scrollHeight, ch: el.clientHeight, onTop: top === el };
    });
    assert.ok(m.sw <= m.cw + 1 && m.sh <= m.ch + 1, `at ${width} px the secret field cuts the secret off: ${JSON.stringify(m)}`);
    assert.ok(m.onTop, `at ${width} px something covers the secret field`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe('MQTT integrations on the Team page, against a real sitewatch seeded by `sitewatch demo`', () => {
  before(async () => {
    server = await startServer({ demo: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the demo owner creates an integration (secret shown once), rotates its secret, disables and deletes it', async () => {
    const owner = server.demo.owner;
    const node = server.demoDevices.find((d) => d.kind === 'sensor_node');
    assert.ok(node, 'the demo has a sensor node');
    const page = await browser.context.newPage();
    const w = watch(page);
    try {
      await login(page, server.base, owner);
      await page.getByRole('heading', { name: 'Demo PPF Studio' }).waitFor();
      await page.getByRole('link', { name: 'Team' }).click();
      await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
      const section = page.getByRole('region', { name: 'MQTT integrations' });
      await section.getByText('No integrations').waitFor();

      // The create dialog: focus moves into it, the name is required, read access lists no publish topic.
      await section.getByRole('button', { name: 'Add integration' }).click();
      const create = page.getByRole('dialog', { name: 'Add integration' });
      await create.waitFor();
      assert.ok((await focused(page)).inDialog, 'focus is inside the open dialog');
      await create.getByRole('button', { name: 'Create integration' }).click();
      await create.getByText('Give it a name').waitFor();
      assert.equal(await create.getByLabel('Name').getAttribute('aria-invalid'), 'true');
      await create.getByLabel('Name').fill(NAME);
      assert.equal(await create.getByLabel('Access').inputValue(), 'read');
      const topics = await create.innerText();
      assert.match(topics, /sw\/d\/\+\/telemetry/);
      assert.doesNotMatch(topics, /cmd\/request/, 'read access publishes nothing');
      assertNoSeriousViolations('add integration dialog', await axe(page));
      await create.getByRole('button', { name: 'Create integration' }).click();

      // Shown once: username and secret in the dialog.
      const created = page.getByRole('dialog', { name: `${NAME} was created` });
      await created.waitFor();
      const secret = await created.getByTestId('integration-secret').inputValue();
      assert.ok(secret.length >= 20, `a secret is shown (${secret.length} chars)`);
      const username = /MQTT username:\s*(\S+)/.exec(await created.innerText())?.[1];
      assert.match(username ?? '', /^int:/, 'the MQTT username is shown');
      assert.match(await created.innerText(), /shown only now/);
      await created.getByRole('button', { name: 'Copy' }).waitFor();
      await shoot(page, 'integration-created', created, assert);
      await assertSecretReadable(page, 'integration-secret');
      assertNoSeriousViolations('integration secret dialog', await axe(page));

      // The broker takes that login and delivers the workshop's telemetry to it.
      const first = await mqttSubscribe(username, secret, { whileSubscribed: () => publishReading(node), expectTopic: `sw/d/${node.uid}/telemetry` });
      assert.equal(first.outcome, 'subscribed');
      assert.equal(first.granted, 1, 'the telemetry subscription is granted (QoS 1)');

      await created.getByRole('button', { name: 'Done' }).click();
      await created.waitFor({ state: 'hidden' });
      const row = section.getByTestId('integration-row').filter({ hasText: NAME });
      await row.waitFor();
      assert.equal(await section.getByTestId('integration-row').count(), 1);
      const rowText = await row.innerText();
      assert.match(rowText, new RegExp(username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.match(rowText, /Read only/);
      assert.match(rowText, /Enabled/);
      assert.equal(await page.getByTestId('integration-secret').count(), 0, 'the secret field is gone');
      assert.ok(!(await pageText(page)).includes(secret), 'the secret appears nowhere on the page after Done');
      await shoot(page, 'team-integrations', section.getByRole('table', { name: 'Integrations' }), assert);
      assertNoSeriousViolations('team with integrations', await axe(page));
      const ownerToken = await rest(server.base).login(owner.username, owner.password);
      const listed = await rest(server.base).call('GET', `/api/v1/workshops/${(await rest(server.base).call('GET', '/api/v1/auth/me', ownerToken)).workshop_id}/integrations`, ownerToken);
      assert.ok(!JSON.stringify(listed).includes(secret), 'the API list never carries the secret');

      // Rotate: a new secret, shown once; the old one stops working.
      await row.getByRole('button', { name: `Rotate secret of ${NAME}` }).click();
      const rotated = page.getByRole('dialog', { name: `New secret for ${NAME}` });
      await rotated.waitFor();
      const second = await rotated.getByTestId('integration-secret').inputValue();
      assert.ok(second.length >= 20);
      assert.notEqual(second, secret, 'rotating gives a different secret');
      assert.match(await rotated.innerText(), new RegExp(`MQTT username:\\s*${username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'same username');
      await shoot(page, 'integration-rotated', rotated, assert);
      await page.keyboard.press('Escape');
      await rotated.waitFor({ state: 'hidden' });
      assert.ok(!(await pageText(page)).includes(second), 'Escape closes it and the new secret leaves the page');
      assert.equal((await mqttSubscribe(username, secret)).outcome, 'refused', 'the old secret no longer logs in');
      assert.equal((await mqttSubscribe(username, second)).outcome, 'subscribed', 'the new secret logs in');

      // Disable: the badge says so, and the broker refuses the login.
      await row.getByRole('button', { name: `Disable ${NAME}` }).click();
      await row.getByText('Disabled').waitFor();
      await row.getByRole('button', { name: `Enable ${NAME}` }).waitFor();
      await shoot(page, 'team-integration-disabled', row, assert);
      const disabled = await mqttSubscribe(username, second);
      assert.equal(disabled.outcome, 'refused', 'a disabled integration cannot log in');
      assert.match(disabled.reason, /not authori[sz]ed/i);

      // Delete asks first; Escape (or Cancel) keeps it and gives focus back to the button.
      await row.getByRole('button', { name: `Delete ${NAME}` }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete integration' });
      await confirm.waitFor();
      assert.match(await confirm.innerText(), new RegExp(`${NAME} is disconnected now and can no longer log in`));
      assert.ok((await focused(page)).inDialog, 'focus is inside the confirmation');
      await shoot(page, 'integration-delete-confirm', confirm, assert);
      assertNoSeriousViolations('delete integration dialog', await axe(page));
      await page.keyboard.press('Escape');
      await confirm.waitFor({ state: 'hidden' });
      assert.equal(await section.getByTestId('integration-row').count(), 1, 'Escape deletes nothing');
      assert.equal(await focusSettlesOn(page, `Delete ${NAME}`), `Delete ${NAME}`, 'focus returns to the Delete button');
      await row.getByRole('button', { name: `Delete ${NAME}` }).click();
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'hidden' });
      assert.equal(await section.getByTestId('integration-row').count(), 1, 'Cancel deletes nothing');
      await row.getByRole('button', { name: `Delete ${NAME}` }).click();
      await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
      await confirm.waitFor({ state: 'hidden' });
      await section.getByText('No integrations').waitFor();
      assert.equal(await section.getByTestId('integration-row').count(), 0);
      assert.equal((await mqttSubscribe(username, second)).outcome, 'refused', 'a deleted integration cannot log in');
      await shoot(page, 'team-integrations-empty', section, assert);
      assert.deepEqual(w.problems, []);
    } finally {
      await page.close();
    }
  });

  it('the demo staff user (a technician) sees no integrations, and the API refuses them', async () => {
    const staff = server.demo.staff;
    const page = await browser.context.newPage();
    const w = watch(page);
    try {
      await login(page, server.base, staff);
      await page.getByRole('heading', { name: 'Demo PPF Studio' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Team' }).count(), 0, 'no Team link');
      // Typing the address shows that the page is not for this role, and no integrations.
      await page.evaluate(() => {
        history.pushState(null, '', '/team');
        dispatchEvent(new PopStateEvent('popstate'));
      });
      await page.getByText('Not available for your role').waitFor();
      const text = await page.locator('main').innerText();
      assert.doesNotMatch(text, /MQTT integrations|Add integration/);
      assert.equal(await page.getByRole('region', { name: 'MQTT integrations' }).count(), 0);
      await shoot(page, 'team-staff', page.getByText('Not available for your role'), assert);
      assert.deepEqual(w.problems, []);
    } finally {
      await page.close();
    }
    const api = rest(server.base);
    const token = await api.login(staff.username, staff.password);
    const me = await api.call('GET', '/api/v1/auth/me', token);
    assert.equal(me.role, 'staff');
    await assert.rejects(api.call('GET', `/api/v1/workshops/${me.workshop_id}/integrations`, token), /→ 403/);
    await assert.rejects(api.call('POST', `/api/v1/workshops/${me.workshop_id}/integrations`, token, { name: 'Sneaky', access: 'read' }), /→ 403/);
  });
});
