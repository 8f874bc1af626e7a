// Phone speed of the landing page and of a signed-in customer's dashboard:
// first contentful paint, time to interactive and the JavaScript + wasm bytes
// downloaded, in Debian's Chromium with 4× CPU throttling and DevTools'
// "Fast 4G" network profile, cold cache, several loads per page; prints the
// median and the worst beside the targets (never asserts them).
//
// `cargo xtask bench` runs it after its wrk runs (xtask/src/bench.rs), with
// the customer that server/examples/tenancy_bench.rs signed in. Alone, against
// any running portal (e.g. `cargo xtask dev --release`, portal on :3000):
//
//   cd end2end && BIBIND_BASE_URL=http://localhost:3000 node bench/phone.mjs
//
// measures the landing page only. For the dashboard too, add either a
// signed-in browser's cookies and the page (what tenancy_bench prints as
// COOKIE_HEADER= and DASHBOARD=):
//
//   BENCH_COOKIE_HEADER='bibind_session=…; ory_kratos_session=…' BENCH_DASHBOARD=/orgs/tenant-00042
//
// or an account to sign in with (the dev customer's password is in
// .data/dev-accounts.env) and an organization it belongs to:
//
//   BENCH_EMAIL=customer@bibind.localhost BENCH_PASSWORD=… BENCH_DASHBOARD=/orgs/<slug>
//
// BENCH_RUNS (default 5) sets the cold loads per page; CHROMIUM_PATH the browser.
//
// Interactive, per page:
// - islands (`leptos-island` elements): the moment every island carries or
//   contains `[data-island-ready]`, which each island sets once hydrated;
// - no island but a wasm module requested by the load event (whole-page
//   hydration, as before islands): the first task after the module was
//   instantiated, which is after `hydrate()` ran (it runs in the promise
//   chain that follows);
// - no island and no wasm: DOMContentLoaded (the page is plain HTML);
// and never before the first contentful paint.
// On the landing page the billing switch must then answer: a click on the
// yearly option has to change a `[data-price]` without a navigation; its
// interactive time is the moment above plus the time that click took to
// show the new price (the test driver's own delay before clicking is left out).

import { BASE, enterPortal, launchChromium, signIn } from '../tests/support.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CPU_SLOWDOWN = 4;
// Chrome DevTools' "Fast 4G" preset, exactly: `Fast4GConditions` in
// front_end/core/sdk/NetworkManager.ts of ChromeDevTools/devtools-frontend
// (9 Mbit/s down and 1.5 Mbit/s up, each × 0.9; 60 ms RTT × 2.75).
const FAST_4G = {
  offline: false,
  latency: 60 * 2.75, // 165 ms
  downloadThroughput: (9 * 1000 * 1000) / 8 * 0.9, // 1,012,500 bytes/s
  uploadThroughput: (1.5 * 1000 * 1000) / 8 * 0.9, // 168,750 bytes/s
};
// A mid-range phone's screen, as Lighthouse's mobile preset (412 × 823).
const PHONE = { viewport: { width: 412, height: 823 }, deviceScaleFactor: 1.75, isMobile: true };
const TARGET_FCP_MS = 1000;
const TARGET_INTERACTIVE_MS = 2000;
const WAIT_MS = 60_000;

/** Runs in every page before its own scripts: records the moments measured. */
function instrument() {
  if (window !== window.top) return;
  const phone = {
    fcp: null,
    dcl: null,
    islands: 0,
    islandsReadyAt: null,
    hydratedAt: null,
    initialPrices: null,
    clickAt: null,
    priceChangedAt: null,
  };
  window.__phone = phone;
  const prices = () =>
    Array.from(document.querySelectorAll('[data-price]'), (price) => price.textContent).join('|');
  const check = () => {
    const now = performance.now();
    if (phone.islandsReadyAt === null && phone.islands > 0) {
      const islands = Array.from(document.querySelectorAll('leptos-island'));
      if (islands.every((island) => island.matches('[data-island-ready]') || island.querySelector('[data-island-ready]'))) {
        phone.islandsReadyAt = now;
      }
    }
    if (phone.clickAt !== null && phone.priceChangedAt === null && prices() !== phone.initialPrices) {
      phone.priceChangedAt = now;
    }
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name === 'first-contentful-paint') phone.fcp = entry.startTime;
    }
  }).observe({ type: 'paint', buffered: true });
  for (const name of ['instantiateStreaming', 'instantiate']) {
    const original = WebAssembly[name];
    if (typeof original !== 'function') continue;
    WebAssembly[name] = function (...args) {
      const instantiated = original.apply(this, args);
      instantiated.then(
        () => setTimeout(() => {
          if (phone.hydratedAt === null) phone.hydratedAt = performance.now();
        }, 0),
        () => {},
      );
      return instantiated;
    };
  }
  window.addEventListener('click', (event) => {
    if (phone.clickAt === null && event.target.closest?.('[data-billing]')) phone.clickAt = event.timeStamp;
  }, true);
  document.addEventListener('DOMContentLoaded', () => {
    phone.dcl = performance.now();
    phone.islands = document.querySelectorAll('leptos-island').length;
    phone.initialPrices = prices();
    new MutationObserver(check).observe(document.documentElement, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['data-island-ready'],
    });
    check();
  });
}

