// Identity through the real Kratos: sign up, verify the e-mail with the code
// read from the SMTP sink, sign out, sign in, and a wrong password in French.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  atHome,
  BASE, PASSWORD, enterPortal, expectUrl, launchChromium, openPage, signIn, signUp, totp, uniqueEmail, waitForMail,
} from './support.mjs';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe('identity', () => {
  test('sign up, verify the e-mail by code, sign out, sign in again', async (t) => {
    const { context, page, errors } = await openPage(browser);
    const email = uniqueEmail('camille');
    await signUp(page, email);

    // Kratos asks for the code it mailed.
    assert.ok(await page.locator('[data-message-id="1080003"]').isVisible(), 'the "code sent" message is shown');
    const mail = await waitForMail(email);
    const code = mail.text.match(/\b(\d{6})\b/)?.[1];
    assert.ok(code, `a six-digit code in: ${mail.text}`);
    await page.fill('input[name="code"]', code);
    await page.click('button[name="method"][value="code"]');
    await page.waitForSelector('[data-message-id="1080002"]');

    // The registration hook signed them in at Kratos: the portal signs
    // them in without asking again.
    await enterPortal(page);
    assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    assert.match(await page.locator('header').innerText(), /Camille Martin/);

    await page.click('[data-sign-out]');
    await page.waitForURL(BASE + '/');
    assert.equal(await page.locator('[data-signed-in]').count(), 0);

    // Each request of the round trip, by server, to tell what the portal adds.
    const served = new Map();
    const onFinished = (request) => {
      const timing = request.timing();
      const origin = new URL(request.url()).origin;
      const entry = served.get(origin) ?? { requests: 0, ms: 0 };
      entry.requests += 1;
      entry.ms += Math.max(0, timing.responseEnd);
      served.set(origin, entry);
    };
    page.on('requestfinished', onFinished);
    const started = performance.now();
    await signIn(page, email);
    await expectUrl(page, atHome);
    // From opening the sign-in page to the signed-in home page, in Chromium.
    const total = Math.round(performance.now() - started);
    page.off('requestfinished', onFinished);
    const parts = [...served].map(([origin, { requests, ms }]) =>
      `${origin === BASE ? 'portal' : origin}: ${requests} requests, ${Math.round(ms)} ms`);
    t.diagnostic(`login round trip: ${total} ms (${parts.join('; ')})`);
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

  test('recovery by e-mail code, then a new password', async () => {
    const { context, page } = await openPage(browser);
    const email = uniqueEmail('recover');
    await signUp(page, email);
    await context.clearCookies();

    await page.goto(BASE + '/auth/recovery');
    await page.waitForURL(/\/auth\/recovery\?flow=/);
    await page.fill('input[name="email"]', email);
    await page.click('button[name="method"][value="code"]');
    await page.waitForSelector('[data-message-id="1060003"]');
    // Not the verification mail sent at sign-up: the recovery one.
    const mail = await waitForMail(email, { subject: /recover|récupér/i });
    const code = mail.text.match(/\b(\d{6})\b/)?.[1];
    assert.ok(code, mail.text);
    await page.fill('input[name="code"]', code);
    await page.click('button[name="method"][value="code"]');

    // Recovered: signed in, on the settings page, asked to choose a new password.
    await page.waitForURL(/\/auth\/settings\?flow=/);
    assert.ok(await page.locator('[data-message-id="1060001"]').isVisible());
    const newPassword = 'a brand new passphrase 42';
    await page.fill('form[data-group="password"] input[name="password"]', newPassword);
    await page.click('form[data-group="password"] button[name="method"][value="password"]');
    await page.waitForSelector('[data-message-id="1050001"]');

    await enterPortal(page);
    await page.click('[data-sign-out]');
    await page.waitForURL(BASE + '/');
    await signIn(page, email, newPassword);
    await expectUrl(page, atHome);
    assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    await context.close();
  });

  test('profile change, TOTP enrolment with its QR code, and sign-in at AAL2', async () => {
    const { context, page } = await openPage(browser);
    const email = uniqueEmail('totp');
    await signUp(page, email);
    await enterPortal(page);

    await page.goto(BASE + '/auth/settings');
    await page.waitForURL(/\/auth\/settings\?flow=/);
    await page.fill('form[data-group="profile"] input[name="traits.name.first"]', 'Dominique');
    await page.selectOption('form[data-group="profile"] select[name="traits.locale"]', 'fr');
    await page.click('form[data-group="profile"] button[name="method"][value="profile"]');
    await page.waitForSelector('[data-message-id="1050001"]');
    assert.match(await page.locator('header').innerText(), /Dominique Martin/);

    assert.ok(await page.locator('form[data-group="totp"] img[src^="data:image/png;base64,"]').isVisible(), 'a QR code');
    const secret = (await page.locator('#totp_secret_key').innerText()).trim();
    assert.match(secret, /^[A-Z2-7]{16,}$/);
    await page.fill('form[data-group="totp"] input[name="totp_code"]', await totp(secret));
    await page.click('form[data-group="totp"] button[name="method"][value="totp"]');
    await page.waitForSelector('[data-message-id="1050001"]');

    // With a second factor, signing in asks for it after the password.
    await page.click('[data-sign-out]');
    await signIn(page, email);
    await page.waitForURL(/\/auth\/login\?flow=/);
    await page.waitForSelector('input[name="totp_code"]');
    await page.fill('input[name="totp_code"]', '000000');
    await page.click('button[name="method"][value="totp"]');
    await page.waitForSelector('[data-message-id="4000008"]');
    await page.fill('input[name="totp_code"]', await totp(secret));
    await page.click('button[name="method"][value="totp"]');
    await expectUrl(page, atHome);
    assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    await context.close();
  });

  test('recovery codes are generated and confirmed in settings, then accepted as the second factor, once', async () => {
    const { context, page } = await openPage(browser);
    const email = uniqueEmail('lookup');
    await signUp(page, email);
    await enterPortal(page);

    await page.goto(BASE + '/auth/settings');
    await page.waitForURL(/\/auth\/settings\?flow=/);
    await page.click('form[data-group="lookup_secret"] button[name="lookup_secret_regenerate"]');
    await page.waitForSelector('#lookup_secret_codes li');
    const codes = await page.locator('#lookup_secret_codes li').allInnerTexts();
    assert.ok(codes.length >= 10, `codes shown: ${codes}`);
    await page.click('form[data-group="lookup_secret"] button[name="lookup_secret_confirm"]');
    await page.waitForSelector('[data-message-id="1050001"]');

    for (const [round, expectAccepted] of [[1, true], [2, false]]) {
      await page.click('[data-sign-out]');
      await page.waitForURL(BASE + '/');
      await signIn(page, email);
      await page.waitForSelector('input[name="lookup_secret"]');
      await page.fill('input[name="lookup_secret"]', codes[0]);
      await page.click('button[name="method"][value="lookup_secret"]');
      if (expectAccepted) {
        await expectUrl(page, atHome);
        assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email, `round ${round}`);
      } else {
        // A used code is refused beside the field, in the visitor's language.
        await page.waitForSelector('[data-message-id="4000012"]');
        await page.fill('input[name="lookup_secret"]', codes[1]);
        await page.click('button[name="method"][value="lookup_secret"]');
        await expectUrl(page, atHome);
      }
    }
    await context.close();
  });

  test('settings ask to sign in again once the login is no longer recent', async () => {
    const { context, page } = await openPage(browser, { locale: 'fr-FR' });
    const email = uniqueEmail('stale');
    await signUp(page, email);
    await enterPortal(page);
    // The tests' Kratos counts a login as recent for one minute (fifteen in
    // deploy/ory/kratos.yml); wait it out.
    await new Promise((resolve) => setTimeout(resolve, 62_000));

    const newPassword = 'another long passphrase 7';
    await page.goto(BASE + '/auth/settings');
    await page.waitForURL(/\/auth\/settings\?flow=/);
    await page.fill('form[data-group="password"] input[name="password"]', newPassword);
    await page.click('form[data-group="password"] button[name="method"][value="password"]');
    await expectUrl(page, /\/auth\/login\?flow=/);
    assert.match(await page.locator('[data-message-id="1010003"]').innerText(), /Confirmez/);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[name="method"][value="password"]');
    await expectUrl(page, /\/auth\/settings\?flow=/);
    if (!(await page.locator('[data-message-id="1050001"]').count())) {
      await page.fill('form[data-group="password"] input[name="password"]', newPassword);
      await page.click('form[data-group="password"] button[name="method"][value="password"]');
      await page.waitForSelector('[data-message-id="1050001"]');
    }

    await page.click('[data-sign-out]');
    await page.waitForURL(BASE + '/');
    await signIn(page, email, newPassword);
    await expectUrl(page, atHome);
    assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    await context.close();
  });

  test('a passkey added in settings signs the person in without a password', async () => {
    const { context, page } = await openPage(browser);
    // Chromium's virtual authenticator stands in for a phone or a security key.
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
        hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
      },
    });
    const email = uniqueEmail('passkey');
    await signUp(page, email);
    await enterPortal(page);

    await page.goto(BASE + '/auth/settings');
    await page.waitForURL(/\/auth\/settings\?flow=/);
    await page.click('button[name="passkey_register_trigger"]');
    await page.waitForSelector('[data-message-id="1050001"]');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the authenticator holds one passkey for localhost');
    assert.equal(credentials[0].rpId, 'localhost');

    await page.click('[data-sign-out]');
    await page.waitForURL(BASE + '/');
    await page.goto(BASE + '/auth/login');
    await page.waitForURL(/\/auth\/login\?flow=/);
    await page.click('button[name="passkey_login_trigger"]');
    await expectUrl(page, atHome);
    assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    await context.close();
  });

  test('without WebAuthn or JavaScript the passkey buttons stay hidden', async () => {
    const { context, page } = await openPage(browser, { javaScriptEnabled: false });
    await page.goto(BASE + '/auth/login');
    await page.waitForURL(/\/auth\/login\?flow=/);
    assert.equal(await page.locator('button[name="passkey_login_trigger"]').count(), 1);
    assert.equal(await page.locator('button[name="passkey_login_trigger"]').isVisible(), false);
    assert.equal(await page.locator('input[name="password"]').isVisible(), true);
    await context.close();
  });

  test('a sign-in whose state was tampered with, or replayed, ends on a page to start again', async () => {
    const { context, page } = await openPage(browser, { locale: 'fr-FR' });
    await signUp(page, uniqueEmail('tamper'));
    // Walk the redirects of a sign-in with the browser's own cookie jar, and
    // stop at the portal's callback, keeping the URL Hydra sent there.
    let callback = BASE + '/auth/signin';
    for (let hop = 0; hop < 20 && !callback.includes('/auth/callback?'); hop += 1) {
      const response = await page.request.get(callback, { maxRedirects: 0 });
      callback = new URL(response.headers().location, callback).href;
    }
    assert.ok(callback.includes('/auth/callback?code='), `stopped at the callback: ${callback}`);

    await page.goto(callback.replace(/state=[^&]+/, 'state=forged'));
    await expectUrl(page, /\/auth\/error\?reason=expired/);
    assert.match(await page.locator('main').innerText(), /Recommencer/);
    // The genuine callback, replayed after that, is refused as well.
    await page.goto(callback);
    await expectUrl(page, /\/auth\/error\?reason=expired/);
    assert.equal(await page.locator('[data-signed-in]').count(), 0);
    await page.click('main a[href="/auth/signin"]');
    await expectUrl(page, atHome);
    assert.equal(await page.locator('[data-signed-in]').count(), 1, 'starting again works');
    await context.close();
  });

  test('after ten wrong passwords the sign-in form pauses and says for how long', async () => {
    const { context, page } = await openPage(browser, { locale: 'fr-FR', javaScriptEnabled: false });
    const email = uniqueEmail('guessed');
    for (let attempt = 1; attempt <= 11; attempt += 1) {
      await signIn(page, email, `wrong password number ${attempt}`);
      await page.waitForLoadState();
      if (attempt <= 10) await page.waitForSelector('[data-message-id="4000006"]');
    }
    await page.waitForSelector('[data-rate-limited]');
    assert.match(await page.locator('[data-rate-limited]').innerText(), /Trop de tentatives.*15 minutes/s);
    await context.close();
  });

  test('active sessions are listed and another browser can be signed out', async () => {
    const first = await openPage(browser);
    const email = uniqueEmail('sessions');
    await signUp(first.page, email);
    await enterPortal(first.page);
    const second = await openPage(browser);
    await signIn(second.page, email);
    await expectUrl(second.page, atHome);

    await first.page.goto(BASE + '/account/sessions');
    assert.equal(await first.page.locator('[data-session]').count(), 2);
    assert.equal(await first.page.locator('[data-session] form').count(), 1, 'only the other session has a button');
    await first.page.click('[data-session] form button');
    await first.page.waitForURL(BASE + '/account/sessions');
    assert.equal(await first.page.locator('[data-session]').count(), 1);

    await second.page.goto(BASE + '/');
    assert.equal(await second.page.locator('[data-signed-in]').count(), 0, 'the other browser is signed out');
    await first.page.goto(BASE + '/');
    assert.equal(await first.page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    await first.context.close();
    await second.context.close();
  });
});
