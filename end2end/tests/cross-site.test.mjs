// Cross-site request forgery from a sibling origin, in a real browser. A
// page served on another port of the portal's host is same-site with the
// portal (as a tenant's application on a sibling subdomain would be): the
// browser sends the portal's SameSite cookies with its requests, and it can
// set cookies the portal receives. It plants a form-token cookie and posts
// the new-organization form with that token; it also loads the sign-out
// URL as an image. The portal refuses the post (its tokens live in the
// session, and it reads Origin / Sec-Fetch-Site) and only asks on the GET:
// nothing is created, nobody is signed out.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  BASE, enterPortal, launchChromium, openPage, signUpVerified, uniqueEmail,
} from './support.mjs';

const PLANTED_TOKEN = '0123456789abcdef0123456789abcdef';

let browser;
let sibling;
let siblingOrigin;

/** The attacker's pages, same-site with the portal but another origin. */
function siblingPages(request, response) {
  const url = new URL(request.url, 'http://sibling');
  const slug = url.searchParams.get('slug') ?? 'none';
  if (url.pathname === '/forge') {
    // Cookies are not scoped by port: this one reaches the portal too, as
    // a sibling subdomain's cookie for the parent domain would.
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'set-cookie': [
        `bibind_new_org_csrf=${PLANTED_TOKEN}; Path=/`,
        `bibind_org_csrf=${PLANTED_TOKEN}; Path=/`,
      ],
    });
    response.end(`<!DOCTYPE html><html><body>
      <form method="post" action="${BASE}/orgs/new">
        <input type="hidden" name="csrf_token" value="${PLANTED_TOKEN}">
        <input type="hidden" name="name" value="Forged Org">
        <input type="hidden" name="slug" value="${slug}">
        <input type="hidden" name="country" value="FR">
        <input type="hidden" name="billing_email" value="forged@example.com">
        <button type="submit" id="go">Win a prize</button>
      </form></body></html>`);
    return;
  }
  if (url.pathname === '/image') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!DOCTYPE html><html><body><img id="out" src="${BASE}/auth/logout"></body></html>`);
    return;
  }
  response.writeHead(404);
  response.end();
}

before(async () => {
  browser = await launchChromium();
  sibling = http.createServer(siblingPages);
  await new Promise((resolve) => sibling.listen(0, resolve));
  const portal = new URL(BASE);
  siblingOrigin = `${portal.protocol}//${portal.hostname}:${sibling.address().port}`;
  assert.notEqual(siblingOrigin, portal.origin);
});

after(async () => {
  await browser?.close();
  if (sibling) await new Promise((resolve) => sibling.close(resolve));
});

async function signedInEmail(page) {
  await page.goto(BASE + '/');
  const header = page.locator('[data-signed-in]');
  return (await header.count()) ? header.getAttribute('data-signed-in') : null;
}

describe('forms posted from another origin of the same site', () => {
  test('a sibling page that plants a token cookie and posts a form is refused and creates nothing', async () => {
    const { context, page } = await openPage(browser, { javaScriptEnabled: false });
    const email = uniqueEmail('csrf-target');
    await signUpVerified(page, email);
    await enterPortal(page);
    assert.equal(await signedInEmail(page), email);

    const slug = `forged-${Date.now()}`;
    await page.goto(`${siblingOrigin}/forge?slug=${slug}`);
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${BASE}/orgs/new` && response.request().method() === 'POST'),
      page.click('#go'),
    ]);
    assert.equal(answer.status(), 403, `the forged post answered ${answer.status()} at ${page.url()}`);

    // Nothing was created; the person is still signed in.
    const created = await page.goto(`${BASE}/orgs/${slug}`);
    assert.equal(created.status(), 404);
    await page.goto(BASE + '/orgs');
    assert.equal(await page.locator(`[data-organization="${slug}"]`).count(), 0);
    assert.equal(await signedInEmail(page), email);
    await context.close();
  });

  test('loading the sign-out address from a sibling page signs nobody out', async () => {
    const { context, page } = await openPage(browser);
    const email = uniqueEmail('csrf-logout');
    await signUpVerified(page, email);
    await enterPortal(page);
    assert.equal(await signedInEmail(page), email);

    // The browser may block the answer for the image (it is a page), but
    // the request, cookies included, is made; wait until it is over.
    await page.goto(`${siblingOrigin}/image`);
    await page.waitForFunction(() => document.getElementById('out')?.complete === true);
    await page.waitForLoadState('networkidle');
    assert.equal(await signedInEmail(page), email, 'still signed in');

    // The header's own button signs out (a post with the session's token).
    await page.click('[data-sign-out]');
    await page.waitForURL(BASE + '/');
    assert.equal(await signedInEmail(page), null);
    await context.close();
  });
});
