// Accessibility of every page a visitor, a customer, a member, a learner and
// a platform admin can reach, in English and in French, and of the states
// that differ (a form back with its field errors, a refusal, a notice, a
// second factor asked): axe-core finds no serious or critical violation and
// the browser logs no console error, and laid out for a 360 px phone no page
// scrolls sideways. Each story walks the pages as a person
// would; at each page `check` reloads it once per language (the language
// cookie set) and audits it. Problems are collected and asserted at the end
// of each story, so one run lists them all.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  createOrganization,
  subscribe,
  atHome,
  BASE, PASSWORD, enterPortal, expectUrl, launchChromium, openPage, signIn, signUpVerified, totp, uniqueEmail,
  verifyByCode, waitForMail,
  reloadUntil,
} from './support.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const HYDRA_PUBLIC = process.env.BIBIND_HYDRA_PUBLIC ?? 'http://localhost:4444';
const HYDRA_ADMIN = process.env.BIBIND_HYDRA_ADMIN ?? 'http://127.0.0.1:4445';
// A platform admin of its own: the admin and operator accounts belong to
// the admin and tenancy stories, which enrol their second factors.
const REVIEWER_EMAIL = process.env.BIBIND_E2E_REVIEWER_EMAIL;
const REVIEWER_PASSWORD = process.env.BIBIND_E2E_REVIEWER_PASSWORD;
const LANGUAGES = ['en', 'fr'];
const BLOCKING = new Set(['serious', 'critical']);

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** A person's browser: axe is injected as a script, so the page's CSP lets it past. */
async function person(locale = 'en-GB', options = {}) {
  const session = await openPage(browser, { bypassCSP: true, locale, ...options });
  session.problems = [];
  session.errorsSeen = 0;
  return session;
}

/** Loaded, and hydrated when the page ships wasm; a page with a live stream never goes quiet. */
async function settle(page) {
  await page.waitForLoadState('load');
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
}

async function axeViolations(page) {
  // A hydrated organization page reloads itself when its live stream hears
  // that a subscription changed: audit the page it reloaded to.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await page.addScriptTag({ content: AXE });
      // eslint-disable-next-line no-undef
      return await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
    } catch (error) {
      if (attempt === 3 || !/context was destroyed|navigat/i.test(String(error))) throw error;
      await settle(page);
    }
  }
}

/**
 * Laid out for a 360 px phone, whether the page scrolls sideways (wider
 * than the screen); the widest culprits named. The viewport comes back after.
 */
