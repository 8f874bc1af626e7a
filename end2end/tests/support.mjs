// Shared by the end-to-end tests: Debian's Chromium through playwright-core.

import { chromium } from 'playwright-core';

export const BASE = process.env.BIBIND_BASE_URL ?? 'http://127.0.0.1:3000';
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

/** Resolves once the wasm module has hydrated the page. */
export async function waitForHydration(page) {
  await page.waitForFunction(() =>
    performance.getEntriesByType('resource').some((entry) => entry.name.includes('.wasm')));
  await page.waitForLoadState('networkidle');
}

/** Waits for a mail to `address` in the SMTP sink and returns it. */
export async function waitForMail(address, { timeoutMs = 15000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const messages = await (await fetch(`${MAIL_API}/messages`)).json();
    const mail = messages.find((m) => m.to.includes(address));
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no mail reached ${address} within ${timeoutMs} ms`);
}
