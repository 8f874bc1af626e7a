// A new customer's first hour, as they would live it with JavaScript on:
// from a plan card on the landing page, through signing up and verifying
// the address ("Continue" is a full navigation, never the client router's
// 404), to the organization and the plan's review with its one "Confirm";
// then a change of plan reviewed (quotas before and after, a refusal with
// the numbers when what is used does not fit, the review Bibind does),
// and the organization's log telling it in sentences, in both languages.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, atHome, enterPortal, expectUrl, launchChromium, openPage, register, signUpVerified, uniqueEmail,
  verifyByCode, waitForMail,
} from './support.mjs';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** The page is a real one, not the 404 a client-side router would draw. */
async function assertNotMissing(page) {
  assert.equal(await page.locator('[data-status="404"]').count(), 0, `a 404 at ${page.url()}`);
  assert.doesNotMatch(await page.locator('main').innerText(), /Page not found|Page introuvable/);
}

/** Kratos' "Continue" after a verification, clicked as a person would. */
async function continueAfterVerification(page) {
  const link = page.locator('a[data-kratos-link]');
  assert.equal(await link.getAttribute('rel'), 'external', 'the browser follows it, not the client router');
  await link.click();
}

async function invite(page, slug, email, role = 'member') {
  await page.goto(`${BASE}/orgs/${slug}/members`);
  await page.fill('#invite-email', email);
  await page.selectOption('#invite-role', role);
  await page.click('[data-invite-form] button[type="submit"]');
  await page.waitForSelector('[data-notice]');
}