async function sidewaysOverflow(page) {
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    return await page.evaluate(() => {
      const width = document.documentElement.scrollWidth;
      if (width <= window.innerWidth) return null;
      const culprits = [...document.querySelectorAll('body *')]
        // Boxes past the edge, and boxes whose text runs past their own edge.
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5
          || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible'))
        .filter((el) => !el.closest('[class*="overflow-x-auto"]'))
        .slice(-3)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].slice(0, 3).join('.')}`);
      return `${width} px wide at 360 px (${culprits.join(', ')})`;
    });
  } finally {
    if (viewport) await page.setViewportSize(viewport);
  }
}

/**
 * Audits the page the browser is on (or `url`) in each language: sets the
 * language cookie, loads it again (or `visit`s it, for a page that cannot be
 * loaded twice), checks the language it answered in, its status, the console
 * and axe. Records what is wrong in `session.problems`.
 */
async function check(session, label, { url, status = 200, visit } = {}) {
  const { context, page, errors, problems } = session;
  // Without its #fragment: going to the same address with one only scrolls.
  const target = (url ?? page.url()).split('#')[0];
  for (const language of LANGUAGES) {
    await context.addCookies([{ name: 'bibind_locale', value: language, url: BASE }]);
    let response = await (visit ? visit() : page.goto(target));
    // A live organization page that reloads itself meanwhile leaves no
    // response to this navigation: go again.
    for (let attempt = 1; !response && !visit && attempt < 3; attempt += 1) {
      await settle(page);
      response = await page.goto(target);
    }
    await settle(page);
    const where = `${label} [${language}] ${new URL(page.url()).pathname}`;
    const answered = response?.status();
    if (answered !== status) problems.push(`${where}: status ${answered}, expected ${status}`);
    const lang = await page.getAttribute('html', 'lang');
    if (lang !== language) problems.push(`${where}: <html lang="${lang}">`);
    const results = await axeViolations(page);
    for (const violation of results.violations.filter((v) => BLOCKING.has(v.impact))) {
      const nodes = violation.nodes.map((node) => node.target.join(' ')).join(', ');
      problems.push(`${where}: ${violation.id} (${violation.impact}) ${violation.help}: ${nodes}`);
    }
    const overflow = await sidewaysOverflow(page);
    if (overflow) problems.push(`${where}: ${overflow}`);
    // The console since the last check; the refusal pages' own status is
    // logged by Chromium as a failed load, which is what they are meant to answer.
    const fresh = errors.slice(session.errorsSeen);
    session.errorsSeen = errors.length;
    for (const error of fresh) {
      if (status >= 400 && error.includes(`status of ${status}`)) continue;
      problems.push(`${where}: console error: ${error}`);
    }
  }
}

function assertClean(...sessions) {
  const problems = sessions.flatMap((session) => session.problems);
  assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
}

/** Creates an organization through the form; returns its slug. */
async function invite(page, slug, email, role) {
  await page.goto(`${BASE}/orgs/${slug}/members`);
  await page.fill('#invite-email', email);
  await page.selectOption('#invite-role', role);
  await page.click('[data-invite-form] button[type="submit"]');
  await page.waitForLoadState('load');
}

async function invitationLink(email) {
  const mail = await waitForMail(email, { subject: /./ });
  return mail.text.match(/http\S+\/invitations\/[0-9a-f]+/)[0];
}

/** Registers an OAuth2 client at Hydra, as an application would be. */
async function hydraClient(name, metadata) {
  const response = await fetch(`${HYDRA_ADMIN}/admin/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [BASE + '/a11y-test/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: 'openid email profile',
      token_endpoint_auth_method: 'client_secret_basic',
      skip_consent: false,
      metadata,
    }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return response.json();
}

function authorizeUrl(client) {
  const params = new URLSearchParams({
    client_id: client.client_id, response_type: 'code', scope: 'openid email profile',
    redirect_uri: BASE + '/a11y-test/callback', state: `state-${Date.now()}`, nonce: `nonce-${Date.now()}`,
  });
  return `${HYDRA_PUBLIC}/oauth2/auth?${params}`;
}

// What the customer story leaves for the admin story: an organization with
// a subscription waiting for approval.
let customerOrganization;

