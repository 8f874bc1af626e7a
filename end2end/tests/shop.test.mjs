// A shop reaches its owner, in Chromium: once the engine has set it up, the
// subscription's card shows the storefront's address; the storefront (the
// simulated Odoo's web side, at `<slug>.shop.localhost`, which Chromium
// resolves to this machine) shows the shop's name; and "Open back office"
// lands the owner in Odoo's back office signed in, through Hydra with the
// portal as login provider, with no password page on the way (a tenant's
// application asks for consent the first time).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, enterPortal, expectUrl, launchChromium, openPage, recordNavigations, reloadUntil, signUpVerified,
  subscribe, uniqueEmail,
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
    const slug = `shop-${Date.now()}`;
    await page.goto(`${BASE}/orgs/new`);
    await page.fill('input[name="name"]', 'Boutique Test');
    await page.fill('input[name="slug"]', slug);
    await page.click('main button[type="submit"]');
    await expectUrl(page, (url) => url.href === `${BASE}/orgs/${slug}`);
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
});
