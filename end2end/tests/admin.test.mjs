// The admin area is for platform admins at AAL2: a customer is refused; the
// seeded admin is asked for a second factor, enrols one, and gets in.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  atHome,
  BASE, enterPortal, expectUrl, launchChromium, openPage, signIn, signUp, totp, uniqueEmail,
} from './support.mjs';

const ADMIN_EMAIL = process.env.BIBIND_E2E_ADMIN_EMAIL;
const ADMIN_PASSWORD = process.env.BIBIND_E2E_ADMIN_PASSWORD;

let browser;

before(async () => {
  assert.ok(ADMIN_EMAIL && ADMIN_PASSWORD, 'cargo xtask test seeds an admin and passes its credentials');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe('admin area', () => {
  test('signed-out visitors are sent to sign in; customers are refused with a 403 page', async () => {
    const { context, page } = await openPage(browser);
    await page.goto(BASE + '/admin');
    await expectUrl(page, /\/auth\/login\?flow=/);

    const email = uniqueEmail('customer');
    await signUp(page, email);
    await enterPortal(page);
    const refused = await page.goto(BASE + '/admin');
    assert.equal(refused.status(), 403);
    assert.match(await page.locator('main').innerText(), /This area is for Bibind/);
    await context.close();
  });

  test('the admin must enrol a second factor, then sees the platform admins', async () => {
    const { context, page } = await openPage(browser, { locale: 'fr-FR' });
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await expectUrl(page, atHome);
    // The header offers the area; the area itself asks for more.
    assert.equal(await page.locator('header [data-administration]').getAttribute('href'), '/admin');

    const gate = await page.goto(BASE + '/admin');
    assert.equal(gate.status(), 403);
    assert.match(await page.locator('main').innerText(), /exige un second facteur/);
    await page.click('main a[href="/auth/settings"]');
    await expectUrl(page, /\/auth\/settings\?flow=/);
    const secret = (await page.locator('#totp_secret_key').innerText()).trim();
    await page.fill('form[data-group="totp"] input[name="totp_code"]', await totp(secret));
    await page.click('form[data-group="totp"] button[name="method"][value="totp"]');
    await page.waitForSelector('[data-message-id="1050001"]');

    const admitted = await page.goto(BASE + '/admin');
    assert.equal(admitted.status(), 200);
    assert.equal(await page.locator(`[data-platform-admin="${ADMIN_EMAIL}"]`).count(), 1);
    assert.match(await page.locator('h1').innerText(), /Administration/);
    await context.close();
  });
});