describe('a customer\'s first hour', () => {
  test('from a plan card to a confirmed subscription, then a reviewed change of plan', async () => {
    const { context, page, errors } = await openPage(browser);
    const email = uniqueEmail('first-hour');

    await page.goto(BASE + '/');
    await page.click('[data-choose-plan="shop-business"]');
    // Signed out: the way in first; signing up instead keeps the way back.
    await expectUrl(page, /\/auth\/login\?flow=/);
    await page.click('[data-sign-up-instead]');
    await register(page, email);
    await verifyByCode(page, email);
    await continueAfterVerification(page);

    // No organization yet: one is created on the way, then the review.
    await expectUrl(page, (url) => url.pathname === '/orgs/new' && url.searchParams.get('plan') === 'shop-business');
    await assertNotMissing(page);
    assert.equal(await page.locator('[data-administration]').count(), 0, 'no administration link for a customer');
    const slug = `first-hour-${Date.now()}`;
    await page.fill('input[name="name"]', 'First Hour');
    await page.fill('input[name="slug"]', slug);
    await page.click('main button[type="submit"]');
    await expectUrl(page, (url) => url.pathname === `/orgs/${slug}/plans/shop-business`);
    const review = page.locator('[data-plan-review="shop-business"]');
    assert.equal(await review.getAttribute('data-step'), 'subscribe');
    assert.equal(await page.locator('[data-price-line]').innerText(), '€149 per month, or €1,490 per year');
    assert.match(await review.innerText(), /25 user seats/);
    assert.equal(await page.locator('[data-plan-modules="included"]').innerText(), 'Modules included: Wishlist, Product comparison');
    assert.equal(await page.locator('[data-plan-modules="optional"]').innerText(), 'Modules you may add: Stock availability, Blog');
    assert.equal(await page.locator('[data-needs-review]').count(), 0);
    await page.click('[data-confirm-plan="shop-business"]');
    await expectUrl(page, (url) => url.pathname === `/orgs/${slug}`);
    const shop = page.locator('[data-subscription="ecommerce"]');
    assert.equal(await shop.getAttribute('data-plan'), 'shop-business');
    // The engine sets the shop up meanwhile (the page follows it live).
    await page.locator('[data-subscription="ecommerce"][data-subscription-state="active"]').waitFor({ timeout: 60_000 });
    // What it reserves is measured as it starts, in the reader's local time.
    await page.waitForSelector('[data-subscription="ecommerce"] [data-usage-measured] time[data-localized]');
    // What it really uses, in vCPU and GiB (not its reservations, shown below each bar, never in red).
    assert.match(await shop.locator('[data-quota="cpu_millicores"]').innerText(), /0\.05\s*vCPU \/ 2\s*vCPU\s+1\s*vCPU reserved/);
    assert.match(await shop.locator('[data-quota="memory_mib"]').innerText(), /615\s*MiB \/ 4\s*GiB\s+2\s*GiB reserved/);
    assert.match(await shop.locator('[data-quota="storage_gib"]').innerText(), /2\s*GiB \/ 100\s*GiB\s+100\s*GiB reserved/);

    // Six seats held (the owner and five invitations): Starter's five do not fit.
    for (let i = 1; i <= 5; i += 1) await invite(page, slug, uniqueEmail(`seat${i}`));
    await page.goto(`${BASE}/orgs/${slug}`);
    await page.click('[data-change-plan="shop-starter"]');
    await expectUrl(page, (url) => url.pathname === `/orgs/${slug}/plans/shop-starter`);
    assert.equal(await review.count(), 0);
    const downgrade = page.locator('[data-plan-review="shop-starter"]');
    assert.equal(await downgrade.getAttribute('data-step'), 'change');
    const seats = page.locator('[data-quota-change="seats"]');
    assert.equal(await seats.getAttribute('data-exceeded'), 'true');
    assert.match(await seats.innerText(), /25 user seats\s+5 user seats \(less\)\s+6 user seats/);
    assert.equal(await page.locator('[data-refused="quota"]').count(), 1);
    assert.match(await page.locator('[data-refused="quota"]').innerText(), /6.*5/);
    assert.equal(await page.locator('[data-confirm-plan]').count(), 0, 'nothing to confirm that would be refused');

    // A larger plan that Bibind reviews first: the running shop keeps its plan meanwhile.
    await page.goto(`${BASE}/orgs/${slug}`);
    await page.click('[data-change-plan="shop-scale"]');
    await expectUrl(page, (url) => url.pathname === `/orgs/${slug}/plans/shop-scale`);
    assert.equal(await page.locator('[data-needs-review]').count(), 1);
    assert.match(await page.locator('[data-quota-change="storage_gib"]').innerText(), /100\sGiB\s+500\sGiB \(more\)/);
    await page.click('[data-confirm-plan="shop-scale"]');
    await expectUrl(page, (url) => url.pathname === `/orgs/${slug}`);
    assert.equal(await shop.getAttribute('data-plan'), 'shop-business');
    assert.equal(await page.locator('[data-pending-plan="shop-scale"]').count(), 1);

    // The audit log is one of the organization's tabs, not a page apart.
    await page.click('[data-org-tabs] a[href$="/audit"]');
    await expectUrl(page, (url) => url.pathname === `/orgs/${slug}/audit`);
    assert.equal(await page.getAttribute('[data-org-tabs] a[aria-current="page"]', 'href'), `/orgs/${slug}/audit`);
    // Each entry reads as a sentence, at the reader's local time; the codes and JSON are behind "Details".
    const sentence = (action) => page.locator(`[data-audit-action="${action}"] [data-audit-sentence]`).first().innerText();
    assert.equal(
      await sentence('subscription.request_plan_change'),
      `${email} asked to change the E-commerce plan: Business → Scale, to be reviewed by Bibind`,
    );
    assert.equal(await sentence('subscription.provisioning'), 'Your E-commerce service is active');
    const invited = await sentence('invitation.create');
    assert.ok(invited.startsWith(`${email} invited seat5.`) && invited.endsWith(' with the role Member'), invited);
    const created = page.locator('[data-audit-action="organization.create"]');
    const time = created.locator('time[data-local]');
    await page.waitForSelector('time[data-localized]');
    assert.match(await time.getAttribute('title'), /UTC$/, 'the server wrote UTC; the browser, local time');
    assert.equal(await created.locator('[data-audit-details] dd').first().isVisible(), false);
    await created.locator('[data-audit-details] summary').click();
    assert.equal(await created.locator('[data-audit-details] dd').first().innerText(), 'organization.create');
    // In French, the same log in French.
    await context.addCookies([{ name: 'bibind_locale', value: 'fr', url: BASE }]);
    await page.reload();
    assert.equal(await sentence('subscription.provisioning'), 'Votre service E-commerce est actif');
    assert.equal(await sentence('organization.create'), `${email} a créé l'organisation First Hour`);
    await page.click('[data-org-tabs] a[href$="/services"]');
    await expectUrl(page, (url) => url.pathname === `/orgs/${slug}/services`);

    assert.deepEqual(errors.filter((e) => !e.includes('favicon')), []);
    await context.close();
  });

  test('en français : vérifier son adresse puis « Continuer » mène à ses organisations', async () => {
    const { context, page, errors } = await openPage(browser, { locale: 'fr-FR' });
    const email = uniqueEmail('continuer');
    await page.goto(BASE + '/auth/registration');
    // The preferred language follows the interface's unless changed.
    assert.equal(await page.inputValue('select[name="traits.locale"]'), 'fr');
    await register(page, email);
    await verifyByCode(page, email);
    await continueAfterVerification(page);
    await expectUrl(page, atHome);
    await assertNotMissing(page);
    assert.equal(await page.getAttribute('[data-signed-in]', 'data-signed-in'), email);
    assert.match(await page.locator('h1').innerText(), /organisations/i);
    assert.deepEqual(errors.filter((e) => !e.includes('favicon')), []);
    await context.close();
  });

  test('an invited learner signs up from the link: the address is filled in, and after verifying, one button joins', async () => {
    const owner = await openPage(browser);
    const ownerEmail = uniqueEmail('teacher');
    await signUpVerified(owner.page, ownerEmail);
    await enterPortal(owner.page);
    const slug = `academy-${Date.now()}`;
    await owner.page.goto(BASE + '/orgs/new');
    await owner.page.fill('input[name="name"]', 'Academy');
    await owner.page.fill('input[name="slug"]', slug);
    await owner.page.click('main button[type="submit"]');
    await expectUrl(owner.page, (url) => url.pathname === `/orgs/${slug}`);
    const learnerEmail = uniqueEmail('learner');
    await invite(owner.page, slug, learnerEmail, 'learner');
    const mail = await waitForMail(learnerEmail, { subject: /Academy/ });
    // The mail names who invites, as people know them.
    assert.match(mail.subject, new RegExp(`^Camille Martin \\(${ownerEmail.replace(/[.+]/g, '\\$&')}\\) invites you`));
    const link = mail.text.match(/http\S+\/invitations\/[0-9a-f]+/)[0];

    const { context, page, errors } = await openPage(browser, { locale: 'fr-FR' });
    await page.goto(link);
    await page.click('[data-sign-up]');
    await expectUrl(page, /\/auth\/registration\?flow=/);
    assert.equal(await page.inputValue('input[name="traits.email"]'), learnerEmail, 'the invited address is filled in');
    await register(page, learnerEmail);
    await verifyByCode(page, learnerEmail);
    await continueAfterVerification(page);

    // Back on the invitation, signed in: Join, not "sign in or sign up".
    await expectUrl(page, (url) => url.pathname.startsWith('/invitations/'));
    await assertNotMissing(page);
    assert.equal(await page.locator('[data-sign-in], [data-sign-up]').count(), 0);
    await page.click('[data-accept]');
    await expectUrl(page, (url) => url.pathname === `/orgs/${slug}`);
    assert.equal(await page.locator('[data-your-role]').getAttribute('data-your-role'), 'learner');
    assert.deepEqual(errors.filter((e) => !e.includes('favicon')), []);
    await context.close();
    await owner.context.close();
  });
});