describe('accessibility (axe-core, English and French, no console error)', () => {
  test('pages a signed-out visitor reaches, and their refusals', async () => {
    const visitor = await person();
    const { page } = visitor;
    await check(visitor, 'landing', { url: BASE + '/' });
    await check(visitor, 'landing, yearly prices', { url: BASE + '/?billing=yearly' });
    await check(visitor, 'unknown page', { url: BASE + '/nowhere', status: 404 });
    await check(visitor, 'denied', { url: BASE + '/denied', status: 403 });

    await page.goto(BASE + '/auth/login');
    await expectUrl(page, /\/auth\/login\?flow=/);
    await check(visitor, 'sign-in');
    await page.fill('input[name="identifier"]', 'nobody@example.com');
    await page.fill('input[name="password"]', 'not the password at all');
    await page.click('button[name="method"][value="password"]');
    await page.waitForSelector('[data-message-id="4000006"]');
    await check(visitor, 'sign-in, wrong password');
    await check(visitor, 'sign-in, paused by the rate limit', { url: page.url() + '&retry_after=900' });

    await page.goto(BASE + '/auth/registration');
    await expectUrl(page, /\/auth\/registration\?flow=/);
    await check(visitor, 'registration');
    await page.fill('input[name="traits.email"]', uniqueEmail('a11y-visitor'));
    await page.fill('input[name="traits.name.first"]', 'Alex');
    await page.fill('input[name="traits.name.last"]', 'Moreau');
    await page.click('button[name="method"][value="profile"]');
    await page.waitForSelector('input[name="password"]');
    await check(visitor, 'registration, password step');
    await page.fill('input[name="password"]', 'short');
    await page.click('button[name="method"][value="password"]');
    await page.waitForSelector('[data-message-id^="4000"]');
    await check(visitor, 'registration, password refused');

    await page.goto(BASE + '/auth/recovery');
    await expectUrl(page, /\/auth\/recovery\?flow=/);
    await check(visitor, 'recovery');
    await page.fill('input[name="email"]', uniqueEmail('a11y-nobody'));
    await page.click('button[name="method"][value="code"]');
    await page.waitForSelector('[data-message-id="1060003"]');
    await check(visitor, 'recovery, code sent');
    await page.fill('input[name="code"]', '000000');
    await page.click('button[name="method"][value="code"]');
    await page.waitForSelector('[data-message-id^="4060"]');
    await check(visitor, 'recovery, wrong code');

    await page.goto(BASE + '/auth/verification');
    await expectUrl(page, /\/auth\/verification\?flow=/);
    await check(visitor, 'verification');

    await check(visitor, 'auth error', { url: BASE + '/auth/error', status: 400 });
    await check(visitor, 'auth error, denied', { url: BASE + '/auth/error?reason=denied', status: 403 });
    await check(visitor, 'auth error, unavailable', { url: BASE + '/auth/error?reason=unavailable', status: 503 });
    await check(visitor, 'auth error, uncounted', { url: BASE + '/auth/error?reason=uncounted', status: 503 });
    await check(visitor, 'consent, no challenge', { url: BASE + '/auth/consent?consent_challenge=gone', status: 410 });
    await check(visitor, 'invitation, unknown', { url: BASE + '/invitations/0123456789abcdef', status: 404 });
    await visitor.context.close();
    assertClean(visitor);
  });

  test('pages a customer reaches: account, organizations, members, services, audit, consent', async () => {
    const customer = await person('fr-FR');
    const { page } = customer;
    const email = uniqueEmail('a11y-customer');
    await page.goto(BASE + '/auth/registration');
    await expectUrl(page, /\/auth\/registration\?flow=/);
    await page.fill('input[name="traits.email"]', email);
    await page.fill('input[name="traits.name.first"]', 'Camille');
    await page.fill('input[name="traits.name.last"]', 'Martin');
    await page.click('button[name="method"][value="profile"]');
    await page.waitForSelector('input[name="password"]');
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[name="method"][value="password"]');
    await expectUrl(page, /\/auth\/verification\?flow=/);
    const verification = page.url();
    // Kratos lets settings change only within a minute of signing in (the
    // tests' configuration): first thing after signing up.
    await page.goto(BASE + '/auth/settings');
    await expectUrl(page, /\/auth\/settings\?flow=/);
    await check(customer, 'settings');
    await page.fill('form[data-group="totp"] input[name="totp_code"]', '000000');
    await page.click('form[data-group="totp"] button[name="method"][value="totp"]');
    await page.waitForSelector('[data-message-id="4000008"]');
    await check(customer, 'settings, wrong TOTP code');
    await page.click('form[data-group="lookup_secret"] button[name="lookup_secret_regenerate"]');
    await page.waitForSelector('#lookup_secret_codes li');
    await check(customer, 'settings, recovery codes shown');
    await page.fill('form[data-group="profile"] input[name="traits.name.first"]', 'Dominique');
    await page.click('form[data-group="profile"] button[name="method"][value="profile"]');
    await page.waitForSelector('[data-message-id="1050001"]');
    await check(customer, 'settings, saved');

    await page.goto(verification);
    await check(customer, 'verification, code sent');
    await page.fill('input[name="code"]', '000000');
    await page.click('button[name="method"][value="code"]');
    await page.waitForSelector('[data-message-id^="4070"]');
    await check(customer, 'verification, wrong code');
    await verifyByCode(page, email);
    await check(customer, 'verification, verified');
    await enterPortal(page);
    await check(customer, 'landing, signed in');

    await check(customer, 'organizations, none yet', { url: BASE + '/orgs' });
    await check(customer, 'new organization', { url: BASE + '/orgs/new' });
    await page.fill('input[name="name"]', 'Boutique');
    await page.fill('input[name="slug"]', 'ab');
    await page.click('main button[type="submit"]');
    await expectUrl(page, /\/orgs\/new\?/);
    await check(customer, 'new organization, field refused');
    const slug = await createOrganization(page, 'Boutique');
    await check(customer, 'organization overview, no subscription');
    await check(customer, 'organizations, one', { url: BASE + '/orgs' });
    await check(customer, 'services', { url: `${BASE}/orgs/${slug}/services` });
    await check(customer, 'plan review', { url: `${BASE}/orgs/${slug}/plans/shop-starter` });
    await subscribe(page, slug, 'shop-starter');
    await check(customer, 'organization overview, provisioning');
    await subscribe(page, slug, 'iot-lab');
    await subscribe(page, slug, 'learn-academy');
    await page.locator('[data-subscription="ecommerce"][data-subscription-state="active"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-subscription="iot"][data-subscription-state="active"]').waitFor({ timeout: 60_000 });
    await check(customer, 'organization overview, active and awaiting approval');
    await page.fill('[data-device-form] input[name="name"]', 'not a device name!');
    await page.click('[data-device-form] button[type="submit"]');
    await page.waitForSelector('[data-device-form] [data-problem]');
    await check(customer, 'organization overview, device refused');
    await page.fill('[data-device-form] input[name="name"]', 'a11y-sensor');
    await page.click('[data-device-form] button[type="submit"]');
    await page.waitForSelector('[data-device="a11y-sensor"]');
    const devicePage = await page.getAttribute('[data-device="a11y-sensor"] [data-device-details]', 'href');
    await check(customer, 'device', { url: BASE + devicePage });
    await check(customer, 'device password, already asked', { url: `${BASE}${devicePage}/password` });
    await check(customer, 'devices of a subscription', { url: BASE + devicePage.replace(/\/[^/]+$/, '') });
    await check(customer, 'devices of a subscription, none found', { url: BASE + devicePage.replace(/\/[^/]+$/, '') + '?name=zzz' });
    await check(customer, 'modules', { url: `${BASE}/orgs/${slug}/modules` });
    await page.goto(`${BASE}/orgs/${slug}`);
    const backupsPage = await page.getAttribute('[data-subscription="ecommerce"] [data-backups-link]', 'href');
    await check(customer, 'backups, none yet', { url: BASE + backupsPage });
    await page.click('[data-take-backup] button[type="submit"]');
    await page.waitForSelector('[data-notice]');
    await check(customer, 'backups, one taken');
    await check(customer, 'services, live sites and own domain', { url: `${BASE}/orgs/${slug}/services` });
    await page.fill('[data-domain-form] input[name="domain"]', 'example.fr');
    await page.click('[data-domain-form] button[type="submit"]');
    await page.waitForSelector('[data-domain-form] [data-problem]');
    await check(customer, 'services, own domain refused');

    await check(customer, 'members', { url: `${BASE}/orgs/${slug}/members` });
    await invite(page, slug, email, 'member');
    await page.waitForSelector('[data-refused]');
    await check(customer, 'members, invitation refused');
    await invite(page, slug, uniqueEmail('a11y-invited'), 'learner');
    await page.waitForSelector('[data-notice]');
    await check(customer, 'members, invited, one pending');
    await check(customer, 'organization audit', { url: `${BASE}/orgs/${slug}/audit` });
    await check(customer, 'organization audit, filtered', { url: `${BASE}/orgs/${slug}/audit?action=membership.` });
    await check(customer, 'API clients, none yet', { url: `${BASE}/orgs/${slug}/api-clients` });
    await page.fill('[data-new-api-client] input[name="name"]', 'a11y bot');
    await page.click('[data-new-api-client] button[type="submit"]');
    await page.waitForSelector('[data-refused]');
    await check(customer, 'API clients, scopes missing');
    await page.fill('[data-new-api-client] input[name="name"]', 'a11y bot');
    await page.check('#scope-organizations-read');
    await page.click('[data-new-api-client] button[type="submit"]');
    await page.waitForSelector('[data-created-client]');
    await check(customer, 'API clients, secret shown once, listed');
    await check(customer, 'API reference', { url: `${BASE}/api/v1/reference` });
    await check(customer, 'organization, unknown', { url: `${BASE}/orgs/nowhere-${Date.now()}`, status: 404 });

    await check(customer, 'sessions', { url: BASE + '/account/sessions' });
    await check(customer, 'sign-out question', { url: BASE + '/auth/logout' });
    await check(customer, 'admin, not an admin', { url: BASE + '/admin', status: 403 });

    const partner = await hydraClient('Outil partenaire');
    await page.goto(authorizeUrl(partner));
    await expectUrl(page, /\/auth\/consent\?consent_challenge=/);
    await check(customer, 'consent');
    await check(customer, 'consent, form expired', { url: page.url() + '&refused=form_expired' });
    // A tenant's application names a subscription this person has no part in.
    const tenantApp = await hydraClient('Odoo ACME', { bibind_subscription_id: '00000000-0000-4000-8000-000000000000' });
    // Hydra's challenge is refused at once: each language asks again.
    await check(customer, 'sign-in to an application, not a member', {
      status: 403,
      visit: async () => {
        const response = await page.goto(authorizeUrl(tenantApp));
        await expectUrl(page, /\/auth\/login\?login_challenge=/);
        return response;
      },
    });

    customerOrganization = { slug };
    await customer.context.close();
    assertClean(customer);
  });

  test('pages a member and a learner reach, from the invitation on', async () => {
    const owner = await person('fr-FR');
    await signUpVerified(owner.page, uniqueEmail('a11y-owner'));
    await enterPortal(owner.page);
    const slug = await createOrganization(owner.page, 'Academie');
    await subscribe(owner.page, slug, 'learn-class');

    for (const role of ['member', 'learner']) {
      const email = uniqueEmail(`a11y-${role}`);
      await invite(owner.page, slug, email, role);
      await owner.page.waitForSelector('[data-notice]');
      const link = await invitationLink(email);
      if (role === 'member') await check(owner, 'invitation, for another account', { url: link });

      const invited = await person('en-GB');
      const { page } = invited;
      await check(invited, `invitation (${role}), signed out`, { url: link });
      await page.click('[data-sign-up]');
      await expectUrl(page, /\/auth\/registration\?flow=/);
      await page.fill('input[name="traits.email"]', email);
      await page.fill('input[name="traits.name.first"]', 'Sacha');
      await page.fill('input[name="traits.name.last"]', 'Durand');
      await page.click('button[name="method"][value="profile"]');
      await page.waitForSelector('input[name="password"]');
      await page.fill('input[name="password"]', PASSWORD);
      await page.click('button[name="method"][value="password"]');
      await expectUrl(page, /\/auth\/verification\?flow=/);
      const verification = page.url();
      await page.goto(link);
      if (await page.locator('[data-accept]').count() === 0) {
        await page.click('[data-sign-in]');
        await expectUrl(page, (url) => url.pathname.startsWith('/invitations/'));
      }
      await check(invited, `invitation (${role}), signed in`);
      await page.click('[data-accept]');
      await expectUrl(page, (url) => url.search.includes('refused=address_not_verified'));
      await check(invited, `invitation (${role}), address not verified`);
      await page.goto(verification);
      await verifyByCode(page, email);
      await page.goto(link);
      await page.click('[data-accept]');
      await expectUrl(page, (url) => url.pathname === `/orgs/${slug}`);
      await check(invited, `organization overview (${role}), joined`);
      await check(invited, `members (${role})`, { url: `${BASE}/orgs/${slug}/members` });
      await check(invited, `organization audit (${role}), refused`, { url: `${BASE}/orgs/${slug}/audit`, status: 403 });
      await check(invited, `services (${role}), refused`, { url: `${BASE}/orgs/${slug}/services`, status: 403 });
      await check(invited, `modules (${role}), refused`, { url: `${BASE}/orgs/${slug}/modules`, status: 403 });
      await check(invited, `organizations (${role})`, { url: BASE + '/orgs' });
      if (role === 'member') await check(invited, 'invitation, used', { url: link, status: 404 });
      if (role === 'learner') {
        await check(invited, 'my learning (learner)', { url: BASE + '/learning' });
        await check(invited, 'courses (learner), refused', { url: `${BASE}/orgs/${slug}/courses`, status: 403 });
      }
      await invited.context.close();
      assertClean(invited);
    }
    // The trainer's Courses page once the space is live, and a learners'
    // file previewed with a refused line.
    await owner.page.goto(`${BASE}/orgs/${slug}`);
    await reloadUntil(owner.page, '[data-subscription="training"][data-subscription-state="active"]', 60_000);
    await check(owner, 'courses', { url: `${BASE}/orgs/${slug}/courses` });
    await owner.page.setInputFiles('[data-import-form] input[type="file"]', {
      name: 'apprenants.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`courriel;prénom;nom\n${uniqueEmail('a11y-file')};Léa;Martin\npas-une-adresse;Tom;Petit\n`),
    });
    await owner.page.click('[data-import-upload]');
    await expectUrl(owner.page, (url) => url.pathname.startsWith(`/orgs/${slug}/learners/imports/`));
    await check(owner, 'learners file preview');
    await owner.context.close();
    assertClean(owner);
  });

  test('pages a platform admin reaches, from the second factor on', async () => {
    assert.ok(REVIEWER_EMAIL && REVIEWER_PASSWORD, 'cargo xtask test seeds a third admin and passes its credentials');
    let slug = customerOrganization?.slug;
    if (!slug) {
      const customer = await person('fr-FR');
      await signUpVerified(customer.page, uniqueEmail('a11y-tenant'));
      await enterPortal(customer.page);
      slug = await createOrganization(customer.page, 'Boutique');
      await subscribe(customer.page, slug, 'learn-academy');
      await customer.context.close();
    }

    const admin = await person('en-GB');
    const { page } = admin;
    await signIn(page, REVIEWER_EMAIL, REVIEWER_PASSWORD);
    await expectUrl(page, atHome);
    await check(admin, 'admin, second factor needed', { url: BASE + '/admin', status: 403 });
    await page.goto(BASE + '/auth/settings');
    await expectUrl(page, /\/auth\/settings\?flow=/);
    const secret = (await page.locator('#totp_secret_key').innerText()).trim();
    await page.fill('form[data-group="totp"] input[name="totp_code"]', await totp(secret));
    await page.click('form[data-group="totp"] button[name="method"][value="totp"]');
    await page.waitForSelector('[data-message-id="1050001"]');

    // Signing in again asks for the second factor after the password.
    await page.click('[data-sign-out]');
    await page.waitForURL(BASE + '/');
    await signIn(page, REVIEWER_EMAIL, REVIEWER_PASSWORD);
    await page.waitForSelector('input[name="totp_code"]');
    await check(admin, 'sign-in, second factor');
    await page.fill('input[name="totp_code"]', '000000');
    await page.click('button[name="method"][value="totp"]');
    await page.waitForSelector('[data-message-id="4000008"]');
    await check(admin, 'sign-in, wrong second factor');
    await page.fill('input[name="totp_code"]', await totp(secret));
    await page.click('button[name="method"][value="totp"]');
    await expectUrl(page, atHome);

    await check(admin, 'admin home', { url: BASE + '/admin' });
    await check(admin, 'tenants', { url: BASE + '/admin/tenants' });
    await check(admin, 'tenants, searched', { url: `${BASE}/admin/tenants?text=${slug}` });
    await check(admin, 'tenants, none found', { url: `${BASE}/admin/tenants?text=nothing-matches-${Date.now()}` });
    await check(admin, 'tenant', { url: `${BASE}/admin/tenants/${slug}` });
    await page.click('[data-subscription-approve="training"]');
    await page.waitForSelector('[data-notice]');
    await check(admin, 'tenant, approved');
    await page.fill('#suspend-reason', 'Facture impayée');
    await page.click('[data-tenant-suspend]');
    await page.locator('[data-tenant-state="suspended"]').waitFor();
    await check(admin, 'tenant, suspended');
    await check(admin, 'tenant, unknown', { url: `${BASE}/admin/tenants/nowhere-${Date.now()}`, status: 404 });

    await check(admin, 'plans', { url: BASE + '/admin/plans' });
    await page.click('[data-plan-form] button[type="submit"]');
    await page.waitForSelector('[data-plan-form] [data-problem]');
    await check(admin, 'plans, new plan refused');
    await check(admin, 'plan', { url: BASE + '/admin/plans/iot-lab' });
    await page.fill('#plan-monthly_price', 'not a price');
    await page.click('[data-plan-form] button[type="submit"]');
    await page.waitForSelector('[data-plan-form] [data-problem]');
    await check(admin, 'plan, edit refused');
    await check(admin, 'plan, unknown', { url: BASE + '/admin/plans/nowhere', status: 404 });

    await check(admin, 'backups across tenants', { url: BASE + '/admin/backups' });
    await check(admin, 'backups across tenants, every service', { url: BASE + '/admin/backups?all=1' });
    await check(admin, 'platform audit', { url: BASE + '/admin/audit' });
    await check(admin, 'platform audit, filtered', { url: `${BASE}/admin/audit?organization=${slug}&action=tenant.` });
    await admin.context.close();
    assertClean(admin);
  });
});
