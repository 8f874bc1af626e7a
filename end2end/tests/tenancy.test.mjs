// Tenancy in Chromium. The customer's side: a founder creates an
// organization, subscribes (one plan waits for approval), invites a colleague
// who signs up from the e-mailed link and joins; the seats quota refuses an
// invitation too many with its numbers; the colleague cannot reach another
// organization, nor the audit log, by editing the URL. The admin's side: an
// operator finds the tenant by search, approves its subscription, suspends it
// with a reason the customer reads, and resumes it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  subscribe,
  atHome,
  createOrganization,
  BASE, enterPortal, expectUrl, launchChromium, openPage, reloadUntil, signIn, signUpVerified, totp, uniqueEmail, verifyByCode, waitForMail,
} from './support.mjs';

const OPERATOR_EMAIL = process.env.BIBIND_E2E_OPERATOR_EMAIL;
const OPERATOR_PASSWORD = process.env.BIBIND_E2E_OPERATOR_PASSWORD;

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** Console errors, less the 403/404 responses this story provokes on purpose. */
function unexpected(errors) {
  return errors.filter((e) => !/the server responded with a status of 40[34]/.test(e));
}

/** Invites from the organization's members page. */
async function invite(page, slug, email, role = 'member') {
  await page.goto(`${BASE}/orgs/${slug}/members`);
  await page.fill('#invite-email', email);
  await page.selectOption('#invite-role', role);
  await page.click('[data-invite-form] button[type="submit"]');
}

