// Single sign-on and single logout between the portal and a second
// application: the simulated Odoo in sim/ (an OpenID client of Hydra that
// uses the portal's own relying-party code). Then the same relying-party
// code signs in at npm's oidc-provider, a certified OpenID provider, to show
// it is not tied to Hydra.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import Provider from 'oidc-provider';
import {
  atHome,
  BASE, expectUrl, launchChromium, openPage, recordNavigations, signUp, uniqueEmail,
} from './support.mjs';

const RP = process.env.BIBIND_RP_URL ?? 'http://localhost:5555';
const SIM_BINARY = process.env.SIM_BINARY;

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** Signs a new person up and in to the portal; returns the page. */
async function portalUser(email) {
  const { context, page } = await openPage(browser);
  await signUp(page, email);
  await page.goto(BASE + '/auth/signin');
  await expectUrl(page, atHome);
  assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
  return { context, page };
}

async function rpUser(page, rp = RP) {
  await page.goto(rp + '/');
  const user = page.locator('[data-rp-user]');
  return (await user.count()) ? user.getAttribute('data-rp-user') : null;
}

async function eventually(check, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('single sign-on with the simulated Odoo', () => {
  test('a person signed in to the portal is signed in to Odoo without a password; signing out of the portal signs them out there', async () => {
    const email = uniqueEmail('sso-odoo');
    const { context, page } = await portalUser(email);
    assert.equal(await rpUser(page), null);

    const visited = recordNavigations(page);
    await page.click('a[href="/auth/signin"]');
    await expectUrl(page, (url) => url.href === RP + '/');
    assert.equal(await rpUser(page), email);
    assert.ok(!visited.some((u) => u.includes('/auth/login?flow=')), `no password asked: ${visited.join(' → ')}`);

    await page.goto(BASE + '/');
    await page.click('[data-sign-out]');
    await expectUrl(page, (url) => url.href === BASE + '/');
    assert.equal(await page.locator('[data-signed-in]').count(), 0);
    // Hydra told Odoo by back-channel logout.
    await eventually(async () => (await rpUser(page)) === null, 'Odoo to sign the person out');
    await context.close();
  });

  test('signing out of Odoo signs the person out of the portal too', async () => {
    const email = uniqueEmail('slo-odoo');
    const { context, page } = await portalUser(email);
    await page.goto(RP + '/auth/signin');
    await expectUrl(page, (url) => url.href === RP + '/');
    assert.equal(await rpUser(page), email);

    await page.click('a[href="/auth/logout"]');
    // Asked by an application, the portal asks the person before signing out.
    await expectUrl(page, /\/auth\/logout\?logout_challenge=/);
    assert.equal(await page.getAttribute('[data-asked-by-application]', 'data-asked-by-application'), 'true');
    await page.click('[data-confirm-sign-out]');
    await expectUrl(page, (url) => url.href.startsWith(RP + '/'));
    assert.equal(await rpUser(page), null);
    await page.goto(BASE + '/');
    assert.equal(await page.locator('[data-signed-in]').count(), 0, 'the portal session ended by back-channel');
    await context.close();
  });
});

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the relying party exited with ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the relying-party code against a certified OpenID provider', () => {
  test('signs in at npm’s oidc-provider with code + PKCE and shows the verified e-mail', async () => {
    assert.ok(SIM_BINARY, 'SIM_BINARY (the sim binary, set by cargo xtask test) is required');
    const [opPort, rpPort] = [await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${opPort}`;
    const rp = `http://127.0.0.1:${rpPort}`;
    const secret = 'a-client-secret-for-this-test-only-0123456789';
    const provider = new Provider(issuer, {
      clients: [{
        client_id: 'sim-rp',
        client_secret: secret,
        redirect_uris: [`${rp}/auth/callback`],
        post_logout_redirect_uris: [`${rp}/`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      }],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      findAccount: async (ctx, sub) => ({
        accountId: sub,
        claims: async () => ({ sub, email: `${sub}@provider.example`, email_verified: true, name: 'Ada Provider' }),
      }),
      features: { devInteractions: { enabled: true } },
      cookies: { keys: ['cookie-key-for-this-test-only'] },
    });
    const opServer = provider.listen(opPort, '127.0.0.1');
    const child = spawn(SIM_BINARY, [
      'relying-party', '--listen', `127.0.0.1:${rpPort}`, '--public-url', rp,
      '--issuer', issuer, '--client-id', 'sim-rp', '--name', 'Certified provider check',
    ], { env: { ...process.env, SIM_RP_CLIENT_SECRET: secret }, stdio: 'inherit' });
    const { context, page } = await openPage(browser);
    try {
      await waitForPort(rpPort, child);
      await page.goto(rp + '/auth/signin');
      await expectUrl(page, (url) => url.href.startsWith(issuer + '/interaction/'));
      await page.fill('input[name="login"]', 'ada');
      await page.fill('input[name="password"]', 'any password: dev interactions accept it');
      await page.click('button[type="submit"]');
      // oidc-provider asks for consent once per client.
      await page.waitForURL((url) => url.href.startsWith(rp + '/') || url.href.includes('/interaction/'));
      if (page.url().includes('/interaction/')) await page.click('button[type="submit"]');
      await expectUrl(page, (url) => url.href === rp + '/');
      assert.equal(await rpUser(page, rp), 'ada@provider.example');
    } finally {
      await context.close();
      child.kill();
      opServer.close();
    }
  });
});
