// Backups, in Chromium: the owner of a running shop takes a backup from the
// service's backups page and watches it become stored, with its copy off
// site; the shop's data then changes (in Odoo's back office, as the owner);
// the owner restores the backup, typing the organization's slug, and finds
// the old data back in the shop. Members see no backups page.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, createOrganization, enterPortal, expectUrl, launchChromium, openPage, reloadUntil, signUpVerified,
  subscribe, uniqueEmail,
} from './support.mjs';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/// Signs the owner into the shop's back office from the portal (consent the first time).
async function intoBackOffice(page, slug) {
  await page.goto(`${BASE}/orgs/${slug}`);
  await page.click('[data-subscription="ecommerce"] [data-back-office]');
  await page.waitForURL((url) => url.hostname.endsWith('.shop.localhost') || url.pathname.startsWith('/auth/consent'));
  if (page.url().includes('/auth/consent')) {
    await page.click('button[name="decision"][value="allow"]');
  }
  await expectUrl(page, (url) => url.hostname === `${slug}.shop.localhost` && url.pathname === '/web');
}

/// `execute_kw` as the signed-in back-office user (Odoo's own web client call).
async function callKw(page, model, method, args, kwargs = {}) {
  return page.evaluate(async ([model, method, args, kwargs]) => {
    const answer = await fetch(`/web/dataset/call_kw/${model}/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { model, method, args, kwargs } }),
    });
    const body = await answer.json();
    if (body.error) throw new Error(JSON.stringify(body.error));
    return body.result;
  }, [model, method, args, kwargs]);
}

async function customerNames(page) {
  const rows = await callKw(page, 'res.partner', 'search_read', [[['name', 'like', 'Backup customer']]], { fields: ['name'] });
  return rows.map((row) => row.name).sort();
}

describe('backups', () => {
  test('an owner backs up the shop, changes it, restores the backup and finds the old data', async () => {
    const { context, page, errors } = await openPage(browser);
    await signUpVerified(page, uniqueEmail('backup-owner'));
    await enterPortal(page);
    const slug = await createOrganization(page, 'Boutique Sauvegardee', 'backup');
    await subscribe(page, slug, 'shop-starter');
    await page.locator('[data-subscription="ecommerce"][data-subscription-state="active"]')
      .waitFor({ timeout: 60_000 });

    await intoBackOffice(page, slug);
    await callKw(page, 'res.partner', 'create', [{ name: 'Backup customer kept' }]);

    // The backups page, from the service's card; a backup taken now.
    await page.goto(`${BASE}/orgs/${slug}`);
    await reloadUntil(page, '[data-subscription="ecommerce"] [data-backups-link]', 60_000);
    await page.click('[data-subscription="ecommerce"] [data-backups-link]');
    await page.waitForSelector('[data-no-backups]');
    await page.click('[data-take-backup] button[type="submit"]');
    await page.waitForSelector('[data-notice]');
    await reloadUntil(page, '[data-backup-state="stored"] [data-offsite="copied"]', 60_000);
    const sha256 = await page.getAttribute('[data-backup-state="stored"] [data-sha256]', 'data-sha256');
    assert.match(sha256, /^[0-9a-f]{64}$/);

    // The shop changes.
    await intoBackOffice(page, slug);
    await callKw(page, 'res.partner', 'create', [{ name: 'Backup customer added later' }]);
    assert.deepEqual(await customerNames(page), ['Backup customer added later', 'Backup customer kept']);

    // The restore asks for the slug: a wrong one is refused beside its field.
    await page.goBack();
    await page.goto(`${BASE}/orgs/${slug}`);
    await page.click('[data-subscription="ecommerce"] [data-backups-link]');
    const backups = page.url();
    await page.click('[data-backup-state="stored"] summary');
    await page.fill('[data-restore-form] input[name="confirmation"]', 'not-the-slug');
    await page.click('[data-restore-form] button[type="submit"]');
    await page.waitForSelector('[data-restore-form] [aria-invalid="true"]');
    await page.fill('[data-restore-form] input[name="confirmation"]', slug);
    await page.click('[data-restore-form] button[type="submit"]');
    await page.waitForSelector('[data-notice]');
    // Restored once the service is idle again (the form to take a backup is back).
    await page.goto(backups);
    await reloadUntil(page, '[data-take-backup]', 60_000);

    await intoBackOffice(page, slug);
    assert.deepEqual(await customerNames(page), ['Backup customer kept']);
    assert.deepEqual(errors.filter((e) => !e.includes('favicon')), []);
    await context.close();
  });
});