describe('tenancy, customer side', () => {
  test('a founder subscribes and invites a colleague who signs up and joins; quotas and other organizations hold', async () => {
    const founder = await openPage(browser, { locale: 'fr-FR' });
    const founderEmail = uniqueEmail('founder');
    await signUpVerified(founder.page, founderEmail);
    await enterPortal(founder.page);
    const slug = await createOrganization(founder.page, 'Boutique');

    // One plan starts at once, one waits for Bibind's approval.
    await subscribe(founder.page, slug, 'shop-starter');
    const shop = founder.page.locator('[data-subscription="ecommerce"]');
    assert.match(await shop.getAttribute('data-subscription-state'), /^(requested|provisioning|active)$/);
    // The engine provisions it meanwhile: the progress panel follows the
    // job live, and the page shows the running service once it is done.
    await founder.page.locator('[data-subscription="ecommerce"][data-subscription-state="active"]').waitFor({ timeout: 60_000 });
    assert.match(await shop.innerText(), /Actif/);
    assert.equal(await shop.locator('[data-progress]').count(), 0);
    await subscribe(founder.page, slug, 'learn-academy');
    const training = founder.page.locator('[data-subscription="training"]');
    await training.waitFor();
    assert.equal(await training.getAttribute('data-subscription-state'), 'awaiting_approval');
    assert.match(await training.innerText(), /En attente de validation/);
    assert.equal(await shop.locator('[data-quota="seats"]').getAttribute('data-used'), '1');

    // The colleague is invited, signs up from the link and joins.
    const colleagueEmail = uniqueEmail('colleague');
    await invite(founder.page, slug, colleagueEmail);
    await founder.page.waitForSelector('[data-notice]');
    assert.match(await founder.page.locator('[data-notice]').innerText(), /Invitation envoyée/);
    assert.equal(await founder.page.locator(`[data-invitation="${colleagueEmail}"]`).count(), 1);
    const mail = await waitForMail(colleagueEmail, { subject: /Boutique/ });
    const link = mail.text.match(/http\S+\/invitations\/[0-9a-f]+/)[0];

    const colleague = await openPage(browser, { locale: 'fr-FR' });
    await colleague.page.goto(link);
    assert.match(await colleague.page.locator('main').innerText(), /Boutique/);
    await colleague.page.click('[data-sign-up]');
    await expectUrl(colleague.page, /\/auth\/registration\?flow=/);
    await colleague.page.fill('input[name="traits.email"]', colleagueEmail);
    await colleague.page.fill('input[name="traits.name.first"]', 'Sacha');
    await colleague.page.fill('input[name="traits.name.last"]', 'Durand');
    await colleague.page.click('button[name="method"][value="profile"]');
    await colleague.page.waitForSelector('input[name="password"]');
    await colleague.page.fill('input[name="password"]', 'correct horse battery staple');
    await colleague.page.click('button[name="method"][value="password"]');
    await expectUrl(colleague.page, /\/auth\/verification\?flow=/);
    const verification = colleague.page.url();
    // Back to the link: signed in now, one button joins, but only once the
    // invited address is proven theirs; the invitation waits meanwhile.
    await colleague.page.goto(link);
    const accept = colleague.page.locator('[data-accept]');
    if (await accept.count() === 0) {
      await colleague.page.click('[data-sign-in]');
      await expectUrl(colleague.page, (url) => url.pathname.startsWith('/invitations/'));
    }
    await colleague.page.click('[data-accept]');
    await expectUrl(colleague.page, (url) => url.pathname.startsWith('/invitations/') && url.search.includes('refused=address_not_verified'));
    assert.match(await colleague.page.locator('[data-refused]').innerText(), /Vérifiez d'abord votre adresse/);
    assert.equal(await colleague.page.locator('[data-verify-address]').getAttribute('href'), '/auth/verification');
    await colleague.page.goto(verification);
    await verifyByCode(colleague.page, colleagueEmail);
    await colleague.page.goto(link);
    await colleague.page.click('[data-accept]');
    await expectUrl(colleague.page, (url) => url.pathname === `/orgs/${slug}`);
    assert.match(await colleague.page.locator('[data-notice]').innerText(), /Bienvenue/);
    assert.equal(await colleague.page.locator('[data-your-role]').getAttribute('data-your-role'), 'member');
    // The link worked once.
    await colleague.page.goto(link);
    assert.match(await colleague.page.locator('main').innerText(), /n'est plus valable/);

    // Starter has 5 seats: the founder and the colleague hold 2, three more
    // invitations fit, the next one is refused with its numbers.
    for (let n = 0; n < 3; n += 1) {
      await invite(founder.page, slug, uniqueEmail(`seat${n}`));
      await founder.page.waitForSelector('[data-notice]');
    }
    await invite(founder.page, slug, uniqueEmail('one-too-many'));
    const refusal = founder.page.locator('[data-refused="quota"]');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /Places utilisateurs passerait à 6, au-delà de la limite de 5/);

    // Another organization does not exist for the colleague; the audit log is not theirs to read.
    const other = await createOrganization(founder.page, 'Atelier');
    const elsewhere = await colleague.page.goto(`${BASE}/orgs/${other}`);
    assert.equal(elsewhere.status(), 404);
    assert.match(await colleague.page.locator('main').innerText(), /Organisation introuvable/);
    const audit = await colleague.page.goto(`${BASE}/orgs/${slug}/audit`);
    assert.equal(audit.status(), 403);
    // The founder reads it: the colleague's joining is there.
    await founder.page.goto(`${BASE}/orgs/${slug}/audit`);
    assert.equal(await founder.page.locator('[data-audit-action="membership.join"]').count(), 1);
    assert.deepEqual(unexpected([...founder.errors, ...colleague.errors]), []);
    await founder.context.close();
    await colleague.context.close();
  });
});

/** Signs the seeded operator in with a second factor (enrolled here), ready for /admin. */
async function operatorAtAal2(page) {
  await signIn(page, OPERATOR_EMAIL, OPERATOR_PASSWORD);
  await expectUrl(page, atHome);
  const gate = await page.goto(BASE + '/admin');
  if (gate.status() === 200) return;
  await page.goto(BASE + '/auth/settings');
  await expectUrl(page, /\/auth\/settings\?flow=/);
  const secret = (await page.locator('#totp_secret_key').innerText()).trim();
  await page.fill('form[data-group="totp"] input[name="totp_code"]', await totp(secret));
  await page.click('form[data-group="totp"] button[name="method"][value="totp"]');
  await page.waitForSelector('[data-message-id="1050001"]');
}

describe('tenancy, admin side', () => {
  test('an operator finds a tenant, approves its subscription, suspends it with a reason the customer reads, and resumes it', async () => {
    assert.ok(OPERATOR_EMAIL && OPERATOR_PASSWORD, 'cargo xtask test seeds an operator and passes its credentials');
    const customer = await openPage(browser, { locale: 'fr-FR' });
    await signUpVerified(customer.page, uniqueEmail('academy'));
    await enterPortal(customer.page);
    const slug = await createOrganization(customer.page, 'Academie');
    await subscribe(customer.page, slug, 'learn-academy');
    await customer.page.locator('[data-subscription="training"][data-subscription-state="awaiting_approval"]').waitFor();

    const operator = await openPage(browser, { locale: 'en-GB' });
    await operatorAtAal2(operator.page);
    await operator.page.goto(BASE + '/admin/tenants');
    await operator.page.fill('#tenants-text', slug);
    await operator.page.click('[data-tenant-search] button[type="submit"]');
    await expectUrl(operator.page, /\/admin\/tenants\?/);
    assert.equal(await operator.page.locator('[data-total]').getAttribute('data-total'), '1');
    await operator.page.click(`[data-tenant="${slug}"] a`);
    await expectUrl(operator.page, (url) => url.pathname === `/admin/tenants/${slug}`);

    await operator.page.click('[data-subscription-approve="training"]');
    await operator.page.waitForSelector('[data-notice]');
    assert.match(
      await operator.page.locator('[data-subscription="training"]').getAttribute('data-subscription-state'),
      /^(requested|provisioning|active)$/,
    );
    await reloadUntil(customer.page, '[data-subscription="training"]:not([data-subscription-state="awaiting_approval"])');
    assert.match(await customer.page.locator('[data-subscription="training"]').innerText(), /Demandé|En cours de mise en place|Actif/);
    // The approval queued its provisioning: the admin follows the job on the tenant's page.
    await operator.page.reload();
    await operator.page.locator('[data-job-kind="provision.training"]').waitFor();

    const reason = 'Facture de novembre impayée';
    await operator.page.fill('#suspend-reason', reason);
    await operator.page.click('[data-tenant-suspend]');
    await operator.page.locator('[data-tenant-state="suspended"]').waitFor();
    await reloadUntil(customer.page, '[data-state="suspended"]');
    assert.match(await customer.page.locator('[data-state-reason]').innerText(), new RegExp(reason));
    assert.match(await customer.page.locator('[data-subscription="training"]').innerText(), /Suspendu/);
    // Said once, above the services, not again on each card.
    assert.equal(await customer.page.locator('[data-subscription-reason]').count(), 0);

    const resumed = 'Facture réglée le 3 décembre';
    await operator.page.fill('#resume-reason', resumed);
    await operator.page.click('[data-tenant-resume]');
    await operator.page.locator('[data-tenant-state="active"]').waitFor();
    await reloadUntil(customer.page, '[data-state="active"]');
    assert.match(await customer.page.locator('[data-state-reason]').innerText(), new RegExp(resumed));

    // The operator's actions are in the platform's audit log, and in its CSV export.
    await operator.page.goto(`${BASE}/admin/audit?organization=${slug}&action=tenant.`);
    assert.equal(await operator.page.locator('[data-audit-action="tenant.suspend"]').count(), 1);
    const csv = await operator.page.request.get(`${BASE}/admin/audit.csv?organization=${slug}`);
    assert.equal(csv.status(), 200);
    const lines = (await csv.text()).trim().split('\r\n');
    assert.equal(lines[0], 'id,at,actor,organization,action,target,before,after,request_id,ip');
    assert.ok(lines.some((line) => line.includes('tenant.resume')), lines.join('\n'));
    assert.deepEqual(unexpected([...customer.errors, ...operator.errors]), []);
    await customer.context.close();
    await operator.context.close();
  });
});