function cookiesFromHeader(header) {
  return header.split(/;\s*/).filter(Boolean).map((pair) => {
    const equals = pair.indexOf('=');
    return { name: pair.slice(0, equals), value: pair.slice(equals + 1), url: BASE };
  });
}

/** The dashboard's cookies: given, or from signing in; null when there is no dashboard to measure. */
async function dashboardCookies(browser) {
  if (!process.env.BENCH_DASHBOARD) return null;
  if (process.env.BENCH_COOKIE_HEADER) return cookiesFromHeader(process.env.BENCH_COOKIE_HEADER);
  if (!process.env.BENCH_EMAIL || !process.env.BENCH_PASSWORD) {
    throw new Error('BENCH_DASHBOARD needs BENCH_COOKIE_HEADER, or BENCH_EMAIL and BENCH_PASSWORD');
  }
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await signIn(page, process.env.BENCH_EMAIL, process.env.BENCH_PASSWORD);
  await enterPortal(page);
  const cookies = await context.cookies();
  await context.close();
  return cookies;
}

const isScriptOrWasm = (type, response) =>
  type === 'Script' ||
  /javascript|ecmascript|wasm/.test(response.mimeType ?? '') ||
  /\.(m?js|wasm)$/.test(new URL(response.url).pathname);

/** One cold load of `path`; `throttled` false for the uncounted warm-up. */
async function load(browser, { path, cookies, billing }, throttled) {
  const context = await browser.newContext({ locale: 'en-GB', ...PHONE });
  try {
    if (cookies) await context.addCookies(cookies);
    await context.addInitScript(instrument);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const downloads = new Map();
    let wasmRequested = false;
    cdp.on('Network.requestWillBeSent', ({ request }) => {
      if (/\.wasm$/.test(new URL(request.url).pathname)) wasmRequested = true;
    });
    cdp.on('Network.responseReceived', ({ requestId, type, response }) => {
      if (!isScriptOrWasm(type, response)) return;
      const encoding = Object.entries(response.headers)
        .find(([name]) => name.toLowerCase() === 'content-encoding')?.[1] ?? 'identity';
      downloads.set(requestId, { bytes: null, encoding });
    });
    cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
      const download = downloads.get(requestId);
      if (download) download.bytes = encodedDataLength;
    });
    cdp.on('Network.loadingFailed', ({ requestId }) => {
      const download = downloads.get(requestId);
      if (download) download.bytes = 0;
    });
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (throttled) {
      await cdp.send('Network.emulateNetworkConditions', FAST_4G);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    }

    const response = await page.goto(BASE + path, { waitUntil: 'domcontentloaded', timeout: WAIT_MS });
    if (response?.status() !== 200) throw new Error(`${path} answered ${response?.status()}, not 200`);
    if (new URL(page.url()).pathname !== new URL(BASE + path).pathname) {
      throw new Error(`${path} went to ${page.url()} (signed out?)`);
    }
    // By the load event a page that hydrates as a whole has asked for its
    // wasm (the shell preloads it); one with islands shows them.
    await page.waitForLoadState('load', { timeout: WAIT_MS });
    const { islands } = await page.evaluate(() => window.__phone);
    const mode = islands > 0 ? 'islands' : wasmRequested ? 'hydration' : 'none';
    const readyAt = { islands: 'islandsReadyAt', hydration: 'hydratedAt', none: 'dcl' }[mode];
    const wait = (predicate, arg) => page.waitForFunction(predicate, arg, { timeout: WAIT_MS, polling: 20 });
    await wait((field) => window.__phone[field] !== null && window.__phone.fcp !== null, readyAt).catch(async (error) => {
      const state = await page.evaluate(() => JSON.stringify(window.__phone)).catch(() => 'unknown');
      throw new Error(`${path} (${mode}) was not painted and interactive within ${WAIT_MS / 1000} s: ${state}`, { cause: error });
    });
    const measured = await page.evaluate(() => ({ ...window.__phone }));
    measured.readyAt = measured[readyAt];

    let clickMs = null;
    let clickNavigated = false;
    const clickable = billing && mode !== 'none' &&
      (await page.locator('[data-billing="yearly"]').count()) > 0;
    if (clickable) {
      await page.evaluate(() => { window.__phone.sameDocument = true; });
      await page.click('[data-billing="yearly"]', { timeout: WAIT_MS });
      await wait(() => window.__phone.priceChangedAt !== null || !window.__phone.sameDocument).catch(() => {});
      await page.waitForLoadState('domcontentloaded');
      const after = await page.evaluate(() => ({ ...window.__phone }));
      if (after.sameDocument && after.priceChangedAt !== null) {
        clickMs = after.priceChangedAt - after.clickAt;
      } else {
        clickNavigated = true;
      }
    }

    // Every script and wasm module the page asked for, fully received.
    const deadline = Date.now() + WAIT_MS;
    while ([...downloads.values()].some((download) => download.bytes === null) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const finished = [...downloads.values()];
    // Nothing can be used before it is on screen.
    const ready = Math.max(measured.readyAt, measured.fcp);
    return {
      fcp: measured.fcp,
      interactive: clickable ? (clickMs === null ? null : ready + clickMs) : ready,
      mode,
      clickMs,
      clickNavigated,
      bytes: finished.reduce((sum, download) => sum + (download.bytes ?? 0), 0),
      encodings: [...new Set(finished.map((download) => download.encoding))],
    };
  } finally {
    await context.close();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const seconds = (ms) => (ms === undefined || ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

const MODES = {
  islands: 'every island ready',
  hydration: 'whole page hydrated (no island yet)',
  none: 'no island, no wasm: DOMContentLoaded',
};

async function main() {
  const browser = await launchChromium();
  try {
    const pages = [{ name: 'landing page /', path: '/', cookies: null, billing: true }];
    const cookies = await dashboardCookies(browser);
    if (cookies) {
      pages.push({ name: 'customer dashboard', path: process.env.BENCH_DASHBOARD, cookies, billing: false });
    }
    const rows = [];
    for (const spec of pages) {
      await load(browser, spec, false); // warm-up and check, not counted
      const runs = [];
      for (let run = 0; run < RUNS; run += 1) runs.push(await load(browser, spec, true));
      rows.push({ spec, runs });
    }

    console.log(
      `\nPhone speed: Chromium, ${CPU_SLOWDOWN}× CPU throttling, DevTools "Fast 4G" (${FAST_4G.latency} ms latency, ` +
      `${(FAST_4G.downloadThroughput * 8 / 1e6).toFixed(2)} Mbit/s down, ${(FAST_4G.uploadThroughput * 8 / 1e6).toFixed(2)} Mbit/s up), ` +
      `${PHONE.viewport.width}×${PHONE.viewport.height} screen, ${RUNS} cold loads per page (median / worst):`,
    );
    console.log(
      `${'page'.padEnd(20)} ${'FCP (target ≤ 1.0 s)'.padStart(22)} ${'interactive (≤ 2.0 s)'.padStart(22)} ${'JS+wasm transferred'.padStart(22)}`,
    );
    const notes = [];
    for (const { spec, runs } of rows) {
      const fcps = runs.map((run) => run.fcp);
      const answered = runs.filter((run) => run.interactive !== null);
      const interactive = answered.map((run) => run.interactive);
      const bytes = median(runs.map((run) => run.bytes));
      const encodings = [...new Set(runs.flatMap((run) => run.encodings))].join(', ') || 'none';
      const flag = (value, target) => (value > target ? ' !' : '  ');
      console.log(
        `${spec.name.padEnd(20)} ${`${seconds(median(fcps))} / ${seconds(Math.max(...fcps))}`.padStart(20)}${flag(median(fcps), TARGET_FCP_MS)}` +
        ` ${(interactive.length ? `${seconds(median(interactive))} / ${seconds(Math.max(...interactive))}` : 'never').padStart(20)}` +
        `${interactive.length ? flag(median(interactive), TARGET_INTERACTIVE_MS) : ' !'}` +
        ` ${`${(bytes / 1000).toFixed(1)} KB (${encodings})`.padStart(22)}`,
      );
      const modes = [...new Set(runs.map((run) => MODES[run.mode] ?? run.mode))].join(' / ');
      let note = `${spec.name}: interactive = ${modes}`;
      const clicks = runs.filter((run) => run.clickMs !== null).map((run) => run.clickMs);
      if (clicks.length) note += `, then the billing switch answered a click in ${Math.round(median(clicks))} ms (median)`;
      const navigated = runs.filter((run) => run.clickNavigated).length;
      if (navigated) note += `; in ${navigated} of ${runs.length} loads the billing click NAVIGATED instead (not interactive)`;
      if (spec.billing && !clicks.length && !navigated) note += '; no billing switch to click (plain links)';
      notes.push(note);
    }
    for (const note of notes) console.log(note);
    console.log('("!" marks a median over its target; targets are printed, not asserted)');
  } finally {
    await browser.close();
  }
}

await main();
