// Shared by the end-to-end tests: Debian's Chromium through playwright-core.

import { chromium } from 'playwright-core';

export const BASE = process.env.BIBIND_BASE_URL ?? 'http://localhost:3000';
export const MAIL_API = process.env.BIBIND_MAIL_API ?? 'http://127.0.0.1:8025';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** A fresh page that records console errors and uncaught exceptions. */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'en-GB', ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  return { context, page, errors };
}

/**
 * Resolves once every island of the page runs in the browser (each marks its
 * root `data-island-ready` once hydrated); at once on a page without one.
 */
export async function waitForHydration(page) {
  await page.waitForFunction(() =>
    [...document.querySelectorAll('leptos-island')]
      .every((island) => island.querySelector('[data-island-ready]')));
}

/** The URLs of the scripts and wasm modules the page downloaded. */
export async function downloadedCode(page) {
  return page.evaluate(() => performance.getEntriesByType('resource')
    .map((entry) => entry.name)
    .filter((name) => /\.(js|wasm)$/.test(new URL(name).pathname)));
}

/** Waits for a mail to `address` (whose subject matches, if given) in the SMTP sink. */
export async function waitForMail(address, { subject = /./, timeoutMs = 15000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const messages = await (await fetch(`${MAIL_API}/messages`)).json();
    const mail = messages.find((m) => m.to.includes(address) && subject.test(m.subject));
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no mail reached ${address} within ${timeoutMs} ms`);
}

/** The current RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret. */
export async function totp(secretBase32, atMs = Date.now()) {
  const { createHmac } = await import('node:crypto');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secretBase32.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) continue;
    bits += value.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const hmac = createHmac('sha1', key).update(counter).digest();
  const offset = hmac[hmac.length - 1] & 0xf;
  const code = (hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}

export const PASSWORD = 'correct horse battery staple';

/** Signs a new person up through the portal's registration pages. */
export async function signUp(page, email, password = PASSWORD) {
  await page.goto(BASE + '/auth/registration');
  await register(page, email, password);
}

/** On the registration page (however the person got there): fills it in, up to the verification page. */
export async function register(page, email, password = PASSWORD) {
  await page.waitForURL(/\/auth\/registration\?flow=/);
  await page.fill('input[name="traits.email"]', email);
  await page.fill('input[name="traits.name.first"]', 'Camille');
  await page.fill('input[name="traits.name.last"]', 'Martin');
  // Kratos v1.3.1 registers in two steps: the profile, then the password.
  await page.click('button[name="method"][value="profile"]');
  await page.waitForSelector('input[name="password"]');
  await page.fill('input[name="password"]', password);
  await page.click('button[name="method"][value="password"]');
  await page.waitForURL(/\/auth\/verification\?flow=/);
}

/**
 * On Kratos' verification page after signing up: types the code Kratos
 * mailed to `email`, as the person would, and waits for "verified".
 */
export async function verifyByCode(page, email) {
  const mail = await waitForMail(email, { subject: /verif|Verif|Vérif|vérif|code/i });
  const code = mail.text.match(/\b(\d{6})\b/)?.[1];
  if (!code) throw new Error(`no six-digit code in: ${mail.text}`);
  await page.fill('input[name="code"]', code);
  await page.click('button[name="method"][value="code"]');
  await page.waitForSelector('[data-message-id="1080002"]');
}

/**
 * Signs up and verifies the address: what creating an organization,
 * subscribing and joining one need.
 */
export async function signUpVerified(page, email, password = PASSWORD) {
  await signUp(page, email, password);
  await verifyByCode(page, email);
}

/**
 * Signs in to the portal itself (OpenID through Hydra): silent when Kratos
 * already has a session, as after signing up; ends on the home page.
 */
/**
 * Subscribes from the organization's catalog page: the plan's review, its
 * "Confirm", then the overview.
 */
export async function subscribe(page, slug, plan) {
  // The page just left may still reload itself (its live progress heard a
  // state change) over this navigation: go again until the link is there.
  for (let attempt = 1; ; attempt += 1) {
    await page.goto(`${BASE}/orgs/${slug}/services`);
    try {
      await page.click(`[data-subscribe="${plan}"]`, { timeout: 5000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
  await expectUrl(page, (url) => url.pathname === `/orgs/${slug}/plans/${plan}`);
  await page.click(`[data-confirm-plan="${plan}"]`);
  await expectUrl(page, (url) => url.pathname === `/orgs/${slug}`);
}

/**
 * Creates an organization named `name` from `/orgs/new`, its address
 * `<prefix>-<now>`; resolves on its overview with that address.
 */
export async function createOrganization(page, name, prefix = name.toLowerCase()) {
  const slug = `${prefix}-${Date.now()}`;
  await page.goto(BASE + '/orgs/new');
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="slug"]', slug);
  await page.click('main button[type="submit"]');
  await expectUrl(page, (url) => url.pathname === `/orgs/${slug}`);
  return slug;
}

/** Where signing in lands: the person's organizations, or the one they have. */
export function atHome(url) {
  return url.origin === BASE && (url.pathname === '/orgs' || url.pathname.startsWith('/orgs/'));
}

export async function enterPortal(page) {
  await page.goto(BASE + '/auth/signin');
  await expectUrl(page, atHome);
}

/** Every URL the page's main frame requests from now on, redirects included. */
export function recordNavigations(page) {
  const urls = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) urls.push(request.url());
  });
  return urls;
}

/** Signs in with e-mail and password; stops at the next page. */
export async function signIn(page, email, password = PASSWORD) {
  await page.goto(BASE + '/auth/login');
  await page.waitForURL(/\/auth\/login\?flow=/);
  await page.fill('input[name="identifier"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button[name="method"][value="password"]');
}

export function uniqueEmail(name) {
  return `${name}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
}

/**
 * Reloads a page until it shows `selector`. A hydrated organization page
 * reloads itself when its live stream hears that a subscription's state
 * changed, so the test's reload may collide with the page's own (the error
 * then names an aborted or detached frame): either navigation shows the new
 * state, and what the page finally shows is what is checked.
 */
export async function reloadUntil(page, selector, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    await page.reload({ timeout: 5000 }).catch(() => page.waitForLoadState('load').catch(() => {}));
    try {
      await page.locator(selector).first().waitFor({ timeout: 3000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

/** Like page.waitForURL, but a failure says where the browser is and what it shows. */
export async function expectUrl(page, pattern, timeout = 15000) {
  try {
    await page.waitForURL(pattern, { timeout });
  } catch (error) {
    const text = (await page.locator('main').innerText().catch(() => '')).slice(0, 1200);
    throw new Error(`expected a URL matching ${pattern}, the browser is at ${page.url()} showing:\n${text}`);
  }
}
