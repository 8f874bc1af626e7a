// Devices talk, in Chromium: an IoT customer registers a device, is shown
// its password once, and Debian's mosquitto_pub, with exactly the settings
// the page showed, publishes a reading; the device page, open meanwhile,
// shows it within a second (its island follows the device's event stream),
// and without JavaScript the same page shows it as a table. A command sent
// from the page is answered by what the broker said.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  BASE, createOrganization, launchChromium, openPage, reloadUntil, signUpVerified, subscribe, uniqueEmail,
  waitForHydration,
} from './support.mjs';

const run = promisify(execFile);
let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** The settings of the password page's `mosquitto_pub` example. */
function settingsOf(example) {
  const value = (flag) => {
    const found = example.match(new RegExp(`${flag} '?([^' ]+)'?`));
    assert.ok(found, `${flag} in ${example}`);
    return found[1];
  };
  return { host: value('-h'), port: value('-p'), username: value('-u'), password: value('-P'), topic: value('-t') };
}

describe('a device publishes', () => {
  test('its reading appears on its page within a second, and a command gets the broker’s answer', async () => {
    const { context, page, errors } = await openPage(browser);
    await signUpVerified(page, uniqueEmail('iot-owner'));
    const slug = await createOrganization(page, 'Capteurs', 'capteurs');
    await subscribe(page, slug, 'iot-lab');
    await reloadUntil(page, '[data-subscription="iot"][data-subscription-state="active"]', 60_000);

    await page.fill('[data-device-form] input[name="name"]', 'thermo-1');
    await page.click('[data-device-form] button[type="submit"]');
    await page.waitForSelector('[data-device="thermo-1"]');
    const devicePath = await page.getAttribute('[data-device="thermo-1"] [data-device-details]', 'href');
    await page.goto(BASE + devicePath);
    await reloadUntil(page, '[data-device-action="reveal"]', 30_000);
    await page.click('[data-device-action="reveal"]');
    const shown = settingsOf(await page.textContent('[data-example]'));
    assert.match(shown.username, new RegExp(`^${slug}\\.thermo-1$`));

    await page.goto(BASE + devicePath);
    await waitForHydration(page);
    await page.locator('[data-live-telemetry] [data-online="false"]').waitFor();

    await run('mosquitto_pub', [
      '-h', shown.host, '-p', shown.port, '-V', 'mqttv5', '-q', '1',
      '-u', shown.username, '-P', shown.password, '-t', shown.topic, '-m', '{"temperature": 23.4}',
    ]);
    const published = Date.now();
    await page.locator('[data-live-telemetry] [data-field="temperature"] [data-latest]').waitFor({ timeout: 1000 });
    const shownAfter = Date.now() - published;
    console.log(`published → shown on the page: ${shownAfter} ms`);
    assert.equal(await page.textContent('[data-field="temperature"] [data-latest]'), '23.4');
    await page.locator('[data-live-telemetry] [data-online="true"]').waitFor({ timeout: 1000 });

    // Without JavaScript: the same reading, as a table, with its chart.
    const plain = await browser.newContext({ locale: 'fr-FR', javaScriptEnabled: false });
    await plain.addCookies(await context.cookies());
    const noScript = await plain.newPage();
    await noScript.goto(BASE + devicePath);
    assert.equal(await noScript.textContent('[data-field="temperature"] [data-latest]'), '23.4');
    assert.equal(await noScript.locator('[data-series="temperature"] polyline').count(), 1);
    assert.match(await noScript.textContent('main'), /Ce qu’il envoie/);
    await plain.close();

    // A command: nobody listens on the device's commands topic.
    await page.fill('[data-command-form] textarea[name="command"]', 'not json');
    await page.click('[data-command-form] button[type="submit"]');
    await page.waitForSelector('#command-problem');
    await page.fill('[data-command-form] textarea[name="command"]', '{"led": "on"}');
    await page.click('[data-command-form] button[type="submit"]');
    await page.waitForSelector('[data-command-result="no_listener"]');
    await page.waitForSelector('[data-sent-commands] [data-sent-command="no_listener"]');

    assert.deepEqual(errors, []);
    await context.close();
  });
});
