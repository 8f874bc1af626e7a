// Identity through the real Kratos: sign up, verify the e-mail with the code
// read from the SMTP sink, sign out, sign in, and a wrong password in French.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launchChromium, openPage, waitForMail } from './support.mjs';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const PASSWORD = 'correct horse battery staple';

async function signUp(page, email) {
  await page.goto(BASE + '/auth/registration');
  await page.waitForURL(/\/auth\/registration\?flow=/);
  await page.fill('input[name="traits.email"]', email);
  await page.fill('input[name="traits.name.first"]', 'Camille');
  await page.fill('input[name="traits.name.last"]', 'Martin');
  // Kratos v1.3.1 registers in two steps: the profile, then the password.
  await page.click('button[name="method"][value="profile"]');
  await page.waitForSelector('input[name="password"]');
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[name="method"][value="password"]');
}

describe('identity', () => {
  test('sign up, verify the e-mail by code, sign out, sign in again', async () => {
    const { context, page, errors } = await openPage(browser);
    const email = `camille.${Date.now()}@example.com`;
    await signUp(page, email);

    // Kratos asks for the code it mailed.
    await page.waitForURL(/\/auth\/verification\?flow=/);
    assert.ok(await page.locator('[data-message-id="1080003"]').isVisible(), 'the "code sent" message is shown');
    const mail = await waitForMail(email);
    const code = mail.text.match(/\b(\d{6})\b/)?.[1];
    assert.ok(code, `a six-digit code in: ${mail.text}`);
    await page.fill('input[name="code"]', code);
    await page.click('button[name="method"][value="code"]');
    await page.waitForSelector('[data-message-id="1080002"]');

    // The registration hook signed them in.
    await page.goto(BASE + '/');
    assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    assert.match(await page.locator('header').innerText(), /Camille Martin/);

    await page.click('a[href="/auth/logout"]');
    await page.waitForURL(BASE + '/');
    assert.equal(await page.locator('[data-signed-in]').count(), 0);

    await page.goto(BASE + '/auth/login');
    await page.waitForURL(/\/auth\/login\?flow=/);
    await page.fill('input[name="identifier"]', email);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[name="method"][value="password"]');
    await page.waitForURL(BASE + '/');
    assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    assert.deepEqual(errors.filter((e) => !e.includes('favicon')), []);
    await context.close();
  });

  test('a wrong password is refused with a message in French, beside a form ready to retry', async () => {
    const { context, page } = await openPage(browser, { locale: 'fr-FR', javaScriptEnabled: false });
    await page.goto(BASE + '/auth/login');
    await page.waitForURL(/\/auth\/login\?flow=/);
    assert.match(await page.locator('h1').innerText(), /Connexion à Bibind/);
    await page.fill('input[name="identifier"]', 'nobody@example.com');
    await page.fill('input[name="password"]', 'not the password at all');
    await page.click('button[name="method"][value="password"]');
    await page.waitForSelector('[data-message-id="4000006"]');
    assert.match(await page.locator('[data-message-id="4000006"]').innerText(), /Identifiants incorrects/);
    assert.equal(await page.inputValue('input[name="identifier"]'), 'nobody@example.com');
    await context.close();
  });

  test('a stale flow link starts a new flow instead of failing', async () => {
    const { context, page } = await openPage(browser);
    await page.goto(BASE + '/auth/login?flow=0b9c0c8e-96a1-4d51-9a39-0f6e1c2b7d11');
    await page.waitForURL(/\/auth\/login\?flow=(?!0b9c0c8e)/);
    assert.equal(await page.locator('input[name="identifier"]').count(), 1);
    await context.close();
  });
});
