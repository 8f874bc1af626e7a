// Hydra with the portal as its login, consent and logout provider: an OAuth2
// client signs a portal user in without a password (first-party: no consent
// screen; third-party: consent asked, denied, then allowed) and gets an ID
// token with the user's claims; RP-initiated logout reaches the portal.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, PASSWORD, expectUrl, launchChromium, openPage, recordNavigations, signUp, uniqueEmail,
} from './support.mjs';

const HYDRA_PUBLIC = process.env.BIBIND_HYDRA_PUBLIC ?? 'http://localhost:4444';
const HYDRA_ADMIN = process.env.BIBIND_HYDRA_ADMIN ?? 'http://127.0.0.1:4445';
const CALLBACK = BASE + '/sso-test/callback';
const SIGNED_OUT = BASE + '/sso-test/signed-out';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

async function createClient(name, firstParty) {
  const response = await fetch(`${HYDRA_ADMIN}/admin/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [CALLBACK],
      post_logout_redirect_uris: [SIGNED_OUT],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: 'openid email profile',
      token_endpoint_auth_method: 'client_secret_basic',
      skip_consent: firstParty,
    }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return response.json();
}

function authorizeUrl(client, state) {
  const params = new URLSearchParams({
    client_id: client.client_id, response_type: 'code', scope: 'openid email profile',
    redirect_uri: CALLBACK, state, nonce: `n-${state}`,
  });
  return `${HYDRA_PUBLIC}/oauth2/auth?${params}`;
}

async function exchange(client, code) {
  const response = await fetch(`${HYDRA_PUBLIC}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64'),
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

function claims(idToken) {
  return JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString('utf8'));
}

describe('single sign-on through Hydra', () => {
  test('a first-party client signs the user in without a consent screen and gets an ID token with the user’s claims', async () => {
    const { context, page } = await openPage(browser);
    const email = uniqueEmail('sso');
    await signUp(page, email);
    const client = await createClient('Bibind Odoo (test)', true);

    // Signed up, so Kratos has a session: the portal answers Hydra's login
    // challenge from it, without asking for the password.
    const visited = recordNavigations(page);
    await page.goto(authorizeUrl(client, 'first-party-1'));
    await expectUrl(page, /\/sso-test\/callback\?code=/);
    assert.ok(!visited.some((u) => u.includes('/auth/login?flow=')), `no password asked: ${visited.join(' → ')}`);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('state'), 'first-party-1');
    const tokens = await exchange(client, url.searchParams.get('code'));
    const idToken = claims(tokens.id_token);
    assert.equal(idToken.email, email);
    assert.equal(idToken.name, 'Camille Martin');
    assert.equal(idToken.nonce, 'n-first-party-1');

    // RP-initiated logout: Hydra asks the portal (its logout provider),
    // which asks the person, then ends the Kratos session and returns to
    // the client.
    const logout = new URLSearchParams({
      id_token_hint: tokens.id_token, post_logout_redirect_uri: SIGNED_OUT, state: 'bye',
    });
    await page.goto(`${HYDRA_PUBLIC}/oauth2/sessions/logout?${logout}`);
    await expectUrl(page, /\/auth\/logout\?logout_challenge=/);
    await page.click('[data-confirm-sign-out]');
    await expectUrl(page, /\/sso-test\/signed-out\?state=bye/);
    assert.ok(visited.some((u) => u.includes('/auth/oauth2-logout?logout_challenge=')), visited.join(' → '));
    // The Kratos session ended too: account settings ask to sign in again.
    await page.goto(BASE + '/auth/settings');
    await expectUrl(page, /\/auth\/login\?flow=/);
    await context.close();
  });

  test('a third-party client gets a consent screen; deny returns access_denied, allow returns a code', async () => {
    const { context, page } = await openPage(browser, { locale: 'fr-FR' });
    const email = uniqueEmail('consent');
    await signUp(page, email);
    const client = await createClient('Outil partenaire', false);

    await page.goto(authorizeUrl(client, 'third-party-deny'));
    await expectUrl(page, /\/auth\/consent\?consent_challenge=/);
    assert.equal(await page.locator('[data-client-name]').innerText(), 'Outil partenaire');
    assert.match(await page.locator('[data-scope="email"]').innerText(), /adresse e-mail/);
    await page.click('button[name="decision"][value="deny"]');
    await expectUrl(page, /\/sso-test\/callback\?error=access_denied/);

    await page.goto(authorizeUrl(client, 'third-party-allow'));
    await expectUrl(page, /\/auth\/consent\?consent_challenge=/);
    await page.click('button[name="decision"][value="allow"]');
    await expectUrl(page, /\/sso-test\/callback\?code=/);
    const tokens = await exchange(client, new URL(page.url()).searchParams.get('code'));
    assert.equal(claims(tokens.id_token).email, email);
    await context.close();
  });

  test('signed out, the sign-in page an application leads to names it, and the portal\'s own does not', async () => {
    const { context, page } = await openPage(browser, { locale: 'fr-FR' });
    const email = uniqueEmail('asked');
    await signUp(page, email);
    const client = await createClient('Atelier Formation', false);
    await context.clearCookies();

    await page.goto(authorizeUrl(client, 'named-application'));
    await expectUrl(page, /\/auth\/login\?flow=/);
    assert.equal(await page.getAttribute('[data-asked-by]', 'data-asked-by'), 'Atelier Formation');
    assert.match(await page.locator('main').innerText(), /Pour continuer vers Atelier Formation/);
    // Shown again, the page asks Hydra what it remembered the first time.
    await page.reload();
    assert.equal(await page.getAttribute('[data-asked-by]', 'data-asked-by'), 'Atelier Formation');
    await page.fill('input[name="identifier"]', email);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[name="method"][value="password"]');
    await expectUrl(page, /\/auth\/consent\?consent_challenge=/);

    await context.clearCookies();
    await page.goto(BASE + '/auth/signin');
    await expectUrl(page, /\/auth\/login\?flow=/);
    assert.equal(await page.locator('[data-asked-by]').count(), 0);
    await context.close();
  });

  test('a consent decision without the form’s CSRF cookie decides nothing and asks again', async () => {
    const response = await fetch(BASE + '/auth/consent/decision', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ consent_challenge: 'x', csrf_token: 'forged', decision: 'allow' }),
    });
    assert.equal(response.status, 303);
    assert.equal(
      response.headers.get('location'),
      '/auth/consent?refused=form_expired&consent_challenge=x',
    );
  });
});
