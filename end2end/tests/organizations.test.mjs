// A customer creates their organization from the portal, with and without
// JavaScript; a mistake is shown beside its field in their language.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, enterPortal, expectUrl, launchChromium, openPage, signUpVerified, uniqueEmail,
} from './support.mjs';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe('organizations', () => {
  for (const javaScriptEnabled of [true, false]) {
    test(`a new customer creates their organization (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const { context, page } = await openPage(browser, { locale: 'fr-FR', javaScriptEnabled });
      const email = uniqueEmail('founder');
      await signUpVerified(page, email);
      await enterPortal(page);
      await page.click('header a[href="/orgs"]');
      await expectUrl(page, (url) => url.href === BASE + '/orgs');
      // With JavaScript the list loads after a client-side navigation: wait for it.
      await page.waitForSelector('[data-no-organizations]');
      await page.click('main a[href="/orgs/new"]');
      await expectUrl(page, (url) => url.href === BASE + '/orgs/new');
      assert.equal(await page.inputValue('input[name="billing_email"]'), email);

      const slug = `acme-${Date.now()}`;
      await page.fill('input[name="name"]', 'Acme Boutique');
      await page.fill('input[name="slug"]', 'ab');
      await page.selectOption('select[name="country"]', 'BE');
      await page.click('main button[type="submit"]');
      await expectUrl(page, /\/orgs\/new\?/);
      assert.match(await page.locator('[data-problem="too_short"]').innerText(), /trop court/);
      assert.equal(await page.inputValue('input[name="name"]'), 'Acme Boutique');
      assert.equal(await page.inputValue('select[name="country"]'), 'BE');

      await page.fill('input[name="slug"]', slug);
      await page.click('main button[type="submit"]');
      await expectUrl(page, (url) => url.href === `${BASE}/orgs/${slug}`);
      assert.match(await page.locator('h1').innerText(), /Acme Boutique/);
      assert.equal(await page.locator('[data-member-count]').getAttribute('data-member-count'), '1');
      await page.click('[data-org-tabs] a[href$="/members"]');
      await expectUrl(page, (url) => url.href === `${BASE}/orgs/${slug}/members`);
      assert.equal(await page.locator(`[data-member="${email}"]`).count(), 1);
      assert.match(await page.locator('main').innerText(), /Propriétaire/);
      await context.close();
    });
  }
});
