// The landing page in Debian's Chromium: with and without JavaScript, the
// language switch, hydration, console errors and accessibility (axe-core).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BASE, downloadedCode, launchChromium, openPage as open, waitForHydration } from './support.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const openPage = (options) => open(browser, options);

async function prices(page) {
  return page.locator('[data-plan="shop-starter"] [data-price]').innerText();
}

describe('landing page', () => {
  test('renders the three offers and their plans with JavaScript, hydrates, no console error', async () => {
    const { context, page, errors } = await openPage();
    const response = await page.goto(BASE + '/');
    assert.equal(response.status(), 200);
    await waitForHydration(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    for (const offer of ['ecommerce', 'training', 'iot']) {
      assert.equal(await page.locator(`[data-offer="${offer}"] [data-plan]`).count(), 3, offer);
    }
    assert.equal(await prices(page), '€49');

    // Hydrated: the billing switch updates prices in place, without a reload.
    await page.evaluate(() => { window.__noReload = true; });
    await page.click('[data-billing="yearly"]');
    await page.waitForFunction(() =>
      document.querySelector('[data-plan="shop-starter"] [data-price]')?.textContent === '€490');
    assert.equal(await page.evaluate(() => window.__noReload), true, 'the page did not reload');
    assert.match(page.url(), /billing=yearly/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('works without JavaScript: content and the billing switch are plain HTML', async () => {
    const { context, page } = await openPage({ javaScriptEnabled: false });
    await page.goto(BASE + '/');
    assert.equal(await page.locator('[data-plan]').count(), 9);
    assert.equal(await prices(page), '€49');
    await page.click('[data-billing="yearly"]');
    await page.waitForURL(/billing=yearly/);
    assert.equal(await prices(page), '€490');
    await context.close();
  });

  test('the language switch moves to French and stays there, with and without JavaScript', async () => {
    for (const javaScriptEnabled of [true, false]) {
      const { context, page, errors } = await openPage({ javaScriptEnabled });
      await page.goto(BASE + '/');
      if (javaScriptEnabled) await waitForHydration(page);
      await page.click('a[hreflang="fr"]');
      await page.waitForFunction(() => document.documentElement.lang === 'fr');
      assert.match(await page.locator('h1').innerText(), /Hébergés en France/);
      assert.equal(await prices(page), '49\u00a0€');
      await page.reload();
      assert.equal(await page.getAttribute('html', 'lang'), 'fr', 'the choice is remembered');
      await page.click('a[hreflang="en"]');
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      assert.match(await page.locator('h1').innerText(), /Hosted in France/);
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test('Accept-Language chooses the first language', async () => {
    const { context, page } = await openPage({ locale: 'fr-FR' });
    await page.goto(BASE + '/');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    assert.match(await page.locator('#offers-title').innerText(), /Offres et formules/);
    await context.close();
  });

  test('an unknown page is the 404 page, in the visitor’s language, without console errors', async () => {
    const { context, page, errors } = await openPage({ locale: 'fr-FR' });
    const response = await page.goto(BASE + '/nulle-part');
    assert.equal(response.status(), 404);
    assert.match(await page.locator('h1').innerText(), /Page introuvable/);
    await waitForHydration(page);
    assert.deepEqual(errors.filter((e) => !e.includes('404')), []);
    await context.close();
  });

  test('only pages with an island download the wasm', async () => {
    const { context, page, errors } = await openPage();
    await page.goto(BASE + '/');
    await waitForHydration(page);
    const landing = await downloadedCode(page);
    assert.ok(landing.some((url) => url.includes('.wasm')), `landing: ${landing}`);
    for (const path of ['/no-such-page', '/auth/error', '/auth/registration']) {
      await page.goto(BASE + path);
      await page.waitForLoadState('load');
      assert.deepEqual((await downloadedCode(page)).filter((url) => !url.endsWith('/passkeys.js')), [], path);
    }
    // The 404 and error pages answer 404 and 400 by design.
    assert.deepEqual(errors.filter((e) => !/status of 40[04]/.test(e)), []);
    await context.close();
  });

  test('fits a phone screen', async () => {
    const { context, page } = await openPage({ viewport: { width: 375, height: 740 }, isMobile: true });
    await page.goto(BASE + '/');
    await waitForHydration(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await context.close();
  });

  test('has no serious or critical accessibility violation (axe-core)', async () => {
    for (const [path, locale] of [
      ['/', 'en-GB'], ['/', 'fr-FR'], ['/nowhere', 'en-GB'], ['/auth/login', 'fr-FR'], ['/auth/registration', 'en-GB'],
    ]) {
      // axe is injected as a script: let it past the page's CSP.
      const { context, page } = await openPage({ bypassCSP: true, locale });
      await page.goto(BASE + path);
      await waitForHydration(page);
      await page.addScriptTag({ content: AXE });
      const results = await page.evaluate(async () =>
        // eslint-disable-next-line no-undef
        axe.run(document, { resultTypes: ['violations'] }));
      const blocking = results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      assert.deepEqual(blocking, [], `${path} ${locale}`);
      await context.close();
    }
  });
});
