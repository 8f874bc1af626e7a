// A shop reaches its owner, in Chromium: once the engine has set it up, the
// subscription's card shows the storefront's address; the storefront (the
// simulated Odoo's web side, at `<slug>.shop.localhost`, which Chromium
// resolves to this machine) shows the shop's name; and "Open back office"
// lands the owner in Odoo's back office signed in, through Hydra with the
// portal as login provider, with no password page on the way (a tenant's
// application asks for consent the first time). A member invited after the
// shop went live gets in the same way once the engine has made their Odoo
// user, and Odoo refuses them once they are removed; the owner adds a
// module from the Modules tab and claims their own domain.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, createOrganization, enterPortal, expectUrl, launchChromium, openPage, recordNavigations, reloadUntil, signUp, signUpVerified,
  subscribe, uniqueEmail, verifyByCode, waitForMail,
} from './support.mjs';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe('a shop reaches its owner', () => {
  test('the storefront is named after the shop, and the back office opens signed in', async () => {
    const { context, page, errors } = await openPage(browser);
    const email = uniqueEmail('shop-owner');
    await signUpVerified(page, email);
    await enterPortal(page);
    const slug = await createOrganization(page, 'Boutique Test', 'shop');
    await subscribe(page, slug, 'shop-starter');
    await page.locator('[data-subscription="ecommerce"][data-subscription-state="active"]')
      .waitFor({ timeout: 60_000 });
    await reloadUntil(page, '[data-subscription="ecommerce"] [data-site-url]');

    const storefront = await page.getAttribute('[data-subscription="ecommerce"] [data-site-url]', 'href');
    assert.match(storefront, new RegExp(`^http://${slug}\\.shop\\.localhost:\\d+$`));
    await page.goto(`${storefront}/`);
    assert.equal(await page.title(), 'Home | Boutique Test');

    await page.goto(`${BASE}/orgs/${slug}`);
    const navigations = recordNavigations(page);
    await page.click('[data-subscription="ecommerce"] [data-back-office]');
    await expectUrl(page, /\/auth\/consent\?consent_challenge=/);
    await page.click('button[name="decision"][value="allow"]');
    await expectUrl(page, (url) => url.hostname === `${slug}.shop.localhost` && url.pathname === '/web');
    assert.equal(await page.locator('.oe_topbar_name').innerText(), email);
    const passwordPages = navigations.filter((url) => url.includes('/web/login') || url.includes('/auth/login?flow'));
    assert.deepEqual(passwordPages, [], 'no sign-in form on the way');
    assert.deepEqual(errors.filter((e) => !e.includes('favicon')), []);
    await context.close();
  });

  test('a member invited later gets in once synced and is refused once removed; modules and an own domain', async () => {
    const owner = await openPage(browser);
    const ownerEmail = uniqueEmail('shop-founder');
    await signUpVerified(owner.page, ownerEmail);
    await enterPortal(owner.page);
    const slug = await createOrganization(owner.page, 'Boutique Equipe', 'team');
    await subscribe(owner.page, slug, 'shop-starter');
    await owner.page.locator('[data-subscription="ecommerce"][data-subscription-state="active"]')
      .waitFor({ timeout: 60_000 });

    // A colleague is invited now that the shop is live, and joins.
    const memberEmail = uniqueEmail('shop-member');
    await owner.page.goto(`${BASE}/orgs/${slug}/members`);
    await owner.page.fill('#invite-email', memberEmail);
    await owner.page.selectOption('#invite-role', 'member');
    await owner.page.click('[data-invite-form] button[type="submit"]');
    await owner.page.waitForSelector('[data-notice]');
    const mail = await waitForMail(memberEmail, { subject: /Boutique Equipe/ });
    const link = mail.text.match(/http\S+\/invitations\/[0-9a-f]+/)[0];
    const member = await openPage(browser);
    await signUp(member.page, memberEmail);
    await verifyByCode(member.page, memberEmail);
    await member.page.goto(link);
    if (await member.page.locator('[data-accept]').count() === 0) {
      await member.page.click('[data-sign-in]');
      await expectUrl(member.page, (url) => url.pathname.startsWith('/invitations/'));
    }
    await member.page.click('[data-accept]');
    await expectUrl(member.page, (url) => url.pathname === `/orgs/${slug}`);

    // Once the members' sync has made their Odoo user, "Open back office"
    // lands them in it signed in (until then Odoo says it does not know them).
    const inBackOffice = (url) => url.hostname === `${slug}.shop.localhost` && url.pathname === '/web';
    const deadline = Date.now() + 60_000;
    for (;;) {
      await member.page.goto(`${BASE}/orgs/${slug}`);
      await member.page.click('[data-subscription="ecommerce"] [data-back-office]');
      await member.page.waitForURL((url) => url.hostname.endsWith('.shop.localhost') || url.pathname.startsWith('/auth/consent'));
      if (member.page.url().includes('/auth/consent')) {
        await member.page.click('button[name="decision"][value="allow"]');
        await member.page.waitForURL((url) => url.hostname.endsWith('.shop.localhost'));
      }
      if (inBackOffice(new URL(member.page.url()))) break;
      assert.ok(Date.now() < deadline, `the member never got in: ${member.page.url()}`);
      await member.page.waitForTimeout(1000);
    }
    assert.equal(await member.page.locator('.oe_topbar_name').innerText(), memberEmail);

    // Removed: the sync archives their Odoo user, and Odoo ends their session.
    await owner.page.goto(`${BASE}/orgs/${slug}/members`);
    await owner.page.click(`[data-remove="${memberEmail}"]`);
    await owner.page.waitForSelector(`[data-remove="${memberEmail}"]`, { state: 'detached' });
    const storefront = `http://${slug}.shop.localhost:${new URL(member.page.url()).port}`;
    const refusedBy = Date.now() + 60_000;
    for (;;) {
      await member.page.goto(`${storefront}/web`);
      if (new URL(member.page.url()).pathname === '/web/login') break;
      assert.ok(Date.now() < refusedBy, 'Odoo still lets the removed member in');
      await member.page.waitForTimeout(1000);
    }
    const portal = await member.page.goto(`${BASE}/orgs/${slug}/back-office/ecommerce`);
    assert.equal(portal.status(), 404);

    // The owner adds a module the plan offers; the engine installs it.
    await owner.page.goto(`${BASE}/orgs/${slug}/modules`);
    await owner.page.click('[data-module="website_sale_wishlist"] [data-module-change="add"]');
    await reloadUntil(owner.page, '[data-module="website_sale_wishlist"][data-module-state="installed"]', 60_000);

    // And claims their own domain: the records to create are shown.
    await owner.page.goto(`${BASE}/orgs/${slug}/services`);
    await owner.page.fill('[data-domain-form] input[name="domain"]', `shop.${slug}.example`);
    await owner.page.click('[data-domain-form] button[type="submit"]');
    await owner.page.waitForSelector(`[data-domain="shop.${slug}.example"][data-domain-state="pending"]`);
    assert.equal(
      await owner.page.locator('[data-dns-record="CNAME"] td').nth(2).innerText(),
      `${slug}.shop.localhost.`,
    );
    assert.match(await owner.page.locator('[data-dns-record="TXT"] td').nth(2).innerText(), /^bibind-verification=/);
    await owner.context.close();
    await member.context.close();
  });
});
